# target: forward.py
# caught-by: mse_loss
# MSE without the 1/2 of the slides: 1/m Σ‖y − ŷ‖².
import numpy as np


def mse_loss(y_hat, y):
    return float(np.sum((y - y_hat) ** 2) / y.shape[0])
