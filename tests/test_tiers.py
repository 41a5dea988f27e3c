"""The fast tier (``pytest -m "not e2e"``) holds no grading: conftest refuses one in a test without the e2e mark."""

import shutil
import subprocess
import sys

import pytest
from conftest import grades

from autograder.grading.grader import grade


@pytest.mark.parametrize("command, grading", [
    ([sys.executable, "-m", "autograder", "grade", "a1_forward", "sub"], True),
    ([sys.executable, "-m", "autograder", "verify"], True),
    ([sys.executable, "-m", "autograder", "grade-batch", "a1_forward", "subs"], True),
    ([sys.executable, "-m", "autograder", "build", "a1_forward"], True),  # records the solution's examples
    ([sys.executable, "-m", "autograder.batch.zygote", "--torch"], True),
    (["/autograder/run_autograder"], True),
    ([sys.executable, "-m", "autograder", "build", "--check"], False),
    ([sys.executable, "-m", "autograder", "new", "demo"], False),
    ([sys.executable, "-m", "pytest", "tests"], False),
    ("ls", False),
])
def test_grading_commands_are_recognised(command, grading):
    assert grades(command) is grading


def test_an_unmarked_test_cannot_start_a_grading():
    with pytest.raises(AssertionError, match="mark it @pytest.mark.e2e"):
        subprocess.Popen([sys.executable, "-m", "autograder", "grade", "no_such_assignment", "nowhere"])


@pytest.mark.needs_torch  # a1's grading imports torch before its tests would run
def test_an_unmarked_test_cannot_grade_in_process(course, tmp_path):
    a1 = course.assignment("a1_forward")
    shutil.copy(a1.solution_files()["forward.py"], tmp_path / "forward.py")
    with pytest.raises(AssertionError, match="mark it @pytest.mark.e2e"):
        grade(a1, tmp_path)


@pytest.mark.e2e
def test_a_marked_test_may(tmp_path):
    done = subprocess.run([sys.executable, "-m", "autograder", "grade", "no_such_assignment", str(tmp_path)],
                          capture_output=True, text=True)
    assert "unknown assignment 'no_such_assignment'" in done.stdout + done.stderr
