"""Recorded values that are the same on every CPU.

numpy's and torch's kernels (SIMD exp and tanh, BLAS summation order, even libm through the
random generators) may differ by an ulp or so between processors, and a last-digit change in a
checked-in ``cases.json`` makes the build look stale on every other machine. So recorded floats
are rounded to :data:`DIGITS` significant digits: an ulp of float64 (about 2e-16 relative) moves
a value across a rounding boundary about once in 10^6 values, and the rounding error
(5e-11 relative) stays far below the public tests' tolerances (float64: 1e-6 relative,
float32: 1e-4). float32 answers are computed in float64 and rounded before they are cast to
float32 (a correctly rounded, machine-independent step), since float32 kernels differ by far
more than an ulp. Inputs (drawn by seeded generators, which go through libm too) are rounded
first, in binary (:func:`round_bits`), and the answers computed from the rounded inputs.
"""

import numpy as np

DIGITS = 10
#: significant bits of recorded inputs (about 9 decimal digits)
INPUT_BITS = 30


def _is_tensor(value):
    return type(value).__module__.startswith("torch") and hasattr(value, "detach")


def round_floats(values):
    """Float64 array → the same values to :data:`DIGITS` significant digits (non-finite kept). Python's
    float formatting rounds correctly in software, so the result does not depend on the machine.
    Subnormal values become zero: vector kernels may flush them (far inside every tolerance)."""
    values = np.asarray(values, dtype=np.float64)
    tiny = np.finfo(np.float64).tiny
    flat = [float(f"{v:.{DIGITS}g}") if abs(v) >= tiny else v * 0.0 for v in values.ravel().tolist()]
    return np.array(flat, dtype=np.float64).reshape(values.shape)


def round_bits(values, bits=INPUT_BITS):
    """Float64 array → the same values with ``bits`` significant bits (exact binary steps). Inputs are
    rounded this way, not in decimal: sums and means of decimal-rounded inputs land exactly on the
    ties of the answers' decimal rounding, where an ulp decides which way they go."""
    values = np.asarray(values, dtype=np.float64)
    mantissa, exponent = np.frexp(values)
    return np.where(np.isfinite(values), np.ldexp(np.rint(np.ldexp(mantissa, bits)), exponent - bits), values)


def _round_array(array, rounder, dtype=None):
    dtype = np.dtype(dtype or array.dtype)
    if dtype.kind != "f":
        return array.astype(dtype, copy=False)
    return rounder(array.astype(np.float64)).astype(dtype)


def _rounded(value, rounder, like, keep=None):
    """``value`` (nested lists, tuples, dicts of arrays, tensors and numbers) with ``rounder`` applied to
    every float, each taking ``like``'s dtype after rounding (``like`` has the same structure); a Python
    float for which ``keep(value)`` holds stays as it is."""
    if _is_tensor(value):
        import torch

        array = _round_array(value.detach().cpu().double().numpy(), rounder, _torch_to_numpy_dtype(like.dtype))
        tensor = torch.from_numpy(array)
        return tensor.requires_grad_(like.requires_grad) if tensor.is_floating_point() else tensor
    if isinstance(value, np.ndarray):
        return _round_array(value, rounder, like.dtype)
    if isinstance(value, np.generic):
        return _round_array(np.asarray(value), rounder, like.dtype)[()]
    if isinstance(value, float):
        return value if keep and keep(value) else float(rounder(value)[()])
    if isinstance(value, (list, tuple)):
        items = [_rounded(v, rounder, l, keep) for v, l in zip(value, like)]
        return items if isinstance(value, list) else tuple(items)
    if isinstance(value, dict):
        return {k: _rounded(v, rounder, like[k], keep) for k, v in value.items()}
    return value


def portable(answer, like=None):
    """A recorded answer: floats to :data:`DIGITS` decimal digits; with ``like`` (the same answer computed
    natively), each float takes ``like``'s dtype after rounding, so a float64 computation stands in for a
    float32 one."""
    return _rounded(answer, round_floats, answer if like is None else like)


def as_written(value):
    """Whether a float is one a case was written with (``0.1``, ``1e-5``, ``0.6``): :data:`DIGITS` significant
    digits or fewer. Such a value came from the case's text, not from a machine's kernels, so it is the same
    everywhere and its JSON (Python's shortest repr) is too."""
    return float(f"{value:.{DIGITS}g}") == value


def portable_inputs(inputs):
    """Recorded inputs: floats to :data:`INPUT_BITS` significant bits (see :func:`round_bits`), except a Python
    float written in the case (a hyperparameter such as ``lr=0.1``), recorded and shown as written: rounded
    to 30 bits it would read ``0.09999999997671694``."""
    return _rounded(inputs, round_bits, inputs, keep=as_written)


def widened(value):
    """``value`` with every floating array and tensor as float64 (the precision recorded answers use)."""
    if _is_tensor(value):
        return value.detach().double().requires_grad_(value.requires_grad) if value.is_floating_point() else value
    if isinstance(value, np.ndarray) and value.dtype.kind == "f":
        return value.astype(np.float64)
    if isinstance(value, (list, tuple)):
        items = [widened(v) for v in value]
        return items if isinstance(value, list) else tuple(items)
    if isinstance(value, dict):
        return {k: widened(v) for k, v in value.items()}
    return value


def _torch_to_numpy_dtype(dtype):
    import torch

    return torch.empty((), dtype=dtype).numpy().dtype
