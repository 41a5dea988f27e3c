"""End to end: nnhw grade, the Gradescope bundle and nnhw verify agree and catch wrong code."""

import json
import shutil
import zipfile

import hypothesis
import numpy as np
import once_per_session
import pytest
from fake_gradescope import make_container, run_autograder
from helpers import ROOT, grade

from autograder.authoring import build
from autograder.authoring.mutants import load_mutants, write_mutant_submission
from autograder.authoring.verify import CAUSE_TARGET, cause_share, verify_many
from autograder.code_names import defined_functions
from autograder.course import Course
from autograder.grading import results as results_json
from autograder.grading.plugin import function_of

pytestmark = [pytest.mark.needs_torch,  # grades, or builds, an assignment (the grader imports torch)
              pytest.mark.e2e]

A1 = "a1_forward"


@pytest.fixture(scope="module")
def a1(course):
    return course.assignment(A1)


@pytest.fixture(scope="module")
def a1_mutant(a1, tmp_path_factory):
    mutant = next(m for m in load_mutants(a1) if m.name == "tanh_slide_formula")
    return write_mutant_submission(a1, mutant, tmp_path_factory.mktemp("mutant"))


@pytest.fixture
def a1_mutant_drawn(request, a1_mutant, tmp_path_factory):
    """The mutant through `nnhw grade --no-replay` (its examples drawn, not a recording's), once per test
    session: the first grading of the reproducibility test and the one the bundle's is compared with."""
    return once_per_session.once(request.config, "a1-mutant-drawn",
                                 lambda: grade(A1, a1_mutant, tmp_path_factory.mktemp("drawn") / "mutant.json", "--no-replay"))


def without_timing(results):
    results = json.loads(json.dumps(results))
    results.pop("execution_time", None)
    return results


def test_solution_gets_full_marks_and_valid_results(a1, a1_recorded, tmp_path):
    results = grade(A1, a1.solution_dir, tmp_path / "r.json")
    assert results_json.validate(results) == []
    assert results["score"] == a1.config.max_score == sum(t["max_score"] for t in results["tests"])
    assert all(t["status"] == "passed" for t in results["tests"])
    # the course's recording (as the bundle's) replayed, not drawn again; drawing gives the same feedback
    # (test_bundle_scores_equal_nnhw_grade)
    assert results["extra_data"]["replayed"] == sorted(t.name for t in a1.config.tests)
    assert [t["number"] for t in results["tests"]] == [t.number for t in a1.config.tests]
    versions = results["extra_data"]["versions"]  # what decided this grade, for anyone who regrades it
    assert versions["numpy"] == np.__version__ and versions["hypothesis"] == hypothesis.__version__
    assert "lock_drift" not in results["extra_data"]  # graded with requirements.lock's versions
    for test in results["tests"]:
        function = function_of(test["name"])
        assert hasattr(a1.load_reference(), function), f"test title {test['name']!r} names no function"


def test_starter_gets_zero_with_one_clear_message_per_test(a1, tmp_path):
    results = grade(A1, a1.starter_dir, tmp_path / "r.json")
    assert results["score"] == 0
    config = {spec.number: spec for spec in a1.config.tests}
    titles = {spec.name: t["name"] for spec, t in zip(a1.config.tests, results["tests"])}
    for test in results["tests"]:
        function = function_of(test["name"])
        *first, last = test["output"].splitlines()
        assert last == f"{function}: not implemented yet (it raises NotImplementedError)"
        # before it, only the building blocks this test relies on, each failing its own test
        required = [function_of(titles[name]) for name in config[test["number"]].requires]
        assert [line.split()[0] for line in first] == required, test["output"]


def test_grading_is_reproducible(a1_mutant, a1_mutant_drawn, tmp_path):
    first = a1_mutant_drawn  # graded in another process, maybe on another xdist worker
    second = grade(A1, a1_mutant, tmp_path / "2.json", "--no-replay")
    assert without_timing(first) == without_timing(second)
    failed = [t for t in first["tests"] if t["status"] == "failed"]
    assert [function_of(t["name"]) for t in failed] == ["tanh"]
    assert "the result is NaN at index" in failed[0]["output"] and "inputs:" in failed[0]["output"]


def test_bundle_scores_equal_nnhw_grade(a1, a1_mutant, a1_mutant_drawn, bundle_dir, tmp_path):
    for name, submission in (("solution", a1.solution_dir / "forward.py"), ("mutant", a1_mutant)):
        local = a1_mutant_drawn if name == "mutant" else grade(A1, submission, tmp_path / f"{name}.json", "--no-replay")
        root = make_container(tmp_path / name, bundle_dir / f"{A1}-autograder.zip", submission)
        bundled, _, done = run_autograder(root)
        assert done.returncode == 0, done.stderr
        assert results_json.validate(bundled) == []
        assert without_timing(bundled)["tests"] == without_timing(local)["tests"]  # feedback word for word
        assert bundled["score"] == local["score"]
        # the bundle replayed the solution's examples where nnhw grade drew them (see replay.py)
        assert len(bundled["extra_data"]["replayed"]) >= len(bundled["tests"]) - 1, bundled["extra_data"]
        assert "replayed" not in local["extra_data"]


def test_zipped_and_nested_submissions_are_found(a1, a1_recorded, tmp_path):
    nested = tmp_path / "upload" / "my_hw" / "a1"
    nested.mkdir(parents=True)
    shutil.copy(a1.solution_dir / "forward.py", nested)
    archive = tmp_path / "hw.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.write(nested / "forward.py", "my_hw/a1/forward.py")
    for upload in (tmp_path / "upload", archive):
        results = grade(A1, upload, tmp_path / "r.json", )
        assert results["score"] == a1.config.max_score
        assert "forward.py was found at my_hw/a1/forward.py" in results["output"]


def test_missing_file_scores_zero_with_a_clear_message(tmp_path):
    (tmp_path / "upload").mkdir()
    (tmp_path / "upload" / "forwrd.py").write_text("def sigmoid(z):\n    return z\n")
    results = grade(A1, tmp_path / "upload", tmp_path / "r.json")
    assert results["score"] == 0
    assert "forward.py was not found in your submission; your upload has forwrd.py" in results["output"]
    assert all("forward.py was not found" in t["output"] for t in results["tests"])


@pytest.fixture(scope="session")
def verified(request, course):
    """Every assignment verified at once, as `nnhw verify` does it, once per test session however many
    xdist workers ask (one grades, the other waits for its results)."""
    return once_per_session.once(request.config, "verified", lambda: verify_many(course.assignments()))


@pytest.mark.parametrize("assignment_id", Course(ROOT).ids())
def test_every_graded_function_has_a_mutant(course, assignment_id):
    """Each test's title names a function of the solution, and each function a test grades is named by the
    caught-by of an instructor mutant, so verify shows that its tests catch a bug in it."""
    assignment = course.assignment(assignment_id)
    titles = build.test_titles(assignment)
    graded = {function_of(titles[spec.name]) for spec in assignment.config.tests if spec.weight > 0}
    assert sorted(graded - defined_functions(assignment)) == []
    named = {function for mutant in load_mutants(assignment) for function in mutant.caught_by}
    assert sorted(graded - named) == []


@pytest.mark.parametrize("assignment_id", Course(ROOT).ids())
def test_verify_solution_full_starter_zero_every_mutant_caught(verified, assignment_id):
    """Every instructor mutant loses marks on a test of each function it breaks; the solution's and the
    starter's results are valid results.json."""
    problems = {g.name: g.problems for g in verified[assignment_id] if g.problems}
    assert problems == {}
    for graded in verified[assignment_id][:2]:
        assert (graded.kind, results_json.validate(graded.results)) == (graded.kind, [])


@pytest.mark.parametrize("assignment_id", Course(ROOT).ids())
def test_the_feedback_explains_nearly_every_mutant(verified, assignment_id):
    """The first failure a mutant's student reads names a likely cause for at least 90% of the mutants."""
    graded = verified[assignment_id]
    named, total = cause_share(graded)
    silent = [g.name for g in graded if g.kind == "mutant" and g.first_failure() and not g.first_failure()[1]]
    assert named >= CAUSE_TARGET * total, f"{named} of {total}; none for {silent}"
