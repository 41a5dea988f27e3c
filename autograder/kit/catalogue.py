"""The diagnosis library's general catalogue: bugs that no one listed, as the reference with one change,
and the probes that tell them apart.

Each entry is written once here and applies to any graded function whose reference it can
transform, from the kinds of mistakes students make in numpy and PyTorch in general: an
argument transposed, flipped, negated, left out or swapped with another; a result scaled by
the batch size, a count, 2 or −1, or transposed, or reduced over an axis; a row-wise formula
applied down the columns. An assignment's own known bugs (``causes.py``) come first; these are
held to the same experiment (:func:`autograder.diagnosis.experiment`).

Probes are derived from the counterexample so that the student's code is asked about inputs of
the same kind: the rows one at a time, one argument negated, the columns rotated, the large
inputs scaled down (:data:`autograder.diagnosis.LADDER`).
"""

import numpy as np

from autograder.diagnosis import LADDER, Bug, batch_sizes


def _floats(value):
    return isinstance(value, np.ndarray) and value.dtype.kind == "f" and value.size > 0


def _scaled(answer, factor):
    """``answer`` times ``factor`` where it is one float array or number; None for a structured answer (a bug
    that scales every item of a tuple at once is not one students make)."""
    if isinstance(answer, (np.ndarray, float, np.floating)) and np.asarray(answer).dtype.kind == "f":
        return answer * factor
    return None


class Probe:
    """Another input for the student's function: ``make(args, kwargs)`` → ``(args, kwargs)`` or None where it
    does not apply; ``label`` reads after "with" ("only the first row of h"); ``scale``: the size a scaled probe
    brings the large inputs to."""

    def __init__(self, label, make, scale=None):
        self.label, self.make, self.scale = label, make, scale


def _replace(args, kwargs, changes):
    args, kwargs = list(args), dict(kwargs)
    for key, value in changes.items():
        if isinstance(key, int):
            args[key] = value
        else:
            kwargs[key] = value
    return args, kwargs


def _positions(args, kwargs, names):
    """``[(key, name, value)]`` for every argument: key is its position or keyword."""
    return [(i, names[i] if i < len(names) else f"argument {i}", a) for i, a in enumerate(args)] + \
        [(k, k, v) for k, v in kwargs.items()]


def probes(args, kwargs, names):
    """The generic probes for a call with these arguments, most telling first."""
    found = []
    entries = _positions(args, kwargs, names)
    arrays = [(key, name, value) for key, name, value in entries if _floats(value)]
    m, _ = batch_sizes({name: value for _, name, value in entries})
    batched = [(key, name) for key, name, value in arrays if value.ndim >= 2 and value.shape[0] == m]
    if m and m > 1 and batched:
        which = ", ".join(name for _, name in batched)
        for rows, text in ((1, f"only the first row of {which}"), (2, f"only the first two rows of {which}")):
            if rows < m:
                found.append(Probe(text, lambda a, k, rows=rows, batched=batched: _replace(
                    a, k, {key: _get(a, k, key)[:rows].copy() for key, _ in batched})))
    for key, name, value in arrays:
        if np.any(value != 0):
            found.append(Probe(f"{name} negated", lambda a, k, key=key: _replace(a, k, {key: -_get(a, k, key)})))
    wide = [(key, name) for key, name, value in arrays if value.ndim >= 1 and value.shape[-1] > 1]
    if wide:
        which = ", ".join(name for _, name in wide)
        found.append(Probe(f"the last axis of {which} rotated by one", lambda a, k: _replace(
            a, k, {key: np.roll(_get(a, k, key), 1, axis=-1) for key, _ in wide})))
    varied = [(key, name) for key, name, value in entries if _floats(value) or _float_list(value)]
    if varied:
        which = ", ".join(name for _, name in varied)
        for seed in (1, 2):
            found.append(Probe(f"other values in {which}" + (" (a second set)" if seed == 2 else ""),
                               lambda a, k, seed=seed: _replace(a, k, {key: _vary(_get(a, k, key), seed)
                                                                       for key, _ in varied})))
    if len(arrays) == 1 and arrays[0][2].ndim == 2:  # a batch whose two axes differ in length, the other way
        key, name, _ = arrays[0]
        found.append(Probe(f"one more column in {name}", lambda a, k: _replace(a, k, {key: np.hstack(
            [_get(a, k, key), _vary(_get(a, k, key)[:, :1] * 0, 3)])})))
    large = [(key, name, float(np.abs(value[np.isfinite(value)]).max(initial=0.0))) for key, name, value in arrays]
    large = [(key, name, size) for key, name, size in large if size > LADDER[0]]
    for target in LADDER:
        chosen = [(key, size) for key, _, size in large if size > target]
        if chosen:
            found.append(Probe(f"the large inputs scaled to |x| = {target:g}", lambda a, k, chosen=chosen, t=target:
                               _replace(a, k, {key: _shrunk(_get(a, k, key), t) for key, _ in chosen}), scale=target))
    return found


def _float_list(value):
    return isinstance(value, (list, tuple)) and bool(value) and all(_floats(v) for v in value)


def _vary(value, seed):
    """``value`` (an array or a list of them) plus a fixed pattern of its own size: where the counterexample is
    all zeros or one repeated number, many bugs give the same answer, and other values tell them apart."""
    if isinstance(value, (list, tuple)):
        return type(value)(_vary(v, seed + 10 * i) for i, v in enumerate(value))
    pattern = np.random.default_rng([seed, *value.shape]).uniform(-1.0, 1.0, value.shape)
    size = float(np.abs(value[np.isfinite(value)]).max(initial=0.0))
    return np.where(np.isfinite(value), value + pattern * max(1.0, size) / 2, value)


def _get(args, kwargs, key):
    return args[key] if isinstance(key, int) else kwargs[key]


def _shrunk(value, target):
    """``value`` scaled so that its largest finite magnitude is ``target`` (the rest clipped to ±target)."""
    finite = np.isfinite(value)
    size = float(np.abs(value[finite]).max(initial=0.0))
    return np.clip(np.where(finite, value * (target / size), np.sign(value) * target), -target, target)


def bugs(function, args, kwargs, names):
    """The generic bugs that could explain a wrong answer of ``function`` (the reference) on these arguments."""
    entries = _positions(args, kwargs, names)
    arrays = [(key, name, value) for key, name, value in entries if _floats(value)]
    found = _result_bugs(function, entries)
    for key, name, value in arrays:
        found += _argument_bugs(function, key, name, value, arrays)
    if len(arrays) == 1 and len(entries) == 1 and arrays[0][2].ndim == 2:
        found.append(Bug("computed over the whole array at once: one reduction over every entry of the batch instead "
                         "of one per row (reduce with axis=-1, keepdims=True)",
                         lambda ref, x: np.asarray(function(x.reshape(1, -1))).reshape(x.shape)))
        found.append(Bug("computed along the wrong axis: each column is treated as one example (axis 0) instead of "
                         "each row (the last axis); with rows as examples, reduce with axis=-1 (and keepdims=True)",
                         lambda ref, x: np.asarray(function(x.T)).T))
    return found


def _call(function, changes):
    """A prediction: the reference called with some arguments changed (``changes(args, kwargs)``)."""
    def predict(ref, *args, **kwargs):
        changed = changes(args, kwargs)
        return None if changed is None else function(*changed[0], **changed[1])
    return predict


def _argument_bugs(function, key, name, value, arrays):
    found = [Bug(f"the right formula applied to −{name}: a sign inside the formula is flipped",
                 _call(function, lambda a, k: _replace(a, k, {key: -_get(a, k, key)})))]
    if value.ndim == 2 and value.shape[0] == value.shape[1] > 1:
        found.append(Bug(f"{name} enters the formula transposed (a .T too many, or one missing): check which axis of "
                         f"{name} is which",
                         _call(function, lambda a, k: _square(a, k, key))))
    kernels = [k for k, _, v in arrays if v.ndim == 4]
    if kernels and key == kernels[-1]:
        found.append(Bug(f"the kernel {name} is flipped (a convolution in the maths sense); the layer is a "
                         "cross-correlation, as torch computes it: w[k, c, u, v] multiplies x[.., i·S + u, j·S + v]",
                         _call(function, lambda a, k: _replace(a, k, {key: _get(a, k, key)[..., ::-1, ::-1].copy()}))))
    if value.ndim == 1:
        found.append(Bug(f"{name} is never used: the result is what {name} = 0 gives (a term such as the bias is "
                         "never added)", _call(function, lambda a, k: _replace(a, k, {key: 0 * _get(a, k, key)}))))
    for other, other_name, other_value in arrays:
        if other != key and other_value.shape == value.shape and str(other) > str(key):
            found.append(Bug(f"{name} and {other_name} are swapped: the formula uses each where the other belongs",
                             _call(function, lambda a, k, other=other: _replace(
                                 a, k, {key: _get(a, k, other), other: _get(a, k, key)}))))
    if len(arrays) == 1:
        for factor, how in ((0.5, f"{name}/2"), (2.0, f"2·{name}")):
            found.append(Bug(f"the right formula applied to {how} instead of {name}: a factor 2 inside the formula "
                             "is off", _call(function, lambda a, k, f=factor: _replace(a, k, {key: f * _get(a, k, key)}))))
    return found


def _square(args, kwargs, key):
    value = _get(args, kwargs, key)
    if value.ndim != 2 or value.shape[0] != value.shape[1]:
        return None
    return _replace(args, kwargs, {key: value.T.copy()})


def _result_bugs(function, entries):
    def times(factor_of):
        def predict(ref, *args, **kwargs):
            factor = factor_of(args, kwargs)
            return None if factor is None else _scaled(function(*args, **kwargs), factor)
        return predict

    def sizes(args, kwargs):
        return batch_sizes({name: value for _, name, value in _positions(args, kwargs, [])})

    def rows(args, kwargs):
        m, _ = sizes(args, kwargs)
        return float(m) if m else None

    def columns(args, kwargs):
        _, d = sizes(args, kwargs)
        return 1.0 / d if d else None

    found = [Bug("the sign is flipped: the result is −1 times the right one", times(lambda a, k: -1.0)),
             Bug("a factor 2 too large: a missing ½, or a term counted twice", times(lambda a, k: 2.0)),
             Bug("a factor 2 too small: an extra ½, or a term that should count twice", times(lambda a, k: 0.5))]
    if batch_sizes({name: value for _, name, value in entries})[0]:
        found += [Bug("m times too large (m = the batch size, the rows): the 1/m of the mean over the batch is "
                      "missing", times(rows)),
                  Bug("m times too small (m = the batch size, the rows): divided by m once too often",
                      times(lambda a, k: 1.0 / rows(a, k) if rows(a, k) else None)),
                  Bug("d times too small (d = the number of columns): averaged over every entry (np.mean) instead of "
                      "summing over a row's units and averaging over the rows", times(columns))]
    found.append(Bug("the result is transposed: check the order of a matrix product (h W, not W h) or a stray .T",
                     lambda ref, *a, **k: _transposed(function(*a, **k))))
    for axis in range(4):
        found.append(Bug(f"axis {axis} is summed away: a sum over an axis that the answer keeps (keepdims=True, or "
                         "the wrong axis)", lambda ref, *a, axis=axis, **k: _reduced(function(*a, **k), axis)))
    return found


def _transposed(answer):
    return answer.T.copy() if isinstance(answer, np.ndarray) and answer.ndim == 2 else None


def _reduced(answer, axis):
    return answer.sum(axis=axis) if isinstance(answer, np.ndarray) and answer.ndim > max(axis, 1) else None
