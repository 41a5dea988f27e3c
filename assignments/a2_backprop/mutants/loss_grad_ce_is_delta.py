# target: backprop.py
# caught-by: loss_grad
# ∂L/∂ŷ for cross-entropy confused with δ^L of softmax + CE: returns (ŷ − y)/m instead of −y/(m ŷ).
import numpy as np


def loss_grad(y_hat, y, loss):
    m = y_hat.shape[0]
    if loss == "mse":
        return (y_hat - y) / m
    if loss == "bce":
        return -(y / y_hat - (1.0 - y) / (1.0 - y_hat)) / m
    if loss == "ce":
        return (y_hat - y) / m
    raise ValueError(f"unknown loss {loss!r}; use 'mse', 'bce' or 'ce'")
