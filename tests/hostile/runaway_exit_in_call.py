# Runaway: os._exit and sys.exit while answering a call.
import sys as _sys


def tanh(z):
    _h_os._exit(3)


def relu(z):
    _sys.exit(2)
