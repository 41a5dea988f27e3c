# Runaway: megabytes printed to stdout and stderr, at import and in calls.
import sys as _sys

_sys.stdout.write("x" * 4_000_000 + "\n")
_sys.stderr.write("y" * 4_000_000 + "\n")
_sys.stdout.flush()


_reference_mse_loss = mse_loss  # noqa: F821


def mse_loss(y_hat, y):  # prints a lot, but answers right: its test passes
    print("z" * 2_000_000, flush=True)
    return _reference_mse_loss(y_hat, y)


def binary_cross_entropy(y_hat, y):
    print("w" * 4_000_000, flush=True)
    print("the last words", flush=True)
    _sys.stderr.write("e" * 4_000_000)
    _sys.stderr.flush()
    _h_os._exit(5)
