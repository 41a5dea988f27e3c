"""Name the likely cause of a wrong answer: relations between what the student's code returned
and what was expected that one common bug produces exactly (a sign, a factor 2 or m, a
transpose, a missing bias, the wrong axis, a boundary value, an overflow, a flipped kernel).

Conservative on purpose, because a wrong hint costs a student more than no hint: a relation
is claimed only when it holds within a tight tolerance on the shrunk example, when the
expected answer does not satisfy it trivially (all zeros, symmetric, unchanged by the
mutation), and when no second generic relation explains the same difference.

Standalone (numpy only): the engine passes ``reference`` calls in as plain callables.
"""

import re

import numpy as np

TIGHT_RTOL = 1e-6


def close(got, candidate):
    """Whether ``got`` equals ``candidate`` within the tight tolerance (same shape, all finite)."""
    try:
        got, candidate = np.asarray(got, dtype=np.float64), np.asarray(candidate, dtype=np.float64)
    except (TypeError, ValueError):
        return False
    if got.shape != candidate.shape or not (np.isfinite(got).all() and np.isfinite(candidate).all()):
        return False
    scale = float(np.abs(candidate).max(initial=0.0))
    return bool(np.allclose(got, candidate, rtol=TIGHT_RTOL, atol=1e-12 + 1e-9 * scale))


def _substantial(array):
    """Not (nearly) all zero: a relation on zeros proves nothing."""
    array = np.asarray(array, dtype=np.float64)
    return bool(np.isfinite(array).all() and np.abs(array).max(initial=0.0) > 1e-9)


def at(value, path):
    """The item of a nested answer that ``path`` (indices and keys) leads to, or None."""
    try:
        for step in path:
            value = value[step]
        return value
    except (IndexError, KeyError, TypeError):
        return None


# ---------------------------------------------------------------------------------------
# Generic relations: got vs expected (and the inputs), no reference calls
# ---------------------------------------------------------------------------------------


def shape_relation(got, expected):
    """Transposed, permuted, or one axis reduced away. An axis one longer or shorter is no evidence by itself:
    a wrong + 1, a ⌈·⌉, a stride, a crop or a broadcast without keepdims all do that; tests name those causes
    with candidates, which know the formula."""
    gs, es = got.shape, expected.shape
    if len(gs) == len(es) == 2 and gs == es[::-1] and gs != es:
        return (f"the result is transposed: shape {gs} instead of {es}; check the order of a matrix product "
                "(h W, not W h) or a stray .T")
    if len(gs) == len(es) > 2 and sorted(gs) == sorted(es) and gs != es:
        differ = [i for i in range(len(gs)) if gs[i] != es[i]]
        if len(differ) == 2 and gs[differ[0]] == es[differ[1]]:
            return (f"axes {differ[0]} and {differ[1]} are swapped: shape {gs} instead of {es} (a transpose, "
                    "or a reshape where a transpose was meant)")
        return f"the axes are in the wrong order: shape {gs} instead of {es} (a transpose or a reshape)"
    if len(gs) + 1 == len(es):
        for axis in range(len(es)):
            if es[:axis] + es[axis + 1:] == gs:
                return (f"axis {axis} (of length {es[axis]}) is missing: summed or averaged away, or indexed "
                        "where the whole axis was meant")
    return None


def empty_relation(got, expected, inputs):
    """Axes of length 0 where the answer has some, and one integer input that is 0: a slice ``a[p:-p]``
    with p = 0 is ``a[0:0]``, empty."""
    empty = [i for i, (g, e) in enumerate(zip(got.shape, expected.shape)) if g == 0 < e]
    zeros = [name for name, value in (inputs or {}).items() if isinstance(value, (int, np.integer)) and
             not isinstance(value, (bool, np.bool_)) and value == 0]
    if got.ndim != expected.ndim or not empty or len(zeros) != 1:
        return None
    which = f"axis {empty[0]} is" if len(empty) == 1 else f"axes {', '.join(map(str, empty))} are"
    p = zeros[0]
    return (f"{which} empty, and {p} = 0: a slice a[{p}:−{p}] is a[0:0] when {p} = 0, which is empty; end the "
            f"slice at the axis' length minus {p} (a[{p}:H + {p}])")


def nonfinite_relation(got, expected, inputs):
    """NaN or inf where the answer is finite: an exponential overflowing, or a log of 0."""
    arrays = [np.asarray(v, dtype=np.float64) for v in _arrays(inputs).values()]
    largest = max((float(np.abs(a[np.isfinite(a)]).max(initial=0.0)) for a in arrays), default=0.0)
    if largest > 709.0:
        return (f"an overflow: the inputs reach |z| = {largest:g}, and e^z overflows to inf past z ≈ 709 "
                "(inf/inf or inf − inf then gives NaN); use a form that only exponentiates non-positive "
                "numbers (shift by the max, or split on the sign of z)")
    if any((a == 0).any() for a in arrays):
        return ("a log of 0 or a division by 0 (the inputs contain exact zeros): terms with a zero weight "
                "must count as 0, e.g. 0 · log 0 = 0")
    return None


def _arrays(inputs):
    """The float array inputs by name, the items of list inputs as ``name[i]`` (e.g. ``biases[0]``)."""
    found = {}
    for name, value in (inputs or {}).items():
        items = enumerate(value) if isinstance(value, (list, tuple)) else [(None, value)]
        for i, item in items:
            if isinstance(item, np.ndarray) and item.dtype.kind == "f" and item.size:
                found[name if i is None else f"{name}[{i}]"] = item
    return found


def factors(m=None, d=None):
    """The constant factors a common bug introduces, with what each one means. When the batch size m
    or the row width d is itself 2 (or m = d), two causes give the same factor; both are listed."""
    named = [(-1.0, "the sign is flipped: the result is −1 times the expected one"),
             (2.0, "a factor 2 too large: a missing ½ (e.g. the ½ of 1/(2m)), or a term counted twice"),
             (0.5, "a factor 2 too small: an extra ½, or a term that should count twice")]
    if m and m > 1:
        named += [(float(m), f"m = {m} times too large: the 1/m of the mean over the m rows of the batch is "
                             "missing"),
                  (1.0 / m, f"m = {m} times too small: divided by m (the batch size) once too often")]
    if d and d > 1:
        named += [(1.0 / d, f"{d} times too small ({d} = the number of columns): averaged over every entry "
                            "instead of summing over the units of a row and averaging over the rows")]
    return named


def value_relations(got, expected, inputs, m=None, d=None):
    """Every generic relation that explains ``got`` on this example, as messages."""
    found = []
    if not _substantial(expected):
        return found
    # whole numbers, or one value repeated: a factor fits them by coincidence too often
    weak = np.array_equal(expected, np.round(expected)) or np.ptp(expected) == 0
    matching = [message for factor, message in factors(m, d) if not weak and close(got, factor * expected)]
    if matching:  # m or d equal to 2 gives one factor two causes: name both, as alternatives
        found.append(matching[0] if len(matching) == 1 else "either " + ", or ".join(matching))
    if got.ndim == 2 and got.shape[0] == got.shape[1] > 1 and not close(expected, expected.T) and \
            close(got, expected.T):
        found.append("the result is the transpose of the expected one")
    found += _additive(got, expected, inputs)
    found += _normalised_axis(got, expected)
    found += _where_wrong(got, expected, inputs)
    return found


def _additive(got, expected, inputs):
    found, difference = [], got - expected
    if not _substantial(got):  # 0 = expected − (an input equal to the expected answer): a coincidence
        return found
    for name, value in _arrays(inputs).items():
        if not _substantial(value) or value.ndim > got.ndim:
            continue
        if value.ndim == 1 and got.ndim == 4 and value.shape[0] == got.shape[1] != got.shape[-1]:
            value = value.reshape(1, -1, 1, 1)  # one value per channel (NCHW), as a conv layer's bias
        try:
            term = np.broadcast_to(value, got.shape)
        except ValueError:
            continue
        if close(difference, -term):
            found.append(f"{name} is missing: the result is the expected one minus {name} (a term such as the "
                         "bias that is never added)")
        elif close(difference, term):
            found.append(f"{name} is added twice: the result is the expected one plus {name}")
    return found


def _normalised_axis(got, expected):
    """Rows should sum to 1 (softmax, probabilities), but another axis does."""
    if got.ndim < 2 or not (got >= 0).all():
        return []
    sums_to_one = [axis for axis in range(got.ndim) if close(got.sum(axis=axis), np.ones_like(got.sum(axis=axis)))]
    wanted = [axis for axis in range(expected.ndim)
              if close(expected.sum(axis=axis), np.ones_like(expected.sum(axis=axis)))]
    if sums_to_one and wanted and not set(sums_to_one) & set(wanted):
        return [f"normalised over axis {sums_to_one[0]} instead of axis {wanted[0]}: with rows as examples, "
                f"each row is one distribution (axis={wanted[0] - expected.ndim}, the last axis), not the batch"]
    return []


def _where_wrong(got, expected, inputs):
    """Wrong only where one input is exactly 0, or only on one side of 0: a boundary or a branch."""
    same = [(n, v) for n, v in _arrays(inputs).items() if v.shape == got.shape]
    if len(same) != 1:
        return []
    name, value = same[0]
    scale = np.abs(expected) + 1.0
    wrong = np.abs(got - expected) > 1e-9 * scale
    if not wrong.any():
        return []
    # the entries that came out right must have tested the rest: values of some size, not 1e-300 next to 0
    telling = ~wrong & (np.abs(value) >= 1e-3)
    for region, message in ((value == 0, f"wrong only where {name} is exactly 0: the boundary case; check > "
                                          f"against >= (e.g. relu′(0) = 0 by definition)"),
                            (value < 0, f"wrong only where {name} < 0: the branch for negative {name}"),
                            (value > 0, f"wrong only where {name} > 0: the branch for positive {name}")):
        if (wrong <= region).all() and (telling & ~region).any():
            return [message]
    return []


# ---------------------------------------------------------------------------------------
# The diagnoser a check calls: candidates first, then the generic relations
# ---------------------------------------------------------------------------------------


class Diagnoser:
    """``diagnoser(got, expected, path)`` names the likely cause of a difference, or returns None.

    ``candidates`` are ``(answer or callable returning it, message)``: what a known bug returns
    on these inputs (e.g. the reference run with a flipped kernel). They are tried first, and
    claimed only where they differ from the expected answer. ``guesses`` are candidates made up
    without knowing the function (:func:`modified_arguments`): they are held to the generic
    rules, since on a tiny example (one number, zeros) a guess fits by coincidence.
    """

    def __init__(self, inputs=None, candidates=(), m=None, d=None, guesses=()):
        self.inputs, self.m, self.d = inputs or {}, m, d
        self.candidates = list(candidates) + list(guesses)
        self.trusted = len(candidates)  # a test's own known bugs; the guesses follow the generic rules
        self._computed = {}

    @staticmethod
    def _telling(got, expected):
        """Whether a generic guess can be told from coincidence here: several numbers, not all zero, that
        differ from the expected ones in more than one place."""
        if got.shape != expected.shape or got.size < 2 or not _substantial(got):
            return False
        try:
            return int((np.abs(got.astype(np.float64) - expected) > 1e-9 * (np.abs(expected) + 1)).sum()) >= 2
        except (TypeError, ValueError):
            return False

    def candidate(self, i):
        if i not in self._computed:
            value = self.candidates[i][0]
            try:
                self._computed[i] = value() if callable(value) else value
            except Exception:  # noqa: BLE001 - a candidate that cannot be computed here explains nothing
                self._computed[i] = None
        return self._computed[i]

    def __call__(self, got, expected, path=()):
        got, expected = np.asarray(got), np.asarray(expected)
        # a test's own known bugs first: where one explains the answer, a guess adds nothing but words
        for candidates in (range(self.trusted), range(self.trusted, len(self.candidates))):
            explained = self._explained(candidates, got, expected, path)
            if explained:  # two known bugs that agree on this example: name both, as alternatives
                return explained[0] if len(explained) == 1 else "either " + ", or ".join(explained)
        if got.shape != expected.shape:
            return shape_relation(got, expected) or empty_relation(got, expected, self.inputs)
        if got.dtype != expected.dtype:
            return dtype_relation(got.dtype, expected.dtype)
        if got.dtype.kind not in "fc" or expected.dtype.kind not in "fc":
            return None
        if not np.isfinite(got).all() and np.isfinite(expected).all():
            return nonfinite_relation(got, expected, self.inputs)
        if expected.size < 2:
            return None  # one number: a factor, a sign or an input fits it by coincidence too often
        found = value_relations(got.astype(np.float64), expected.astype(np.float64), self.inputs, self.m, self.d)
        return found[0] if len(found) == 1 else None

    def _explained(self, candidates, got, expected, path):
        """The messages of ``candidates`` (indices) whose answer is ``got`` and not the expected one."""
        explained = []
        if got.shape == expected.shape and not _substantial(got):
            return explained  # zeros: what many bugs return, so they single out none
        for i in candidates:
            if i >= self.trusted and not self._telling(got, expected):
                break
            value = at(self.candidate(i), path)
            message = self.candidates[i][1]
            if value is not None and not close(value, expected) and close(got, value) and message not in explained:
                explained.append(message)
        return explained


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


def modified_arguments(function, args, kwargs, names):
    """Candidates for "the right formula applied to a modified argument": a matrix used transposed,
    a kernel flipped, an argument negated or halved/doubled. ``function`` is the reference. Of several
    4-D arguments only the last is taken for a kernel: in every conv signature the data come first."""
    found = []
    arrays = [i for i, a in enumerate(args) if isinstance(a, np.ndarray) and a.dtype.kind == "f"]

    def call_with(i, value):
        changed = list(args)
        changed[i] = value
        return lambda: function(*changed, **kwargs)

    kernels = [i for i in arrays if args[i].ndim == 4]
    for i in arrays:
        a, name = args[i], names[i] if i < len(names) else f"argument {i}"
        if a.ndim == 2 and a.shape[0] == a.shape[1] > 1 and not np.array_equal(a, a.T):
            found.append((call_with(i, a.T.copy()), f"{name} is used transposed ({name}.T): check which axis of "
                                                    f"{name} is which (W is (d_in, d_out) in z = h W + b)"))
        if kernels and i == kernels[-1] and a.shape[-1] * a.shape[-2] > 1:  # the kernel follows the data
            found.append((call_with(i, a[..., ::-1, ::-1].copy()),
                          f"the kernel {name} is flipped (that is a convolution in the maths sense); the layer is a "
                          "cross-correlation, as torch computes it: w[k, c, u, v] multiplies x[.., i·S + u, j·S + v]"))
    if len(arrays) == 1 and len(args) == 1:
        name = names[0] if names else "the argument"
        for scale, how in ((-1.0, f"−{name}"), (0.5, f"{name}/2"), (2.0, f"2·{name}")):
            found.append((call_with(0, args[0] * scale), f"the result is the right function of {how} instead of "
                                                         f"{name}: a sign or a factor 2 inside the formula is off"))
    return found
