"""The build is deterministic, starter/ is current, and the generated files do their jobs."""

import re
import shutil
import stat
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from helpers import ROOT

from autograder.authoring.build import bundle_tree, deterministic_zip, stale_files, starter_tree
from autograder.course import Course
from autograder.regions import solution_functions

pytestmark = pytest.mark.needs_torch  # grades, or builds, an assignment (the grader imports torch)


def assignments(course):
    return course.assignments()


def test_starter_is_current(course):
    """Fails when someone edits solutions/ or assignments/ and forgets `nnhw build`."""
    for assignment in course.assignments():
        assert stale_files(assignment) == [], f"starter/{assignment.id} is stale: run `nnhw build` and commit"


def test_stale_starter_is_detected(course, tmp_path):
    """On a copy of starter/ (the tests run in parallel: the real one is another test's to read)."""
    assignment = course.assignment("a1_forward")
    assignment.starter_dir = Path(shutil.copytree(assignment.starter_dir, tmp_path / "starter"))
    assert stale_files(assignment) == []
    (assignment.starter_dir / "forward.py").write_bytes((assignment.starter_dir / "forward.py").read_bytes()
                                                        + b"# edited\n")
    assert stale_files(assignment) == ["forward.py"]


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
            setup = zf.read("setup.sh")
            assert b"lockinstall.py requirements.lock --group runtime" in setup
            assert (b"--no-torch" not in setup) == assignment.config.needs_torch
            assert "requirements.lock" in names and "autograder/lockinstall.py" in names


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


@pytest.mark.e2e
@pytest.mark.parametrize("assignment_id", Course(ROOT).ids())
def test_public_tests_pass_on_solution_and_fail_on_starter(course, tmp_path, assignment_id):
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


#: gpu_conv.py mutants whose answers are right (they break a rule the public tests cannot see)
RULE_BREAKERS = {"gpu_calls_F_conv2d", "gpu_getattr_conv2d", "gpu_backward_uses_autograd"}


@pytest.mark.e2e
def test_public_tests_catch_a_broken_gpu_layer(course, tmp_path):
    """gpu_conv.py carries many of a3's points, so its public tests must fail when it is wrong: a syntax error,
    and each instructor mutant that computes wrong values."""
    from autograder.authoring.mutants import load_mutants, write_mutant_submission

    assignment = course.assignment("a3_cnn")
    wrong = [m for m in load_mutants(assignment) if m.target == "gpu_conv.py" and m.name not in RULE_BREAKERS]
    assert len(wrong) >= 3
    for mutant in wrong:
        folder = write_mutant_submission(assignment, mutant, tmp_path / mutant.name)
        shutil.copytree(assignment.starter_dir / "tests", folder / "tests")
        result = run_public_tests(folder)
        assert result.returncode == 1 and re.search(r"FAILED .*(conv2d|Conv2d)", result.stdout), \
            f"{mutant.name}: the public tests did not fail\n{result.stdout[-2000:]}"
    broken = tmp_path / "syntax"
    shutil.copytree(assignment.starter_dir, broken)
    for name, path in assignment.solution_files().items():
        shutil.copy(path, broken / name)
    (broken / "gpu_conv.py").write_text((broken / "gpu_conv.py").read_text() + "\ndef broken(:\n")
    result = run_public_tests(broken)
    assert result.returncode != 0, result.stdout[-2000:]  # one line, once: no public test runs until it imports
    assert "✗ gpu_conv.py does not import: SyntaxError: invalid syntax (line" in result.stdout, result.stdout[-2000:]
