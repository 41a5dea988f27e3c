# target: backprop.py
# caught-by: loss_grad output_delta
# The 1/m of the batch-mean loss is forgotten in both ∂L/∂ŷ and δ^L (gradients of the summed loss).
import numpy as np
from forward import sigmoid


def loss_grad(y_hat, y, loss):
    if loss == "mse":
        return y_hat - y
    if loss == "bce":
        return -(y / y_hat - (1.0 - y) / (1.0 - y_hat))
    if loss == "ce":
        return -(y / y_hat)
    raise ValueError(f"unknown loss {loss!r}; use 'mse', 'bce' or 'ce'")


def output_delta(z_L, y_hat, y, loss, output_activation):
    pair = (output_activation, loss)
    if pair == ("identity", "mse"):
        return y_hat - y
    if pair == ("sigmoid", "mse"):
        s = sigmoid(z_L)
        return (y_hat - y) * s * (1.0 - s)
    if pair in (("sigmoid", "bce"), ("softmax", "ce")):
        return y_hat - y
    raise ValueError(f"unsupported output activation / loss pair {pair!r}")
