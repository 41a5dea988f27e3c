# target: forward.py
# caught-by: softmax
# Normalising over the whole batch instead of each row.
import numpy as np


def softmax(z):
    e = np.exp(z - np.max(z))
    return e / np.sum(e)
