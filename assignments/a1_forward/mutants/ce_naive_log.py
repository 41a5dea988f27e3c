# target: forward.py
# caught-by: cross_entropy
# y · log ŷ everywhere: 0 · log 0 = 0 · (−inf) = NaN when ŷ is exactly 0 off the label.
import numpy as np


def cross_entropy(y_hat, y):
    return float(-np.sum(y * np.log(y_hat)) / y.shape[0])
