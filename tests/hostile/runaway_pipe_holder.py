# Runaway: a child keeps the worker's stdout and answer pipe open while the worker itself exits.
# The grader must notice the death at once (not wait for the timeout) and its output drain must
# not hang on the pipe the child holds.
import time as _time


def binary_cross_entropy(y_hat, y):
    if _h_os.fork() == 0:
        _h_beacon("pipe holder")
        _time.sleep(60)
        _h_os._exit(0)
    _h_os._exit(6)
