# target: backprop.py
# caught-by: backprop_deltas
# Hidden errors without the factor f'(z^l): δ^l = δ^{l+1} W^{l+1 T} (treats every hidden layer as linear).
import numpy as np


def backprop_deltas(zs, weights, delta_L, activation):
    deltas = [delta_L]
    for l in range(len(weights) - 2, -1, -1):
        deltas.insert(0, deltas[0] @ weights[l + 1].T)
    return deltas
