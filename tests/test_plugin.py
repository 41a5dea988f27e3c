import numpy as np
import pytest

from autograder.check import Check, Mismatch
from autograder.plugin import feedback
from autograder.student import StudentCodeError


def test_hidden_tests_can_hide_their_inputs():
    """Hiding is a rendering choice on the one feedback value, for mismatches and crashes alike."""
    with pytest.raises(Mismatch) as info:
        Check("sigmoid", {"z": np.array([1.0, 2.0])}, formula="σ(z)").matches(np.zeros(2), np.ones(2))
    shown, hidden = feedback(info.value), feedback(info.value, hide_inputs=True)
    assert "[1. 2.]" in shown and "[1. 2.]" not in hidden
    assert "inputs: (hidden for this test)" in hidden and "formula (slides): σ(z)" in hidden
    crash = StudentCodeError("relu raised ValueError: no", raised="ValueError", inputs="  z = 1")
    assert "z = 1" in feedback(crash) and "z = 1" not in feedback(crash, hide_inputs=True)
    assert "relu raised ValueError: no" in feedback(crash, hide_inputs=True)
