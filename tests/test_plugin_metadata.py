"""End to end on a tiny course: a composite test names the failing building block it relies on, and
gradescope-utils' @hide_errors, @partial_credit and @leaderboard reach results.json as its runner writes them."""

import json
import textwrap

import pytest
from helpers import nnhw

pytestmark = pytest.mark.needs_worker  # grades (or confines) through a real worker

TOML = """
[assignment]
id = "demo"
title = "demo"
files = ["demo.py"]

[tests.test_double]

[tests.test_quadruple]
weight = 2
requires = ["test_double"]

[tests.test_secret]

[tests.test_partial]

[tests.test_speed]
"""

TESTS = '''
from gradescope_utils.autograder_utils.decorators import hide_errors, leaderboard, partial_credit, weight

from autograder.kit.judge import judge


@weight(1)
def test_double(student, reference):
    """double: 2x"""
    judge(student, reference, "double", 3.0)


def test_quadruple(student, reference):
    """quadruple: double twice"""
    judge(student, reference, "quadruple", 3.0)


@weight(1)
@hide_errors("the secret test failed")
def test_secret(student, reference):
    """double: a secret case"""
    judge(student, reference, "double", 5.0)


@partial_credit(4)
def test_partial(student, reference, set_score=None):
    """double: partial credit"""
    set_score(1.5)


@leaderboard("value", "asc")
def test_speed(student, set_leaderboard_value=None):
    """double: leaderboard"""
    set_leaderboard_value(student.double(1.0))
'''

SOLUTION = "def double(x):\n    return 2 * x\n\n\ndef quadruple(x):\n    return double(double(x))\n"


@pytest.mark.e2e
def test_requires_hide_errors_partial_credit_and_leaderboard(tmp_path):
    course = tmp_path / "course"
    (course / "assignments" / "demo" / "tests").mkdir(parents=True)
    (course / "solutions" / "demo").mkdir(parents=True)
    (course / "assignments" / "demo" / "assignment.toml").write_text(TOML)
    (course / "assignments" / "demo" / "tests" / "test_demo.py").write_text(textwrap.dedent(TESTS))
    (course / "solutions" / "demo" / "demo.py").write_text(SOLUTION)
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "demo.py").write_text(SOLUTION.replace("return 2 * x", "return 3 * x"))
    out = tmp_path / "results.json"
    nnhw("grade", "demo", tmp_path / "sub", "--out", out, "--quiet", env={"NNHW_COURSE_ROOT": str(course)})
    results = json.loads(out.read_text())
    tests = {t["name"]: t for t in results["tests"]}
    assert tests["quadruple: double twice"]["output"].startswith(
        'double fails test 1 ("double: 2x"): fix it first, this test relies on it\nquadruple: wrong values')
    assert tests["double: a secret case"]["output"] == "the secret test failed"
    assert (tests["double: partial credit"]["score"], tests["double: partial credit"]["max_score"],
            tests["double: partial credit"]["status"]) == (1.5, 4.0, "failed")
    assert "double: leaderboard" not in tests
    assert results["leaderboard"] == [{"name": "value", "value": 3.0, "order": "asc"}]
    assert results["score"] == 1.5
