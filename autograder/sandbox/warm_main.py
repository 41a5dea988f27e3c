"""The warm process: imports the worker's heavy modules once, then forks workers from there.

Run as a standalone script from a private folder (copied there as ``_nnhw_warm.py``, next to
``_nnhw_restrict.py``), by the worker's interpreter with the worker's clean environment, never
imported by the grader. It imports numpy and, where the assignment uses it, torch: packages,
never a student's file, so a forked worker starts as a fresh one would, a few seconds sooner.

Each request on the control socket (a JSON message and four file descriptors: the worker's
request pipe, its answer pipe, its output, and a pipe for its exit status) forks one worker. The
child moves to its private folder, takes the worker's environment, limits and uid
(:func:`restrict`), closes every other descriptor and runs the worker's own script. The parent
answers with the child's pid and a pidfd (the grader can then signal exactly that process, even
after it is gone), and writes its exit status to the status pipe when it ends.
"""

import fcntl
import importlib
import json
import os
import runpy
import select
import signal
import socket
import sys
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)  # `python -I` leaves the script's folder off the path

from _nnhw_restrict import restrict  # noqa: E402 - needs the path above

#: the worker's descriptors, in the order they arrive, and where the worker's script finds them
REQUEST_FD, ANSWER_FD = 3, 4
#: how often the warm process looks for workers that ended
REAP_S = 0.05
MAX_MESSAGE = 1 << 16


def preload(names):
    for name in names:
        importlib.import_module(name)


def _become_worker(request, fds):
    """In the forked child: take the worker's place and run its script. Never returns."""
    code = 1
    try:
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        os.setsid()  # its own process group and session, as a worker started with start_new_session
        high = [fcntl.fcntl(fd, fcntl.F_DUPFD, 64) for fd in fds[:3]]  # clear of the numbers they move to
        null = os.open(os.devnull, os.O_RDWR)
        for target, fd in ((0, null), (1, high[2]), (2, high[2]), (REQUEST_FD, high[0]), (ANSWER_FD, high[1])):
            os.dup2(fd, target)
        os.closerange(ANSWER_FD + 1, os.sysconf("SC_OPEN_MAX"))  # the control socket and other workers' pipes
        os.chdir(request["root"])
        os.environ.clear()
        os.environ.update(request["env"])
        restrict(request["limits"], request.get("uid"))
        sys.path[:] = [request["root"]] + [p for p in sys.path if p != HERE]
        sys.argv = [request["script"], str(REQUEST_FD), str(ANSWER_FD)]
        runpy.run_path(request["script"], run_name="__main__")
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    except BaseException:  # noqa: BLE001 - goes to the worker's output, which the grader keeps
        traceback.print_exc()
    finally:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os._exit(code)


def _fork(request, fds, control, children):
    try:
        pid = os.fork()
    except OSError as exc:
        answer, pidfd = {"id": request.get("id"), "error": f"fork failed: {exc}"}, None
    else:
        if pid == 0:
            _become_worker(request, fds)
        pidfd = os.pidfd_open(pid)  # before any wait: the pid is still this child's
        children[pid] = fds[3]
        answer = {"id": request.get("id"), "pid": pid}
    for fd in fds[:3] if pidfd is not None else fds:
        os.close(fd)
    socket.send_fds(control, [json.dumps(answer).encode()], [pidfd] if pidfd is not None else [])
    if pidfd is not None:
        os.close(pidfd)


def _reap(children):
    """Tell each ended worker's grader how it ended (the exit code as ``subprocess`` gives it)."""
    while children:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        status_fd = children.pop(pid, None)
        if status_fd is not None:
            try:
                os.write(status_fd, str(os.waitstatus_to_exitcode(status)).encode())
            except OSError:
                pass  # the grader stopped listening
            os.close(status_fd)


def serve(control):
    children = {}
    while True:
        if select.select([control], [], [], REAP_S)[0]:
            message, fds, _, _ = socket.recv_fds(control, MAX_MESSAGE, 4)
            if not message:
                return  # the grader is gone; its workers end when their channels close
            try:
                request = json.loads(message)
            except ValueError:
                request = {}
            if len(fds) == 4 and "root" in request:
                _fork(request, fds, control, children)
            else:
                for fd in fds:
                    os.close(fd)
                socket.send_fds(control, [json.dumps({"id": request.get("id"), "error": "bad request"}).encode()], [])
        _reap(children)


def main(argv):
    control = socket.socket(fileno=int(argv[1]))
    try:
        preload(json.loads(argv[2]))
    except BaseException as exc:  # noqa: BLE001 - the grader falls back to starting each worker itself
        control.send(json.dumps({"ready": False, "error": f"{type(exc).__name__}: {exc}"}).encode())
        return 1
    control.send(json.dumps({"ready": True}).encode())
    serve(control)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
