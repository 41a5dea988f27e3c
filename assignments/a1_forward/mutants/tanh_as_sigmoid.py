# target: forward.py
# caught-by: tanh
# tanh confused with a rescaled sigmoid: σ(z) instead of 2σ(2z) − 1.
import numpy as np


def tanh(z):
    return 0.5 * (1.0 + np.tanh(0.5 * z))
