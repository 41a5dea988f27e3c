"""Graded properties of assignment 3, part 1 (cnn.py, numpy). Each test's first docstring line is its title.

Every property draws the layer's hyperparameters with hypothesis — batch N, channels C, filters K,
input H × W, filter FH × FW, stride and padding — including the awkward corners: padding 0, stride
larger than the filter, non-square inputs and filters, and filters as large as the padded input.
Answers are compared with the reference and with torch.nn.functional in float64 (torch autograd
for the backward passes). Values are drawn from [−2, 2]: a conv output is a sum of at most
C·FH·FW ≤ 3·13·13 products, so the float64 rounding of any summation order stays below 1e−10,
well inside the default tolerance (|got − expected| ≤ 1e−9 + 1e−6·|expected|).
"""

import numpy as np
import torch
import torch.nn.functional as F
from hypothesis import given
from hypothesis import strategies as st

from autograder.check import Check
from autograder.kit import strategies as nst
from autograder.kit.judge import judge, judge_raises

SHAPE = "H_out = ⌊(H − F + 2P) / S⌋ + 1,  W_out = ⌊(W − F + 2P) / S⌋ + 1"
CONV = "out[n, k, i, j] = b[k] + Σ_{c,u,v} x_pad[n, c, i·S + u, j·S + v] · w[k, c, u, v]  (no flipping)"
CONV_BACK = ("db[k] = Σ_{n,i,j} dout[n,k,i,j];  dw[k] = Σ_{n,i,j} dout[n,k,i,j] · window(n,i,j);  "
             "dx_pad[window(n,i,j)] += dout[n,k,i,j] · w[k]  (then crop the padding)")
MAX_POOL = "out[n, c, i, j] = max of x[n, c, i·S : i·S + size, j·S : j·S + size]"
MAX_POOL_BACK = ("each window's dout goes to its maximum (the first one in row-major order on a tie); "
                 "overlapping windows add up (+=)")
AVG_POOL = "out[n, c, i, j] = mean of the size × size window;  backward: each input gets dout / size² per window"


def t(a):
    return torch.from_numpy(np.array(a, dtype=np.float64))


# ---------------------------------------------------------------------------------------
# strategies: a conv layer's geometry and inputs
# ---------------------------------------------------------------------------------------


def filter_sizes(padded):
    """1 … 5, or exactly the padded input's size (the filter covers it all: a 1-wide output)."""
    return st.one_of(st.integers(1, min(5, padded)), st.just(padded))


@st.composite
def conv_layers(draw, with_dout=False):
    N, C, K = draw(st.integers(1, 3), label="N"), draw(st.integers(1, 3), label="C"), draw(st.integers(1, 4), label="K")
    H, W = draw(st.integers(1, 9), label="H"), draw(st.integers(1, 9), label="W")
    pad = draw(st.integers(0, 2), label="pad")
    FH, FW = draw(filter_sizes(H + 2 * pad), label="FH"), draw(filter_sizes(W + 2 * pad), label="FW")
    stride = draw(st.integers(1, 4), label="stride")
    layer = {
        "x": draw(nst.dense_arrays((N, C, H, W)), label="x"),
        "w": draw(nst.dense_arrays((K, C, FH, FW)), label="w"),
        "b": draw(nst.dense_arrays((K,)), label="b"),
        "stride": stride,
        "pad": pad,
    }
    if with_dout:
        H_out, W_out = (H + 2 * pad - FH) // stride + 1, (W + 2 * pad - FW) // stride + 1
        layer["dout"] = draw(nst.dense_arrays((N, K, H_out, W_out)), label="dout")
    return layer


def integer_arrays(shape, values=(0.0, 1.0, 2.0)):
    """Values from a tiny set, so that window maxima tie: sparse from hypothesis, or dense from a seed."""
    return st.one_of(nst.arrays(shape, st.sampled_from(values)),
                     st.integers(0, 2 ** 32 - 1).map(lambda seed: np.random.default_rng(seed).choice(values, shape)))


@st.composite
def pool_layers(draw, ties=False, with_dout=False, overlapping=False):
    N, C = draw(st.integers(1, 3), label="N"), draw(st.integers(1, 3), label="C")
    H, W = draw(st.integers(1, 9), label="H"), draw(st.integers(1, 9), label="W")
    size = draw(st.integers(1, min(H, W)), label="size")
    stride = draw(st.integers(1, max(1, size - 1)) if overlapping else st.integers(1, 4), label="stride")
    layer = {"x": draw(integer_arrays((N, C, H, W)) if ties else nst.dense_arrays((N, C, H, W)), label="x"),
             "size": size, "stride": stride}
    if with_dout:
        H_out, W_out = (H - size) // stride + 1, (W - size) // stride + 1
        layer["dout"] = draw(nst.dense_arrays((N, C, H_out, W_out)), label="dout")
    return layer


# ---------------------------------------------------------------------------------------
# conv_output_shape
# ---------------------------------------------------------------------------------------


def torch_conv_shape(H, W, F_, S, P, K):
    """The shape torch's own conv layer produces, (H_out, W_out, K), from tensors without data."""
    x, w = torch.empty(1, 1, H, W, device="cpu"), torch.empty(K, 1, F_, F_, device="cpu")
    _, k, h, w_ = F.conv2d(x, w, stride=S, padding=P).shape
    return h, w_, k


@given(H=st.integers(1, 40), W=st.integers(1, 40), S=st.integers(1, 6), P=st.integers(0, 4), K=st.integers(1, 8),
       data=st.data())
def test_conv_output_shape_matches_torch(student, reference, H, W, S, P, K, data):
    """conv_output_shape: (H_out, W_out, K) is the shape torch's conv2d produces (any stride and padding, non-square inputs, filters as large as the padded input)"""
    largest = min(H, W) + 2 * P
    F_ = data.draw(st.one_of(st.integers(1, largest), st.just(largest)), label="F")
    judge(student, reference, "conv_output_shape", H, W, F_, S, P, K, formula=SHAPE + "  (rounded down, as torch)",
          torch_judge=torch_conv_shape)


INVALID = ["F < 1", "S < 1", "P < 0", "K < 1", "F > H + 2P", "F > W + 2P"]


@given(H=st.integers(1, 12), W=st.integers(1, 12), S=st.integers(1, 4), P=st.integers(0, 3), K=st.integers(1, 8),
       broken=st.sampled_from(INVALID), data=st.data())
def test_conv_output_shape_rejects_invalid(student, H, W, S, P, K, broken, data):
    """conv_output_shape: raises ValueError for F < 1, S < 1, P < 0, K < 1 or a filter larger than the padded input"""
    F_ = data.draw(st.integers(1, min(H, W) + 2 * P), label="F")
    if broken == "F < 1":
        F_ = data.draw(st.integers(-3, 0), label="F")
    elif broken == "S < 1":
        S = data.draw(st.integers(-3, 0), label="S")
    elif broken == "P < 0":
        P = data.draw(st.integers(-3, -1), label="P")
    elif broken == "K < 1":
        K = data.draw(st.integers(-3, 0), label="K")
    elif broken == "F > H + 2P":
        F_ = data.draw(st.integers(H + 2 * P + 1, H + 2 * P + 4), label="F")
    else:
        W = data.draw(st.integers(1, 12), label="W")
        H = max(H, W + 2)  # make sure it is the width that does not fit
        F_ = data.draw(st.integers(W + 2 * P + 1, H + 2 * P), label="F")
    args = (H, W, F_, S, P, K)
    judge_raises(student, "conv_output_shape", *args, why="for these invalid hyperparameters",
                 inputs=dict(zip("H W F S P K".split(), args)), rejects=broken,
                 rule=f"invalid because {broken}: raise ValueError when F < 1, S < 1, P < 0, K < 1, "
                      "F > H + 2P or F > W + 2P")


# ---------------------------------------------------------------------------------------
# conv_forward, conv_backward
# ---------------------------------------------------------------------------------------


def torch_conv_forward(x, w, b, stride=1, pad=0):
    return F.conv2d(t(x), t(w), t(b), stride=stride, padding=pad).numpy()


def torch_conv_backward(dout, x, w, b, stride=1, pad=0):
    """(dx, dw, db) by torch autograd through F.conv2d, in float64."""
    leaves = [t(a).requires_grad_() for a in (x, w, b)]
    out = F.conv2d(*leaves, stride=stride, padding=pad)
    out.backward(t(dout))
    return tuple(leaf.grad.numpy() for leaf in leaves)


@given(layer=conv_layers())
def test_conv_forward_matches_reference(student, reference, layer):
    """conv_forward: matches the reference and torch's F.conv2d (cross-correlation; stride, padding, non-square filters)"""
    x, w, b, options = layer["x"], layer["w"], layer["b"], dict(stride=layer["stride"], pad=layer["pad"])
    judge(student, reference, "conv_forward", x, w, b, **options, formula=CONV, torch_judge=torch_conv_forward)


@given(layer=conv_layers(with_dout=True))
def test_conv_backward_matches_reference(student, reference, layer):
    """conv_backward: dx, dw, db match the reference and torch autograd (padding 0 too, overlapping windows add up)"""
    args = (layer["dout"], layer["x"], layer["w"], layer["b"])
    options = dict(stride=layer["stride"], pad=layer["pad"])
    judge(student, reference, "conv_backward", *args, **options, formula=CONV_BACK, torch_judge=torch_conv_backward,
          outputs=("dx", "dw", "db"))


# ---------------------------------------------------------------------------------------
# pooling
# ---------------------------------------------------------------------------------------


def torch_pool(pool):
    return lambda x, size, stride: pool(t(x), size, stride).numpy()


def torch_pool_backward(pool):
    def backward(dout, x, size, stride):
        leaf = t(x).requires_grad_()
        pool(leaf, size, stride).backward(t(dout))
        return leaf.grad.numpy()

    return backward


@given(layer=pool_layers())
def test_max_pool_forward_matches_reference(student, reference, layer):
    """max_pool_forward: matches the reference and torch's max_pool2d (overlapping windows, stride larger than the window)"""
    judge(student, reference, "max_pool_forward", layer["x"], layer["size"], layer["stride"], formula=MAX_POOL,
          torch_judge=torch_pool(F.max_pool2d))


POOL_INVALID = ["size < 1", "stride < 1", "size > H", "size > W"]
POOL_RULE = "H_out = ⌊(H − size) / stride⌋ + 1 needs 1 ≤ size ≤ H, W and stride ≥ 1"


def _invalid_pool(H, W, size, stride, broken, data):
    if broken == "size < 1":
        size = data.draw(st.integers(-2, 0), label="size")
    elif broken == "stride < 1":
        stride = data.draw(st.integers(-2, 0), label="stride")
    elif broken == "size > H":
        size = data.draw(st.integers(H + 1, H + 3), label="size")
    else:
        size = data.draw(st.integers(W + 1, W + 3), label="size")
    return size, stride


@given(layer=pool_layers(), broken=st.sampled_from(POOL_INVALID), data=st.data())
def test_max_pool_forward_rejects_invalid(student, layer, broken, data):
    """max_pool_forward: raises ValueError when the window does not fit (size > H or W) or size or stride is below 1"""
    x = layer["x"]
    size, stride = _invalid_pool(x.shape[2], x.shape[3], layer["size"], layer["stride"], broken, data)
    judge_raises(student, "max_pool_forward", x, size, stride, why="for these invalid hyperparameters",
                 inputs={"x": x, "size": size, "stride": stride}, rule=f"invalid because {broken}: {POOL_RULE}",
                 rejects=broken)


@given(layer=pool_layers(with_dout=True))
def test_max_pool_backward_matches_reference(student, reference, layer):
    """max_pool_backward: matches the reference and torch autograd (overlapping windows add up)"""
    args = (layer["dout"], layer["x"], layer["size"], layer["stride"])
    judge(student, reference, "max_pool_backward", *args, formula=MAX_POOL_BACK,
          torch_judge=torch_pool_backward(F.max_pool2d))


@given(layer=pool_layers(ties=True, with_dout=True, overlapping=True))
def test_max_pool_backward_ties(student, reference, layer):
    """max_pool_backward: on a tie the first maximum in row-major order gets the gradient, as in torch (integer inputs, overlapping windows)"""
    args = (layer["dout"], layer["x"], layer["size"], layer["stride"])
    judge(student, reference, "max_pool_backward", *args, formula=MAX_POOL_BACK,
          torch_judge=torch_pool_backward(F.max_pool2d))


@given(layer=pool_layers())
def test_avg_pool_forward_matches_reference(student, reference, layer):
    """avg_pool_forward: matches the reference and torch's avg_pool2d (overlapping windows, stride larger than the window)"""
    x, size, stride = layer["x"], layer["size"], layer["stride"]
    judge(student, reference, "avg_pool_forward", x, size, stride, formula=AVG_POOL,
          torch_judge=torch_pool(F.avg_pool2d))


@given(layer=pool_layers(), broken=st.sampled_from(POOL_INVALID), data=st.data())
def test_avg_pool_forward_rejects_invalid(student, layer, broken, data):
    """avg_pool_forward: raises ValueError when the window does not fit (size > H or W) or size or stride is below 1"""
    x = layer["x"]
    size, stride = _invalid_pool(x.shape[2], x.shape[3], layer["size"], layer["stride"], broken, data)
    judge_raises(student, "avg_pool_forward", x, size, stride, why="for these invalid hyperparameters",
                 inputs={"x": x, "size": size, "stride": stride}, rule=f"invalid because {broken}: {POOL_RULE}",
                 rejects=broken)


@given(layer=pool_layers(with_dout=True))
def test_avg_pool_backward_matches_reference(student, reference, layer):
    """avg_pool_backward: matches the reference and torch autograd (dout / size² per window, overlapping windows add up)"""
    args = (layer["dout"], layer["x"], layer["size"], layer["stride"])
    judge(student, reference, "avg_pool_backward", *args, formula=AVG_POOL,
          torch_judge=torch_pool_backward(F.avg_pool2d))


# ---------------------------------------------------------------------------------------
# fc_as_conv
# ---------------------------------------------------------------------------------------


@given(dims=st.tuples(st.integers(1, 3), st.integers(1, 3), st.integers(1, 4), st.integers(1, 4), st.integers(1, 5)),
       data=st.data())
def test_fc_as_conv_matches_fc_layer(student, reference, dims, data):
    """fc_as_conv: a conv with the returned filters computes the FC layer x.reshape(N, −1) @ W + b, as (N, D, 1, 1)"""
    N, C, H, W_in, D = dims
    W = data.draw(nst.dense_arrays((C * H * W_in, D)), label="W")
    b = data.draw(nst.dense_arrays((D,)), label="b")
    x = data.draw(nst.dense_arrays((N, C, H, W_in)), label="x")
    formula = "filter d = column d of W laid out as a (C, H, W) volume in the order x.reshape(N, −1) flattens it"
    w_conv, b_conv = judge(student, reference, "fc_as_conv", W, b, (C, H, W_in), formula=formula,
                           outputs=("w_conv", "b_conv"))
    fc = (x.reshape(N, -1) @ W + b).reshape(N, D, 1, 1)
    conv = F.conv2d(t(x), t(w_conv), t(b_conv)).numpy()
    Check("fc_as_conv", {"W": W, "b": b, "in_shape": (C, H, W_in), "x": x}, formula).matches(
        conv, fc, what="F.conv2d(x, w_conv, b_conv) (compared with the FC layer x.reshape(N, −1) @ W + b)")
