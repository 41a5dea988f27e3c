"""One diagnosis wherever the student looks: for every mutant of every assignment with recorded public cases,
the first likely cause its failing public tests name is the cause of its first graded failure (issue 29: the
public tests named no cause for bugs the graded tests named)."""

import re

import pytest
from test_public_tests import pytest_output, starter

from autograder.authoring.mutants import write_mutant_submission
from autograder.authoring.verify import verify
from autograder.check import likely_cause
from autograder.course import Course
from helpers import ROOT

RECORDED = [a.id for a in map(Course(ROOT).assignment, Course(ROOT).ids()) if a.public_cases.is_file()
            and "def cases" in a.public_cases.read_text(encoding="utf-8")]


#: mutants whose graded cause the public tests cannot reach yet, and why: a3's autograd Function and module cases
#: record a backward pass and a state_dict, not an experiment (the grader's probes call the Function again)
NOT_LOCAL = {"gpu_backward_dw_first_sample": "dw from the first sample alone: confirmed by calling backward again",
             "gpu_module_weight_in_out_swapped": "the module's weight layout: the public case compares shapes only"}


def general(cause):
    """A cause without the numbers of the inputs it was seen on ("(batch sizes [10, 10, 2])"): the public and the
    graded tests meet the same bug on different inputs."""
    return cause and re.sub(r"\d+(\.\d+)?", "#", re.sub(r"\s*\([^()]*\d[^()]*\)", "", cause))


def first_public_cause(output):
    """The first ``likely cause:`` the public tests print, and whether any of them failed."""
    causes = [likely_cause(line) for line in output.splitlines() if line.startswith("likely cause: ")]
    return (causes[0] if causes else None), " failed" in output.splitlines()[-1]


@pytest.mark.e2e
@pytest.mark.parametrize("assignment_id", RECORDED)
def test_the_public_tests_name_the_graded_cause(course, tmp_path, assignment_id):
    assignment = course.assignment(assignment_id)
    disagree = []
    for graded in verify(assignment):
        if graded.kind != "mutant" or graded.first_failure() is None or graded.name in NOT_LOCAL:
            continue
        folder = tmp_path / graded.name
        starter(assignment, folder)
        write_mutant_submission(assignment, graded.mutant, folder)
        public, failed = first_public_cause(pytest_output(folder))
        graded_cause = graded.first_failure()[1]
        if failed and general(public) != general(graded_cause):
            disagree.append(f"{graded.name}: public {public!r}, graded {graded_cause!r}")
    assert disagree == [], "\n".join(disagree)
