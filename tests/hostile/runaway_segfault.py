# Runaway: a segmentation fault.
import ctypes as _ctypes


def mse_loss(y_hat, y):
    return _ctypes.string_at(0)
