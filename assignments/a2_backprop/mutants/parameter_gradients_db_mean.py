# target: backprop.py
# caught-by: parameter_gradients
# db^l averaged over the batch although δ already carries 1/m: db = mean_rows δ^l (divided by m twice).
import numpy as np


def parameter_gradients(activations, deltas):
    dWs, dbs = [], []
    for a_prev, delta in zip(activations, deltas):
        dWs.append(a_prev.T @ delta)
        dbs.append(delta.mean(axis=0))
    return dWs, dbs
