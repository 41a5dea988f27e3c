# target: backprop.py
# caught-by: parameter_gradients
# dW^l = δ^{l T} a^{l−1} (the slides' w_{j,k} index order) instead of a^{l−1 T} δ^l: shape (d_l, d_{l−1}).
import numpy as np


def parameter_gradients(activations, deltas):
    dWs, dbs = [], []
    for a_prev, delta in zip(activations, deltas):
        dWs.append(delta.T @ a_prev)
        dbs.append(delta.sum(axis=0))
    return dWs, dbs
