# target: forward.py
# caught-by: cross_entropy
# Summed over the batch instead of averaged (no 1/m).
import numpy as np


def cross_entropy(y_hat, y):
    return float(-np.sum(y * np.log(np.where(y > 0, y_hat, 1.0))))
