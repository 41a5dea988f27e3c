"""The build is the same on every CPU: recorded values do not move when the kernels move by an ulp."""

import json
import math

import numpy as np
import pytest

from autograder.authoring import build
from autograder.authoring.rounding import (
    DIGITS,
    INPUT_BITS,
    portable,
    portable_inputs,
    round_bits,
    round_floats,
    widened,
)


def nudged(value):
    """``value`` with every non-zero float one ulp up: what another CPU's kernels may answer."""
    if type(value).__module__.startswith("torch"):
        import torch

        if not value.is_floating_point():
            return value
        return torch.where(value == 0, value, torch.nextafter(value, torch.full_like(value, math.inf)))
    if isinstance(value, np.ndarray) and value.dtype.kind == "f":
        return np.where(value == 0, value, np.nextafter(value, np.inf))
    if isinstance(value, float):
        return math.nextafter(value, math.inf) if value else value
    if isinstance(value, (list, tuple)):
        return type(value)(nudged(v) for v in value)
    return value


class NudgedReference:
    """The reference solution as another CPU computes it: each function's answer one ulp off (classes, such as
    an autograd Function or a module, pass through as they are)."""

    def __init__(self, reference):
        self._reference = reference

    def __getattr__(self, name):
        function = getattr(self._reference, name)
        if isinstance(function, type):
            return function
        return lambda *args, **kwargs: nudged(function(*args, **kwargs))


def test_rounding_keeps_ten_digits_and_the_public_tolerances():
    values = np.random.default_rng(0).standard_normal(10_000) * 10.0 ** np.random.default_rng(1).integers(-8, 8, 10_000)
    rounded = round_floats(values)
    assert np.all(np.abs(rounded - values) <= 5.1 * 10.0 ** -DIGITS * np.abs(values))
    assert np.allclose(rounded, values, rtol=1e-9, atol=0)  # far inside the float64 check's 1e-6
    assert np.array_equal(round_floats(rounded), rounded)
    special = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, 1e-300, 1e300])
    assert np.array_equal(round_floats(special), special, equal_nan=True)
    assert round_floats([1.6e-309, -5e-324]).tolist() == [0.0, 0.0]  # subnormals: kernels may flush them


def test_inputs_keep_thirty_bits_exactly():
    values = np.random.default_rng(3).standard_normal(1000)
    rounded = round_bits(values)
    assert np.all(np.abs(rounded - values) <= 2.0 ** -INPUT_BITS * np.abs(values))
    mantissa, _ = np.frexp(rounded)
    assert np.all(np.ldexp(mantissa, INPUT_BITS) == np.rint(np.ldexp(mantissa, INPUT_BITS)))
    case = portable_inputs({"args": [values, 3, "x", (values[:2],)], "kwargs": {"lr": 0.1}})
    assert case["args"][1:3] == [3, "x"] and np.array_equal(case["args"][3][0], rounded[:2])


def test_an_ulp_almost_never_changes_a_rounded_value():
    values = np.random.default_rng(2).standard_normal(100_000)
    moved = np.count_nonzero(round_floats(values) != round_floats(np.nextafter(values, np.inf)))
    assert moved <= 2, f"{moved} of 100000 values moved across a rounding boundary"


def test_float32_answers_come_from_float64_and_keep_their_dtype():
    torch = pytest.importorskip("torch")
    x = torch.tensor([1 / 3, 2 / 3], dtype=torch.float32)
    wide = widened([x, np.float32(0.1), (np.ones(2, np.float32),)])
    assert wide[0].dtype == torch.float64 and wide[1] == np.float32(0.1) and wide[2][0].dtype == np.float64
    back = portable(wide[0] * 3, like=x * 3)
    assert back.dtype == torch.float32 and back.tolist() == [1.0, 2.0]


@pytest.mark.needs_torch  # a3 records torch cases
def test_recorded_cases_do_not_depend_on_the_last_bit(course, monkeypatch):
    """What a CPU with other kernels computes (every answer one ulp off) records the same bytes."""
    for assignment in course.assignments():
        honest = build.recorded_cases(assignment)
        load = type(assignment).load_reference
        monkeypatch.setattr(type(assignment), "load_reference", lambda self: NudgedReference(load(self)))
        assert build.recorded_cases(assignment) == honest, f"{assignment.id}: an ulp changed cases.json"
        monkeypatch.undo()


def test_a_hyperparameter_is_recorded_and_shown_as_written():
    """`lr=0.1` in a case was recorded as 0.09999999997671694 (30 bits) and shown so to students; a float the case
    was written with stays as written, while a float drawn by a generator is still rounded to 30 bits."""
    drawn = float(np.random.default_rng(5).standard_normal())
    case = portable_inputs({"args": [0.1, drawn, 1e-5], "kwargs": {"p": 0.6, "eps": 1e-300}})
    assert case["args"][0] == 0.1 and case["args"][2] == 1e-5 and case["kwargs"] == {"p": 0.6, "eps": 1e-300}
    assert case["args"][1] == float(round_bits(drawn)) != drawn
    assert json.dumps(case["kwargs"]) == '{"p": 0.6, "eps": 1e-300}'
