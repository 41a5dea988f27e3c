# target: backprop.py
# caught-by: sgd_step
# In-place update: the right values, but the caller's weight and bias arrays are overwritten (W -= η dW).
import numpy as np


def sgd_step(weights, biases, dWs, dbs, lr):
    for W, dW in zip(weights, dWs):
        W -= lr * dW
    for b, db in zip(biases, dbs):
        b -= lr * db
    return weights, biases
