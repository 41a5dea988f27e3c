"""An instructor's mistakes get one clear line, never a traceback: a broken assignment.toml (which
file, which key, what was expected), an unknown assignment id, unbalanced solution markers, an
empty submissions folder. Each case breaks a scratch copy of the course (NNHW_COURSE_ROOT)."""

import shutil
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from helpers import ROOT, nnhw

from autograder.cli import main
from autograder.config import load_config

A1 = "a1_forward"


def scratch_course(tmp_path, ids=(A1,)):
    """A copy of the course holding only ``ids``: assignments/, solutions/ and starter/."""
    course = tmp_path / "course"
    for top in ("assignments", "solutions", "starter"):
        for assignment_id in ids:
            source = ROOT / top / assignment_id
            if source.exists():
                shutil.copytree(source, course / top / assignment_id,
                                ignore=shutil.ignore_patterns("__pycache__", ".hypothesis"))
    return course


def edit(path, old, new, count=1):
    text = Path(path).read_text(encoding="utf-8")
    assert old in text, f"{old!r} is not in {path}"
    Path(path).write_text(text.replace(old, new, count), encoding="utf-8")


def cli(course, *args):
    """Run ``nnhw ARGS`` in-process against the scratch course; returns click's Result."""
    return CliRunner().invoke(main, [str(a) for a in args], env={"NNHW_COURSE_ROOT": str(course)},
                              catch_exceptions=True)


def assert_clean_error(result, *fragments):
    """Exit 1 with one ``Error: ...`` line holding every fragment, and no traceback."""
    assert result.exit_code == 1, (result.exit_code, result.output, result.exception)
    assert isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output
    lines = [line for line in result.output.splitlines() if line.startswith("Error: ")]
    assert len(lines) == 1, result.output
    for fragment in fragments:
        assert fragment in lines[0], f"{fragment!r} not in {lines[0]!r}"
    return lines[0]


@pytest.fixture
def course(tmp_path):
    return scratch_course(tmp_path)


@pytest.fixture
def submissions(tmp_path):
    folder = tmp_path / "submissions"
    (folder / "alice").mkdir(parents=True)
    shutil.copy(ROOT / "solutions" / A1 / "forward.py", folder / "alice" / "forward.py")
    return folder


BROKEN_CONFIGS = [
    pytest.param('title = "The forward pass of a fully-connected network"\n', "",
                 ["[assignment]", "missing the key 'title'", "a string"], id="missing-key"),
    pytest.param("[tests.test_affine_forward_matches_reference]\nweight = 2",
                 '[tests.test_affine_forward_matches_reference]\nweight = "two"',
                 ["[tests.test_affine_forward_matches_reference]", "weight", "a number >= 0", '"two"'],
                 id="weight-wrong-type"),
    pytest.param("memory_mb = 768", 'memory_mb = "768MB"', ["[limits]", "memory_mb", "a positive integer",
                                                            '"768MB"'], id="limit-wrong-type"),
    pytest.param('files = ["forward.py"]', 'files = "forward.py"',
                 ["[assignment]", "files", "a non-empty list of .py file names"], id="files-not-a-list"),
    pytest.param("needs_torch = true", 'needs_torch = "yes"', ["needs_torch", "true or false", '"yes"'],
                 id="bool-wrong-type"),
    pytest.param("[tests.test_sigmoid_matches_reference]\nweight = 1",
                 "[tests.test_sigmoid_matches_reference]\nwieght = 1",
                 ["[tests.test_sigmoid_matches_reference]", "missing the key 'weight'", "wieght"], id="typo"),
    pytest.param('visibility = "after_due_date"', 'visibility = "later"',
                 ["visibility", "after_due_date", '"later"'], id="bad-visibility"),
    pytest.param("[limits]", "[limit]", ["unknown key(s) 'limit'", "did you mean 'limits'"],
                 id="unknown-table"),
    pytest.param('id = "a1_forward"', 'id = "a1"', ["[assignment] id", "'a1'", "a1_forward"], id="id-mismatch"),
    pytest.param("max_file_mb = 16", "max_file_mb = 16\ntotal_budget_s = -5",
                 ["[limits]", "total_budget_s", "a positive number", "-5"], id="budget-not-positive"),
    pytest.param("[hypothesis]\nmax_examples = 100", "[hypothesis]\nmax_examples = 0",
                 ["[hypothesis]", "max_examples", "a positive integer"], id="not-positive"),
    pytest.param("[tests.test_tanh_matches_reference]\nweight = 1", "[tests.test_tanh_matches_reference]\nweight = ",
                 ["not valid TOML"], id="not-toml"),
    pytest.param("[tests.test_relu_matches_reference]\nweight = 1", "[tests]\ntest_relu_matches_reference = 1",
                 ["[tests.test_relu_matches_reference] should be a table, got 1"], id="not-a-table"),
]


def test_every_limit_can_be_set_in_the_config(course):
    """Each of the sandbox's limits is an instructor's setting; unset ones keep the defaults."""
    config = course / "assignments" / A1 / "assignment.toml"
    edit(config, "max_file_mb = 16", "max_file_mb = 8\nmax_answer_mb = 32\nmax_open_files = 128\n"
                                     "test_budget_s = 45\ntotal_budget_s = 300.5")
    limits = load_config(config).limits
    assert (limits.max_file_mb, limits.max_answer_mb, limits.max_open_files) == (8, 32, 128)
    assert (limits.test_budget, limits.total_budget_s) == (45.0, 300.5)
    edit(config, "test_budget_s = 45\n", "")
    assert load_config(config).limits.test_budget == 6 * load_config(config).limits.call_timeout_s


@pytest.mark.parametrize("old, new, fragments", BROKEN_CONFIGS)
def test_broken_config_names_file_key_and_expectation(course, submissions, tmp_path, old, new, fragments):
    config = course / "assignments" / A1 / "assignment.toml"
    edit(config, old, new)
    for args in (["grade-batch", A1, submissions, "--out", tmp_path / "out"],
                 ["build", A1, "--dist", tmp_path / "dist"]):
        result = cli(course, *args)
        assert_clean_error(result, str(config), *fragments)
    assert not (tmp_path / "out").exists(), "nothing is graded with a broken config"


@pytest.mark.e2e
def test_broken_config_from_the_real_command_line(course, submissions, tmp_path):
    """The installed command (a fresh process) prints the same single line and exits 1."""
    config = course / "assignments" / A1 / "assignment.toml"
    edit(config, "[tests.test_affine_forward_matches_reference]\nweight = 2",
         "[tests.test_affine_forward_matches_reference]\nweight = [2]")
    for args in (["grade-batch", A1, submissions], ["build", A1, "--dist", tmp_path / "dist"], ["verify", A1]):
        done = nnhw(*args, check=False, env={"NNHW_COURSE_ROOT": str(course)}, timeout=120)
        assert done.returncode == 1, done
        assert "Traceback" not in done.stderr + done.stdout
        assert done.stderr.strip().splitlines() == [
            f"Error: {config}: [tests.test_affine_forward_matches_reference] weight should be a number >= 0, got [2]"]


@pytest.mark.parametrize("command", [["grade-batch", "a9_nothing", "."], ["build", "a9_nothing"],
                                     ["verify", "a9_nothing"]])
def test_unknown_assignment_lists_the_known_ones(course, command):
    result = cli(course, *command)
    assert_clean_error(result, "unknown assignment 'a9_nothing'", "this course has: a1_forward")


@pytest.mark.parametrize("old, new, where", [
    ("# END SOLUTION", "", "BEGIN SOLUTION inside the region opened at line"),
    ("# BEGIN SOLUTION", "# (no marker)", "END SOLUTION without a BEGIN SOLUTION"),
])
def test_unbalanced_markers_stop_the_build_with_file_and_line(course, tmp_path, old, new, where):
    solution = course / "solutions" / A1 / "forward.py"
    edit(solution, old, new)
    for args in (["build", A1, "--dist", tmp_path / "dist"], ["build", A1, "--check"]):
        line = assert_clean_error(cli(course, *args), "forward.py:", where)
        assert line.startswith(f"Error: {solution}:") or line.startswith("Error: ") and str(solution) in line
    assert not (tmp_path / "dist").exists()


def test_unclosed_marker_at_the_end(course, tmp_path):
    solution = course / "solutions" / A1 / "forward.py"
    text = solution.read_text(encoding="utf-8")
    last = text.rindex("# END SOLUTION")
    solution.write_text(text[:last] + "# (removed)" + text[last + len("# END SOLUTION"):], encoding="utf-8")
    assert_clean_error(cli(course, "build", A1, "--dist", tmp_path / "dist"), "is never closed by END SOLUTION")


def test_empty_submissions_folder(course, tmp_path):
    empty = tmp_path / "nothing-here"
    empty.mkdir()
    (empty / ".DS_Store").write_text("")
    assert_clean_error(cli(course, "grade-batch", A1, empty), str(empty), "holds no submissions")


def test_submissions_that_are_neither_folder_nor_zip(course, tmp_path):
    text = tmp_path / "grades.txt"
    text.write_text("alice 10\n")
    assert_clean_error(cli(course, "grade-batch", A1, text), "neither a folder of submissions nor a zip")
    broken = tmp_path / "export.zip"
    with zipfile.ZipFile(broken, "w") as zf:
        zf.writestr("notes.txt", "no submissions in here")
    assert_clean_error(cli(course, "grade-batch", A1, broken), "holds no submissions", "ignored: notes.txt")


@pytest.mark.e2e
@pytest.mark.needs_torch
def test_tests_that_disagree_with_the_config_stop_the_batch(course, tmp_path):
    """A [tests] table naming a test that does not exist makes every submission fail alike:
    the batch stops after two with the config's message instead of grading a whole class to zero."""
    edit(course / "assignments" / A1 / "assignment.toml", "[tests.test_relu_matches_reference]",
         "[tests.test_relu_is_fast]\nweight = 1\n\n[tests.test_relu_matches_reference]")
    folder = tmp_path / "submissions"
    for student in ("ann", "ben", "cat"):
        shutil.copytree(course / "starter" / A1, folder / student, ignore=shutil.ignore_patterns("tests", "*.md"))
    result = cli(course, "grade-batch", A1, folder, "--jobs", "2", "--out", tmp_path / "out")
    assert_clean_error(result, "grading stopped", "misconfigured", "in the config but not found: test_relu_is_fast")
    assert not (tmp_path / "out" / "gradebook.csv").exists()
