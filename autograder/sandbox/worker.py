"""Start, limit and talk to the worker process that runs a student's code, and close it.

When the grader is root (as on Gradescope) the worker runs under a uid of its own (:mod:`.uids`)
that owns nothing but its private folder; as an ordinary user it runs as that user, found by a
token in its environment. Either way it confines itself with Landlock (:mod:`.confine`) before
the student's code is imported, where the kernel offers it. docs/security.md has the threat model.

Requests and answers travel on their own pipes, with a deadline and size caps (:mod:`.replies`).
"""

import os
import secrets
import select
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import weakref
from pathlib import Path

from autograder import protocol
from autograder.protocol import Op
from autograder.sandbox import warm
from autograder.sandbox.confine import probe
from autograder.sandbox.environment import worker_env
from autograder.sandbox.processes import anonymous_memory_mb, kill_all, processes_of, remove_files_of, worker_python
from autograder.sandbox.replies import MB, CappedReader, Garbled, TooLarge, check_reply, make_tensor
from autograder.sandbox.restrict import restrict
from autograder.sandbox.uids import WorkerSetupError, drop_privileges, lease_uid

HERE = Path(__file__).resolve().parent
ENGINE = HERE.parent
#: the worker's own script and the standalone modules it imports, as named in its private folder.
WORKER_FILES = {"_nnhw_worker.py": HERE / "worker_main.py", "_nnhw_confine.py": HERE / "confine.py",
                "_nnhw_protocol.py": ENGINE / "protocol.py", "_nnhw_check.py": ENGINE / "check.py"}
#: how often the grader looks at a worker while waiting for its answer (death, memory).
POLL_S = 0.2
_OPEN_WORKERS = weakref.WeakSet()


def landlock_wanted():
    """Whether workers confine themselves with Landlock (where the kernel offers it); NNHW_NO_LANDLOCK=1 says no."""
    return os.environ.get("NNHW_NO_LANDLOCK") != "1"


def unconfined_warning():
    """A warning for an ordinary user whose workers get no confinement at all (no Landlock, no uid of their
    own), or None."""
    if drop_privileges():
        return None
    abi, why_not = probe() if landlock_wanted() else (0, "NNHW_NO_LANDLOCK=1 turns it off")
    if abi:
        return None
    return (f"the submission's code runs as you, unconfined: it can read, change and send anything you can "
            f"(Landlock is unavailable: {why_not}). Grade untrusted code as root, or in a container or VM.")


def _extra_writable():
    """Folders a test harness lets the confined worker write besides its own (NNHW_WORKER_ALSO_WRITABLE,
    separated by ':'); an instructor's setting, never the student's."""
    return [p for p in os.environ.get("NNHW_WORKER_ALSO_WRITABLE", "").split(":") if p]


class WorkerFailure(RuntimeError):
    """The worker died, hung or broke the protocol while answering one call."""

    def __init__(self, message, output="", confinement=None):
        super().__init__(message)
        self.output = output  # the tail of what the student's code printed
        self.confinement = confinement  # what the worker had, where it got that far


class _Tail:
    """Drains the worker's stdout+stderr so it can never block, keeping only the last bytes.

    A daemon thread: if a (non-root) student process that escaped keeps the pipe open, the
    thread simply never ends; nobody waits for it longer than a second.
    """

    def __init__(self, stream, keep):
        self.keep, self.data = keep, b""
        self.thread = threading.Thread(target=self._drain, args=(stream,), daemon=True)
        self.thread.start()

    def _drain(self, stream):
        try:
            for chunk in iter(lambda: stream.read1(65536), b""):
                self.data = (self.data + chunk)[-self.keep:]
        except (OSError, ValueError):
            pass

    def text(self):
        return self.data.decode("utf-8", "replace")


class Worker:
    """One live worker process holding the student's modules."""

    def __init__(self, files, modules, limits, poison=None):
        self.limits = limits
        self.token = secrets.token_hex(8)
        self.uid, self._lease = lease_uid() if drop_privileges() else (None, None)
        self.closed, self._seq = False, 0
        self.root = Path(tempfile.mkdtemp(prefix="nnhw-worker-"))
        try:
            self._lay_out(files)
            self.proc, self.tail, self._out = self._spawn()
        except BaseException:
            shutil.rmtree(self.root, ignore_errors=True)
            self._release()
            raise
        _OPEN_WORKERS.add(self)
        self.confinement = self.imports = None
        self._handshake(modules, poison or {})

    def _lay_out(self, files):
        for name, source in files.items():
            shutil.copyfile(source, self.root / name)
        for name, source in WORKER_FILES.items():
            shutil.copyfile(source, self.root / name)
        if self.uid is not None:
            for path in [self.root, *self.root.iterdir()]:
                os.chown(path, self.uid, self.uid)

    def _limit_values(self):
        names = ("memory_mb", "cpu_s", "max_file_mb", "max_open_files", "max_processes")
        return {name: getattr(self.limits, name) for name in names}

    def _preexec(self):
        """In the child, between fork and exec (see :mod:`.restrict`)."""
        restrict(self._limit_values(), self.uid)

    def _spawn(self):
        to_worker_r, to_worker_w = os.pipe()
        from_worker_r, from_worker_w = os.pipe()
        env = worker_env(self.root, self.token)
        command = [worker_python(), "-I", "-B", str(self.root / "_nnhw_worker.py"), str(to_worker_r), str(from_worker_w)]
        try:
            proc = self._fork_warm(env, to_worker_r, from_worker_w) or subprocess.Popen(
                command, cwd=self.root, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT, pass_fds=(to_worker_r, from_worker_w), start_new_session=True,
                preexec_fn=self._preexec,
            )
        except (OSError, subprocess.SubprocessError) as exc:
            os.close(to_worker_w)
            os.close(from_worker_r)
            raise WorkerSetupError(
                f"cannot start the worker with {command[0]} ({exc}). When grading as root the worker runs as an "
                "unprivileged user, so the interpreter and its packages must lie in a folder everyone can read "
                "(e.g. `/usr/bin/python3 -m venv /opt/nnhw-venv`); NNHW_WORKER_PYTHON names another interpreter."
            ) from None
        finally:
            os.close(to_worker_r)
            os.close(from_worker_w)
        os.set_blocking(to_worker_w, False)  # writes wait in select, with the call's deadline
        self._in = to_worker_w
        return proc, _Tail(proc.stdout, self.limits.output_tail_bytes), from_worker_r

    def _fork_warm(self, env, request_fd, answer_fd):
        """A worker forked from the warm process (:mod:`.warm`), or None: start it the plain way."""
        starter = warm.current()
        if starter is None or self.uid is None:
            return None
        try:
            return starter.spawn(self.root, self.root / "_nnhw_worker.py", env, self._limit_values(), self.uid,
                                 request_fd, answer_fd)
        except warm.WarmFailure:
            warm.stop()  # it could not serve this one; nor, likely, the next
            return None

    # -- the channel -----------------------------------------------------------------------------
    def _check_alive(self):
        """Between waits: the worker died (even if a child of it still holds the pipe), or uses too much memory."""
        if self.proc.poll() is not None:
            raise EOFError("the worker exited")
        pids = processes_of(uid=self.uid) if self.uid is not None else [self.proc.pid]
        if anonymous_memory_mb(pids) > self.limits.memory_mb:
            raise MemoryError

    def _read(self, nbytes, deadline):
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError
            if select.select([self._out], [], [], min(remaining, POLL_S))[0]:
                return os.read(self._out, min(nbytes, MB))
            self._check_alive()

    def _write(self, data, deadline):
        view = memoryview(data)
        while view:
            try:
                view = view[os.write(self._in, view):]  # non-blocking: as much as the pipe takes
                continue
            except BlockingIOError:
                pass
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError
            if not select.select([], [self._in], [], min(remaining, POLL_S))[1]:
                self._check_alive()

    def request(self, message, value=None, timeout=None):
        """Send one request and wait for its answer, at most ``timeout`` seconds."""
        if self.closed:
            raise WorkerFailure("was stopped earlier")
        timeout = timeout or self.limits.call_timeout_s
        self._seq += 1
        message = {**message, "seq": self._seq}
        data = protocol.pack(message, value)  # the grader's own values: a failure here is the grader's
        deadline = time.monotonic() + timeout
        try:
            self._write(data, deadline)
            reply, answer = protocol.unpack(CappedReader(self._read, deadline, self.limits.max_answer_mb),
                                           make_tensor=make_tensor)
            return check_reply(message, reply, answer)
        except TimeoutError:
            problem = f"timed out after {timeout:g} s"
        except MemoryError:
            problem = f"used more than {self.limits.memory_mb} MB of memory"
        except (EOFError, OSError):
            problem = self._death_reason()
        except (TooLarge, Garbled) as exc:
            problem = str(exc)
        except Exception as exc:  # noqa: BLE001 - whatever the bytes were, they were not an answer
            problem = f"sent something that is not plain data ({str(exc)[:300]})"
        self.close()
        raise WorkerFailure(problem, self.output())

    def _death_reason(self):
        try:
            code = self.proc.wait(timeout=2)
        except subprocess.TimeoutExpired:
            return "closed its channel to the grader"
        if code < 0:
            try:
                name = signal.Signals(-code).name
            except ValueError:
                name = f"signal {-code}"
            hint = {"SIGSEGV": "a segmentation fault", "SIGKILL": "killed, usually for using too much memory or CPU time",
                    "SIGXCPU": "out of CPU time", "SIGXFSZ": "wrote a file that is too large",
                    "SIGBUS": "a bus error (memory)", "SIGABRT": "aborted"}.get(name, name)
            return f"crashed ({hint})"
        return f"exited with status {code} (os._exit or sys.exit in your code?)"

    def _handshake(self, modules, poison):
        """Confinement and poison first, answered before any student code runs (so the report is the
        worker's own word); then the student's imports. Each within the start-up timeout."""
        confine = {"also_write": _extra_writable()} if landlock_wanted() else None
        started, _ = self.request({"op": Op.START}, {"confine": confine, "poison": poison},
                                  timeout=self.limits.startup_timeout_s)
        if not started.get("ok"):  # the grading machine's problem (e.g. Landlock present but refusing a rule)
            self.close()
            error = started["error"]
            raise WorkerSetupError(f"the worker could not confine itself: {error['type']}: {error['message']}")
        parts = [started["confinement"]] if started["confinement"] != "none" else []
        self.confinement = " + ".join(parts + (["uid drop"] if self.uid is not None else [])) or "none"
        self.confinement_problem = started["confinement_problem"]
        try:
            imported, _ = self.request({"op": Op.IMPORT}, {"modules": list(modules)},
                                       timeout=self.limits.startup_timeout_s)
        except WorkerFailure as exc:  # the student's import crashed or hung: it ran, confined as reported
            exc.confinement = self.confinement
            raise
        if not imported.get("ok"):
            self.close()
            raise WorkerFailure("did not start properly", self.output(), self.confinement)
        self.imports = imported["imports"]

    def output(self):
        return self.tail.text()

    def close(self):
        """Kill the worker and everything it started, then remove its files. Safe to call twice."""
        if self.closed:
            return
        self.closed = True
        try:
            os.close(self._in)
        except OSError:
            pass
        if not isinstance(self.proc, warm.ForkedProcess):  # a forked one's group is its uid: kill_all below
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except OSError:
                pass
        try:
            self.proc.kill()
            self.proc.wait(timeout=5)  # reap it first: its zombie is no survivor
        except (OSError, subprocess.TimeoutExpired):
            pass
        kill_all(uid=self.uid, token=None if self.uid is not None else self.token)
        self.tail.thread.join(timeout=1)
        try:
            os.close(self._out)
        except OSError:
            pass
        if self.uid is not None:
            remove_files_of(self.uid)
        shutil.rmtree(self.root, ignore_errors=True)
        self._release()

    def _release(self):
        if isinstance(getattr(self, "proc", None), warm.ForkedProcess):
            self.proc.release()
        if self._lease is not None:
            os.close(self._lease)
            self._lease = None


def close_all_workers():
    """Close every worker this process still has open (the grader's last word before writing results)."""
    for worker in list(_OPEN_WORKERS):
        worker.close()
