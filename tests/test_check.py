"""Feedback says what is wrong in order: type, shape, dtype, finiteness, values."""

import numpy as np
import pytest

from autograder.check import Check, Mismatch


def feedback(got, expected, **kwargs):
    with pytest.raises(Mismatch) as info:
        Check("sigmoid", {"z": np.zeros(3)}, formula="σ(z) = 1 / (1 + e^(−z))", **kwargs).matches(got, expected)
    return str(info.value)


def test_type_first():
    assert "should be a numpy array, got None" in feedback(None, np.zeros(3))
    assert "should be a number" in feedback("1.0", 1.0)
    assert "should be a list or tuple of 2 items" in feedback(np.zeros(2), (np.zeros(2), np.zeros(2)))


def test_shape_before_dtype():
    message = feedback(np.zeros((3, 1), dtype=np.float32), np.zeros(3))
    assert "has shape (3, 1), expected (3,)" in message


def test_dtype_before_values():
    assert "has dtype float32, expected float64" in feedback(np.ones(3, dtype=np.float32), np.zeros(3))


def test_finiteness_before_values():
    message = feedback(np.array([0.5, np.nan, 0.5]), np.array([0.5, 1.0, 0.5]))
    assert message.startswith("sigmoid: the result is NaN at index (1,), where the expected value is finite")


def test_values_report_largest_error_and_where():
    message = feedback(np.array([0.5, 0.7, 0.1]), np.array([0.5, 0.75, 0.6]))
    assert "wrong values in the result" in message
    assert "largest error 0.5 at index (2,)" in message and "2 of 3 values wrong" in message
    assert "inputs:" in message and "z = float64 array, shape (3,)" in message
    assert "formula: σ(z)" in message  # its source is the test's to name (test_the_formula_line_names_its_source)


def test_tolerance_is_dtype_aware():
    Check("f").matches(np.array([1.0 + 1e-8]), np.array([1.0]))
    Check("f").matches(np.array([1.00001], dtype=np.float32), np.array([1.0], dtype=np.float32))
    with pytest.raises(Mismatch):
        Check("f").matches(np.array([1.00001]), np.array([1.0]))


def test_nested_items_are_named():
    message = feedback([np.zeros(2), np.ones(2)], [np.zeros(2), np.zeros(2)])
    assert "wrong values in the result[1]" in message


def test_scalars_accept_python_numpy_and_0d():
    for got in (0.25, np.float64(0.25), np.array(0.25)):
        Check("mse_loss").matches(got, 0.25)
    assert "should be a number, got True" in feedback(True, 1.0)


def test_hidden_inputs_are_not_shown():
    with pytest.raises(Mismatch) as info:
        Check("f", {"z": np.arange(3.0)}, hide_inputs=True).matches(np.zeros(3), np.ones(3))
    assert "[0. 1. 2.]" not in str(info.value) and "inputs: (hidden for this test)" in str(info.value)


def test_numbers_print_plainly():
    message = feedback(np.array([0.5]), np.array([0.0]))
    assert "expected 0.0, got 0.5" in message and "np.float64" not in message


def test_outputs_are_named_as_the_contract_names_them():
    with pytest.raises(Mismatch) as info:
        Check("conv_backward", outputs=("dx", "dw", "db")).matches((np.zeros(2), np.ones(2), np.ones(1)),
                                                                   (np.zeros(2), np.zeros(2), np.ones(1)))
    assert "wrong values in dw" in str(info.value)
    with pytest.raises(Mismatch) as info:
        Check("mlp_forward", outputs=("zs", "activations")).matches(
            ([np.zeros(1)], [np.zeros(1), np.ones(1)]), ([np.zeros(1)], [np.zeros(1), np.zeros(1)]))
    assert "wrong values in activations[1]" in str(info.value)


def test_exact_things_are_compared_exactly_and_shown_as_they_are():
    """Shapes, counts and flags: no float tolerance, no result[0] as a float; the tuple as it is."""
    message = feedback((0, 0, 1), (1, 1, 1))
    assert "wrong values in the result: expected (1, 1, 1), got (0, 0, 1)" in message
    assert "allowed" not in message and "result[0]" not in message and "1.0" not in message
    with pytest.raises(Mismatch):  # within a float tolerance, but not equal
        Check("conv_output_shape").matches((1, 1, 1 + 1e-9), (1, 1, 1))
    Check("conv_output_shape").matches((np.int64(1), 1.0, 1), (1, 1, 1))  # equal values of any integer type
    assert "expected 3, got 2" in feedback(2, 3) and "expected True, got False" in feedback(False, True)
    assert "should be a tuple of 3 integers, got (1, 1)" in feedback((1, 1), (1, 1, 1))
    assert "should be True or False, got 1" in feedback(1, True)


def test_a_large_preview_shows_where_the_values_differ():
    rng = np.random.default_rng(1)
    expected = rng.normal(size=(2, 3, 5, 7))
    got = expected.copy()
    got[1, 2, 3, 5] += 1.0
    message = feedback(got, expected)
    assert "largest error 1 at index (1, 2, 3, 5)" in message
    shown = [line for line in message.splitlines() if line.startswith(("expected:", "got:"))]
    assert all("[1, 2, 3, 0:7] = " in line for line in shown), shown
    assert f"{got[1, 2, 3, 5]:.6f}" in shown[1] and f"{got[1, 2, 3, 5]:.6f}" not in shown[0]


def test_two_identical_previews_are_never_printed():
    expected = np.array([0.1357312, 0.5])
    got = expected * np.array([1 + 2e-6, 1.0])  # differs in the 7th digit: prints the same
    message = feedback(got, expected)
    assert "got: the same to the digits shown" in message and "largest error" in message
    assert message.count("[0.135731 0.5     ]") == 1


def test_a_parameter_is_named_as_the_contract_names_it():
    torch = pytest.importorskip("torch")
    with pytest.raises(Mismatch) as info:
        Check("train_epoch").matches({"1.weight": torch.zeros(2)}, {"1.weight": torch.ones(2)},
                                     what="the weights after 2 steps")
    assert "wrong values in the weights after 2 steps, parameter 1.weight" in str(info.value)
    assert "['1.weight']" not in str(info.value)


def test_a_cause_read_back_is_the_cause_itself_where_it_refers_to_an_earlier_test():
    """The class report counts one bug once: "same cause as test 2: X" is X."""
    from autograder.check import LIKELY_CAUSE, likely_cause, same_cause

    assert likely_cause(f"f: wrong\n{LIKELY_CAUSE}{same_cause(2, 'the minus is missing')}\ninputs:") == \
        "the minus is missing"
    assert likely_cause(f"f: wrong\n{LIKELY_CAUSE}the minus is missing") == "the minus is missing"
    assert likely_cause("f: wrong\ninputs: x = 1") is None


def test_an_answer_recorded_as_none_or_text_is_compared_as_written():
    """A public case may record an eval-mode mask of None: the reference passes, anything else fails by name.
    Before, None was compared as a number ("mask should be a number, got None"), failing the reference itself."""
    from autograder.check import Check, Mismatch

    check = Check("dropout_forward", outputs=("out", "mask"))
    check.matches((np.ones(2), None), (np.ones(2), None))
    check.matches("relu", "relu")
    with pytest.raises(Mismatch, match=r"mask should be None, got 0"):
        check.matches((np.ones(2), 0), (np.ones(2), None))
    with pytest.raises(Mismatch, match=r"should be 'relu', got 'tanh'"):
        check.matches("tanh", "relu")


def test_the_formula_line_names_its_source():
    """Every formula used to read "formula (slides)", wherever it came from; the source is now the test's to name,
    per formula (``Formula``) or per test file (``FORMULA_SOURCE``, applied by the grader's plugin)."""
    from autograder.check import Formula
    from autograder.grading.plugin import name_source

    def failure(formula):
        with pytest.raises(Mismatch) as info:
            Check("batchnorm_forward", formula=formula).matches(np.zeros(2), np.ones(2))
        return info.value.feedback

    assert failure("y = γ x̂ + β").render().endswith("\nformula: y = γ x̂ + β")
    assert failure(Formula("y = γ x̂ + β", "Ioffe & Szegedy 2015")).render().endswith(
        "\nformula (Ioffe & Szegedy 2015): y = γ x̂ + β")
    from_file, own = failure("σ(z) = 1/(1 + e^(−z))"), failure(Formula("x̂ = (x − μ)/√(σ² + ε)", "the handout"))
    name_source(from_file, "slides")
    name_source(own, "slides")
    assert from_file.render().endswith("\nformula (slides): σ(z) = 1/(1 + e^(−z))")
    assert own.render().endswith("\nformula (the handout): x̂ = (x − μ)/√(σ² + ε)")
