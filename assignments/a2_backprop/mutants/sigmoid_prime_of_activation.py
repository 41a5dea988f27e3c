# target: backprop.py
# caught-by: sigmoid_prime
# σ' computed as s(1−s) with s = z instead of σ(z) (applying the derivative formula to z).
import numpy as np
from forward import sigmoid


def sigmoid_prime(z):
    s = z
    return s * (1.0 - s)
