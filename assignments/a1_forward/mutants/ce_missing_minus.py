# target: forward.py
# caught-by: cross_entropy
# The slide's cross-entropy as printed, without the minus sign.
import numpy as np


def cross_entropy(y_hat, y):
    return float(np.sum(y * np.log(np.where(y > 0, y_hat, 1.0))) / y.shape[0])
