# target: forward.py
# caught-by: softmax
# Softmax without subtracting the row maximum: e^1000 = inf, inf / inf = NaN.
import numpy as np


def softmax(z):
    e = np.exp(z)
    return e / np.sum(e, axis=-1, keepdims=True)
