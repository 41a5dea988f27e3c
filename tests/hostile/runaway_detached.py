# Runaway and cheating: a process that detaches (double fork, new session, not dumpable, so its
# /proc entry looks root's), outlives the call, and keeps trying to rewrite results.json and
# run_autograder. mse_loss itself answers correctly: its test must still pass.
import ctypes as _ctypes
import time as _time

_DETACHED = []
_reference_mse_loss = mse_loss  # noqa: F821 - the reference's, defined above


def _haunt():
    _h_os.setsid()
    if _h_os.fork() != 0:
        _h_os._exit(0)
    _ctypes.CDLL(None).prctl(4, 0, 0, 0, 0)  # PR_SET_DUMPABLE 0
    while True:
        _h_beacon("heartbeat")
        for target in ("@@ROOT@@/results/results.json", "@@ROOT@@/run_autograder"):
            try:
                with open(target, "a") as fh:
                    fh.write('{"score": 1000}')
                _h_beacon("WROTE " + target)
            except OSError:
                pass
        _time.sleep(0.1)


def mse_loss(y_hat, y):
    if not _DETACHED:
        _DETACHED.append(1)
        if _h_os.fork() == 0:
            try:
                _haunt()
            finally:
                _h_os._exit(0)
        _h_os.wait()
    return _reference_mse_loss(y_hat, y)
