"""Gradescope metadata on graded tests: gradescope-utils' decorators or assignment.toml (never both for the
same thing), prerequisites between tests, and results.json built as gradescope-utils' own runner would."""

import io
import json
import textwrap
import unittest

import pytest
from gradescope_utils.autograder_utils import decorators as gs
from gradescope_utils.autograder_utils.json_test_runner import JSONTestRunner

from autograder.config import ConfigError, load_config
from autograder.grading import results
from autograder.grading.plugin import Outcome

TOML = """
[assignment]
id = "{id}"
title = "t"
files = ["f.py"]

[tests.test_a]
{a}

[tests.test_b]
{b}
"""

TESTS = '''
from gradescope_utils.autograder_utils.decorators import weight, visibility, number, tags, hide_errors, leaderboard
from gradescope_utils.autograder_utils.decorators import partial_credit

{decorators}
def test_a(student):
    """a: the first test"""

def test_b(student):
    """b: the second test"""
'''


def assignment(tmp_path, a="weight = 1", b="weight = 2", decorators=""):
    folder = tmp_path / "demo"
    (folder / "tests").mkdir(parents=True)
    (folder / "assignment.toml").write_text(TOML.format(id="demo", a=a, b=b))
    (folder / "tests" / "test_demo.py").write_text(TESTS.format(decorators=textwrap.dedent(decorators)))
    return folder / "assignment.toml"


def test_decorators_set_what_the_toml_leaves_out(tmp_path):
    config = load_config(assignment(tmp_path, a="", decorators="""
        @weight(3)
        @visibility("after_due_date")
        @number("1.1")
        @tags("forward", "easy")"""))
    spec = config.test("test_a")
    assert (spec.weight, spec.visibility, spec.number, spec.tags) == (3.0, "after_due_date", "1.1", ("forward", "easy"))
    assert config.max_score == 5


def test_the_same_setting_in_both_places_is_an_error(tmp_path):
    with pytest.raises(ConfigError, match=r"\[tests.test_a\] sets weight, and so does @weight\(...\) on the test "
                                          r"\(test_demo.py, line \d+\); set it in one place"):
        load_config(assignment(tmp_path, decorators="@weight(3)"))


def test_a_weight_is_needed_somewhere(tmp_path):
    with pytest.raises(ConfigError, match=r"\[tests.test_a\] is missing the key 'weight'"):
        load_config(assignment(tmp_path, a=""))


@pytest.mark.parametrize("decorator, message", [
    ('@weight(1)\n@visibility("secret")', r"@visibility\(...\) on test_a should be given one of"),
    ("@weight(-1)", r"@weight\(...\) on test_a should be given a number >= 0"),
    ("@weight(POINTS)", r"must be given literal values"),
])
def test_bad_decorator_values_are_clear_errors(tmp_path, decorator, message):
    with pytest.raises(ConfigError, match=message):
        load_config(assignment(tmp_path, a="", decorators=decorator))


def test_leaderboard_tests_carry_no_points(tmp_path):
    config = load_config(assignment(tmp_path, a="", decorators='@leaderboard("speed", "asc")'))
    assert config.test("test_a").leaderboard == ("speed", "asc") and config.max_score == 2
    with pytest.raises(ConfigError, match="carries no points"):
        load_config(assignment(tmp_path / "x", decorators='@leaderboard("speed")'))


@pytest.mark.parametrize("b, message", [
    ('weight = 2\nrequires = ["test_b"]', "requires itself"),
    ('weight = 2\nrequires = ["test_aa"]', r"'test_aa', which is not a test in this file \(did you mean 'test_a'\?\)"),
    ('weight = 2\nrequires = "test_a"', "requires should be a list of test names"),
])
def test_requires_names_earlier_tests(tmp_path, b, message):
    with pytest.raises(ConfigError, match=message):
        load_config(assignment(tmp_path, b=b))


def test_requires_must_come_after_what_it_requires(tmp_path):
    with pytest.raises(ConfigError, match="is listed after it"):
        load_config(assignment(tmp_path, a='weight = 1\nrequires = ["test_b"]'))
    assert load_config(assignment(tmp_path / "ok", b='weight = 2\nrequires = ["test_a"]')).test("test_b").requires == \
        ("test_a",)


# ---------------------------------------------------------------------------------------
# results.json: the same entries gradescope-utils' JSONTestRunner writes for the same tests
# ---------------------------------------------------------------------------------------


def demo_case():
    """The three tests below as a unittest case with gradescope-utils' decorators (not collected by pytest)."""
    class Demo(unittest.TestCase):
        @gs.weight(2)
        @gs.number("1")
        @gs.visibility("after_due_date")
        @gs.tags("t1")
        def test_a(self):
            """a: passes"""

        @gs.weight(1)
        @gs.number("2")
        @gs.hide_errors("something is off")
        def test_b(self):
            """b: fails with hidden errors"""
            self.fail("secret details")

        @gs.partial_credit(4)
        @gs.number("3")
        def test_c(self, set_score=None):
            """c: earns part of its points"""
            set_score(1.5)
            self.fail("not all of it")

    return Demo


def runner_results():
    stream = io.StringIO()
    JSONTestRunner(stream=stream, visibility="visible").run(unittest.TestLoader().loadTestsFromTestCase(demo_case()))
    return {t["name"]: t for t in json.loads(stream.getvalue())["tests"]}


def test_results_match_gradescope_utils_runner(tmp_path):
    (tmp_path / "demo" / "tests").mkdir(parents=True)
    (tmp_path / "demo" / "assignment.toml").write_text(
        '[assignment]\nid = "demo"\ntitle = "t"\nfiles = ["f.py"]\n[tests.test_a]\n[tests.test_b]\n[tests.test_c]\n')
    source = ("from gradescope_utils.autograder_utils.decorators import *\n" +
              "\n".join(line[4:] for line in DEMO_SOURCE.splitlines()))
    (tmp_path / "demo" / "tests" / "test_demo.py").write_text(source)
    config = load_config(tmp_path / "demo" / "assignment.toml")
    ours = results.assemble(config, {
        "test_a": Outcome("test_a", "a: passes", True),
        "test_b": Outcome("test_b", "b: fails with hidden errors", False, config.test("test_b").hide_errors),
        "test_c": Outcome("test_c", "c: earns part of its points", False, "not all of it", score=1.5),
    })
    theirs = runner_results()
    for entry in ours["tests"]:
        reference = theirs[entry["name"]]
        for key in ("score", "max_score", "status", "number"):
            assert entry[key] == reference[key], (entry["name"], key)
        assert entry["visibility"] == reference.get("visibility", "visible")
        assert entry.get("tags", []) == list(reference.get("tags", []))
    assert ours["tests"][1]["output"] == theirs["b: fails with hidden errors"]["output"] == "something is off"
    assert ours["score"] == 3.5


DEMO_SOURCE = '''
    @weight(2)
    @number("1")
    @visibility("after_due_date")
    @tags("t1")
    def test_a(student):
        """a: passes"""

    @weight(1)
    @number("2")
    @hide_errors("something is off")
    def test_b(student):
        """b: fails with hidden errors"""

    @partial_credit(4)
    @number("3")
    def test_c(student, set_score=None):
        """c: earns part of its points"""
'''


def test_partial_scores_are_clamped_and_pass_only_in_full(tmp_path):
    config = load_config(assignment(tmp_path))
    out = results.assemble(config, {"test_a": Outcome("test_a", "a", True, score=5.0),
                                    "test_b": Outcome("test_b", "b", True, score=1.0)})
    assert [(t["score"], t["status"]) for t in out["tests"]] == [(1.0, "passed"), (1.0, "failed")]
