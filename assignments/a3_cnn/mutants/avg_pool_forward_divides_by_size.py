# target: cnn.py
# caught-by: avg_pool_forward
# Divides each window's sum by size instead of size² (the number of inputs in the window).
import numpy as np


def avg_pool_forward(x, size, stride):
    x = np.asarray(x, dtype=np.float64)
    N, C, H, W = x.shape
    if size < 1 or stride < 1 or size > H or size > W:
        raise ValueError(f"invalid pool size {size} or stride {stride} for a {H} × {W} input")
    H_out, W_out = (H - size) // stride + 1, (W - size) // stride + 1
    out = np.empty((N, C, H_out, W_out))
    for i in range(H_out):
        for j in range(W_out):
            out[:, :, i, j] = x[:, :, i * stride:i * stride + size, j * stride:j * stride + size].sum(axis=(2, 3)) / size
    return out
