"""Assignment 3, part 1: convolution and pooling layers in numpy.

Layout (PyTorch's, see handout.md for how it maps onto the slides' HWC layout):

- a batch of images x is NCHW: (N, C, H, W) = (batch, channels, height, width)
- conv weights w are (K, C, FH, FW): K filters, each spanning all C input channels
  and an FH × FW window; the bias b is (K,), one number per filter
- stride S and zero-padding P are ints and apply to both spatial axes

"Convolution" here means cross-correlation, as in PyTorch: the filter is NOT flipped,

    out[n, k, i, j] = b[k] + Σ_{c, u, v} x_pad[n, c, i·S + u, j·S + v] · w[k, c, u, v]

Every function returns new float64 arrays and never modifies its arguments.
Plain Python loops over output positions are fine; loops over single numbers are too slow.
Do not use torch here.
"""

import numpy as np


# ---------------------------------------------------------------------------------------
# Shapes
# ---------------------------------------------------------------------------------------


def conv_output_shape(H, W, F, S, P, K):
    """(H_out, W_out, K) of a conv layer with K filters of size F × F, stride S and padding P
    on an input of height H and width W.

    Each spatial axis follows the slides' formula, rounded down as PyTorch does:
        H_out = ⌊(H − F + 2P) / S⌋ + 1      W_out = ⌊(W − F + 2P) / S⌋ + 1
    Raise ValueError, with a message naming the offending hyperparameter, when
    F < 1, S < 1, P < 0, K < 1, or the filter does not fit the padded input
    (F > H + 2P or F > W + 2P). Returns a tuple of three Python ints.
    """
    # TODO: check the hyperparameters, then apply ⌊(H − F + 2P)/S⌋ + 1 to each spatial axis
    raise NotImplementedError('conv_output_shape: not implemented yet')


# ---------------------------------------------------------------------------------------
# Convolution
# ---------------------------------------------------------------------------------------


def conv_forward(x, w, b, stride=1, pad=0):
    """The conv layer's output, shape (N, K, H_out, W_out).

    x is (N, C, H, W), w is (K, C, FH, FW) (FH and FW may differ), b is (K,).
    x is zero-padded by `pad` on all four sides, then each filter slides over it
    with step `stride` along both axes (cross-correlation, no flipping):
        out[n, k, i, j] = b[k] + Σ_{c,u,v} x_pad[n, c, i·stride + u, j·stride + v] · w[k, c, u, v]
    H_out = ⌊(H + 2·pad − FH) / stride⌋ + 1, and likewise W_out with W and FW.
    """
    # TODO: zero-pad x, then at every output position (i, j) take the window under the filters, multiply by every filter and add its bias
    raise NotImplementedError('conv_forward: not implemented yet')


def conv_backward(dout, x, w, b, stride=1, pad=0):
    """Gradients (dx, dw, db) of a loss L, given dout = ∂L/∂out of conv_forward(x, w, b, stride, pad).

    dout is (N, K, H_out, W_out); dx, dw and db have the shapes of x, w and b.
    Every output element out[n, k, i, j] used one window of x_pad and all of filter k,
    so it sends dout[n, k, i, j] · w[k] back to that window, dout[n, k, i, j] · window
    to dw[k], and dout[n, k, i, j] to db[k]. Contributions to the same place add up;
    the padding border gets gradient too, but it is not part of x.
    """
    # TODO: for every output position, add its share to the padded dx window, dw and db; then drop the padding border from dx
    raise NotImplementedError('conv_backward: not implemented yet')


# ---------------------------------------------------------------------------------------
# Pooling (no padding; each channel is pooled on its own)
# ---------------------------------------------------------------------------------------


def _check_pool(x, size, stride):
    """Output height and width of a size × size pool with the given stride (raises ValueError)."""
    if size < 1 or stride < 1:
        raise ValueError(f"pool size and stride must be at least 1, got size={size}, stride={stride}")
    H, W = x.shape[2], x.shape[3]
    if size > H or size > W:
        raise ValueError(f"pool size {size} is larger than the input ({H} × {W})")
    return (H - size) // stride + 1, (W - size) // stride + 1


def max_pool_forward(x, size, stride):
    """Max pooling of x (N, C, H, W) with size × size windows and the given stride.

    Returns (N, C, H_out, W_out) with H_out = ⌊(H − size) / stride⌋ + 1 (likewise W_out):
    out[n, c, i, j] = max of x[n, c, i·stride : i·stride + size, j·stride : j·stride + size].
    Raises ValueError when size < 1, stride < 1 or size is larger than H or W.
    """
    # TODO: for every output position, take the maximum of each window (per image and channel)
    raise NotImplementedError('max_pool_forward: not implemented yet')


def max_pool_backward(dout, x, size, stride):
    """∂L/∂x for max pooling, given dout = ∂L/∂out of max_pool_forward(x, size, stride).

    Each window passes its whole dout value to the ONE input that was its maximum.
    Ties: the first maximum in row-major order within the window gets it (as PyTorch does).
    When windows overlap (stride < size), an input can be the maximum of several
    windows: it receives the SUM of their gradients. Returns an array shaped like x.
    """
    # TODO: route each window's gradient to its first maximum (row-major), adding up over overlapping windows
    raise NotImplementedError('max_pool_backward: not implemented yet')


def avg_pool_forward(x, size, stride):
    """Average pooling of x (N, C, H, W): like max_pool_forward, but each window's mean."""
    # TODO: for every output position, take the mean of each window (per image and channel)
    raise NotImplementedError('avg_pool_forward: not implemented yet')


def avg_pool_backward(dout, x, size, stride):
    """∂L/∂x for average pooling, given dout = ∂L/∂out of avg_pool_forward(x, size, stride).

    Every input in a window gets dout / size² from that window; overlapping windows add up.
    Returns an array shaped like x.
    """
    # TODO: spread each window's gradient evenly (÷ size²) over its inputs, adding up over overlapping windows
    raise NotImplementedError('avg_pool_backward: not implemented yet')


# ---------------------------------------------------------------------------------------
# A fully connected layer as a convolution
# ---------------------------------------------------------------------------------------


def fc_as_conv(W, b, in_shape):
    """Filters (w_conv, b_conv) that make a conv layer compute a fully connected layer.

    The FC layer maps a volume of shape in_shape = (C, H, W_in) to D outputs:
        fc(x) = x.reshape(N, -1) @ W + b,   W is (C·H·W_in, D), b is (D,)
    (the reshape flattens each image in C, H, W order). Return w_conv of shape
    (D, C, H, W_in) and b_conv of shape (D,) such that conv_forward(x, w_conv, b_conv)
    (stride 1, no padding) is (N, D, 1, 1) and equals fc(x) reshaped to that shape.
    """
    # TODO: filter d is column d of W laid out as a (C, H, W_in) volume, in the order the flattening used; the bias is unchanged
    raise NotImplementedError('fc_as_conv: not implemented yet')
