"""Name the likely cause of a wrong answer only when an experiment confirms it.

A cause is a hypothesis: a bug, written as what code with that bug returns (:class:`Bug`).
The hypotheses that explain the wrong answer are kept; then the student's function is called
again on a few *probes*, inputs derived from the counterexample and chosen to separate those
hypotheses from each other and from the right answer (a positive z beside the negative one,
the rows one at a time, the inputs scaled down). A cause is named only if the student's
answers on every probe are what it predicts, and at least one probe shows the bug again on
another input; where two causes survive every probe, both are named. Nothing is inferred from
the size or the shape of an input alone. The shape follows hypothesis' shrinker: propose, run,
keep only what the run confirms.

An experiment asks a *lab* for answers (:class:`Lab` says what it must offer): the grader's lab
calls the reference and the student's worker; the public tests' lab reads the reference's and
the hypotheses' answers recorded at build time and calls the student's code in place. Both run
:func:`experiment`, so a bug reads the same locally as on Gradescope.

Standalone (numpy only; torch tensors are compared if torch is around) because it is copied
into the starters, where the public tests use it too.
"""

import re

import numpy as np

TIGHT_RTOL = 1e-6
#: a recorded prediction that is the right answer itself (see :class:`RecordedLab`)
SAME = "="
#: at most this many extra calls of the student's function per diagnosis (deterministic, so a cause
#: reads the same on every machine); the lab's time budget is only a safety net
MAX_RUNS = 6
#: the sizes a scaled probe brings the large inputs to: where a computation stops being finite tells why
LADDER = (1.0, 18.0, 20.0, 36.0, 38.0, 700.0, 709.0, 710.5, 744.0, 746.0, 1000.0)
#: (right up to, wrong from, what goes wrong there): the thresholds of float64's usual traps (the largest input is
#: scaled, so a row whose own largest entry is smaller crosses later: the bands are wide, and hold one trap each)
THRESHOLDS = (
    (700.0, 1000.0, "e^x leaves float64's range: it overflows to inf past x ≈ 709.78 (a sum of several e^x a little "
                   "earlier) and underflows to 0 past x ≈ −745 (then inf/inf, inf − inf or 0/0 is NaN); exponentiate "
                   "only non-positive numbers with one of them 0 (shift by the max, or split on the sign)"),
    (36.0, 38.0, "σ(z) rounds to exactly 1 past z ≈ 36.7 (and 1 − σ(z) to 0), so a division by ŷ(1 − ŷ) or a log "
                 "of 1 − ŷ fails there; use the form in which that factor cancels"),
    (18.0, 20.0, "tanh(z) rounds to exactly ±1 past |z| ≈ 19.1, so 1 − tanh(z)² is 0 there; a division by it or a "
                 "log of it fails"),
)


def _numeric(value):
    """``value`` as a numpy array where it is numeric (tensors included), else None."""
    if type(value).__module__.startswith("torch") and hasattr(value, "detach"):
        value = value.detach().cpu().numpy()
    if isinstance(value, (bool, np.bool_)) or value is None or isinstance(value, (str, dict, list, tuple)):
        return None
    try:
        array = np.asarray(value)
    except (TypeError, ValueError):
        return None
    return array if array.dtype.kind in "biufc" else None


def close(got, candidate):
    """Whether ``got`` equals ``candidate`` within the tight tolerance (same shape; NaN and inf in the same
    places count as equal, so a prediction of NaN can be confirmed)."""
    got, candidate = _numeric(got), _numeric(candidate)
    if got is None or candidate is None or got.shape != candidate.shape:
        return False
    # float32 answers carry ~7 digits: a prediction computed in float64 matches them to about 1e-5
    narrow = any(a.dtype.kind == "f" and a.dtype.itemsize < 8 for a in (got, candidate))
    rtol = 1e-4 if narrow else TIGHT_RTOL
    wide = np.complex128 if "c" in got.dtype.kind + candidate.dtype.kind else np.float64
    got, candidate = got.astype(wide), candidate.astype(wide)
    finite = np.isfinite(candidate)
    if not np.array_equal(finite, np.isfinite(got)) or not np.array_equal(got[~finite], candidate[~finite],
                                                                          equal_nan=True):
        return False
    scale = float(np.abs(candidate[finite]).max(initial=0.0))
    return bool(np.allclose(got[finite], candidate[finite], rtol=rtol, atol=1e-12 + rtol * 1e-3 * scale))


def same(a, b):
    """Whether two whole answers (arrays, numbers, tuples, lists and dicts of them) are equal within
    the tight tolerance."""
    if isinstance(a, (list, tuple)) or isinstance(b, (list, tuple)):
        return isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)) and len(a) == len(b) and \
            all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict) or isinstance(b, dict):
        return isinstance(a, dict) and isinstance(b, dict) and a.keys() == b.keys() and \
            all(same(a[k], b[k]) for k in a)
    numeric = (_numeric(a) is not None, _numeric(b) is not None)
    if numeric == (False, False):
        return a == b  # None, text, flags: as they are
    return numeric == (True, True) and close(a, b)


def at(value, path):
    """The item of a nested answer that ``path`` (indices and keys) leads to, or None."""
    try:
        for step in path:
            value = value[step]
        return value
    except (IndexError, KeyError, TypeError):
        return None


def _substantial(value):
    """Not (nearly) all zero: zeros are what many bugs return, so they single out none."""
    array = _numeric(value)
    return array is not None and bool(np.isfinite(array).all()) and float(np.abs(array).max(initial=0.0)) > 1e-9


def nonfinite_where_finite(got, expected):
    got, expected = _numeric(got), _numeric(expected)
    return got is not None and expected is not None and got.shape == expected.shape and \
        bool(np.isfinite(expected).all()) and not bool(np.isfinite(got).all())


class Bug:
    """A known bug, as what code with it returns: ``predict(reference, *args, **kwargs)``.

    ``reference`` is the solution's namespace (``reference.sigmoid``), so a bug reads as the
    right code with one change: ``Bug("σ(−z)…", lambda ref, z: ref.sigmoid(-z))``.
    """

    def __init__(self, cause, predict):
        self.cause, self.predict = cause, predict

    def __repr__(self):
        return f"Bug({self.cause[:40]!r}…)"


class Lab:
    """What :func:`experiment` asks (a duck type; see the grader's and the public tests' labs).

    Probe 0 is the counterexample itself; probes 1 … ``size − 1`` are derived inputs.
    """

    causes = ()       # the hypotheses' messages, in order of trust (the test's own bugs first)
    trusted = 0       # how many of them are the function's own known bugs
    size = 1          # the number of probes, the counterexample included

    def label(self, i):           # how probe i reads in one line ("with z = −z")
        raise NotImplementedError

    def scale(self, i):           # the size a scaled probe brings the large inputs to, else None
        return None

    def reference(self, i):       # the right answer on probe i, or None where probe i is unusable
        raise NotImplementedError

    def prediction(self, k, i):   # what hypothesis k returns on probe i, or None where it cannot say
        raise NotImplementedError

    def student(self, i):         # (True, the student's answer on probe i) or (False, None) if it failed
        raise NotImplementedError

    def out_of_time(self):
        return False


def _explains(prediction, got, expected):
    return prediction is not None and same(got, prediction) and not same(prediction, expected)


def _splits(answers):
    """Whether these predicted answers are not all alike: a probe on which they differ tells them apart."""
    return any(not same(answers[0], other) for other in answers[1:])


def experiment(lab, got, expected, path=(), max_runs=MAX_RUNS):
    """The likely cause of ``got`` (the wrong answer at ``path``) that the probes confirm, with its evidence
    in a second line; or None."""
    # zeros (or nothing) are what many bugs return: they single out none, so the evidence must be a probe on
    # which the code returns something else
    zeros = _numeric(got) is not None and not _substantial(got) and not nonfinite_where_finite(got, expected)
    for group in (range(lab.trusted), range(lab.trusted, len(lab.causes))):
        fitting = [k for k in group if _explains(at(lab.prediction(k, 0), path), got, expected)]
        if fitting:
            return _probe(lab, fitting, max_runs, telling=(lambda answer: _substantial(at(answer, path))) if zeros
                          else None)
    return instability(lab, got, expected)


def _probe(lab, alive, max_runs, telling=None):
    evidence, runs = {}, 0
    for i in range(1, lab.size):
        if runs >= max_runs or lab.out_of_time():
            break
        right = lab.reference(i)
        if right is None:
            continue
        predicted = {k: lab.prediction(k, i) for k in alive}
        if not _splits([right, *(p for p in predicted.values() if p is not None)]):
            continue  # the candidates and the right answer agree here: this probe tells nothing
        ran, answer = lab.student(i)
        runs += 1
        if not ran:
            return None  # the code fails on a valid input where the candidates do not: another bug is at work
        alive = [k for k in alive if predicted[k] is None or same(answer, predicted[k])]
        for k in alive:
            if predicted[k] is not None and not same(predicted[k], right) and (telling is None or telling(answer)):
                evidence.setdefault(k, (i, answer, right))
        if not alive:
            return None
    if len(alive) > 2 or not all(k in evidence for k in alive):
        return None  # a survivor no probe could test, or too many alike: no experiment confirms one cause
    causes = [lab.causes[k] for k in alive]
    cause = causes[0] if len(causes) == 1 else "either " + ", or ".join(causes)
    i, answer, right = evidence[alive[0]]
    return f"{cause}\nevidence: with {lab.label(i)}, your code returns {brief(answer, right)}, as this cause " \
           f"predicts (the right answer is {brief(right, answer)})"


def instability(lab, got, expected, max_runs=len(LADDER)):
    """Right for moderate inputs, NaN or inf past a size: where it stops being finite says why."""
    if not nonfinite_where_finite(got, expected):
        return None
    right, wrong, runs = [], [], 0
    for i in sorted((i for i in range(1, lab.size) if lab.scale(i) is not None), key=lab.scale):
        if runs >= max_runs or lab.out_of_time():
            break
        reference = lab.reference(i)
        if reference is None:
            continue
        ran, answer = lab.student(i)
        runs += 1
        if not ran:
            return None  # it fails on a valid input: not only a matter of size
        (right if same(answer, reference) else wrong).append(lab.scale(i))  # past the edge: NaN, inf, or a 0 from inf
    if not right or (wrong and min(wrong) < max(right)):
        return None
    low = max(right)
    high = min(wrong) if wrong else None
    why = next((text for up_to, wrong_from, text in THRESHOLDS
                if high is not None and low >= up_to and high <= wrong_from), None)
    where = f"from |x| = {high:g} on" if high is not None else "at the counterexample's size"
    head = why or ("the formula is right, but a step of it stops being finite for large inputs (an overflow, or "
                   "a division by a number that rounds to 0); rewrite that step in a form that stays finite")
    return f"{head}\nevidence: with the large inputs scaled down to |x| = {low:g}, your code returns the right " \
           f"answer; it goes wrong {where}"


def brief(value, other=None):
    """A short rendering of an answer for the evidence line: small arrays whole, else the entry where it
    differs most from ``other``."""
    path = ""
    while isinstance(value, (list, tuple)) and isinstance(other, (list, tuple)) and len(value) == len(other):
        i = next((i for i, (a, b) in enumerate(zip(value, other)) if not same(a, b)), None)
        if i is None:
            break
        path, value, other = f"{path}[{i}]", value[i], other[i]
    if path:
        return f"{path} = {brief(value, other)}"
    array = _numeric(value)
    if array is None:
        return repr(value)[:80]
    if array.ndim == 0:
        return f"{array[()]:.4g}" if array.dtype.kind in "fc" else str(array[()])
    if array.size <= 6:
        return " ".join(np.array2string(array, precision=4, separator=", ", max_line_width=10**6).split())
    reference = _numeric(other)
    if reference is not None and reference.shape == array.shape and array.dtype.kind in "f":
        with np.errstate(invalid="ignore"):
            gap = np.nan_to_num(np.abs(array.astype(float) - reference), nan=np.inf)
        index = np.unravel_index(int(np.argmax(gap)), array.shape)
        return f"{array[index]:.4g} at index {tuple(int(j) for j in index)}"
    return f"an array of shape {array.shape}"


class Diagnoser:
    """``diagnoser(got, expected, path)``, the callable a :class:`~check.Check` asks for the likely cause.

    Runs :func:`experiment` in ``lab`` (built lazily by ``make_lab``, since hypothesis raises many
    mismatches while it shrinks and only the last one is read); without a lab, only what the
    answer itself shows (a dtype) is said.
    """

    def __init__(self, make_lab=None):
        self._make_lab, self._lab = make_lab, None

    @property
    def lab(self):
        if self._lab is None and self._make_lab is not None:
            self._lab = self._make_lab()
        return self._lab

    def __call__(self, got, expected, path=()):
        got_array, expected_array = _numeric(got), _numeric(expected)
        if got_array is not None and expected_array is not None and got_array.shape == expected_array.shape \
                and got_array.dtype != expected_array.dtype:
            return dtype_relation(got_array.dtype, expected_array.dtype)
        return experiment(self.lab, got, expected, path) if self.lab is not None else None


def restored(answer, right):
    """A recorded prediction whole again: its parts written :data:`SAME` are ``right``'s."""
    if isinstance(answer, str) and answer == SAME:
        return right
    if isinstance(answer, (list, tuple)) and isinstance(right, (list, tuple)) and len(answer) == len(right):
        return type(answer)(restored(a, r) for a, r in zip(answer, right))
    return answer


class RecordedLab(Lab):
    """The public tests' lab: the probes, the reference's answers and the hypotheses' predictions recorded at
    build time (``table``, see the grader's ``tabulate``); the student's code runs in place, by
    ``run_student(args, kwargs)``."""

    def __init__(self, table, run_student, expected):
        self.table, self.run_student, self.expected = table, run_student, expected
        self.causes = [bug["cause"] for bug in table["bugs"]]
        self.trusted = sum(1 for bug in table["bugs"] if bug.get("trusted"))
        self.size = 1 + len(table["probes"])

    def label(self, i):
        return self.table["probes"][i - 1]["label"]

    def scale(self, i):
        return self.table["probes"][i - 1].get("scale")

    def reference(self, i):
        return self.table["reference"][i - 1]

    def prediction(self, k, i):
        return restored(self.table["bugs"][k]["predictions"][i], self.reference(i) if i else self.expected)

    def student(self, i):
        probe = self.table["probes"][i - 1]
        try:
            return True, self.run_student(probe["args"], probe["kwargs"])
        except Exception:  # noqa: BLE001 - a failure on a probe is an observation
            return False, None


def unchecked(rejects, error="ValueError"):
    """The cause where code that must refuse these arguments computes instead: no check rejects them (the graded
    and the public tests word it alike)."""
    return f"no check rejects {rejects}: test it before computing anything and raise {error}"


def none_gradient(name):
    """The cause where an autograd Function's backward gives None for an input that has a gradient."""
    return f"backward returns None as the gradient of {name}; return it whenever {name} is given (None only for " \
           "an input that is None)"


def dtype_relation(got, expected):
    """A float answer of the wrong width: something in the computation has the other dtype and promotes it."""
    if np.dtype(expected) == np.float32 and np.dtype(got) == np.float64:
        return ("float64 where the inputs are float32: something in the computation is float64 and promotes the "
                "result (a numpy round trip, np.zeros or torch.tensor without a dtype, a float64 constant); build "
                "new arrays and tensors with the input's dtype and device, e.g. x.new_zeros(...)")
    if np.dtype(expected) == np.float64 and np.dtype(got) == np.float32:
        return "float32 where float64 is expected: a dtype=float32 (or .float()) somewhere; keep the input's dtype"
    return None


def crash_relation(raised, message):
    """The likely cause of an error the student's code raised, where numpy's or torch's message pins it
    down: a matrix product of mismatched sizes, or a broadcast after a reduction that lost its axis."""
    if raised not in ("ValueError", "RuntimeError"):
        return None
    inner = (re.search(r"mismatch in its core dimension.*?\(size (\d+) is different from (\d+)\)", message)
             or re.search(r"not aligned: (\d+) \(dim \d+\) != (\d+)", message)
             or re.search(r"cannot be multiplied \(\d+x(\d+) and (\d+)x\d+\)", message))
    if inner:
        a, b = inner.groups()
        return (f"a matrix product whose inner sizes differ ({a} and {b}): one factor is transposed where it "
                "should not be (or not where it should), or it is the wrong array (e.g. another layer's weights); "
                "compare the shapes with the formula")
    shapes = re.search(r"could not be broadcast together with shapes \(([\d, ]*)\) \(([\d, ]*)\)", message)
    if shapes:
        a, b = (tuple(int(n) for n in group.replace(" ", "").split(",") if n) for group in shapes.groups())
        longer, shorter = (a, b) if len(a) > len(b) else (b, a)
        if len(longer) == len(shorter) + 1 and longer[:-1] == shorter and longer[-1] > 1:
            return (f"a sum, mean or max over the last axis dropped it: {shorter} does not broadcast against "
                    f"{longer}; keepdims=True keeps it as {(*shorter, 1)}")
    return None


def batch_sizes(inputs):
    """(m, d): rows and columns of the first 2-D (or larger) array input, or else of the first such array in a
    list input (``activations``, ``zs``): the factors a batch mean brings."""
    arrays = [v for v in inputs.values() if hasattr(v, "shape")]
    arrays += [item for v in inputs.values() if isinstance(v, (list, tuple)) for item in v if hasattr(item, "shape")]
    for value in arrays:
        if len(value.shape) >= 2:
            return int(value.shape[0]), int(value.shape[1])
    return None, None
