import numpy as np
import pytest

from autograder.check import Check, Mismatch
from autograder.grading.plugin import GRADING_PROFILE, RANDOM_PROFILE, feedback
from autograder.grading.student import StudentCodeError


def test_hidden_tests_can_hide_their_inputs():
    """Hiding is a rendering choice on the one feedback value, for mismatches and crashes alike."""
    with pytest.raises(Mismatch) as info:
        Check("sigmoid", {"z": np.array([1.0, 2.0])}, formula="σ(z)").matches(np.zeros(2), np.ones(2))
    shown, hidden = feedback(info.value), feedback(info.value, hide_inputs=True)
    assert "[1. 2.]" in shown and "[1. 2.]" not in hidden
    assert "inputs: (hidden for this test)" in hidden and "formula: σ(z)" in hidden
    crash = StudentCodeError("relu raised ValueError: no", raised="ValueError", inputs="  z = 1")
    assert "z = 1" in feedback(crash) and "z = 1" not in feedback(crash, hide_inputs=True)
    assert "relu raised ValueError: no" in feedback(crash, hide_inputs=True)


def test_a_misconfigured_assignment_is_a_flag_not_a_phrase():
    from autograder.config import ConfigError
    from autograder.grading.grader import grade_safely

    class Broken:
        def __init__(self, error):
            self.error = error

        def assignment(self, assignment_id):
            raise self.error

    results = grade_safely(Broken(ConfigError("assignment.toml: [tests] lists no tests")), "a1", "unused")
    assert results["extra_data"] == {"misconfigured": True} and results["score"] == 0.0
    assert "extra_data" not in grade_safely(Broken(RuntimeError("a bug in the grader")), "a1", "unused")


@pytest.mark.parametrize("profile", [GRADING_PROFILE, RANDOM_PROFILE])
def test_grading_shrinks_a_failure_but_skips_hypothesis_s_explain_phase(profile):
    """Shrinking makes the student's counterexample small; explaining would then vary every part of it a
    hundred times or more, for comments in a report the student never reads."""
    from hypothesis import given, settings
    from hypothesis import strategies as st

    calls = []

    @settings(settings.get_profile(profile), max_examples=20)
    @given(st.lists(st.integers(), min_size=1, max_size=8), st.integers())
    def always_fails(xs, n):
        calls.append((xs, n))
        raise AssertionError("wrong")

    with pytest.raises(AssertionError, match="wrong"):
        always_fails()
    assert calls[-1] == ([0], 0)  # shrunk
    assert len(calls) < 60, len(calls)
