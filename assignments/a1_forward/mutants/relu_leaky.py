# target: forward.py
# caught-by: relu
# A leaky ReLU instead of ReLU: 0.01 z for negative z.
import numpy as np


def relu(z):
    return np.where(z > 0, z, 0.01 * z)
