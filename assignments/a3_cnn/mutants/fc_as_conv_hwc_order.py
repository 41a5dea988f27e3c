# target: cnn.py
# caught-by: fc_as_conv
# Lays each column of W out in the slides' HWC order, but x.reshape(N, -1) flattens NCHW images in C, H, W order.
import numpy as np


def fc_as_conv(W, b, in_shape):
    W = np.asarray(W, dtype=np.float64)
    C, H, W_in = in_shape
    D = W.shape[1]
    w_conv = W.T.reshape(D, H, W_in, C).transpose(0, 3, 1, 2).copy()
    return w_conv, np.array(b, dtype=np.float64)
