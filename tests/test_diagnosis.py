"""Each diagnosis relation fires on the bug it names and stays silent on an unrelated difference."""

import numpy as np
import pytest

from autograder.check import Check, Mismatch
from autograder.diagnosis import Diagnoser, batch_sizes, crash_relation, modified_arguments

rng = np.random.default_rng(0)
h, W, b = rng.normal(size=(4, 3)), rng.normal(size=(3, 3)), rng.normal(size=3)
z = rng.normal(size=(5, 3))
UNRELATED = rng.normal(size=(4, 3))  # a difference no bug explains


def affine(h, W, b):
    return h @ W + b


def softmax(z, axis=-1):
    e = np.exp(z - z.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def correlate(x, w):
    """A one-sample, one-channel 'valid' cross-correlation, as a reference under test."""
    H, W_ = x.shape[-2] - w.shape[-2] + 1, x.shape[-1] - w.shape[-1] + 1
    return np.array([[[[np.sum(x[0, 0, i:i + w.shape[-2], j:j + w.shape[-1]] * w[0, 0])
                        for j in range(W_)] for i in range(H)]]])


def cause(got, expected, inputs, reference=None, m=None, d=None):
    guesses = modified_arguments(reference, list(inputs.values()), {}, list(inputs)) if reference else []
    return Diagnoser(inputs, (), m, d, guesses)(got, expected)


AFFINE = {"h": h, "W": W, "b": b}


@pytest.mark.parametrize("name, got, expected, inputs, reference, m, d, words", [
    ("sign", -affine(h, W, b), affine(h, W, b), AFFINE, None, 4, 3, "sign is flipped"),
    ("factor 2", 2 * affine(h, W, b), affine(h, W, b), AFFINE, None, 4, 3, "a factor 2 too large"),
    ("factor m", 4 * affine(h, W, b), affine(h, W, b), AFFINE, None, 4, 3, "m = 4 times too large"),
    ("factor 1/m", affine(h, W, b) / 4, affine(h, W, b), AFFINE, None, 4, 3, "m = 4 times too small"),
    ("mean over entries", affine(h, W, b) / 3, affine(h, W, b), AFFINE, None, 4, 3, "averaged over every"),
    ("missing bias", h @ W, affine(h, W, b), AFFINE, None, None, None, "b is missing"),
    ("bias twice", affine(h, W, b) + b, affine(h, W, b), AFFINE, None, None, None, "b is added twice"),
    ("transposed W", affine(h, W.T, b), affine(h, W, b), AFFINE, affine, None, None, "W is used transposed"),
    ("transposed result", affine(h, W, b)[:3, :3].T, affine(h, W, b)[:3, :3], {}, None, None, None, "transpose"),
    ("transposed shape", np.zeros((3, 4)), np.zeros((4, 3)), {}, None, None, None, "transposed: shape (3, 4)"),
    ("axes order", np.zeros((2, 5, 6, 3)), np.zeros((2, 3, 5, 6)), {}, None, None, None, "wrong order"),
    ("axes swapped", np.zeros((1, 1, 2, 1)), np.zeros((1, 1, 1, 2)), {}, None, None, None, "axes 2 and 3 are swapped"),
    ("empty crop", np.zeros((1, 2, 0, 0)), np.zeros((1, 2, 3, 3)), {"pad": 0}, None, None, None,
     "a[pad:−pad] is a[0:0]"),
    ("reduced axis", np.zeros(3), np.zeros((4, 3)), {}, None, None, None, "axis 0 (of length 4) is missing"),
    ("softmax axis 0", softmax(z, 0), softmax(z), {"z": z}, None, None, None, "normalised over axis 0"),
    ("boundary", np.where(z > 0, 1.0, 0.0) + (np.arange(15).reshape(5, 3) == 4),
     np.where(z > 0, 1.0, 0.0), {"z": np.where(np.arange(15).reshape(5, 3) == 4, 0.0, z)}, None, None, None,
     "exactly 0"),
    ("negative branch", np.where(z > 0, z, 0.01 * z), np.maximum(z, 0), {"z": z}, None, None, None, "z < 0"),
    ("overflow", np.array([np.nan, 0.5]), np.array([1.0, 0.5]), {"z": np.array([1000.0, 0.0])}, None, None, None,
     "overflow"),
    ("log of 0", np.array(np.nan), np.array(0.5), {"y_hat": np.array([0.0, 1.0])}, None, None, None, "log of 0"),
    ("argument halved", np.tanh(z / 2), np.tanh(z), {"z": z}, np.tanh, None, None, "function of z/2"),
    ("argument negated", 1 / (1 + np.exp(z)), 1 / (1 + np.exp(-z)), {"z": z}, lambda z: 1 / (1 + np.exp(-z)), None,
     None, "function of −z"),
])
def test_relation_fires_on_its_bug(name, got, expected, inputs, reference, m, d, words):
    message = cause(np.asarray(got), np.asarray(expected), inputs, reference, m, d)
    assert message is not None and words in message, (name, message)


def test_flipped_kernel():
    x, w = rng.normal(size=(1, 1, 5, 5)), rng.normal(size=(1, 1, 3, 3))
    message = cause(correlate(x, w[..., ::-1, ::-1]), correlate(x, w), {"x": x, "w": w}, correlate)
    assert "kernel w is flipped" in message


@pytest.mark.parametrize("got, expected, inputs", [
    (affine(h, W, b) + UNRELATED, affine(h, W, b), AFFINE),                   # noise: nothing to name
    (np.zeros((4, 3)), np.zeros((4, 3)) + 1e-12, AFFINE),                     # all-zero expected: no factor claims
    (np.array(0.7), np.array(0.25), {"y": UNRELATED}),                        # a scalar, but no telling factor
    (np.zeros((2, 7)), np.zeros((4, 3)), {}),                                 # shapes with no relation
    (affine(h, W, b) + 0.1, affine(h, W, b), AFFINE),                         # a constant that is no input
    (np.array([np.nan, 0.5]), np.array([1.0, 0.5]), {"z": np.array([3.0, 2.0])}),  # NaN with no cause in sight
])
def test_silent_on_unrelated_differences(got, expected, inputs):
    assert cause(got, expected, inputs, affine if "W" in inputs else None, 4, 3) is None


def test_symmetric_matrices_claim_no_transpose():
    S = W + W.T
    assert cause(S * 1.5, S, {}) is None
    assert cause(affine(h, S, b) + UNRELATED, affine(h, S, b), {"h": h, "W": S, "b": b}, affine) is None


def test_one_factor_with_two_causes_names_both():
    """m = 2 makes 'a missing ½' and 'a missing 1/m' the same factor 2: both are named, as alternatives."""
    expected = rng.normal(size=(2, 3))
    message = cause(2 * expected, expected, {}, m=2)
    assert message.startswith("either a factor 2 too large") and "m = 2 times too large" in message
    assert "m = 3 times too large" in cause(3 * expected, expected, {}, m=3, d=4)


def test_one_number_gets_no_generic_claim():
    """A single number fits some factor or term by coincidence (shrunk inputs are 0, ½ and 1): only known bugs
    (candidates) may explain it."""
    assert cause(np.array(1.0), np.array(0.5), {"y": UNRELATED}, m=4) is None
    assert Diagnoser({}, [(np.array(1.0), "the ½ is missing")])(np.array(1.0), np.array(0.5)) == "the ½ is missing"


def test_guesses_need_a_telling_example():
    """relu(−z) = 0 = a wrong relu(z) on z = [0.0625]: a guess is not claimed on one number or on zeros."""
    z1 = np.array([0.0625])
    assert cause(np.zeros(1), np.maximum(z1, 0), {"z": z1}, lambda z: np.maximum(z, 0)) is None
    z2 = np.array([0.0625, 0.5, -1.0])
    message = cause(np.array([0.0, 0.0, 0.0]), np.maximum(z2, 0), {"z": z2}, lambda z: np.maximum(z, 0))
    assert message == "wrong only where z > 0: the branch for positive z"  # true; the guess −z is not claimed


def test_zeros_are_no_missing_term():
    """relu returning zeros on z = [0.0625, 0.5] is not 'z is missing', though 0 = relu(z) − z there."""
    z = np.array([0.0625, 0.5])
    assert cause(np.zeros(2), z.copy(), {"z": z}) != "z is missing"
    assert "is missing" not in (cause(np.zeros(2), z.copy(), {"z": z}) or "")


def test_whole_numbers_get_no_factor_claim():
    assert cause(np.array([2.0, 4.0]), np.array([1.0, 2.0]), {}) is None


def test_two_candidates_agreeing_are_named_as_alternatives():
    diagnose = Diagnoser({}, [(np.array([2.0, 1.0]), "bug one"), (np.array([2.0, 1.0]), "bug two")])
    assert diagnose(np.array([2.0, 1.0]), np.array([1.0, 1.0])) == "either bug one, or bug two"


def test_a_constant_answer_claims_the_axis_not_a_factor():
    """softmax over axis 0 of [[0, 0]] gives [[1, 1]] = 2 × [[½, ½]]: the factor is a coincidence, the axis is not."""
    z = np.zeros((1, 2))
    assert "normalised over axis 0" in cause(softmax(z, 0), softmax(z), {"z": z})


def test_candidates_come_first_and_must_differ_from_the_expected_answer():
    expected = np.array([1.0, 2.0])
    diagnose = Diagnoser({}, [(expected.copy(), "never: equals the expected answer"),
                              (lambda: 2 * expected, "the known bug")])
    assert diagnose(2 * expected, expected) == "the known bug"


def test_check_adds_the_likely_cause_line():
    with pytest.raises(Mismatch) as info:
        Check("affine_forward", AFFINE, "z = h W + b", diagnose=Diagnoser(AFFINE)).matches(h @ W, affine(h, W, b))
    lines = str(info.value).splitlines()
    assert any(line.startswith("likely cause: b is missing") for line in lines)
    assert info.value.feedback.diagnosis.startswith("b is missing")


def test_a_failing_diagnosis_never_hides_the_mismatch():
    def broken(*_):
        raise RuntimeError("bug in a relation")
    with pytest.raises(Mismatch) as info:
        Check("f", diagnose=broken).matches(np.zeros(2), np.ones(2))
    assert "likely cause" not in str(info.value)


def test_an_axis_one_longer_is_no_off_by_one():
    """(2, 1) / (2,) broadcasts to (2, 2): one larger on an axis, and no + 1 anywhere. Only a test that knows the
    formula (a candidate) may name an off-by-one."""
    z = np.array([[1.0], [2.0]])
    got = z / z.sum(axis=1)  # a division without keepdims
    assert got.shape == (2, 2)
    assert cause(got, z / z.sum(axis=1, keepdims=True), {"z": z}) is None
    assert cause(np.zeros((1, 2, 4, 4)), np.zeros((1, 2, 3, 3)), {}) is None
    assert cause(np.zeros((1, 1, 0, 0)), np.zeros((1, 1, 1, 1)), {"pad": 0, "stride": 0}) is None  # two zeros


def test_a_branch_is_claimed_only_where_the_other_side_was_tested():
    """tanh′ as 1 − z² on z = [−7.6, −7.6, 1e−300]: right only at 1e−300, where every formula gives 1. That is no
    evidence that the positive branch is right."""
    z = np.array([-7.609802, -7.609802, 1e-300])
    expected = 1 - np.tanh(z) ** 2
    assert cause(1 - z * z, expected, {"z": z}) is None
    z = np.array([-2.0, -0.5, 0.5, 2.0])
    assert "z < 0" in cause(np.where(z > 0, 1.0, 0.5), np.where(z > 0, 1.0, 0.0), {"z": z})


def test_zeros_single_out_no_known_bug():
    """A zero answer is what many bugs return: a known bug whose answer is zeros too is not named on it, unless
    the shape already tells it apart."""
    diagnose = Diagnoser({}, [(np.zeros(1), "σ′ computed as z(1 − z)")])
    assert diagnose(np.zeros(1), np.array([0.25])) is None
    diagnose = Diagnoser({}, [(np.zeros((1, 2)), "the windows step by size")])
    assert diagnose(np.zeros((1, 2)), np.zeros((1, 1))) == "the windows step by size"


def test_a_known_bug_is_named_alone_not_with_the_guess_it_matches():
    z = np.array([-1.0, 0.5, 2.0])
    sigmoid = lambda z: 1 / (1 + np.exp(-z))  # noqa: E731
    guesses = modified_arguments(sigmoid, [z], {}, ["z"])
    message = Diagnoser({"z": z}, [(sigmoid(-z), "the minus in e^(−z) is missing")], guesses=guesses)(
        sigmoid(-z), sigmoid(z))
    assert message == "the minus in e^(−z) is missing"


def test_a_wrong_dtype_names_what_promotes_it():
    message = Diagnoser({})(np.zeros(3), np.zeros(3, dtype=np.float32))
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
    """parameter_gradients(activations, deltas) takes lists only: m is still their rows, so the public tests
    name "m = 5 times too small" as the grader does."""
    rng = np.random.default_rng(3)
    activations = [rng.normal(size=(5, 3)), rng.normal(size=(5, 4))]
    deltas = [rng.normal(size=(5, 4))]
    inputs = {"activations": activations, "deltas": deltas}
    assert batch_sizes(inputs) == (5, 3)
    db = deltas[0].sum(axis=0)
    assert Diagnoser(inputs, (), *batch_sizes(inputs))(db / 5, db).startswith("m = 5 times too small")
