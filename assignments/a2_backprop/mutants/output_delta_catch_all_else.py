# target: backprop.py
# caught-by: output_delta
# Right for the four supported pairs, but a catch-all `else` returns (ŷ − y)/m for any other
# pair instead of raising ValueError, so a typo such as loss="cross_entropy" trains silently.
import numpy as np
from forward import sigmoid


def output_delta(z_L, y_hat, y, loss, output_activation):
    m = y_hat.shape[0]
    if (output_activation, loss) == ("sigmoid", "mse"):
        s = sigmoid(z_L)
        return (y_hat - y) / m * s * (1.0 - s)
    else:
        return (y_hat - y) / m
