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


def test_an_argument_changed_by_a_function_it_calls_names_that_function_where_the_experiment_confirms_it():
    """a2's test 20 blamed train_mlp for a change its sgd_step made; the experiment (sgd_step called on copies) decides."""
    def failed(found):
        return failure(lambda: modified_in_place(Check("train_mlp"), ["2"], ["x", "y", "weights"], lambda: found))
    blamed, innocent = failed("sgd_step"), failed(None)
    assert likely_cause(blamed).startswith("train_mlp's arguments are changed by your sgd_step, which updates them in "
                                           "place: an in-place operation"), blamed
    assert blamed.startswith("train_mlp: modified its argument weights in place")
    assert "sgd_step" not in innocent and likely_cause(innocent).startswith("an in-place operation"), innocent
    crashed = failure(lambda: modified_in_place(Check("train_mlp"), ["2"], ["x", "y", "weights"], lambda: 1 / 0))
    assert likely_cause(crashed) == likely_cause(innocent)  # an experiment that crashes names nothing


@pytest.mark.e2e
@pytest.mark.needs_worker
@pytest.mark.parametrize("case, named", [("sgd_step_in_place", True), ("train_mlp_in_place", False)])
def test_a2s_train_mlp_names_the_sgd_step_that_changes_its_arguments_and_only_that_one(course, tmp_path, case, named):
    from autograder.authoring.mutants import Mutant, load_mutant, write_mutant_submission
    from autograder.grading.grader import grade

    assignment = course.assignment("a2_backprop")
    mutant = load_mutant(assignment.mutants_dir / "sgd_step_in_place.py") if named else Mutant(
        case, tmp_path / f"{case}.py", "backprop.py", (), "train_mlp writes its steps into the caller's weights",
        "_solution_train_mlp = train_mlp\n\n\ndef train_mlp(x, y, weights, biases, *args):\n"
        "    new_weights, new_biases, losses = _solution_train_mlp(x, y, weights, biases, *args)\n"
        "    for W, new in zip(weights, new_weights):\n        W[...] = new\n"
        "    return list(weights), new_biases, losses\n")
    folder = write_mutant_submission(assignment, mutant, tmp_path / case)
    results = grade(assignment, folder, keyword="test_train_mlp_matches_reference")
    [test] = [t for t in results["tests"] if t["name"].startswith("train_mlp: losses")]
    assert "modified its argument" in test["output"], test["output"]
    blames = "train_mlp's arguments are changed by your sgd_step, which updates them in place" in test["output"]
    assert blames == named, test["output"]


@pytest.mark.e2e
@pytest.mark.needs_worker
def test_the_formula_line_says_slides_only_for_the_slides_formulas(course, tmp_path):
    """σ and MSE are the slides' (formula (slides): ...); BCE adds a minus sign the slides lack (formula: ...)."""
    from autograder.authoring.mutants import load_mutant, write_mutants_submission
    from autograder.grading.grader import grade

    assignment = course.assignment("a1_forward")
    mutants = [load_mutant(assignment.mutants_dir / f"{name}.py") for name in ("sigmoid_wrong_sign", "bce_missing_minus")]
    folder = tmp_path / "a1"
    write_mutants_submission(assignment, mutants, folder)
    results = grade(assignment, folder, keyword="test_sigmoid_matches_reference or test_binary_cross_entropy")
    lines = {t["name"].split(":")[0]: [line for line in t["output"].splitlines() if line.startswith("formula")]
             for t in results["tests"] if t["score"] < t["max_score"]}
    assert lines["sigmoid"] == ["formula (slides): σ(z) = 1 / (1 + e^(−z))"], lines
    assert lines["binary_cross_entropy"] and all(line.startswith("formula: ") for line in lines["binary_cross_entropy"])


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

