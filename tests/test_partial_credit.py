"""Partial credit: a graded test gives itself points with the ``set_score`` fixture (gradescope-utils'
partial_credit), clamped to its weight; it counts as passed only with its full weight."""

import pytest
from helpers import ROOT
from test_config_errors import A1, scratch_course

from autograder.config import load_config
from autograder.course import Course
from autograder.grading import results
from autograder.grading.grader import grade
from autograder.grading.plugin import Outcome

pytestmark = pytest.mark.needs_worker  # grades (or confines) through a real worker

PARTIAL_TESTS = '''
import pytest


def test_partial_half(set_score):
    """sigmoid: half the points, and feedback saying why"""
    set_score(1.5)
    raise AssertionError("only half right")


def test_partial_clamped(set_score):
    """sigmoid: more points than the weight are clamped to it"""
    set_score(99)


def test_partial_negative(set_score):
    """sigmoid: negative points are clamped to zero"""
    set_score(-4)


def test_partial_unset():
    """sigmoid: no score set, passed: the full weight"""


def test_partial_skipped(set_score):
    """sigmoid: skipped, whatever it set: no points either way"""
    set_score(1)
    pytest.skip("needs a GPU")
'''
WEIGHTS = {"test_partial_half": 3, "test_partial_clamped": 2, "test_partial_negative": 2, "test_partial_unset": 1,
           "test_partial_skipped": 1}


@pytest.mark.e2e
def test_set_score_reaches_results_json(tmp_path):
    course = scratch_course(tmp_path)
    folder = course / "assignments" / A1
    (folder / "tests" / "test_partial.py").write_text(PARTIAL_TESTS, encoding="utf-8")
    with open(folder / "assignment.toml", "a", encoding="utf-8") as fh:
        fh.writelines(f"\n[tests.{name}]\nweight = {weight}\n" for name, weight in WEIGHTS.items())
    graded = grade(Course(course).assignment(A1), ROOT / "solutions" / A1, keyword="test_partial")
    assert results.validate(graded) == []
    by_test = {t["name"].split(": ", 1)[1]: t for t in graded["tests"]}
    half = by_test["half the points, and feedback saying why"]
    assert (half["score"], half["max_score"], half["status"]) == (1.5, 3, "failed")
    assert "only half right" in half["output"]
    assert (by_test["more points than the weight are clamped to it"]["score"],
            by_test["more points than the weight are clamped to it"]["status"]) == (2, "passed")
    assert by_test["negative points are clamped to zero"]["score"] == 0
    assert by_test["no score set, passed: the full weight"]["score"] == 1
    assert "skipped, whatever it set: no points either way" not in by_test, "not graded here: not in the tests"
    assert "skipped, whatever it set: no points either way" in graded["output"]
    assert graded["score"] == 1.5 + 2 + 0 + 1


def test_assemble_uses_the_score_only_when_set(course):
    config = load_config(ROOT / "assignments" / A1 / "assignment.toml")
    first, second = config.tests[0], config.tests[1]
    outcomes = {first.name: Outcome(first.name, "a", passed=True, score=first.weight / 4),
                second.name: Outcome(second.name, "b", passed=False)}
    assembled = {t["name"]: t for t in results.assemble(config, outcomes)["tests"]}
    assert (assembled["a"]["score"], assembled["a"]["status"]) == (first.weight / 4, "failed")
    assert (assembled["b"]["score"], assembled["b"]["status"]) == (0, "failed")
