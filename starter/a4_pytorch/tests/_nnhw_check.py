"""Compare a student's answer with the expected one and say what is wrong, in order:
type, then shape, then dtype, then finiteness, then values (largest error and where).

Standalone (numpy only; torch tensors are handled if torch is around) because it is copied
into the starter folders, where the students' public tests use it too.
"""

import numpy as np

#: Default tolerances per dtype: |got - expected| <= atol + rtol * |expected|.
TOLERANCES = {
    np.dtype(np.float64): (1e-6, 1e-9),
    np.dtype(np.float32): (1e-4, 1e-5),
    np.dtype(np.float16): (1e-2, 1e-3),
}


class Mismatch(AssertionError):
    """A wrong answer; its message is the feedback a student reads."""


def _is_tensor(value):
    return type(value).__module__.startswith("torch") and hasattr(value, "detach")


def _as_numpy(value):
    return value.detach().cpu().numpy() if _is_tensor(value) else value


def describe(value, limit=40):
    """A short, readable rendering of an input or an answer."""
    if _is_tensor(value):
        device = getattr(value, "nnhw_device", str(value.device))
        return f"tensor {str(value.dtype).replace('torch.', '')} on {device}, shape {tuple(value.shape)}" + \
            _body(_as_numpy(value), limit)
    if isinstance(value, np.ndarray):
        return f"{value.dtype} array, shape {value.shape}" + _body(value, limit)
    if isinstance(value, (list, tuple)) and any(isinstance(v, np.ndarray) or _is_tensor(v) for v in value):
        kind = "list" if isinstance(value, list) else "tuple"
        items = "".join(f"\n  [{i}] " + describe(v, limit).replace("\n", "\n      ") for i, v in enumerate(value))
        return f"{kind} of {len(value)}:{items}"
    text = repr(value)
    return text if len(text) < 300 else text[:300] + " ..."


def _body(array, limit):
    if array.size == 0:
        return " (empty)"
    if array.size > limit:
        return f" (too large to show; first values {np.array2string(array.ravel()[:6], precision=6)})"
    return "\n" + np.array2string(array, precision=6, max_line_width=100)


def _where(index):
    return "" if index == () else f" at index {tuple(int(i) for i in index)}"


class Check:
    """One comparison: knows which function, which inputs and which formula to show on failure."""

    def __init__(self, function, inputs=None, formula=None, rtol=None, atol=None, hide_inputs=False):
        self.function, self.inputs, self.formula = function, inputs or {}, formula
        self.rtol, self.atol, self.hide_inputs = rtol, atol, hide_inputs

    def fail(self, problem, details=""):
        lines = [f"{self.function}: {problem}"]
        if details:
            lines.append(details)
        if self.inputs and not self.hide_inputs:
            lines.append("inputs:")
            lines += ["  " + f"{name} = {describe(v)}".replace("\n", "\n    ") for name, v in self.inputs.items()]
        if self.formula:
            lines.append(f"formula (slides): {self.formula}")
        raise Mismatch("\n".join(lines))

    def matches(self, got, expected, what="the result"):
        """Assert ``got`` equals ``expected`` (arrays, tensors, scalars, lists and tuples of them)."""
        if isinstance(expected, (list, tuple)):
            if not isinstance(got, (list, tuple)):
                self.fail(f"{what} should be a list or tuple of {len(expected)} items, got {describe(got)}")
            if len(got) != len(expected):
                self.fail(f"{what} should have {len(expected)} items, got {len(got)}")
            for i, (g, e) in enumerate(zip(got, expected)):
                self.matches(g, e, f"{what}[{i}]")
            return
        if isinstance(expected, dict):
            if not isinstance(got, dict) or sorted(got) != sorted(expected):
                self.fail(f"{what} should be a dict with keys {sorted(expected)}, got {describe(got)}")
            for key in expected:
                self.matches(got[key], expected[key], f"{what}[{key!r}]")
            return
        if _is_tensor(expected):
            self._tensor_meta(got, expected, what)
            return self._array(_as_numpy(got), _as_numpy(expected), what)
        if isinstance(expected, np.ndarray) and expected.ndim > 0:
            if not isinstance(got, np.ndarray):
                self.fail(f"{what} should be a numpy array, got {describe(got)}")
            return self._array(got, expected, what)
        return self._scalar(got, expected, what)

    def _tensor_meta(self, got, expected, what):
        if not _is_tensor(got):
            self.fail(f"{what} should be a torch tensor, got {describe(got)}")
        got_device = getattr(got, "nnhw_device", str(got.device))
        want_device = getattr(expected, "nnhw_device", str(expected.device))
        if got_device.split(":")[0] != want_device.split(":")[0]:
            self.fail(f"{what} is on {got_device} but should stay on the input's device, {want_device}")

    def _scalar(self, got, expected, what):
        if isinstance(got, np.ndarray) and got.ndim == 0:
            got = got[()]
        if isinstance(got, (bool, np.bool_)) or not isinstance(got, (int, float, np.number)):
            self.fail(f"{what} should be a number, got {describe(got)}")
        self._array(np.asarray(got, dtype=np.float64), np.asarray(expected, dtype=np.float64), what)

    def _array(self, got, expected, what):
        if got.shape != expected.shape:
            self.fail(f"{what} has shape {got.shape}, expected {expected.shape}")
        if got.dtype != expected.dtype:
            self.fail(f"{what} has dtype {got.dtype}, expected {expected.dtype}")
        if got.dtype.kind not in "fc":
            if not np.array_equal(got, expected):
                self._report_values(got, expected, what, got != expected)
            return
        bad_finite = np.isfinite(got) != np.isfinite(expected)
        if bad_finite.any():
            index = np.unravel_index(np.argmax(bad_finite), got.shape)
            self.fail(f"{what} has non-finite values (NaN or inf) where the expected values are finite" if not
                      np.isfinite(got[index]) else f"{what} is finite where inf/NaN was expected",
                      f"first{_where(index)}: expected {expected[index]!r}, got {got[index]!r}\n"
                      f"expected: {describe(expected)}\ngot: {describe(got)}")
        rtol, atol = TOLERANCES.get(got.dtype, (1e-6, 1e-9))
        rtol, atol = self.rtol if self.rtol is not None else rtol, self.atol if self.atol is not None else atol
        finite = np.isfinite(expected)
        error = np.where(finite, np.abs(got - np.where(finite, expected, 0)), 0.0)
        wrong = (error > atol + rtol * np.abs(np.where(finite, expected, 0))) | (~finite & (got != expected) &
                                                                              ~(np.isnan(got) & np.isnan(expected)))
        if wrong.any():
            self._report_values(got, expected, what, wrong, error, (rtol, atol))

    def _report_values(self, got, expected, what, wrong, error=None, tolerance=None):
        index = np.unravel_index(np.argmax(error if error is not None else wrong), got.shape)
        details = [f"expected: {describe(expected)}", f"got: {describe(got)}"]
        if error is not None:
            details.append(f"largest error {error[index]:.3g}{_where(index)}: expected {expected[index]!r}, "
                           f"got {got[index]!r} ({int(wrong.sum())} of {wrong.size} values wrong; allowed "
                           f"|got − expected| ≤ {tolerance[1]:g} + {tolerance[0]:g}·|expected|)")
        else:
            details.append(f"first difference{_where(index)}: expected {expected[index]!r}, got {got[index]!r}")
        self.fail(f"wrong values in {what}", "\n".join(details))


def assert_matches(got, expected, function, inputs=None, formula=None, rtol=None, atol=None, what="the result"):
    """Shorthand for ``Check(...).matches(got, expected)``."""
    Check(function, inputs, formula, rtol, atol).matches(got, expected, what)


def same_arguments(before, after):
    """True when nothing in ``after`` (nested lists, tuples, dicts of arrays) differs from ``before``."""
    if isinstance(before, np.ndarray) or _is_tensor(before):
        before, after = _as_numpy(before), _as_numpy(after)
        return isinstance(after, np.ndarray) and before.shape == after.shape and \
            np.array_equal(before, after, equal_nan=before.dtype.kind in "fc")
    if isinstance(before, (list, tuple)):
        return isinstance(after, (list, tuple)) and len(before) == len(after) and \
            all(same_arguments(b, a) for b, a in zip(before, after))
    if isinstance(before, dict):
        return isinstance(after, dict) and before.keys() == after.keys() and \
            all(same_arguments(before[k], after[k]) for k in before)
    return True
