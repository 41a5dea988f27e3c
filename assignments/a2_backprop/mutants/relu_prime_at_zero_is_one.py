# target: backprop.py
# caught-by: relu_prime
# relu'(0) = 1 (z >= 0 instead of z > 0); differs from the contract only at exactly z = 0.
import numpy as np


def relu_prime(z):
    return np.where(z >= 0, 1.0, 0.0)
