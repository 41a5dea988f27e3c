# target: forward.py
# caught-by: tanh
# The slide's tanh formula typed in directly: inf / inf = NaN once |z| > 710.
import numpy as np


def tanh(z):
    return (np.exp(z) - np.exp(-z)) / (np.exp(z) + np.exp(-z))
