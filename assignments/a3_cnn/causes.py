"""The known bugs of cnn.py's and gpu_conv.py's graded functions, each written as what code with that bug returns.

One place for them: the graded tests, the public tests and the notebook's checks all name a
``likely cause:`` from this table, and only after calling the student's function again on
probes confirms it. The probes here change a layer's geometry the way that separates these bugs:
windows with and without overlap (pool size against stride), padding 0 against 1, stride 1
against a larger one, a non-square filter, a batch of another length; where a probe changes the
output's shape, the dout of a backward pass is redrawn to fit (deterministically).
"""

import math

import numpy as np

from autograder.diagnosis import Bug
from autograder.kit.catalogue import Probe


def _fresh(shape, seed=7):
    """A deterministic array of ``shape`` in [−2, 2]: a new dout where a probe changed the output's shape."""
    return np.random.default_rng([seed, *shape]).uniform(-2.0, 2.0, shape)


# ---------------------------------------------------------------------------------------
# conv_output_shape(H, W, F, S, P, K)
# ---------------------------------------------------------------------------------------

def _shape(H, W, F, S, P, K, rounding=math.floor, sides=2, plus=1):
    """conv_output_shape as a bug computes it."""
    return (int(rounding((H - F + sides * P) / S)) + plus, int(rounding((W - F + sides * P) / S)) + plus, K)


def _shape_probe(change):
    def make(args, kwargs):
        if kwargs or len(args) != 6:
            return None
        H, W, F, S, P, K = change(*args)
        if F < 1 or S < 1 or P < 0 or K < 1 or F > H + 2 * P or F > W + 2 * P:
            return None
        return [H, W, F, S, P, K], {}
    return make


# ---------------------------------------------------------------------------------------
# conv_forward(x, w, b, stride=1, pad=0), conv_backward(dout, x, w, b, stride=1, pad=0)
# ---------------------------------------------------------------------------------------

CONV_NAMES = ("x", "w", "b", "stride", "pad")
CONV_BACK_NAMES = ("dout", "x", "w", "b", "stride", "pad")
CONV_DEFAULTS = {"stride": 1, "pad": 0}


def _bind(names, args, kwargs, defaults):
    bound = {**defaults, **dict(zip(names, args)), **kwargs}
    return bound if set(names) <= set(bound) else None


def _conv_out(x, w, stride, pad):
    """(H_out, W_out), or None where the filter does not fit the padded input."""
    (H, W), (FH, FW) = x.shape[2:], w.shape[2:]
    if stride < 1 or pad < 0 or FH > H + 2 * pad or FW > W + 2 * pad:
        return None
    return (H + 2 * pad - FH) // stride + 1, (W + 2 * pad - FW) // stride + 1


def _conv_probe(change, backward):
    """A probe that changes a conv layer's geometry (``change(layer)`` → layer or None); for the backward pass,
    dout is redrawn where the output's shape changed."""
    names = CONV_BACK_NAMES if backward else CONV_NAMES

    def make(args, kwargs):
        layer = _bind(names, args, kwargs, CONV_DEFAULTS)
        if layer is None:
            return None
        layer = change(dict(layer))
        if layer is None:
            return None
        out = _conv_out(layer["x"], layer["w"], layer["stride"], layer["pad"])
        if out is None:
            return None
        if backward:
            shape = (layer["x"].shape[0], layer["w"].shape[0], *out)
            if layer["dout"].shape != shape:
                layer["dout"] = _fresh(shape)
        return [layer[n] for n in names[:-2]], {"stride": layer["stride"], "pad": layer["pad"]}
    return make


def _with(**changes):
    """A layer change: each value is a function of the layer (or None where it does not apply)."""
    def change(layer):
        for key, value in changes.items():
            layer[key] = value(layer)
            if layer[key] is None:
                return None
        return layer
    return change


def _no_padding(layer):
    return 0 if layer["pad"] > 0 else None


def _stride_one(layer):
    return 1 if layer["stride"] > 1 else None


def _stacked_batch(layer):
    return np.concatenate([layer["x"], -layer["x"][::-1]])


def _stacked_dout(layer):
    return np.concatenate([layer["dout"], layer["dout"][::-1] * 0.5])


def _wider_filter(layer):
    w = layer["w"]
    return np.concatenate([w, _fresh((*w.shape[:3], 1), 11)], axis=3)


def _conv_probes(backward):
    found = [Probe("no padding (pad = 0)", _conv_probe(_with(pad=_no_padding), backward)),
             Probe("one more ring of padding (pad + 1)", _conv_probe(_with(pad=lambda l: l["pad"] + 1), backward)),
             Probe("stride 1", _conv_probe(_with(stride=_stride_one), backward)),
             Probe("a filter one column wider (FW + 1: its height and width differ)",
                   _conv_probe(_with(w=_wider_filter), backward))]
    if backward:
        found.append(Probe("a batch twice as long (x followed by −x reversed, and a dout to match)",
                           _conv_probe(_with(x=_stacked_batch, dout=_stacked_dout), backward)))
    return found


def _padded_one_side(before):
    def predict(ref, x, w, b, stride=1, pad=0):
        if not pad:
            return ref.conv_forward(x, w, b, stride=stride, pad=0)
        side = (2 * pad, 0) if before else (0, 2 * pad)
        return ref.conv_forward(np.pad(x, ((0, 0), (0, 0), side, side)), w, b, stride=stride, pad=0)
    return predict


def _backward_changed(change):
    """conv_backward with one of its results changed: ``change(dx, dw, db, N)``."""
    def predict(ref, dout, x, w, b, stride=1, pad=0):
        dx, dw, db = ref.conv_backward(dout, x, w, b, stride=stride, pad=pad)
        return change(dx, dw, db, len(x))
    return predict


# ---------------------------------------------------------------------------------------
# pooling: *_forward(x, size, stride), *_backward(dout, x, size, stride)
# ---------------------------------------------------------------------------------------

def _pool_probe(change, backward, values=None):
    """A probe that changes a pool's geometry (``change(size, stride, H, W)`` → (size, stride) or None) or its
    inputs' values (``values(x)``); for the backward pass, dout is redrawn where the output's shape changed."""
    def make(args, kwargs):
        if kwargs or len(args) != (4 if backward else 3):
            return None
        dout, (x, size, stride) = (args[0] if backward else None), args[-3:]
        H, W = x.shape[2:]
        if change is not None:
            changed = change(size, stride, H, W)
            if changed is None:
                return None
            size, stride = changed
        if values is not None:
            x = values(x)
        if size < 1 or stride < 1 or size > min(H, W):
            return None
        if not backward:
            return [x, size, stride], {}
        shape = (*x.shape[:2], (H - size) // stride + 1, (W - size) // stride + 1)
        return [dout if dout.shape == shape else _fresh(shape), x, size, stride], {}
    return make


def _pool_probes(backward):
    return [
        Probe("overlapping windows (stride 1)", _pool_probe(
            lambda size, stride, H, W: (size, 1) if size > 1 and stride != 1 else None, backward)),
        Probe("windows that do not overlap (stride = size)", _pool_probe(
            lambda size, stride, H, W: (size, size) if stride != size else None, backward)),
        Probe("windows one larger (size + 1)", _pool_probe(
            lambda size, stride, H, W: (size + 1, stride) if size < min(H, W) else None, backward)),
        Probe("windows of size 2 with stride 1 (each input in up to four windows)", _pool_probe(
            lambda size, stride, H, W: (2, 1) if (size, stride) != (2, 1) and min(H, W) >= 2 else None, backward)),
    ]


def _tied(x):
    """Every entry of x equal: each window's entries all tie for its maximum."""
    return np.zeros_like(x)


def _max_pool_backward_variant(dout, x, size, stride, every_tie=False, assign=False):
    """max_pool_backward as two common bugs compute it: every tied maximum gets the gradient, or a window's
    gradient is assigned (=) where overlapping windows must add up (+=), windows visited in row-major order."""
    dout, x = np.asarray(dout, dtype=np.float64), np.asarray(x, dtype=np.float64)
    dx = np.zeros_like(x)
    N, C, H_out, W_out = dout.shape
    for n, c, i, j in np.ndindex(N, C, H_out, W_out):
        window = x[n, c, i * stride:i * stride + size, j * stride:j * stride + size]
        hits = np.argwhere(window == window.max()) if every_tie else [np.unravel_index(np.argmax(window), window.shape)]
        for u, v in hits:
            if assign:
                dx[n, c, i * stride + u, j * stride + v] = dout[n, c, i, j]
            else:
                dx[n, c, i * stride + u, j * stride + v] += dout[n, c, i, j]
    return dx


def _stride_ignored(pool):
    def predict(ref, x, size, stride):
        return getattr(ref, pool)(x, size, size)
    return predict


STRIDE_IGNORED = ("the windows step by size, not by stride: window (i, j) starts at row i·stride, column "
                  "j·stride")


# ---------------------------------------------------------------------------------------
# fc_as_conv(W, b, in_shape)
# ---------------------------------------------------------------------------------------

def _hwc(ref, W, b, in_shape):
    C, H, W_in = in_shape
    D = W.shape[1]
    if W.shape[0] != C * H * W_in:
        return None
    return W.T.reshape(D, H, W_in, C).transpose(0, 3, 1, 2).copy(), np.asarray(b, dtype=np.float64)


def _fc_probe(change):
    def make(args, kwargs):
        if kwargs or len(args) != 3:
            return None
        in_shape = change(tuple(args[2]))
        return None if in_shape is None else ([args[0], args[1], in_shape], {})
    return make


BUGS = {
    "conv_output_shape": [
        Bug("the division is rounded up; H_out = ⌊(H − F + 2P) / S⌋ + 1 rounds it down, as torch does",
            lambda ref, H, W, F, S, P, K: _shape(H, W, F, S, P, K, rounding=math.ceil)),
        Bug("the padding is counted once; P zeros go on both sides, so the padded size is H + 2P",
            lambda ref, H, W, F, S, P, K: _shape(H, W, F, S, P, K, sides=1)),
        Bug("the + 1 is missing: ⌊(H − F + 2P) / S⌋ counts the steps between windows; the first window adds 1",
            lambda ref, H, W, F, S, P, K: _shape(H, W, F, S, P, K, plus=0)),
    ],
    "conv_forward": [
        Bug("the bias is never added: out[n, k, i, j] = b[k] + Σ ..., one b[k] per filter",
            lambda ref, x, w, b, stride=1, pad=0: ref.conv_forward(x, w, np.zeros_like(b), stride=stride, pad=pad)),
        Bug("the kernel is flipped: that is convolution in the maths sense; a conv layer computes a "
            "cross-correlation (as torch does): w[k, c, u, v] multiplies x_pad[n, c, i·S + u, j·S + v]",
            lambda ref, x, w, b, stride=1, pad=0: ref.conv_forward(x, w[..., ::-1, ::-1].copy(), b, stride=stride,
                                                                   pad=pad)),
        Bug("the padding is all on one side (all 2P zeros before the image, at the top and left); P zeros go on "
            "each side of the image: np.pad(x, ((0, 0), (0, 0), (P, P), (P, P)))", _padded_one_side(before=True)),
        Bug("the padding is all on one side (all 2P zeros after the image, at the bottom and right); P zeros go on "
            "each side of the image: np.pad(x, ((0, 0), (0, 0), (P, P), (P, P)))", _padded_one_side(before=False)),
    ],
    "conv_backward": [
        Bug("db is divided by N, a mean over the batch; db[k] sums dout over n, i and j",
            _backward_changed(lambda dx, dw, db, N: (dx, dw, db / N))),
        Bug("dw's two spatial axes are swapped (dw[k, c, v, u]); dw has w's layout (K, C, FH, FW)",
            _backward_changed(lambda dx, dw, db, N: (dx, dw.transpose(0, 1, 3, 2).copy(), db))),
    ],
    "max_pool_forward": [
        Bug(STRIDE_IGNORED, _stride_ignored("max_pool_forward")),
    ],
    "max_pool_backward": [
        Bug("on a tie every maximum of the window gets the gradient; only the first one in row-major order should "
            "(np.argmax picks it)", lambda ref, dout, x, size, stride: _max_pool_backward_variant(
                dout, x, size, stride, every_tie=True)),
        Bug("where windows overlap, a later window's gradient replaces an earlier one (dx[...] = ...); they must add "
            "up (dx[...] += ...)", lambda ref, dout, x, size, stride: _max_pool_backward_variant(
                dout, x, size, stride, assign=True)),
    ],
    "avg_pool_forward": [
        Bug("each window's sum is divided by size; a window holds size² inputs",
            lambda ref, x, size, stride: ref.avg_pool_forward(x, size, stride) * size),
        Bug(STRIDE_IGNORED, _stride_ignored("avg_pool_forward")),
    ],
    "avg_pool_backward": [
        Bug("dout is passed back unscaled; each of the size² inputs of a window gets dout / size²",
            lambda ref, dout, x, size, stride: ref.avg_pool_backward(dout, x, size, stride) * size * size),
        Bug("dout is divided by size; each input of a window gets dout / size²",
            lambda ref, dout, x, size, stride: ref.avg_pool_backward(dout, x, size, stride) * size),
    ],
    "fc_as_conv": [
        Bug("each filter is laid out in (H, W, C) order, the slides' HWC; x.reshape(N, −1) flattens an NCHW batch "
            "in (C, H, W) order, so filter d is W[:, d].reshape(C, H, W)", _hwc),
    ],
}

PROBES = {
    "conv_output_shape": [
        Probe("one more ring of padding (P + 1)", _shape_probe(lambda H, W, F, S, P, K: (H, W, F, S, P + 1, K))),
        Probe("no padding (P = 0)", _shape_probe(lambda H, W, F, S, P, K: (H, W, F, S, 0, K) if P else
                                                 (0, 0, 0, 0, 0, 0))),
        Probe("stride 1 (S = 1)", _shape_probe(lambda H, W, F, S, P, K: (H, W, F, 1, P, K) if S > 1 else
                                               (0, 0, 0, 0, 0, 0))),
        Probe("a stride one larger (S + 1)", _shape_probe(lambda H, W, F, S, P, K: (H, W, F, S + 1, P, K))),
        Probe("one more row than columns (H + 1)", _shape_probe(lambda H, W, F, S, P, K: (H + 1, W, F, S, P, K))),
        Probe("a larger input (H + 3, W + 2)", _shape_probe(lambda H, W, F, S, P, K: (H + 3, W + 2, F, S, P, K))),
    ],
    "conv_forward": _conv_probes(backward=False),
    "conv_backward": _conv_probes(backward=True),
    "max_pool_forward": _pool_probes(backward=False),
    "max_pool_backward": [
        *_pool_probes(backward=True),
        Probe("every entry of x equal (each window's entries all tie)", _pool_probe(None, True, values=_tied)),
        Probe("every entry of x equal, windows of size 2 with stride 1", _pool_probe(
            lambda size, stride, H, W: (2, 1) if min(H, W) >= 2 else None, True, values=_tied)),
    ],
    "avg_pool_forward": _pool_probes(backward=False),
    "avg_pool_backward": _pool_probes(backward=True),
    "fc_as_conv": [
        Probe("in_shape with H and W swapped", _fc_probe(lambda s: (s[0], s[2], s[1]) if s[1] != s[2] else None)),
        Probe("in_shape with C and H swapped", _fc_probe(lambda s: (s[1], s[0], s[2]) if s[0] != s[1] else None)),
    ],
}


# ---------------------------------------------------------------------------------------
# gpu_conv.py's Conv2dFunction, through its backward: the experiment's answer is the tuple of gradients
# (dx, dw[, db]) of Conv2dFunction.apply(x, weight, bias, stride, padding) for grad_output = dout; a bug is
# written as (ref, x, weight, bias, dout, stride, padding) → that tuple (see tests/test_gpu_conv.py)
# ---------------------------------------------------------------------------------------

def conv2d_grads(conv2d, x, weight, bias, dout, stride, padding):
    """(dx, dw[, db]) of ``conv2d(x, weight, bias, stride=, padding=)`` for the upstream gradient dout, by torch
    autograd (db only where bias is given)."""
    import torch

    leaves = [x.detach().clone().requires_grad_(), weight.detach().clone().requires_grad_()]
    if bias is not None:
        leaves.append(bias.detach().clone().requires_grad_())
    with torch.enable_grad():
        out = conv2d(*leaves[:2], leaves[2] if bias is not None else None, stride=stride, padding=padding)
        return tuple(torch.autograd.grad(out, leaves, dout))


def _one_sample(which, first):
    """Conv2dFunction's gradients with those in ``which`` (1 = dw, 2 = db) from one sample of the batch alone."""
    def predict(ref, x, weight, bias, dout, stride, padding):
        if len(x) < 2 or (2 in which and bias is None):
            return None
        n = 0 if first else len(x) - 1
        right = conv2d_grads(ref.conv2d, x, weight, bias, dout, stride, padding)
        alone = conv2d_grads(ref.conv2d, x[n:n + 1], weight, bias, dout[n:n + 1], stride, padding)
        return tuple(alone[i] if i in which else g for i, g in enumerate(right))
    return predict


def _sample_bug(which, first):
    names = " and ".join(("dw", "db")[i - 1] for i in which)
    one = "the first" if first else "the last"
    verb = "is" if len(which) == 1 else "are"
    return Bug(f"{names} {verb} {one} sample's gradient alone; {'it sums' if len(which) == 1 else 'each sums'} over "
               "all samples of the batch (Σ_n)", _one_sample(which, first))


def _batch_probe(change):
    def make(args, kwargs):
        if kwargs or len(args) != 6 or len(args[0]) < 2:
            return None
        x, weight, bias, dout, stride, padding = args
        x, dout = change(x, dout)
        return [x, weight, bias, dout, stride, padding], {}
    return make


def _other_values(x, dout):
    import torch

    def fresh(t, seed):
        return torch.from_numpy(_fresh(tuple(t.shape), seed)).to(dtype=t.dtype, device=t.device)
    return fresh(x, 21), fresh(dout, 22)


BUGS["Conv2dFunction"] = [_sample_bug(which, first) for which in ((1,), (2,), (1, 2)) for first in (True, False)]
PROBES["Conv2dFunction"] = [
    Probe("the batch in reverse order (x and dout)", _batch_probe(lambda x, dout: (x.flip(0), dout.flip(0)))),
    Probe("the batch rotated by one sample (x and dout)", _batch_probe(lambda x, dout: (x.roll(1, 0), dout.roll(1, 0)))),
    Probe("other values in x and dout", _batch_probe(_other_values)),
]
