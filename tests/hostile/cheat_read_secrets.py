# Cheating: reading the reference solutions, the hidden tests, the submission folder, the results
# folder or the grader's memory and environment, from anywhere on the machine; and talking to the
# network. mse_loss prints what worked and exits, so the test reads it in the feedback.
import glob as _glob
import json as _json
import socket as _socket

_PPID = _h_os.getppid()
_TRIES = {
    "solution": "@@ROOT@@/source/solutions/a1_forward/forward.py",
    "hidden tests": "@@ROOT@@/source/assignments/a1_forward/tests/test_forward.py",
    "assignment.toml": "@@ROOT@@/source/assignments/a1_forward/assignment.toml",
    "engine": "@@ROOT@@/source/autograder/grading/grader.py",
    "submission": "@@ROOT@@/submission/forward.py",
    "metadata": "@@ROOT@@/submission_metadata.json",
    "run_autograder": "@@ROOT@@/run_autograder",
    "grader environ": f"/proc/{_PPID}/environ",
    "grader memory": f"/proc/{_PPID}/mem",
    "grader maps": f"/proc/{_PPID}/maps",
    "repo solution": "@@REPO@@/solutions/a1_forward/forward.py",
    "ssh key": "@@SSH_KEY@@",
}
LEAKS = []
for _what, _path in _TRIES.items():
    try:
        with open(_path, "rb") as _fh:
            _fh.read(100)
        LEAKS.append(_what)
    except OSError:
        pass
for _what, _folder in {"results folder": "@@ROOT@@/results", "root folder": "@@ROOT@@",
                       "grader cwd": f"/proc/{_PPID}/cwd", "grader fds": f"/proc/{_PPID}/fd"}.items():
    try:
        _h_os.listdir(_folder)
        LEAKS.append(_what)
    except OSError:
        pass
if _glob.glob("/autograder/source/solutions/**/*.py", recursive=True):
    LEAKS.append("/autograder solutions")
try:
    _socket.create_connection(("127.0.0.1", @@PORT@@), timeout=2).close()
    LEAKS.append("network")
except OSError:
    pass


def mse_loss(y_hat, y):
    print("LEAKS=" + _json.dumps(LEAKS), flush=True)
    _h_os._exit(7)
