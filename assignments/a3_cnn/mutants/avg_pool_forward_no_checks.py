# target: cnn.py
# caught-by: avg_pool_forward
# Right averages, but no check of size and stride: size 0 averages empty windows (NaN) and a
# window larger than the input gives an empty or oddly shaped result instead of a ValueError.
import numpy as np


def avg_pool_forward(x, size, stride):
    x = np.asarray(x, dtype=np.float64)
    N, C, H, W = x.shape
    H_out, W_out = (H - size) // stride + 1, (W - size) // stride + 1
    out = np.empty((N, C, max(H_out, 0), max(W_out, 0)))
    for i in range(out.shape[2]):
        for j in range(out.shape[3]):
            out[:, :, i, j] = x[:, :, i * stride:i * stride + size, j * stride:j * stride + size].mean(axis=(2, 3))
    return out
