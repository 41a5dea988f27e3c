# target: cnn.py
# caught-by: max_pool_backward
# Assigns (=) the gradient instead of adding (+=): an input that is the maximum of two overlapping windows keeps only the last one's.
import numpy as np


def max_pool_backward(dout, x, size, stride):
    dout = np.asarray(dout, dtype=np.float64)
    x = np.asarray(x, dtype=np.float64)
    N, C, H, W = x.shape
    H_out, W_out = (H - size) // stride + 1, (W - size) // stride + 1
    n, c = np.meshgrid(np.arange(N), np.arange(C), indexing="ij")
    dx = np.zeros_like(x)
    for i in range(H_out):
        for j in range(W_out):
            window = x[:, :, i * stride:i * stride + size, j * stride:j * stride + size]
            u, v = np.divmod(window.reshape(N, C, -1).argmax(axis=2), size)
            dx[n, c, i * stride + u, j * stride + v] = dout[:, :, i, j]
    return dx
