"""The build is deterministic, starter/ is current, and the generated files do their jobs."""

import re
import shutil
import stat
import subprocess
import sys
import zipfile

import pytest

from autograder.build import bundle_tree, deterministic_zip, stale_files, starter_tree
from autograder.regions import solution_functions


def assignments(course):
    return course.assignments()


def test_starter_is_current(course):
    """Fails when someone edits solutions/ or assignments/ and forgets `nnhw build`."""
    for assignment in course.assignments():
        assert stale_files(assignment) == [], f"starter/{assignment.id} is stale: run `nnhw build` and commit"


def test_stale_starter_is_detected(course, tmp_path):
    assignment = course.assignment("a1_forward")
    original = (assignment.starter_dir / "forward.py").read_bytes()
    try:
        (assignment.starter_dir / "forward.py").write_bytes(original + b"# edited\n")
        assert stale_files(assignment) == ["forward.py"]
    finally:
        (assignment.starter_dir / "forward.py").write_bytes(original)


def test_zips_are_byte_identical(course, tmp_path):
    for assignment in course.assignments():
        first = deterministic_zip(tmp_path / "1.zip", bundle_tree(assignment)).read_bytes()
        second = deterministic_zip(tmp_path / "2.zip", bundle_tree(assignment)).read_bytes()
        assert first == second
        assert deterministic_zip(tmp_path / "s1.zip", starter_tree(assignment)).read_bytes() == \
            deterministic_zip(tmp_path / "s2.zip", starter_tree(assignment)).read_bytes()


def test_bundle_layout_matches_gradescope(course, bundle_dir):
    for assignment in course.assignments():
        with zipfile.ZipFile(bundle_dir / f"{assignment.id}-autograder.zip") as zf:
            names = set(zf.namelist())
            assert {"setup.sh", "run_autograder"} <= names  # files at the root, not in a folder
            for script in ("setup.sh", "run_autograder"):
                info = zf.getinfo(script)
                assert (info.external_attr >> 16) & stat.S_IXUSR, f"{script} is not executable"
                text = zf.read(script)
                assert text.startswith(b"#!") and b"\r\n" not in text
            assert f"assignments/{assignment.id}/assignment.toml" in names
            assert not any("/mutants/" in n for n in names)
            for given in assignment.config.given:
                assert f"solutions/{given.source}" in names
            assert (b"install_torch\n" in zf.read("setup.sh").split(b"}", 1)[1]) == assignment.config.needs_torch


def test_starter_stubs_every_solution_function(course):
    for assignment in course.assignments():
        for name, path in assignment.solution_files().items():
            stub = (assignment.starter_dir / name).read_text()
            for function in solution_functions(path.read_text()):
                assert f"raise NotImplementedError('{function}: not implemented yet')" in stub
            assert "BEGIN SOLUTION" not in stub and "END SOLUTION" not in stub


def run_public_tests(folder):
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"], cwd=folder,
                          capture_output=True, text=True, timeout=600)


@pytest.mark.parametrize("assignment_id", ["a1_forward", "a2_backprop", "a3_cnn", "a4_pytorch"])
def test_public_tests_pass_on_solution_and_fail_on_starter(course, tmp_path, assignment_id):
    if assignment_id not in course.ids():
        pytest.skip(f"{assignment_id} is not in this course yet")
    assignment = course.assignment(assignment_id)
    starter = tmp_path / "starter"
    shutil.copytree(assignment.starter_dir, starter)
    failing = run_public_tests(starter)
    assert failing.returncode == 1 and "not implemented yet" in failing.stdout
    assert not re.search(r"\d+ passed", failing.stdout), failing.stdout[-2000:]
    for name, path in assignment.solution_files().items():
        shutil.copy(path, starter / name)
    passing = run_public_tests(starter)
    assert passing.returncode == 0, passing.stdout[-3000:]
