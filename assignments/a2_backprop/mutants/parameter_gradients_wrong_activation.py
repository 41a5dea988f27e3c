# target: backprop.py
# caught-by: parameter_gradients
# Off-by-one activation: dW^l = a^{l T} δ^l uses the layer's own output instead of its input a^{l−1}.
import numpy as np


def parameter_gradients(activations, deltas):
    dWs, dbs = [], []
    for a, delta in zip(activations[1:], deltas):
        dWs.append(a.T @ delta)
        dbs.append(delta.sum(axis=0))
    return dWs, dbs
