# target: backprop.py
# caught-by: output_delta
# Sigmoid + MSE error without the factor σ'(z^L): δ^L = (ŷ − y)/m, the sigmoid + BCE formula reused.
import numpy as np


def output_delta(z_L, y_hat, y, loss, output_activation):
    m = y_hat.shape[0]
    pair = (output_activation, loss)
    if pair in (("identity", "mse"), ("sigmoid", "mse"), ("sigmoid", "bce"), ("softmax", "ce")):
        return (y_hat - y) / m
    raise ValueError(f"unsupported output activation / loss pair {pair!r}")
