# target: cnn.py
# caught-by: conv_backward
# Crops the padding off dx with [pad:-pad], which is EMPTY when pad = 0.
import numpy as np


def conv_backward(dout, x, w, b, stride=1, pad=0):
    dout = np.asarray(dout, dtype=np.float64)
    x = np.asarray(x, dtype=np.float64)
    w = np.asarray(w, dtype=np.float64)
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
            g = dout[:, :, i, j]
            dw += np.tensordot(g, x_pad[:, :, rows, cols], axes=([0], [0]))
            dx_pad[:, :, rows, cols] += np.tensordot(g, w, axes=([1], [0]))
    dx = dx_pad[:, :, pad:-pad, pad:-pad]
    return dx, dw, db
