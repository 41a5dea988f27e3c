# Runaway: every call takes just under the per-call timeout, so only a per-test budget stops it.
import time as _time

_reference_mse_loss = mse_loss  # noqa: F821


def mse_loss(y_hat, y):
    _h_beacon("slow call")
    _time.sleep(0.5)
    return _reference_mse_loss(y_hat, y)
