# Runaway: memory growing without bound, on the heap (numpy) and in shared anonymous memory
# (mmap), which a per-process heap limit does not count.
import mmap as _mmap
import time as _time

import numpy as _np


def relu(z):
    hoard = []
    while True:
        hoard.append(_np.ones(8 * 1024 * 1024))  # 64 MB at a time


def binary_cross_entropy(y_hat, y):
    hoard = []
    for _ in range(48):  # up to 3 GB, 64 MB at a time
        area = _mmap.mmap(-1, 64 * 1024 * 1024)
        _np.frombuffer(area, dtype=_np.uint8)[::4096] = 1  # touch every page
        hoard.append(area)
        _time.sleep(0.02)
    return 0.0
