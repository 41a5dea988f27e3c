# target: backprop.py
# caught-by: output_delta
# Sigmoid + BCE error with the sign flipped: δ^L = (y − ŷ)/m instead of (ŷ − y)/m.
import numpy as np
from forward import sigmoid


def output_delta(z_L, y_hat, y, loss, output_activation):
    m = y_hat.shape[0]
    pair = (output_activation, loss)
    if pair == ("identity", "mse"):
        return (y_hat - y) / m
    if pair == ("sigmoid", "mse"):
        s = sigmoid(z_L)
        return (y_hat - y) / m * s * (1.0 - s)
    if pair == ("sigmoid", "bce"):
        return (y - y_hat) / m
    if pair == ("softmax", "ce"):
        return (y_hat - y) / m
    raise ValueError(f"unsupported output activation / loss pair {pair!r}")
