# target: backprop.py
# caught-by: backprop_deltas
# The errors are returned in the order they were computed, [δ^L … δ^1], instead of [δ^1 … δ^L].
import numpy as np
from forward import sigmoid, tanh


def backprop_deltas(zs, weights, delta_L, activation):
    f_prime = {
        "sigmoid": lambda z: sigmoid(z) * (1.0 - sigmoid(z)),
        "tanh": lambda z: 1.0 - tanh(z) ** 2,
        "relu": lambda z: np.where(z > 0, 1.0, 0.0),
    }[activation]
    deltas = [delta_L]
    for l in range(len(weights) - 2, -1, -1):
        deltas.append((deltas[-1] @ weights[l + 1].T) * f_prime(zs[l]))
    return deltas
