# target: backprop.py
# caught-by: sgd_step
# Gradient ascent: θ + η∇ instead of θ − η∇.
import numpy as np


def sgd_step(weights, biases, dWs, dbs, lr):
    new_weights = [W + lr * dW for W, dW in zip(weights, dWs)]
    new_biases = [b + lr * db for b, db in zip(biases, dbs)]
    return new_weights, new_biases
