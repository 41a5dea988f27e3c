# target: backprop.py
# caught-by: loss_grad
# BCE gradient with the sign flipped: the derivative of y log ŷ + (1−y) log(1−ŷ) without the leading minus.
import numpy as np


def loss_grad(y_hat, y, loss):
    m = y_hat.shape[0]
    if loss == "mse":
        return (y_hat - y) / m
    if loss == "bce":
        return (y / y_hat - (1.0 - y) / (1.0 - y_hat)) / m
    if loss == "ce":
        return -(y / y_hat) / m
    raise ValueError(f"unknown loss {loss!r}; use 'mse', 'bce' or 'ce'")
