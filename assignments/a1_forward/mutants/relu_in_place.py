# target: forward.py
# caught-by: relu
# Right values, but the input array is overwritten (z[z < 0] = 0).
import numpy as np


def relu(z):
    z[z < 0] = 0.0
    return z
