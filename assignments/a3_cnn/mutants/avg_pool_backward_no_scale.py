# target: cnn.py
# caught-by: avg_pool_backward
# Forgets the 1/size² of the mean: every input gets the whole dout of its window.
import numpy as np


def avg_pool_backward(dout, x, size, stride):
    dout = np.asarray(dout, dtype=np.float64)
    x = np.asarray(x, dtype=np.float64)
    N, C, H, W = x.shape
    H_out, W_out = (H - size) // stride + 1, (W - size) // stride + 1
    dx = np.zeros_like(x)
    for i in range(H_out):
        for j in range(W_out):
            dx[:, :, i * stride:i * stride + size, j * stride:j * stride + size] += dout[:, :, i, j][:, :, None, None]
    return dx
