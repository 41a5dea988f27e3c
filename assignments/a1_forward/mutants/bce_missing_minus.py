# target: forward.py
# caught-by: binary_cross_entropy
# The slide's BCE as printed, without the minus sign.
import numpy as np


def binary_cross_entropy(y_hat, y):
    return float(np.sum(y * np.log(y_hat) + (1 - y) * np.log(1 - y_hat)) / y.shape[0])
