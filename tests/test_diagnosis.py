"""The likely cause is an experiment: proposed by a bug's prediction, confirmed by calling the student's
function again on probes, and refused where a probe contradicts it (the two wrong-cause kinds of issue 29:
a cause read off the size of an input, and one read off a single sample)."""

import types

import numpy as np
import pytest

from autograder import protocol
from autograder.check import Check, Mismatch, likely_cause
from autograder.diagnosis import MAX_RUNS, Bug, Diagnoser, RecordedLab, batch_sizes, crash_relation, experiment
from autograder.kit.catalogue import LADDER
from autograder.kit.experiment import LiveLab, tabulate


def sigmoid(z):
    return np.exp(-np.logaddexp(0.0, -z))


def relu(z):
    return np.maximum(z, 0.0)


def softmax(z):
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def mse_loss(y_hat, y):
    return float(np.sum((y - y_hat) ** 2) / (2 * len(y)))


REFERENCE = types.SimpleNamespace(sigmoid=sigmoid, relu=relu, softmax=softmax, mse_loss=mse_loss)
MINUS = Bug("the result is σ(−z): the minus in e^(−z) is missing", lambda ref, z: ref.sigmoid(-z))


class Calls:
    """The student's function, counting how often the experiment calls it."""

    def __init__(self, function):
        self.function, self.count = function, 0

    def __call__(self, *args, **kwargs):
        self.count += 1
        return self.function(*args, **kwargs)


def diagnose(student, function, args, known=(), names=None):
    reference_function = getattr(REFERENCE, function)
    lab = LiveLab(student, REFERENCE, function, args, {}, names or ["z"], known)
    with np.errstate(all="ignore"):
        return experiment(lab, student(*args), reference_function(*args))


def test_a_known_bug_is_named_with_its_evidence():
    z = np.array([[-1.0, 0.5, 2.0]])
    cause = diagnose(lambda z: sigmoid(-z), "sigmoid", [z], [MINUS])
    assert cause.splitlines()[0] == MINUS.cause
    assert cause.splitlines()[1].startswith("evidence: with ") and "as this cause predicts" in cause


def test_one_sample_fits_but_a_probe_refutes_it():
    """σ(|z|) equals σ(−z) on a negative z: the probe with z negated shows it is another bug, so no cause."""
    z = np.array([-1.5])
    assert np.allclose(sigmoid(np.abs(z)), sigmoid(-z))  # the one sample fits the missing minus
    assert diagnose(lambda z: sigmoid(np.abs(z)), "sigmoid", [z], [MINUS]) is None


def test_a_nan_that_stays_when_the_inputs_shrink_is_no_overflow():
    """Inputs of |z| = 746 and a NaN: the old rule named an overflow from the size alone. Here the NaN comes
    from elsewhere (it stays at every scale), so no cause is named."""
    z = np.array([[746.0, 1.0, -2.0]])

    def student(z):
        out = sigmoid(z)
        out[..., 1] = np.nan  # a NaN that has nothing to do with the size of z
        return out
    assert diagnose(student, "sigmoid", [z]) is None


def test_an_overflow_is_named_from_where_the_code_stops_being_finite():
    z = np.array([[1000.0, -3.0, 0.5]])
    cause = diagnose(lambda z: np.exp(z) / (1 + np.exp(z)), "sigmoid", [z])
    assert cause.startswith("e^x leaves float64's range") and "|x| = 709" in cause and "710.5" in cause


def test_a_division_by_zero_where_sigma_rounds_to_one_is_not_called_an_overflow():
    """δ = ∂L/∂ŷ ⊙ σ′ written with the 1/(ŷ(1 − ŷ)) of BCE: right for moderate z, 0/0 once σ(z) rounds to 1."""
    z = np.array([[40.0, 1.0, -2.0]])

    def student(z):
        s = sigmoid(z)
        return (s - 0.5) / (s * (1 - s)) * (s * (1 - s)) + 0.5
    cause = diagnose(student, "sigmoid", [z])
    assert cause.startswith("σ(z) rounds to exactly 1") and "exponentiate" not in cause


def test_two_causes_that_every_probe_confirms_are_both_named():
    z = np.array([[-1.0, 0.5, 2.0]])
    twin = Bug("another name for the same bug", lambda ref, z: ref.sigmoid(-z))
    cause = diagnose(lambda z: sigmoid(-z), "sigmoid", [z], [MINUS, twin])
    assert cause.startswith("either ") and MINUS.cause in cause and twin.cause in cause


def test_a_code_that_fails_on_a_probe_gets_no_cause():
    z = np.array([[-1.0, 0.5, 2.0]])

    def student(z):
        if z.shape != (1, 3) or z[0, 0] > 0:
            raise ValueError("only works on the counterexample")
        return sigmoid(-z)
    assert diagnose(student, "sigmoid", [z], [MINUS]) is None


def test_a_cause_no_probe_can_test_is_not_named():
    """One number, no probe that tells the bug from the right answer: nothing confirms it."""
    z = np.array([0.0])
    never = Bug("a bug that only shows at 0", lambda ref, z: np.where(z == 0, 0.25, ref.sigmoid(z)))
    assert diagnose(lambda z: np.where(z == 0, 0.25, sigmoid(z)), "sigmoid", [z], [never]) is None


def test_a_generic_bug_reaches_a_function_no_one_listed():
    """The catalogue's 'm times too large' applies to any batch function: confirmed on the first row alone."""
    rng = np.random.default_rng(1)
    y_hat, y = rng.normal(size=(4, 3)), rng.normal(size=(4, 3))
    cause = diagnose(lambda y_hat, y: mse_loss(y_hat, y) * len(y), "mse_loss", [y_hat, y], names=["y_hat", "y"])
    assert cause.startswith("m times too large")


def test_the_experiment_is_bounded():
    z = np.array([[900.0, -3.0, 0.5]])
    student = Calls(lambda z: sigmoid(-z))
    diagnose(student, "sigmoid", [z], [MINUS])
    assert student.count <= 1 + MAX_RUNS + len(LADDER)


def test_the_recorded_experiment_names_the_same_cause_as_the_live_one():
    """What the build records for a public case, read back through JSON, gives the public test the grader's
    cause: one diagnosis wherever the student looks."""
    z = np.array([[-1.0, 0.5, 2.0], [0.25, -3.0, 1.0]])
    student = lambda z: sigmoid(-z)  # noqa: E731
    lab = LiveLab(None, REFERENCE, "sigmoid", [z], {}, ["z"], [MINUS])
    table = protocol.from_json_data(protocol.to_json_data(tabulate(lab)))
    recorded = RecordedLab(table, lambda args, kwargs: student(*args, **kwargs), sigmoid(z))
    assert experiment(recorded, student(z), sigmoid(z)) == diagnose(student, "sigmoid", [z], [MINUS])
    assert likely_cause("likely cause: " + experiment(recorded, student(z), sigmoid(z))) == MINUS.cause


def test_the_check_says_the_cause_right_after_the_headline():
    z = np.array([[-1.0, 0.5, 2.0]])
    lab = LiveLab(lambda z: sigmoid(-z), REFERENCE, "sigmoid", [z], {}, ["z"], [MINUS])
    with pytest.raises(Mismatch) as info:
        Check("sigmoid", {"z": z}, diagnose=Diagnoser(lambda: lab)).matches(sigmoid(-z), sigmoid(z))
    lines = str(info.value).splitlines()
    assert lines[0] == "sigmoid: wrong values in the result"
    assert lines[1] == "likely cause: " + MINUS.cause and lines[2].startswith("evidence: ")


def test_a_returned_nan_reads_as_nan():
    with pytest.raises(Mismatch) as info:
        Check("cross_entropy").matches(np.float64("nan"), 0.5)
    assert str(info.value).startswith("cross_entropy: the result is NaN")


def test_a_failing_diagnosis_never_hides_the_mismatch():
    def broken():
        raise RuntimeError("a bug in the experiment")
    with pytest.raises(Mismatch, match="wrong values"):
        Check("sigmoid", diagnose=Diagnoser(broken)).matches(np.array([1.0, 2.0]), np.array([1.0, 3.0]))


def test_a_wrong_dtype_names_what_promotes_it():
    message = Diagnoser()(np.zeros(3), np.zeros(3, dtype=np.float32))
    assert message.startswith("float64 where the inputs are float32")


@pytest.mark.parametrize("raised, text, words", [
    ("ValueError", "matmul: Input operand 1 has a mismatch in its core dimension 0, with gufunc signature "
                   "(n?,k),(k,m?)->(n?,m?) (size 5 is different from 2)", "inner sizes differ (5 and 2)"),
    ("ValueError", "shapes (3,2) and (5,4) not aligned: 2 (dim 1) != 5 (dim 0)", "inner sizes differ (2 and 5)"),
    ("RuntimeError", "mat1 and mat2 shapes cannot be multiplied (3x2 and 5x4)", "inner sizes differ (2 and 5)"),
    ("ValueError", "operands could not be broadcast together with shapes (3,4) (3,) ", "keepdims=True keeps it as "
                                                                                      "(3, 1)"),
])
def test_a_crash_numpy_explains_gets_its_cause(raised, text, words):
    assert words in crash_relation(raised, text)


def test_a_crash_that_pins_nothing_down_gets_no_cause():
    assert crash_relation("ValueError", "operands could not be broadcast together with shapes (3,4) (2,5) ") is None
    assert crash_relation("IndexError", "index 3 is out of bounds") is None


def test_the_batch_size_is_found_in_lists_of_arrays():
    rng = np.random.default_rng(3)
    inputs = {"activations": [rng.normal(size=(5, 3)), rng.normal(size=(5, 4))], "deltas": [rng.normal(size=(5, 4))]}
    assert batch_sizes(inputs) == (5, 3)
