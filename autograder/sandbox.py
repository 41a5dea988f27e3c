"""Start, limit, talk to and kill the worker process that runs a student's code.

When the grader is root (as on Gradescope) the worker runs under a uid of its own that owns
nothing but its private folder, so it cannot read a 0700 autograder tree or results folder,
and every process it ever starts can be found (and killed) by that uid, double forks and new
sessions included. As an ordinary user (a student's laptop) it runs as that user, with the
same limits, and its processes are found by a token in their environment.
"""

import os
import resource
import secrets
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from . import protocol

HERE = Path(__file__).resolve().parent
TOKEN_VARIABLE = "NNHW_WORKER_TOKEN"
#: uids handed to workers when the grader is root: above ordinary users, below ``nobody``.
UID_BASE, UID_SPAN = 61000, 4000


class WorkerSetupError(RuntimeError):
    """The worker could not be started at all: a problem with the grading machine, not the student."""


class WorkerFailure(RuntimeError):
    """The worker died, hung or broke the protocol while answering one call."""

    def __init__(self, message, output=""):
        super().__init__(message)
        self.output = output  # the tail of what the student's code printed


@dataclass(frozen=True)
class Limits:
    call_timeout_s: float = 10.0
    startup_timeout_s: float = 60.0
    memory_mb: int = 1024
    cpu_s: int = 600
    max_processes: int = 64
    max_file_mb: int = 16
    output_tail_bytes: int = 4000


def _drop_privileges():
    return os.geteuid() == 0 and os.environ.get("NNHW_NO_PRIVILEGE_DROP") != "1"


def worker_uid():
    return UID_BASE + os.getpid() % UID_SPAN


def worker_python():
    """The interpreter the worker runs: this one, reached through the real path of its venv, so a
    `.venv` symlink into a world-readable folder works for an unprivileged worker."""
    if os.environ.get("NNHW_WORKER_PYTHON"):
        return os.environ["NNHW_WORKER_PYTHON"]
    if sys.prefix != sys.base_prefix:
        candidate = Path(os.path.realpath(sys.prefix)) / "bin" / Path(sys.executable).name
        if candidate.exists():
            return str(candidate)
    return sys.executable


class _Tail:
    """Drains the worker's stdout+stderr so it can never block, keeping only the last bytes."""

    def __init__(self, stream, keep):
        self.keep, self.data = keep, b""
        self.thread = threading.Thread(target=self._drain, args=(stream,), daemon=True)
        self.thread.start()

    def _drain(self, stream):
        for chunk in iter(lambda: stream.read(65536), b""):
            self.data = (self.data + chunk)[-self.keep:]

    def text(self):
        return self.data.decode("utf-8", "replace")


def processes_of(uid=None, token=None):
    """PIDs on this machine owned by ``uid`` or carrying ``token`` in their environment."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == os.getpid():
            continue
        try:
            if uid is not None and os.stat(f"/proc/{entry}").st_uid == uid:
                found.append(int(entry))
            elif token is not None:
                with open(f"/proc/{entry}/environ", "rb") as fh:
                    if f"{TOKEN_VARIABLE}={token}".encode() in fh.read().split(b"\0"):
                        found.append(int(entry))
        except OSError:
            continue
    return found


def kill_all(uid=None, token=None, pgid=None):
    """Kill until nothing is left: a fork bomb can spawn between one scan and the next."""
    if pgid is not None:
        try:
            os.killpg(pgid, signal.SIGKILL)
        except OSError:
            pass
    for _ in range(200):
        pids = processes_of(uid=uid, token=token)
        if not pids:
            return
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        time.sleep(0.01)


class Worker:
    """One live worker process holding the student's modules."""

    def __init__(self, files, modules, limits, poison=None):
        self.limits = limits
        self.root = Path(tempfile.mkdtemp(prefix="nnhw-worker-"))
        self.token = secrets.token_hex(8)
        self.uid = worker_uid() if _drop_privileges() else None
        self.closed = False
        self._lay_out(files)
        self.proc, self.tail, self._out = self._spawn()
        self.imports = self._handshake(modules, poison or {})

    def _lay_out(self, files):
        for name, source in files.items():
            shutil.copyfile(source, self.root / name)
        shutil.copyfile(HERE / "worker_main.py", self.root / "_nnhw_worker.py")
        shutil.copyfile(HERE / "protocol.py", self.root / "_nnhw_protocol.py")
        shutil.copyfile(HERE / "check.py", self.root / "_nnhw_check.py")
        if self.uid is not None:
            for path in [self.root, *self.root.iterdir()]:
                os.chown(path, self.uid, self.uid)

    def _preexec(self):
        mb = 1024 * 1024
        os.umask(0o077)
        resource.setrlimit(resource.RLIMIT_AS, (self.limits.memory_mb * mb,) * 2)
        resource.setrlimit(resource.RLIMIT_CPU, (self.limits.cpu_s, self.limits.cpu_s + 5))
        resource.setrlimit(resource.RLIMIT_FSIZE, (self.limits.max_file_mb * mb,) * 2)
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        if self.uid is not None:  # per-uid: only meaningful when the uid is the worker's own
            resource.setrlimit(resource.RLIMIT_NPROC, (self.limits.max_processes,) * 2)

    def _spawn(self):
        to_worker_r, to_worker_w = os.pipe()
        from_worker_r, from_worker_w = os.pipe()
        env = {
            "PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": str(self.root), "LANG": "C.UTF-8",
            "PYTHONHASHSEED": "0", "PYTHONDONTWRITEBYTECODE": "1", "OMP_NUM_THREADS": "1",
            "MKL_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", TOKEN_VARIABLE: self.token,
        }
        for name in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"):
            if name in os.environ:
                env[name] = os.environ[name]
        command = [worker_python(), "-I", "-B", str(self.root / "_nnhw_worker.py"), str(to_worker_r), str(from_worker_w)]
        try:
            proc = subprocess.Popen(
                command, cwd=self.root, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT, pass_fds=(to_worker_r, from_worker_w), start_new_session=True,
                preexec_fn=self._preexec, user=self.uid, group=self.uid,
                extra_groups=[] if self.uid is not None else None,
            )
        except OSError as exc:
            raise WorkerSetupError(
                f"cannot start the worker with {command[0]} ({exc}). When grading as root the worker runs as an "
                "unprivileged user, so the interpreter and its packages must lie in a folder everyone can read "
                "(e.g. `/usr/bin/python3 -m venv /opt/nnhw-venv`); NNHW_WORKER_PYTHON names another interpreter."
            ) from None
        finally:
            os.close(to_worker_r)
            os.close(from_worker_w)
        self._in = os.fdopen(to_worker_w, "wb", buffering=0)
        return proc, _Tail(proc.stdout, self.limits.output_tail_bytes), from_worker_r

    def _read(self, nbytes, deadline):
        remaining = deadline - time.monotonic()
        if remaining <= 0 or not select.select([self._out], [], [], remaining)[0]:
            raise TimeoutError
        return os.read(self._out, nbytes)

    def request(self, message, value=None, timeout=None):
        """Send one request and wait for its answer, at most ``timeout`` seconds."""
        deadline = time.monotonic() + (timeout or self.limits.call_timeout_s)
        try:
            self._in.write(protocol.pack(message, value))
            return protocol.unpack(lambda n: self._read(n, deadline), make_tensor=make_tensor)
        except TimeoutError:
            problem = f"timed out after {timeout or self.limits.call_timeout_s:g} s"
        except (EOFError, OSError):
            problem = self._death_reason()
        except protocol.ProtocolError as exc:
            problem = f"sent something that is not plain data ({exc})"
        self.close()
        raise WorkerFailure(problem, self.output())

    def _death_reason(self):
        try:
            code = self.proc.wait(timeout=2)
        except subprocess.TimeoutExpired:
            return "closed its channel to the grader"
        if code < 0:
            name = signal.Signals(-code).name
            hint = {"SIGSEGV": "a segmentation fault", "SIGKILL": "killed, usually for using too much memory or CPU time",
                    "SIGXCPU": "out of CPU time", "SIGXFSZ": "wrote a file that is too large"}.get(name, name)
            return f"crashed ({hint})"
        return f"exited with status {code} (os._exit or sys.exit in your code?)"

    def _handshake(self, modules, poison):
        message, _ = self.request({"op": "init"}, {"modules": list(modules), "poison": poison},
                                  timeout=self.limits.startup_timeout_s)
        if not message.get("ready") or not isinstance(message.get("imports"), dict):
            raise WorkerFailure("did not start properly")
        return message["imports"]

    def output(self):
        return self.tail.text()

    def close(self):
        """Kill the worker and everything it started, then remove its folder. Safe to call twice."""
        if self.closed:
            return
        self.closed = True
        try:
            self._in.close()
        except OSError:
            pass
        kill_all(uid=self.uid, token=None if self.uid is not None else self.token, pgid=self.proc.pid)
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass
        self.tail.thread.join(timeout=1)
        os.close(self._out)
        shutil.rmtree(self.root, ignore_errors=True)


def make_tensor(array, dtype, device, requires_grad):
    """Rebuild a tensor the worker sent; CUDA results land on CUDA only where it exists."""
    import torch

    tensor = torch.from_numpy(array.copy()).to(getattr(torch, dtype))
    if device.startswith("cuda") and torch.cuda.is_available():
        tensor = tensor.to(device)
    tensor.nnhw_device = device
    return tensor
