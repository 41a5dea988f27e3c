# target: forward.py
# caught-by: mse_loss
# np.mean over every entry (divides by m·d, not 2m).
import numpy as np


def mse_loss(y_hat, y):
    return float(np.mean((y - y_hat) ** 2) / 2)
