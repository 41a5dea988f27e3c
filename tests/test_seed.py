"""``--seed``: grading with another hypothesis seed, and ``nnhw verify`` reporting a mutant that some
seed lets through. Shown on a toy course whose one property is weak on purpose (two examples, the
first always 0), so its mutant (wrong on odd numbers only) is caught by luck: by some seeds, not all."""

import json
import re

import pytest
from helpers import TOY, nnhw, write, write_toy_course

from autograder.authoring.verify import Graded, judge

pytestmark = pytest.mark.needs_worker  # grades (or confines) through a real worker

SEEDS = list(range(1, 9))


@pytest.fixture(scope="module")
def toy_course(tmp_path_factory):
    return write_toy_course(tmp_path_factory.mktemp("toy") / "course")


def run(course, *args, check=True):
    return nnhw(*args, check=check, env={"NNHW_COURSE_ROOT": str(course), "COLUMNS": "200"}, timeout=600)


@pytest.mark.e2e
def test_verify_names_the_seeds_that_miss_a_mutant(toy_course, tmp_path):
    done = run(toy_course, "verify", TOY, *[f"--seed={s}" for s in SEEDS], check=False)
    assert done.returncode == 1, done.stdout + done.stderr
    found = re.search(r"✗ double_wrong_on_odd: not caught with seeds? ([\d, ]+)", done.stdout)
    assert found, done.stdout
    missed = [int(s) for s in found.group(1).split(", ")]
    assert 0 < len(missed) < len(SEEDS), "the toy property should catch the mutant with some seeds, not all"
    row = next(line for line in done.stdout.splitlines() if line.startswith("double_wrong_on_odd"))
    assert "?" in row and "0–1" in row, row  # caught with some seeds only
    assert "✗ solution" not in done.stdout and "✗ starter" not in done.stdout
    # each seed grades as verify says: the one that misses gives full marks, one that catches does not
    mutant = tmp_path / "mutant"
    write(mutant / "toy.py", "def double(x):\n    return 2 * x + x % 2\n")
    caught = next(s for s in SEEDS if s not in missed)
    for seed, score in ((missed[0], 1), (caught, 0)):
        run(toy_course, "grade", TOY, mutant, "--seed", seed, "--out", tmp_path / f"{seed}.json", "--quiet")
        results = json.loads((tmp_path / f"{seed}.json").read_text())
        assert results["score"] == score, (seed, results)
        assert results["extra_data"]["seed"] == seed


def test_one_seed_that_misses_is_a_problem_naming_it():
    full = {"score": 1.0, "tests": [{"name": "double: t", "number": "1", "status": "passed"}]}
    caught = {"score": 0.0, "tests": [{"name": "double: t", "number": "1", "status": "failed"}]}
    mutant = type("M", (), {"caught_by": ("double",)})()
    graded = Graded("m", "mutant", {1: caught, 3: full, 4: caught}, mutant)
    judge(graded, 1.0)
    assert graded.problems == ["not caught with seed 3", "no test of double fails with seed 3, though the mutant breaks it"]
    assert graded.failed_numbers() == (set(), {"1"})
    default = Graded("m", "mutant", {None: full}, mutant)
    judge(default, 1.0)
    assert default.problems == ["no test catches this mutant", "no test of double fails, though the mutant breaks it"]
    solution = Graded("solution", "solution", {2: full, 5: caught})
    judge(solution, 1.0)
    assert solution.problems == ["the solution scores 0 of 1 with seed 5: double: t"]


@pytest.mark.e2e
def test_gradings_in_one_process_leave_nothing_to_the_next(toy_course, tmp_path):
    """The engine's API grades in process (benchmarks, these tests). pytest keeps the graded test modules
    imported and the plugin sets each test's seed and wraps it to count examples: a seeded grading used to
    hand its seed to the next grading in the process, and every later grading counted examples into the
    results of the earlier ones too."""
    from autograder.course import Course
    from autograder.grading import grader

    assignment = Course(toy_course).assignment(TOY)
    mutant = tmp_path / "mutant"
    write(mutant / "toy.py", "def double(x):\n    return 2 * x + x % 2\n")
    fixed = grader.grade(assignment, mutant)
    counted = dict(fixed["extra_data"]["examples"])
    other = [seed for seed in SEEDS if grader.grade(assignment, mutant, seed=seed)["score"] != fixed["score"]]
    assert other, "some seed should grade the toy mutant otherwise than the fixed examples do"
    grader.grade(assignment, mutant, seed=other[0])
    again = grader.grade(assignment, mutant)
    assert verdicts(again) == verdicts(fixed)
    assert fixed["extra_data"]["examples"] == counted == again["extra_data"]["examples"]


def verdicts(results):
    """Score and each test's status and points (not its feedback: the toy's bare assert names objects by
    their addresses)."""
    return results["score"], [(t["status"], t["score"]) for t in results["tests"]]
