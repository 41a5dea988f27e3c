# target: cnn.py
# caught-by: max_pool_forward
# Ignores the stride argument and always steps by the window size.
import numpy as np


def max_pool_forward(x, size, stride):
    x = np.asarray(x, dtype=np.float64)
    N, C, H, W = x.shape
    stride = size
    H_out, W_out = (H - size) // stride + 1, (W - size) // stride + 1
    out = np.empty((N, C, H_out, W_out))
    for i in range(H_out):
        for j in range(W_out):
            out[:, :, i, j] = x[:, :, i * stride:i * stride + size, j * stride:j * stride + size].max(axis=(2, 3))
    return out
