"""Each failure a student reads names its likely cause where the evidence shows one: the code's own
errors (an argument changed in place, a check that never raised), a later test of the same bug, and
verify's count of the mutants whose first failure is explained."""

from types import SimpleNamespace

import pytest

from autograder.authoring.verify import Graded, cause_share
from autograder.check import Check, Feedback, Mismatch, likely_cause
from autograder.grading.plugin import GradingPlugin
from autograder.grading.student import StudentCodeError
from autograder.kit.judge import judge_raises, modified_in_place


class FakeStudent:
    """Answers every call with ``answer`` (raising it when it is an exception)."""

    def __init__(self, answer):
        self.answer, self.mutated = answer, []

    def call(self, function, *args, **kwargs):
        if isinstance(self.answer, Exception):
            raise self.answer
        return self.answer


def failure(run):
    with pytest.raises(Mismatch) as info:
        run()
    return str(info.value)


def test_a_check_that_never_raised_is_the_cause():
    text = failure(lambda: judge_raises(FakeStudent((1, 0, 2)), "conv_output_shape", 10, 8, 9, 3, 0, 2,
                                        why="for these invalid hyperparameters", rejects="F > W + 2P"))
    assert likely_cause(text) == "no check rejects F > W + 2P: test it before computing anything and raise ValueError"
    crashed = StudentCodeError("conv_output_shape raised IndexError: 3", raised="IndexError")
    text = failure(lambda: judge_raises(FakeStudent(crashed), "conv_output_shape", 1, why="for F < 1", rejects="F < 1"))
    assert "failed differently" in text and likely_cause(text).startswith("no check rejects F < 1")
    assert likely_cause(failure(lambda: judge_raises(FakeStudent(0), "f", 1, why="for x"))) is None  # nothing named


def test_an_argument_changed_in_place_names_the_in_place_operation():
    text = failure(lambda: modified_in_place(Check("sgd_step"), ["0", "1"], ["weights", "biases", "dWs"]))
    assert text.startswith("sgd_step: modified its arguments weights and biases in place")
    assert "in-place operation" in likely_cause(text) and "W -= lr * dW" in likely_cause(text)


def spec(number, visibility="visible"):
    return SimpleNamespace(number=number, visibility=visibility)


def test_a_later_failure_of_the_same_bug_says_so():
    plugin = GradingPlugin(None, None, None)
    first = Feedback("train_epoch", "wrong values", diagnosis="forgot optimizer.zero_grad()")
    plugin._same_cause(spec("5"), first, "train_epoch", True)
    later = Feedback("train_epoch", "wrong values in the weights after one epoch")
    plugin._same_cause(spec("6"), later, "train_epoch", True)
    assert "likely cause: same cause as test 5: forgot optimizer.zero_grad()" in later.render()
    assert likely_cause(later.render()) == "forgot optimizer.zero_grad()"  # one bug, counted once by the report
    third = Feedback("train_epoch", "wrong values")
    plugin._same_cause(spec("7"), third, "train_epoch", True)
    assert third.diagnosis == "same cause as test 5: forgot optimizer.zero_grad()"  # test 5's, not test 6's
    again = Feedback("train_epoch", "wrong values", diagnosis="forgot optimizer.zero_grad()")  # named anew
    plugin._same_cause(spec("8"), again, "train_epoch", True)
    assert again.diagnosis == "same cause as test 5: forgot optimizer.zero_grad()"


def test_only_a_wrong_answer_of_the_same_function_gets_an_earlier_cause():
    plugin = GradingPlugin(None, None, None)
    plugin._same_cause(spec("5"), Feedback("train_epoch", "wrong", diagnosis="forgot zero_grad"), "train_epoch", True)
    other, crash = Feedback("evaluate", "wrong"), Feedback("train_epoch", "raised ValueError")
    own = Feedback("train_epoch", "wrong", diagnosis="the loss is summed")
    plugin._same_cause(spec("8"), other, "evaluate", True)
    plugin._same_cause(spec("9"), crash, "train_epoch", False)  # a crash explains itself
    plugin._same_cause(spec("10"), own, "train_epoch", True)
    assert other.diagnosis is None and crash.diagnosis is None and own.diagnosis == "the loss is summed"


def test_a_hidden_test_s_cause_does_not_show_through_a_visible_one():
    plugin = GradingPlugin(None, None, None)
    plugin._same_cause(spec("5", "after_due_date"), Feedback("f", "wrong", diagnosis="secret"), "f", True)
    visible = Feedback("f", "wrong")
    plugin._same_cause(spec("6"), visible, "f", True)
    assert visible.diagnosis is None


def mutant(name, tests):
    return Graded(name, "mutant", {None: {"tests": tests}})


def test_verify_reads_each_mutant_s_first_failure_and_counts_the_explained_ones():
    explained = mutant("no_bias", [{"number": "1", "status": "passed", "output": ""},
                                   {"number": "2", "status": "failed", "output": "f: wrong\nlikely cause: no bias"},
                                   {"number": "3", "status": "failed", "output": "f: wrong"}])
    silent = mutant("odd", [{"number": "1", "status": "failed", "output": "f: wrong"},
                            {"number": "2", "status": "failed", "output": "f: wrong\nlikely cause: later"}])
    uncaught = mutant("innocent", [{"number": "1", "status": "passed", "output": ""}])
    solution = Graded("solution", "solution", {None: {"tests": []}})
    assert explained.first_failure() == ("2", "no bias") and silent.first_failure() == ("1", None)
    assert uncaught.first_failure() is None
    assert cause_share([solution, explained, silent, uncaught]) == (1, 2)


def test_verify_prints_the_cause_of_each_mutant_and_the_share(capsys, course):
    from autograder.cli import _print_causes

    graded = [Graded("solution", "solution", {None: {"tests": []}}),
              mutant("no_bias", [{"number": "2", "status": "failed", "output": "f: wrong\nlikely cause: no bias"}]),
              mutant("odd", [{"number": "1", "status": "failed", "output": "f: wrong"}])]
    _print_causes(course.assignment("a1_forward"), graded)
    out = capsys.readouterr().out
    assert "2  no_bias  no bias" in out and "1  odd      none" in out
    assert "a likely cause for 1 of 2 mutants (50%)" in out

