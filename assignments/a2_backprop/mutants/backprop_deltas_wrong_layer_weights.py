# target: backprop.py
# caught-by: backprop_deltas
# Off-by-one layer: δ^l = (δ^{l+1} W^{l T}) ⊙ f'(z^l) uses W^l instead of W^{l+1} (a shape error unless widths agree).
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
        deltas.insert(0, (deltas[0] @ weights[l].T) * f_prime(zs[l]))
    return deltas
