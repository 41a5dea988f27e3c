"""A solution given to a later assignment is the instructor's decision, made visibly (issue 31, point 8): `nnhw
build` names each file a starter ships from another assignment's solution, and ``ship = false`` holds it back, the
starter then loading the student's own earlier file."""

import shutil
import subprocess
import sys

from helpers import ROOT

from autograder.authoring import given
from autograder.authoring.build import build_warnings, starter_tree
from autograder.course import Course

A2 = "a2_backprop"


def held_back_course(folder):
    """A copy of the course whose a2 holds a1's forward.py back."""
    for part in ("assignments", "solutions"):
        shutil.copytree(ROOT / part, folder / part, ignore=shutil.ignore_patterns("__pycache__", "data"))
    shutil.copy(ROOT / "pyproject.toml", folder / "pyproject.toml")
    config = folder / "assignments" / A2 / "assignment.toml"
    text = config.read_text(encoding="utf-8")
    config.write_text(text.replace('name = "forward.py" }', 'name = "forward.py", ship = false }'), encoding="utf-8")
    return Course(folder).assignment(A2)


def test_build_names_the_solution_a2_ships_from_a1():
    assignment = Course(ROOT).assignment(A2)
    notes = [line for line in build_warnings(assignment) if "forward.py" in line]
    assert notes == [f"{A2}: the starter ships a1_forward's reference solution a1_forward/forward.py as forward.py; "
                     "set ship = false in its [assignment] given entry to hold it back (the starter then loads the "
                     "student's own)"]
    assert "def sigmoid" in starter_tree(assignment)["forward.py"].decode()


def test_a_held_back_solution_is_not_in_the_starter_which_loads_the_student_s_own(tmp_path):
    assignment = held_back_course(tmp_path / "course")
    assert given.notes(assignment) == [f"{A2}: a1_forward's reference a1_forward/forward.py is held back; the "
                                       "starter's forward.py loads the student's own from ../a1_forward/forward.py"]
    tree = given.starter_files(assignment)
    loader = tree["forward.py"].decode()
    assert "def sigmoid" not in loader and "np.exp" not in loader
    assert "is your own from a1_forward" in given.header_note(assignment)
    students = tmp_path / "student"
    (students / A2).mkdir(parents=True)
    (students / A2 / "forward.py").write_bytes(tree["forward.py"])
    probe = [sys.executable, "-c", "import forward; print(forward.sigmoid(0))"]
    missing = subprocess.run(probe, cwd=students / A2, capture_output=True, text=True, timeout=60)
    assert missing.returncode != 0 and "put your a1_forward folder beside this one" in missing.stderr
    (students / "a1_forward").mkdir()
    (students / "a1_forward" / "forward.py").write_text("def sigmoid(z):\n    return 'mine'\n", encoding="utf-8")
    loaded = subprocess.run(probe, cwd=students / A2, capture_output=True, text=True, timeout=60)
    assert loaded.stdout.strip() == "mine", loaded.stderr
    assert assignment.given_files()["forward.py"] == tmp_path / "course" / "solutions" / "a1_forward" / "forward.py"
