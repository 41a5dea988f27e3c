"""`nnhw new ID` scaffolds an assignment that builds and verifies as it stands, and refuses an id it cannot
use with one clear line. Each test makes a course of its own under tmp_path, never touching this
repository's assignments/."""

import re

import pytest
from click.testing import CliRunner
from helpers import nnhw
from test_build import run_public_tests
from test_config_errors import assert_clean_error

from autograder.authoring import build
from autograder.authoring.mutants import load_mutants
from autograder.cli import main
from autograder.course import Course
from autograder.regions import solution_functions

DEMO = "demo"


@pytest.fixture
def course(tmp_path):
    """An empty course: the two folders `nnhw` looks for (see Course.find)."""
    for top in ("assignments", "solutions"):
        (tmp_path / "course" / top).mkdir(parents=True)
    return tmp_path / "course"


def new(course, *args):
    """``nnhw new ARGS`` in-process, in ``course``; click's Result."""
    return CliRunner().invoke(main, ["new", *args], env={"NNHW_COURSE_ROOT": str(course)})


def test_new_writes_one_function_through_every_file(course):
    """What `nnhw new` writes holds together before anything is graded: the config's one test is the test
    file's one test, the marked function is the one the test, the mutant and the public case name."""
    result = new(course, DEMO, "--title", 'Layers: "affine" first')
    assert result.exit_code == 0, result.output
    assert f"nnhw build {DEMO} && nnhw verify {DEMO}" in result.output
    assignment = Course(course).assignment(DEMO)
    config = assignment.config
    assert config.title == 'Layers: "affine" first' and config.files == (f"{DEMO}.py",)
    assert [spec.name for spec in config.tests] == list(build.test_titles(assignment)) == ["test_affine_matches_reference"]
    assert build.test_titles(assignment)["test_affine_matches_reference"].startswith("affine: ")
    assert solution_functions(assignment.solution_files()[f"{DEMO}.py"].read_text()) == ["affine"]
    [mutant] = load_mutants(assignment)
    assert (mutant.target, mutant.caught_by) == (f"{DEMO}.py", ("affine",))
    assert "{{POINTS_TABLE}}" in assignment.handout.read_text()
    tree = build.starter_tree(assignment)
    assert "raise NotImplementedError('affine: not implemented yet')" in tree[f"{DEMO}.py"].decode()
    assert b'"function": "affine"' in tree["tests/cases.json"]
    assert "| 1 | affine: z = h W + b matches the reference" in tree["handout.md"].decode()
    assert tree["handout.md"].decode().startswith('# Layers: "affine" first\n')


def test_new_refuses_an_existing_id(course):
    assert new(course, DEMO).exit_code == 0
    solution = course / "solutions" / DEMO / f"{DEMO}.py"
    solution.write_text("# the TA's work\n")
    assert_clean_error(new(course, DEMO), f"assignment '{DEMO}' already exists", f"assignments/{DEMO}",
                       f"solutions/{DEMO}")
    assert solution.read_text() == "# the TA's work\n"
    (course / "starter" / "a5_rnn").mkdir(parents=True)  # a starter left behind is taken too
    assert_clean_error(new(course, "a5_rnn"), "assignment 'a5_rnn' already exists (starter/a5_rnn")
    assert not (course / "assignments" / "a5_rnn").exists()


@pytest.mark.parametrize("bad, fragment", [
    ("Demo", "lower-case letters, digits and _"),
    ("5a", "starting with a letter"),
    ("a5-rnn", "lower-case letters, digits and _"),
    ("../a5", "lower-case letters, digits and _"),
    ("", "cannot name an assignment"),
    ("class", "a Python keyword"),
    ("random", "a module called 'random' exists already"),
    ("numpy", "would shadow it"),
])
def test_new_refuses_an_id_that_cannot_name_a_module(course, bad, fragment):
    assert_clean_error(new(course, bad), fragment)
    assert not any(course.rglob("*.*")), "nothing is written for a refused id"


@pytest.mark.e2e
@pytest.mark.needs_worker
def test_new_then_build_then_verify_passes(course):
    """The TA's first three commands, as they type them: the solution scores full marks, the starter zero,
    the mutant is caught; the students' public test fails on the starter and passes on the solution."""
    env = {"NNHW_COURSE_ROOT": str(course)}
    nnhw("new", DEMO, env=env)
    nnhw("build", DEMO, env=env)
    assert (course / "dist" / f"{DEMO}-autograder.zip").is_file()
    verified = nnhw("verify", DEMO, env=env, timeout=300).stdout
    assert "✓ verified" in verified
    rows = {line.split()[0]: line.split()[1:] for line in verified.splitlines()
            if re.match(r"(solution|starter|affine_no_bias) ", line)}
    assert rows == {"solution": ["1", "·", "✓"], "starter": ["0", "✗", "✓"], "affine_no_bias": ["0", "✗", "✓"]}
    starter = course / "starter" / DEMO
    failing = run_public_tests(starter)
    assert failing.returncode == 1 and "affine: not implemented yet" in failing.stdout, failing.stdout[-2000:]
    (starter / f"{DEMO}.py").write_bytes((course / "solutions" / DEMO / f"{DEMO}.py").read_bytes())
    passing = run_public_tests(starter)
    assert passing.returncode == 0 and "1 passed" in passing.stdout, passing.stdout[-2000:]


@pytest.mark.e2e
@pytest.mark.needs_worker
@pytest.mark.needs_torch
def test_new_with_a_cache_builds_verifies_and_chains_the_public_tests(course):
    """`nnhw new ID --cache`: CS231n's (out, cache) pattern. The public tests record only z, chain the backward
    through the student's own forward, and say which function is not written yet; a correct student with a
    cache of their own design passes them and scores full marks."""
    env = {"NNHW_COURSE_ROOT": str(course)}
    nnhw("new", DEMO, "--cache", env=env)
    nnhw("build", DEMO, env=env)
    verified = nnhw("verify", DEMO, env=env, timeout=300).stdout
    assert "✓ verified" in verified, verified
    starter = course / "starter" / DEMO
    stub = (starter / f"{DEMO}.py").read_text()
    failing = run_public_tests(starter)
    assert failing.returncode == 1 and "affine_forward: not implemented yet" in failing.stdout
    # each case's own report (pytest's closing summary may repeat them where the terminal is wide)
    reports = [line for line in failing.stdout.splitlines() if line.startswith("affine_forward: not implemented yet")]
    assert len(reports) == 2, failing.stdout  # the backward's case calls it first
    solution = (course / "solutions" / DEMO / f"{DEMO}.py").read_text()
    (starter / f"{DEMO}.py").write_text(solution.split("def affine_backward")[0] + "def affine_backward" +
                                        stub.split("def affine_backward")[1])
    only_forward = run_public_tests(starter)
    assert "1 passed" in only_forward.stdout and "affine_backward: not implemented yet" in only_forward.stdout
    own_cache = solution.replace("return h @ W + b, (h, W)", "return h @ W + b, {'W': W, 'h': h, 'm': len(h)}") \
        .replace("h, W = cache", "h, W = cache['h'], cache['W']")
    assert own_cache != solution
    (starter / f"{DEMO}.py").write_text(own_cache)
    passing = run_public_tests(starter)
    assert passing.returncode == 0 and "2 passed" in passing.stdout, passing.stdout[-2000:]
    graded = nnhw("grade", DEMO, starter / f"{DEMO}.py", env=env).stdout
    assert "3 / 3" in graded or "3.0 / 3.0" in graded, graded


def test_new_in_an_empty_folder_starts_a_course_there_with_the_lock_its_bundles_install(tmp_path, monkeypatch):
    """Before: "no course found ... a folder with assignments/ and solutions/". Its bundles install the course's
    own lock (an instructor pins what their graders run)."""
    folder = tmp_path / "my-course"
    folder.mkdir()
    monkeypatch.chdir(folder)
    monkeypatch.delenv("NNHW_COURSE_ROOT", raising=False)
    result = CliRunner().invoke(main, ["new", DEMO])
    assert result.exit_code == 0, result.output
    assert "✓ requirements.lock" in result.output and "✓ assignments/demo/assignment.toml" in result.output
    assert (folder / "requirements.lock").read_bytes() == (build.ENGINE.parent / "requirements.lock").read_bytes()
    assert Course.find(folder).ids() == [DEMO]
    (folder / "requirements.lock").write_text("numpy==2.2.6\n")
    assert build.bundle_tree(Course(folder).assignment(DEMO))["requirements.lock"] == b"numpy==2.2.6\n"
    assert CliRunner().invoke(main, ["new", "second"]).exit_code == 0  # now a course: no second start


def test_new_refuses_to_start_a_course_around_other_files(tmp_path, monkeypatch):
    (tmp_path / "notes.txt").write_text("mine")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("NNHW_COURSE_ROOT", raising=False)
    assert_clean_error(CliRunner().invoke(main, ["new", DEMO]), "is not empty (notes.txt)", "in an empty folder")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]
