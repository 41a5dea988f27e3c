"""Compare a student's answer with the expected one and say what is wrong, in order:
type, then shape, then dtype, then finiteness, then values (largest error and where).

Standalone (numpy only; torch tensors are handled if torch is around) because it is copied
into the starter folders, where the students' public tests use it too.
"""

import re

import numpy as np

#: Default tolerances per dtype: |got - expected| <= atol + rtol * |expected|.
TOLERANCES = {
    np.dtype(np.float64): (1e-6, 1e-9),
    np.dtype(np.float32): (1e-4, 1e-5),
    np.dtype(np.float16): (1e-2, 1e-3),
}


#: the answers compared exactly (and flat tuples and lists of them)
EXACT = (int, np.integer, bool, np.bool_)
#: entries of a large array's last axis shown around where it is wrong
PREVIEW = 8

#: how a feedback text names its likely cause (one line); :func:`likely_cause` reads it back (verify, reports)
LIKELY_CAUSE = "likely cause: "


#: why an argument changes under the caller: the one way it can (the graded and the public tests both name it)
IN_PLACE = ("an in-place operation (x -= ..., x[...] = ..., np.maximum(x, 0, out=x)) writes into the caller's array; "
            "compute a new one instead (W = W - lr * dW, not W -= lr * dW)")

#: a later failure that an earlier test's cause explains (one bug, one explanation) names it so
SAME_CAUSE = "same cause as test {number}: {cause}"
_SAME_CAUSE = re.compile(r"same cause as test \S+: ")


def same_cause(number, cause):
    return SAME_CAUSE.format(number=number, cause=cause)


def likely_cause(text):
    """The likely cause a rendered feedback names (an earlier test's, where it refers to one), or None."""
    for line in (text or "").splitlines():
        if line.startswith(LIKELY_CAUSE):
            return _SAME_CAUSE.sub("", line[len(LIKELY_CAUSE):].strip(), count=1) or None
    return None


class Feedback:
    """What went wrong in one graded call, built once and rendered wherever a student reads it
    (Gradescope, ``nnhw grade --feedback``, the public tests).

    ``inputs`` is ``{name: value}`` (or text already rendered); ``diagnosis`` is text or a callable
    returning it (or None); ``hidden`` marks inputs that this test keeps secret, and :meth:`render` leaves them out. ``misconfigured`` marks a failure of
    the assignment itself rather than of the student's code.
    """

    def __init__(self, function, problem, details=(), inputs=None, formula=None, diagnosis=None, context=(),
                 hidden=False, misconfigured=False):
        self.function, self.problem, self.details = function, problem, [d for d in details if d]
        self.inputs, self.formula, self._diagnosis = inputs, formula, diagnosis
        self.context, self.hidden, self.misconfigured = [c for c in context if c], hidden, misconfigured

    @property
    def diagnosis(self):
        """The likely cause, worked out on first use: hypothesis raises many mismatches while it shrinks,
        and only the last one is ever read."""
        if callable(self._diagnosis):
            self._diagnosis = self._diagnosis()
        return self._diagnosis

    @diagnosis.setter
    def diagnosis(self, cause):
        self._diagnosis = cause

    def render(self, hide_inputs=False, max_lines=None):
        """The text a student reads; inputs are left out when this feedback or the caller hides them, and
        summarised by their shapes when the whole text would run past ``max_lines``."""
        head = [f"{self.function}: {self.problem}" if self.function else self.problem]
        if self.diagnosis:  # the cause (and its evidence) first: what a student reads when they read one line
            head.append(f"{LIKELY_CAUSE}{self.diagnosis}")
        head += [*self.details, *self.context]
        tail = [f"formula (slides): {self.formula}"] if self.formula else []
        inputs = []
        if self.inputs:
            if self.hidden or hide_inputs:
                inputs = ["inputs: (hidden for this test)"]
            elif isinstance(self.inputs, str):
                inputs = ["inputs:", self.inputs]
            else:
                inputs = ["inputs:"] + ["  " + f"{name} = {describe(v)}".replace("\n", "\n    ")
                                        for name, v in self.inputs.items()]
                if max_lines and len("\n".join(head + inputs + tail).splitlines()) > max_lines:
                    inputs = ["inputs: " + "; ".join(f"{name} = {summary(v)}" for name, v in self.inputs.items())]
        return "\n".join(head + inputs + tail)

    def __str__(self):
        return self.render()


class Mismatch(AssertionError):
    """A wrong answer; ``feedback`` is the value a student reads, rendered as this exception's message."""

    def __init__(self, feedback):
        if not isinstance(feedback, Feedback):
            feedback = Feedback(None, str(feedback))
        super().__init__(feedback.problem)
        self.feedback = feedback

    def __str__(self):
        return self.feedback.render()


def number(value):
    """A number as a person writes it: 0.5, not np.float64(0.5)."""
    if isinstance(value, (bool, np.bool_)):
        return str(bool(value))
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        return repr(float(value))
    if isinstance(value, (complex, np.complexfloating)):
        return repr(complex(value))
    return repr(value)


def _is_tensor(value):
    return type(value).__module__.startswith("torch") and hasattr(value, "detach")


def _as_numpy(value):
    return value.detach().cpu().numpy() if _is_tensor(value) else value


def describe(value, limit=40, index=None):
    """A short, readable rendering of an input or an answer; of an array too large to show, the stretch
    of its last axis around ``index`` (where an answer is wrong), else its first values."""
    if _is_tensor(value):
        device = getattr(value, "nnhw_device", str(value.device))
        return f"tensor {str(value.dtype).replace('torch.', '')} on {device}, shape {tuple(value.shape)}" + \
            _body(_as_numpy(value), limit, index)
    if isinstance(value, np.ndarray) and value.ndim == 0:
        return number(value[()])
    if isinstance(value, np.ndarray):
        return f"{value.dtype} array, shape {value.shape}" + _body(value, limit, index)
    if isinstance(value, (list, tuple)) and any(isinstance(v, np.ndarray) or _is_tensor(v) for v in value):
        kind = "list" if isinstance(value, list) else "tuple"
        items = "".join(f"\n  [{i}] " + describe(v, limit).replace("\n", "\n      ") for i, v in enumerate(value))
        return f"{kind} of {len(value)}:{items}"
    text = number(value) if isinstance(value, (int, float, complex, np.number, np.bool_)) else repr(value)
    return text if len(text) < 300 else text[:300] + " ..."


def summary(value):
    """One line for an input: its type and shape, the shapes of a list's arrays, or a short value."""
    if isinstance(value, (list, tuple)) and value and all(hasattr(v, "shape") for v in value):
        return f"{type(value).__name__} of {len(value)} arrays, shapes " + ", ".join(str(tuple(v.shape)) for v in value)
    return describe(value, 0).split("\n")[0]


def _body(array, limit, index=None):
    if array.size == 0:
        return " (empty)"
    if limit == 0:
        return ""
    if array.size <= limit:
        return "\n" + np.array2string(array, precision=6, max_line_width=100)
    if index is None or array.ndim == 0:
        return f" (too large to show; first values {np.array2string(array.ravel()[:6], precision=6)})"
    row, k = array[tuple(index[:-1])], int(index[-1])
    start = max(0, min(k - 3, row.size - PREVIEW))
    where = ", ".join([*(str(int(i)) for i in index[:-1]), f"{start}:{start + min(PREVIEW, row.size)}"])
    return f" (too large to show in full; [{where}] = {np.array2string(row[start:start + PREVIEW], precision=6)})"


def previews(expected, got, index):
    """The expected and the got answer around ``index``, for a student to compare; the second is not shown
    again where it prints as the first does (they differ beyond the digits printed)."""
    want, have = describe(expected, index=index), describe(got, index=index)
    if have == want:  # same dtype and shape by now: the values print alike
        have = "the same to the digits shown; the difference is smaller (see below)"
    return [f"expected: {want}", f"got: {have}"]


def exact_text(value):
    """An exact answer as it is: (1, 1, 1), [0, 2], True."""
    if isinstance(value, tuple):
        return "(" + ", ".join(map(number, value)) + ("," if len(value) == 1 else "") + ")"
    if isinstance(value, list):
        return "[" + ", ".join(map(number, value)) + "]"
    return number(value)


def _exact(value):
    """Integers and booleans, and flat tuples and lists of them (shapes, counts, labels): compared exactly."""
    if isinstance(value, (list, tuple)):
        return bool(value) and all(isinstance(v, EXACT) for v in value)
    return isinstance(value, EXACT)


def _same_kind(got, expected):
    """A boolean where one is expected; an integer-valued number (not a boolean) where an integer is."""
    if isinstance(expected, (bool, np.bool_)):
        return isinstance(got, (bool, np.bool_))
    return isinstance(got, (int, float, np.integer, np.floating)) and not isinstance(got, (bool, np.bool_))


def _entry(what, key, value):
    """How an entry of a dict answer is named: a module's parameter by its name, other keys as written."""
    if isinstance(key, str) and _is_tensor(value):
        return f"{what}, parameter {key}"
    return f"{what}, {key}" if isinstance(key, str) else f"{what}[{key!r}]"


def _where(index):
    return "" if index == () else f" at index {tuple(int(i) for i in index)}"


class Check:
    """One comparison: knows which function, which inputs and which formula to show on failure.

    ``outputs`` names the items of a tuple answer as the contract does (``("dx", "dw", "db")``),
    ``context`` adds lines to every failure (shapes, which layers are already right), and
    ``diagnose(got, expected, path)``, where given, may name the likely cause of a difference.
    """

    def __init__(self, function, inputs=None, formula=None, rtol=None, atol=None, hide_inputs=False, context=(),
                 outputs=None, diagnose=None):
        self.function, self.inputs, self.formula = function, inputs or {}, formula
        self.rtol, self.atol, self.hide_inputs = rtol, atol, hide_inputs
        self.context, self.note, self.outputs, self.diagnose = list(context), "", outputs, diagnose

    def feedback(self, problem, details="", diagnosis=None):
        """The structured feedback for ``problem`` on this check's call."""
        return Feedback(self.function, problem, [self.note, details], self.inputs, self.formula, diagnosis,
                        self.context, self.hide_inputs)

    def fail(self, problem, details="", diagnosis=None):
        raise Mismatch(self.feedback(problem, details, diagnosis))

    def _diagnosis(self, got, expected, path):
        """The likely cause of this difference, as a callable: worked out only if the feedback is read."""
        diagnose = self.diagnose
        if diagnose is None:
            return None

        def work_out():
            try:
                return diagnose(got, expected, path)
            except Exception:  # noqa: BLE001 - a diagnosis is a bonus; it must never hide the mismatch itself
                return None
        return work_out

    def _item(self, what, i, count):
        if what is None and self.outputs is not None and len(self.outputs) == count:
            return self.outputs[i]
        return f"{what or 'the result'}[{i}]"

    def matches(self, got, expected, what=None, path=()):
        """Assert ``got`` equals ``expected`` (arrays, tensors, scalars, lists and tuples of them)."""
        shown = what or "the result"
        if expected is None or isinstance(expected, str):  # recorded as written (eval mode's mask: None)
            if not (got is None if expected is None else isinstance(got, str) and got == expected):
                self.fail(f"{shown} should be {expected!r}, got {describe(got)}")
            return
        if _exact(expected):
            return self._exact(got, expected, shown, path)
        if isinstance(expected, (list, tuple)):
            if not isinstance(got, (list, tuple)):
                self.fail(f"{shown} should be a list or tuple of {len(expected)} items, got {describe(got)}")
            if len(got) != len(expected):
                self.fail(f"{shown} should have {len(expected)} items, got {len(got)}", "",
                          self._diagnosis(got, expected, path))
            for i, (g, e) in enumerate(zip(got, expected)):
                self.matches(g, e, self._item(what, i, len(expected)), (*path, i))
            return
        if isinstance(expected, dict):
            if not isinstance(got, dict) or sorted(got) != sorted(expected):
                self.fail(f"{shown} should be a dict with keys {sorted(expected)}, got {describe(got)}")
            for key in expected:
                self.matches(got[key], expected[key], _entry(shown, key, expected[key]), (*path, key))
            return
        if _is_tensor(expected):
            self._tensor_meta(got, expected, shown)
            return self._array(_as_numpy(got), _as_numpy(expected), shown, path)
        if isinstance(expected, np.ndarray) and expected.ndim > 0:
            if not isinstance(got, np.ndarray):
                self.fail(f"{shown} should be a numpy array, got {describe(got)}")
            return self._array(got, expected, shown, path)
        return self._scalar(got, expected, shown, path)

    def _exact(self, got, expected, what, path):
        """Integers, booleans and tuples of them: equal, printed as they are, no tolerance."""
        got = got[()] if isinstance(got, np.ndarray) and got.ndim == 0 else got
        if isinstance(expected, (list, tuple)):
            kind = "booleans" if all(isinstance(e, (bool, np.bool_)) for e in expected) else "integers"
            if not isinstance(got, (list, tuple)) or len(got) != len(expected) or \
                    not all(map(_same_kind, got, expected)):
                self.fail(f"{what} should be a {type(expected).__name__} of {len(expected)} {kind}, "
                          f"got {describe(got)}")
        elif not _same_kind(got, expected):
            kind = "True or False" if isinstance(expected, (bool, np.bool_)) else "an integer"
            self.fail(f"{what} should be {kind}, got {describe(got)}")
        if (list(got) != list(expected)) if isinstance(expected, (list, tuple)) else (got != expected):
            values = "values" if isinstance(expected, (list, tuple)) else "value"
            self.fail(f"wrong {values} in {what}: expected {exact_text(expected)}, got {exact_text(got)}", "",
                      self._diagnosis(got, expected, path))

    def _tensor_meta(self, got, expected, what):
        if not _is_tensor(got):
            self.fail(f"{what} should be a torch tensor, got {describe(got)}")
        got_device = getattr(got, "nnhw_device", str(got.device))
        want_device = getattr(expected, "nnhw_device", str(expected.device))
        if got_device.split(":")[0] != want_device.split(":")[0]:
            self.fail(f"{what} is on {got_device} but should stay on the input's device, {want_device}")

    def _scalar(self, got, expected, what, path=()):
        if isinstance(got, np.ndarray) and got.ndim == 0:
            got = got[()]
        if isinstance(got, (bool, np.bool_)) or not isinstance(got, (int, float, np.number)):
            self.fail(f"{what} should be a number, got {describe(got)}")
        self._array(np.asarray(got, dtype=np.float64), np.asarray(expected, dtype=np.float64), what, path)

    def _array(self, got, expected, what, path=()):
        if got.shape != expected.shape:
            self.fail(f"{what} has shape {got.shape}, expected {expected.shape}", "",
                      self._diagnosis(got, expected, path))
        if got.dtype != expected.dtype:
            self.fail(f"{what} has dtype {got.dtype}, expected {expected.dtype}", "",
                      self._diagnosis(got, expected, path))
        if got.dtype.kind not in "fc":
            if not np.array_equal(got, expected):
                self._report_values(got, expected, what, got != expected, path=path)
            return
        bad_finite = np.isfinite(got) != np.isfinite(expected)
        if bad_finite.any():
            index = np.unravel_index(np.argmax(bad_finite), got.shape)
            self.fail(f"{what} is {number(got[index]).replace('nan', 'NaN')}{_where(index)}, where the expected "
                      f"value is finite" if not np.isfinite(got[index]) else f"{what} is finite where inf/NaN was expected",
                      "\n".join([f"first{_where(index)}: expected {number(expected[index])}, got {number(got[index])}",
                                 *previews(expected, got, index)]), self._diagnosis(got, expected, path))
        rtol, atol = self.tolerance(got.dtype)
        wrong, error = wrong_values(got, expected, rtol, atol)
        if wrong.any():
            self._report_values(got, expected, what, wrong, error, (rtol, atol), path)

    def tolerance(self, dtype):
        """(rtol, atol) for answers of ``dtype``: this check's own where given, else the dtype's default."""
        rtol, atol = TOLERANCES.get(np.dtype(dtype), (1e-6, 1e-9))
        return (self.rtol if self.rtol is not None else rtol, self.atol if self.atol is not None else atol)

    def _report_values(self, got, expected, what, wrong, error=None, tolerance=None, path=()):
        index = np.unravel_index(np.argmax(error if error is not None else wrong), got.shape)
        details = previews(expected, got, index)
        if error is not None:
            details.append(f"largest error {error[index]:.3g}{_where(index)}: expected {number(expected[index])}, "
                           f"got {number(got[index])} ({int(wrong.sum())} of {wrong.size} values wrong; allowed "
                           f"|got − expected| ≤ {tolerance[1]:g} + {tolerance[0]:g}·|expected|)")
        else:
            details.append(f"first difference{_where(index)}: expected {number(expected[index])}, "
                           f"got {number(got[index])}")
        self.fail(f"wrong values in {what}", "\n".join(details), self._diagnosis(got, expected, path))


def wrong_values(got, expected, rtol, atol):
    """(which entries are wrong, |got − expected| where finite) under |got − expected| <= atol + rtol·|expected|."""
    finite = np.isfinite(expected)
    error = np.where(finite, np.abs(got - np.where(finite, expected, 0)), 0.0)
    wrong = (error > atol + rtol * np.abs(np.where(finite, expected, 0))) | (~finite & (got != expected) &
                                                                          ~(np.isnan(got) & np.isnan(expected)))
    return wrong, error


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
