# target: backprop.py
# caught-by: tanh_prime
# tanh' computed as 1 − z² instead of 1 − tanh(z)² (applying the derivative formula to z).
import numpy as np
from forward import tanh


def tanh_prime(z):
    return 1.0 - z * z
