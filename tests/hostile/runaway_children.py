# Runaway: a hundred child processes that would sleep for a long time.
import time as _time


def relu(z):
    for _ in range(100):
        if _h_os.fork() == 0:
            _h_beacon("child")
            _time.sleep(1000)
            _h_os._exit(0)
    return 0.0
