"""Hypothesis strategies for neural-network homework: arrays, batches, probabilities, networks.

Small composable pieces in the style of ``hypothesis.extra.numpy``: every strategy yields
float64 numpy arrays (or lists of them) shaped by the course's conventions, and shrinks
towards small shapes and simple values so a failing example reads well as feedback.
"""

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

#: Values where naive formulas break: overflow of e^x past 709.78, underflow, signed zero.
EXTREMES = (0.0, -0.0, 1e-300, -1e-300, 20.0, -20.0, 40.0, -40.0, 709.0, -709.0, 711.0, -711.0, 1000.0,
            -1000.0, 1e4, -1e4, 1e300, -1e300)


def floats(low=-10.0, high=10.0):
    """Finite float64 values in [low, high] (no NaN, no inf, no subnormals)."""
    return st.floats(low, high, allow_nan=False, allow_infinity=False, allow_subnormal=False)


def extreme_floats():
    """Mostly the :data:`EXTREMES`, sometimes any finite float64."""
    return st.one_of(st.sampled_from(EXTREMES),
                     st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False, allow_subnormal=False))


def arrays(shape, elements=None):
    """A float64 array of ``shape`` (a tuple or a strategy of tuples)."""
    return hnp.arrays(np.float64, shape, elements=elements if elements is not None else floats())


def shapes(min_dims=1, max_dims=3, max_side=6):
    return hnp.array_shapes(min_dims=min_dims, max_dims=max_dims, min_side=1, max_side=max_side)


def any_arrays(elements=None, min_dims=1, max_dims=3, max_side=6):
    """Arrays of any small shape (1 to 3 axes by default)."""
    return arrays(shapes(min_dims, max_dims, max_side), elements)


def dims(max_rows=16, max_width=8):
    """``(m, d)``: a batch size and a width."""
    return st.tuples(st.integers(1, max_rows), st.integers(1, max_width))


def matrices(max_rows=16, max_width=8, elements=None):
    """A ``(m, d)`` batch, one example per row."""
    return dims(max_rows, max_width).flatmap(lambda md: arrays(md, elements))


@st.composite
def probabilities(draw, shape, margin=1e-6):
    """Values strictly inside (0, 1), away from the ends by ``margin``."""
    return draw(arrays(shape, st.floats(margin, 1 - margin)))


@st.composite
def one_hot(draw, m, d):
    """``(m, d)`` one-hot rows."""
    labels = draw(hnp.arrays(np.int64, (m,), elements=st.integers(0, d - 1)))
    return np.eye(d)[labels]


@st.composite
def probability_rows(draw, m, d, spread=8.0):
    """``(m, d)`` rows that are positive and sum to one (a softmax of moderate logits)."""
    logits = draw(arrays((m, d), floats(-spread, spread)))
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


@st.composite
def layer_sizes(draw, min_depth=1, max_depth=4, max_width=8):
    """``[d_0, d_1, ..., d_L]`` for a network of depth L; widths are rarely all equal."""
    depth = draw(st.integers(min_depth, max_depth))
    return draw(st.lists(st.integers(1, max_width), min_size=depth + 1, max_size=depth + 1))


@st.composite
def networks(draw, min_depth=1, max_depth=4, max_width=8, max_batch=16, scale=1.0):
    """A dict with a batch ``x`` and ``weights``/``biases`` lists: W_l is (d_{l-1}, d_l), b_l is (d_l,)."""
    sizes = draw(layer_sizes(min_depth, max_depth, max_width))
    m = draw(st.integers(1, max_batch))
    values = floats(-scale, scale)
    return {
        "x": draw(arrays((m, sizes[0]), floats(-2.0, 2.0))),
        "weights": [draw(arrays((a, b), values)) for a, b in zip(sizes, sizes[1:])],
        "biases": [draw(arrays((b,), values)) for b in sizes[1:]],
    }


def dense_arrays(shape, low=-2.0, high=2.0):
    """Float64 arrays of ``shape`` with values in [low, high], either drawn by hypothesis (which for a
    large shape repeats one fill value almost everywhere: zeros, ties, special values) or, as often,
    filled by a generator that hypothesis seeds (every entry different, and cheap for large shapes).
    Shrinking prefers the first kind, so a counterexample is as simple as the bug allows."""
    shape = tuple(shape)
    return st.one_of(arrays(shape, floats(low, high)),
                     st.integers(0, 2 ** 32 - 1).map(lambda seed: np.random.default_rng(seed).uniform(low, high, shape)))
