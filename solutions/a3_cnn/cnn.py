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
    # BEGIN SOLUTION: check the hyperparameters, then apply ⌊(H − F + 2P)/S⌋ + 1 to each spatial axis
    if F < 1:
        raise ValueError(f"filter size F must be at least 1, got F={F}")
    if S < 1:
        raise ValueError(f"stride S must be at least 1, got S={S}")
    if P < 0:
        raise ValueError(f"padding P must be at least 0, got P={P}")
    if K < 1:
        raise ValueError(f"number of filters K must be at least 1, got K={K}")
    if F > H + 2 * P:
        raise ValueError(f"filter size F={F} is larger than the padded height H + 2P = {H + 2 * P}")
    if F > W + 2 * P:
        raise ValueError(f"filter size F={F} is larger than the padded width W + 2P = {W + 2 * P}")
    H_out = (H - F + 2 * P) // S + 1
    W_out = (W - F + 2 * P) // S + 1
    return int(H_out), int(W_out), int(K)
    # END SOLUTION


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
    # BEGIN SOLUTION: zero-pad x, then at every output position (i, j) take the window under the filters, multiply by every filter and add its bias
    x = np.asarray(x, dtype=np.float64)
    w = np.asarray(w, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    N, C, H, W = x.shape
    K, C_w, FH, FW = w.shape
    if C_w != C:
        raise ValueError(f"x has {C} channels but the filters expect {C_w}")
    H_out = (H + 2 * pad - FH) // stride + 1
    W_out = (W + 2 * pad - FW) // stride + 1

    x_pad = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    out = np.empty((N, K, H_out, W_out))
    for i in range(H_out):
        for j in range(W_out):
            window = x_pad[:, :, i * stride:i * stride + FH, j * stride:j * stride + FW]  # (N, C, FH, FW)
            # sum over c, u, v of window[n, c, u, v] · w[k, c, u, v]  ->  (N, K)
            out[:, :, i, j] = np.tensordot(window, w, axes=([1, 2, 3], [1, 2, 3])) + b
    return out
    # END SOLUTION


def conv_backward(dout, x, w, b, stride=1, pad=0):
    """Gradients (dx, dw, db) of a loss L, given dout = ∂L/∂out of conv_forward(x, w, b, stride, pad).

    dout is (N, K, H_out, W_out); dx, dw and db have the shapes of x, w and b.
    Every output element out[n, k, i, j] used one window of x_pad and all of filter k,
    so it sends dout[n, k, i, j] · w[k] back to that window, dout[n, k, i, j] · window
    to dw[k], and dout[n, k, i, j] to db[k]. Contributions to the same place add up;
    the padding border gets gradient too, but it is not part of x.
    """
    # BEGIN SOLUTION: for every output position, add its share to the padded dx window, dw and db; then drop the padding border from dx
    dout = np.asarray(dout, dtype=np.float64)
    x = np.asarray(x, dtype=np.float64)
    w = np.asarray(w, dtype=np.float64)
    N, C, H, W = x.shape
    K, _, FH, FW = w.shape
    _, _, H_out, W_out = dout.shape

    x_pad = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    dx_pad = np.zeros_like(x_pad)
    dw = np.zeros_like(w)
    db = dout.sum(axis=(0, 2, 3))
    for i in range(H_out):
        for j in range(W_out):
            rows = slice(i * stride, i * stride + FH)
            cols = slice(j * stride, j * stride + FW)
            g = dout[:, :, i, j]                                                    # (N, K)
            dw += np.tensordot(g, x_pad[:, :, rows, cols], axes=([0], [0]))         # (K, C, FH, FW)
            dx_pad[:, :, rows, cols] += np.tensordot(g, w, axes=([1], [0]))         # (N, C, FH, FW)
    dx = dx_pad[:, :, pad:pad + H, pad:pad + W].copy()
    return dx, dw, db
    # END SOLUTION


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
    # BEGIN SOLUTION: for every output position, take the maximum of each window (per image and channel)
    x = np.asarray(x, dtype=np.float64)
    H_out, W_out = _check_pool(x, size, stride)
    N, C = x.shape[:2]
    out = np.empty((N, C, H_out, W_out))
    for i in range(H_out):
        for j in range(W_out):
            window = x[:, :, i * stride:i * stride + size, j * stride:j * stride + size]
            out[:, :, i, j] = window.max(axis=(2, 3))
    return out
    # END SOLUTION


def max_pool_backward(dout, x, size, stride):
    """∂L/∂x for max pooling, given dout = ∂L/∂out of max_pool_forward(x, size, stride).

    Each window passes its whole dout value to the ONE input that was its maximum.
    Ties: the first maximum in row-major order within the window gets it (as PyTorch does).
    When windows overlap (stride < size), an input can be the maximum of several
    windows: it receives the SUM of their gradients. Returns an array shaped like x.
    """
    # BEGIN SOLUTION: route each window's gradient to its first maximum (row-major), adding up over overlapping windows
    dout = np.asarray(dout, dtype=np.float64)
    x = np.asarray(x, dtype=np.float64)
    H_out, W_out = _check_pool(x, size, stride)
    N, C = x.shape[:2]
    n, c = np.meshgrid(np.arange(N), np.arange(C), indexing="ij")  # (N, C) index grids
    dx = np.zeros_like(x)
    for i in range(H_out):
        for j in range(W_out):
            window = x[:, :, i * stride:i * stride + size, j * stride:j * stride + size]
            first = window.reshape(N, C, -1).argmax(axis=2)      # argmax returns the first maximum
            u, v = np.divmod(first, size)                        # its row and column in the window
            dx[n, c, i * stride + u, j * stride + v] += dout[:, :, i, j]
    return dx
    # END SOLUTION


def avg_pool_forward(x, size, stride):
    """Average pooling of x (N, C, H, W): like max_pool_forward, but each window's mean."""
    # BEGIN SOLUTION: for every output position, take the mean of each window (per image and channel)
    x = np.asarray(x, dtype=np.float64)
    H_out, W_out = _check_pool(x, size, stride)
    N, C = x.shape[:2]
    out = np.empty((N, C, H_out, W_out))
    for i in range(H_out):
        for j in range(W_out):
            window = x[:, :, i * stride:i * stride + size, j * stride:j * stride + size]
            out[:, :, i, j] = window.mean(axis=(2, 3))
    return out
    # END SOLUTION


def avg_pool_backward(dout, x, size, stride):
    """∂L/∂x for average pooling, given dout = ∂L/∂out of avg_pool_forward(x, size, stride).

    Every input in a window gets dout / size² from that window; overlapping windows add up.
    Returns an array shaped like x.
    """
    # BEGIN SOLUTION: spread each window's gradient evenly (÷ size²) over its inputs, adding up over overlapping windows
    dout = np.asarray(dout, dtype=np.float64)
    x = np.asarray(x, dtype=np.float64)
    H_out, W_out = _check_pool(x, size, stride)
    dx = np.zeros_like(x)
    for i in range(H_out):
        for j in range(W_out):
            share = dout[:, :, i, j] / (size * size)
            dx[:, :, i * stride:i * stride + size, j * stride:j * stride + size] += share[:, :, None, None]
    return dx
    # END SOLUTION


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
    # BEGIN SOLUTION: filter d is column d of W laid out as a (C, H, W_in) volume, in the order the flattening used; the bias is unchanged
    W = np.asarray(W, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    C, H, W_in = in_shape
    if W.shape[0] != C * H * W_in:
        raise ValueError(f"W has {W.shape[0]} rows but a {tuple(in_shape)} volume has {C * H * W_in} values")
    D = W.shape[1]
    w_conv = W.T.reshape(D, C, H, W_in).copy()
    b_conv = b.reshape(D).copy()
    return w_conv, b_conv
    # END SOLUTION
