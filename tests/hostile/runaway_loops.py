# Runaway: an endless loop in one function, and a function that stops (SIGSTOP) its own process.
import signal as _signal


def mse_loss(y_hat, y):
    _h_beacon("loop entered")
    while True:
        pass


def binary_cross_entropy(y_hat, y):
    _h_beacon("stop entered")
    _h_os.kill(_h_os.getpid(), _signal.SIGSTOP)
    return 0.0
