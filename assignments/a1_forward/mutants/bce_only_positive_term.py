# target: forward.py
# caught-by: binary_cross_entropy
# Only the y log ŷ term: the (1 − y) log(1 − ŷ) term is dropped.
import numpy as np


def binary_cross_entropy(y_hat, y):
    return float(-np.sum(y * np.log(y_hat)) / y.shape[0])
