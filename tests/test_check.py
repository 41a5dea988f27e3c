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
    assert "non-finite values" in message and "at index (1,)" in message


def test_values_report_largest_error_and_where():
    message = feedback(np.array([0.5, 0.7, 0.1]), np.array([0.5, 0.75, 0.6]))
    assert "wrong values in the result" in message
    assert "largest error 0.5 at index (2,)" in message and "2 of 3 values wrong" in message
    assert "inputs:" in message and "z = float64 array, shape (3,)" in message
    assert "formula (slides): σ(z)" in message


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
