# target: forward.py
# caught-by: sigmoid
# The slide's formula rewritten as e^z / (1 + e^z): inf / inf = NaN once z > 709.
import numpy as np


def sigmoid(z):
    e = np.exp(z)
    return e / (1.0 + e)
