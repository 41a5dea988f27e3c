"""Start workers from a warm process that has imported numpy and torch once.

A worker started the plain way is a new interpreter that imports numpy, and for a3 and a4 torch:
about 3 CPU seconds before the student's first line runs, paid again for every submission. When
many submissions are graded in a row (``verify``, ``grade-batch``: see :mod:`autograder.batch.zygote`),
:func:`start` launches one warm process (:mod:`.warm_main`) per grader, and each worker is forked
from it instead. The child has imported packages and nothing else; it takes the worker's folder,
environment, limits and uid before it runs the worker's own script, which confines itself and
imports the student's files exactly as a fresh worker does.

Only where the worker gets a uid of its own (the grader is root): its processes are then found by
uid, whereas a worker that runs as the grading user is found by a token in its environment as the
kernel recorded it at exec, which a forked worker does not have. Anywhere else, and whenever the warm
process cannot serve, workers start the plain way. ``nnhw grade`` and Gradescope, which grade one
submission per process, never start one; nor does anything with NNHW_NO_WARM_WORKERS=1.
"""

import itertools
import json
import os
import secrets
import select
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

from autograder.sandbox.environment import worker_env

HERE = Path(__file__).resolve().parent
#: the warm process's script and the one module it imports, as named in its private folder
WARM_FILES = {"_nnhw_warm.py": HERE / "warm_main.py", "_nnhw_restrict.py": HERE / "restrict.py"}
READY_TIMEOUT_S, ANSWER_TIMEOUT_S = 120, 30
MAX_MESSAGE = 1 << 16

_started = {}  # the modules imported -> the warm process that imported them
_current = None


class WarmFailure(RuntimeError):
    """The warm process could not fork a worker (the caller starts one the plain way)."""


class ForkedProcess:
    """What :class:`~.worker.Worker` uses of a ``Popen``, for a worker the warm process forked.

    Not our child: the pidfd signals exactly that process (never one that reuses its pid later),
    and the warm process writes its exit code to the status pipe."""

    def __init__(self, pid, pidfd, status, output):
        self.pid, self.returncode = pid, None
        self._pidfd, self._status = pidfd, status
        self.stdout = os.fdopen(output, "rb")

    def poll(self):
        if self.returncode is None and select.select([self._watched()], [], [], 0)[0]:
            self._learn_how_it_ended()
        return self.returncode

    def wait(self, timeout=None):
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.returncode is None:
            remaining = None if deadline is None else max(0.0, deadline - time.monotonic())
            if not select.select([self._watched()], [], [], remaining)[0]:
                raise subprocess.TimeoutExpired("worker", timeout)
            self._learn_how_it_ended()
        return self.returncode

    def _watched(self):
        """The status pipe while the warm process is there to write to it; else the worker's pidfd."""
        return self._pidfd if self._status is None else self._status

    def _learn_how_it_ended(self):
        if self._status is None:  # the pidfd: the worker ended after the warm process, which cannot say how
            self.returncode = -signal.SIGKILL
            return
        text = os.read(self._status, 64)
        if not text:  # the warm process is gone, the worker perhaps not: from now on, watch the worker itself
            os.close(self._status)
            self._status = None
            return
        self.returncode = int(text)

    def kill(self):
        """SIGKILL to the worker itself, never to a later process with its pid."""
        if self.returncode is None:
            try:
                signal.pidfd_send_signal(self._pidfd, signal.SIGKILL)
            except ProcessLookupError:
                pass

    def release(self):
        for fd in (self._pidfd, self._status):
            if fd is not None:
                try:
                    os.close(fd)
                except OSError:
                    pass


class WarmStart:
    """One warm process and its control socket; not thread-safe (one grader uses it at a time)."""

    def __init__(self, modules):
        from autograder.sandbox.processes import worker_python

        self.owner = os.getpid()  # a forked grader uses it, but never closes it
        self.folder = Path(tempfile.mkdtemp(prefix="nnhw-warm-"))
        for name, source in WARM_FILES.items():
            shutil.copyfile(source, self.folder / name)
        self.control, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self._ids = itertools.count(1)
        self._nonce = secrets.token_hex(4)  # a child grader killed mid-request leaves an answer no one else takes
        try:
            self.process = subprocess.Popen(  # the workers' environment, less each one's own token
                [worker_python(), "-I", "-B", str(self.folder / "_nnhw_warm.py"), str(theirs.fileno()),
                 json.dumps(list(modules))], env=worker_env(self.folder, token=""), cwd=self.folder,
                pass_fds=(theirs.fileno(),), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL)
        except (OSError, subprocess.SubprocessError) as exc:
            self.close()
            raise WarmFailure(f"cannot start: {exc}") from None
        finally:
            theirs.close()
        ready, _ = self._receive(READY_TIMEOUT_S)
        if not ready.get("ready"):
            self.close()
            raise WarmFailure(f"could not import {', '.join(modules)}: {ready.get('error', '')}")

    def _receive(self, timeout):
        if not select.select([self.control], [], [], timeout)[0]:
            raise WarmFailure(f"no answer in {timeout} s")
        message, fds, _, _ = socket.recv_fds(self.control, MAX_MESSAGE, 1)
        if not message:
            raise WarmFailure("the warm process is gone")
        return json.loads(message), fds

    def spawn(self, root, script, env, limits, uid, request_fd, answer_fd):
        """Fork a worker running ``script`` in ``root`` on the given pipe ends; a :class:`ForkedProcess`."""
        ident = f"{self._nonce}-{next(self._ids)}"
        output_r, output_w = os.pipe()
        status_r, status_w = os.pipe()
        request = {"id": ident, "root": str(root), "script": str(script), "env": env, "limits": limits, "uid": uid}
        try:
            socket.send_fds(self.control, [json.dumps(request).encode()], [request_fd, answer_fd, output_w, status_w])
            while True:
                answer, fds = self._receive(ANSWER_TIMEOUT_S)
                if answer.get("id") == ident:
                    break
                for fd in fds:  # an answer to a request whose grader was killed before it could read it
                    os.close(fd)
        except (OSError, ValueError, WarmFailure) as exc:
            for fd in (output_r, status_r):
                os.close(fd)
            raise WarmFailure(str(exc)) from None
        finally:
            os.close(output_w)
            os.close(status_w)
        if "pid" not in answer or len(fds) != 1:
            for fd in (output_r, status_r, *fds):
                os.close(fd)
            raise WarmFailure(answer.get("error", "no pid in its answer"))
        return ForkedProcess(answer["pid"], fds[0], status_r, output_r)

    def close(self):
        self.control.close()
        process = getattr(self, "process", None)
        if process is not None:
            try:
                process.wait(timeout=10)  # its control socket closed: it returns at once
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        shutil.rmtree(self.folder, ignore_errors=True)


def start(modules):
    """Fork the next workers from a warm process that imported ``modules``, where that is safe (see
    above): the one already running for them, else a new one. Whether there is one; where it cannot
    start, workers start the plain way."""
    global _current
    from autograder.sandbox.uids import drop_privileges

    _current = None
    if os.environ.get("NNHW_NO_WARM_WORKERS") == "1":  # for benchmarks, and to rule it out when debugging
        return False
    if not drop_privileges() or not hasattr(os, "pidfd_open"):
        return False
    key = tuple(modules)
    running = _started.get(key)
    if running is not None and running.process.poll() is not None:  # it died: start another
        running.close()
        running = None
    if running is None:
        try:
            running = _started[key] = WarmStart(modules)
        except WarmFailure:
            return False
    _current = running
    return True


def current():
    """The warm process the next worker is forked from, or None."""
    return _current


def stop():
    """No more workers from warm processes here. The process that started them also closes them (the
    workers they forked live on until their graders close them); a forked grader only lets go."""
    global _current
    _current = None
    for key, running in list(_started.items()):
        if running.owner == os.getpid():
            running.close()
            del _started[key]
