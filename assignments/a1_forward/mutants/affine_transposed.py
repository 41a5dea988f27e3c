# target: forward.py
# caught-by: affine_forward
# The slides' per-unit notation W_jk taken literally: z = h Wᵀ + b (only shape-correct for square W).
import numpy as np


def affine_forward(h, W, b):
    if W.shape[0] == W.shape[1]:
        return h @ W.T + b
    return h @ W + b
