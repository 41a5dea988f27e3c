"""Start, limit, talk to and kill the worker process that runs a student's code.

When the grader is root (as on Gradescope) the worker runs under a uid of its own that owns
nothing but its private folder, so it cannot read a 0700 autograder tree or results folder,
and every process it ever starts can be found (and killed) by that uid, double forks and new
sessions included. Each worker leases a uid no process has (a lock under /run keeps two
graders on one machine apart), so one grader's clean-up never touches another's worker. As an
ordinary user (a student's laptop) it runs as that user, with the same limits, and its
processes are found by a token in their environment. docs/security.md has the threat model.

Everything the worker sends is untrusted bytes: answers are read with a deadline and a size
cap, must echo the request's sequence number, and are checked for shape before anyone uses them.
"""

import ctypes
import fcntl
import math
import os
import pwd
import re
import resource
import secrets
import select
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import threading
import time
import weakref
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from . import protocol

HERE = Path(__file__).resolve().parent
TOKEN_VARIABLE = "NNHW_WORKER_TOKEN"
#: uids handed to workers when the grader is root: above ordinary users, below ``nobody``.
UID_BASE, UID_SPAN = 61000, 4000
#: where graders on one machine lease worker uids (root only; a lock per uid, released when the grader dies).
UID_LOCK_DIRS = (Path("/run/nnhw-worker-uids"), Path(tempfile.gettempdir()) / "nnhw-worker-uids-0")
#: world-writable folders swept for files a worker uid left behind.
SHARED_TEMP_DIRS = ("/tmp", "/var/tmp", "/dev/shm")
MB = 1024 * 1024
#: the JSON part of one answer (structure and scalars; arrays travel as separate .npy blobs).
MAX_HEADER_BYTES = 8 * MB
#: how often the grader looks at a worker while waiting for its answer (death, memory).
POLL_S = 0.2
_PR_SET_NO_NEW_PRIVS, _CLONE_NEWNET = 38, 0x40000000
_TENSOR_DTYPES = {"float16", "bfloat16", "float32", "float64", "complex64", "complex128",
                  "uint8", "int8", "int16", "int32", "int64", "bool"}
_DEVICE = re.compile(r"(cpu|cuda|mps)(:\d{1,3})?")
_OPEN_WORKERS = weakref.WeakSet()

try:  # looked up once here: the child between fork and exec should call, not load
    _LIBC = ctypes.CDLL(None, use_errno=True)
    _prctl, _unshare = _LIBC.prctl, _LIBC.unshare
except (OSError, AttributeError):  # pragma: no cover - not Linux/glibc
    _prctl = _unshare = None


class WorkerSetupError(RuntimeError):
    """The worker could not be started at all: a problem with the grading machine, not the student."""


class WorkerFailure(RuntimeError):
    """The worker died, hung or broke the protocol while answering one call."""

    def __init__(self, message, output=""):
        super().__init__(message)
        self.output = output  # the tail of what the student's code printed


class _TooLarge(protocol.ProtocolError):
    pass


class _Garbled(protocol.ProtocolError):
    pass


@dataclass(frozen=True)
class Limits:
    call_timeout_s: float = 10.0
    startup_timeout_s: float = 60.0
    memory_mb: int = 1024          # heap (RLIMIT_DATA) of each process, and anonymous memory of all together
    cpu_s: int = 600
    max_processes: int = 64        # per worker uid (root only: it is a per-uid count)
    max_file_mb: int = 16
    output_tail_bytes: int = 4000
    max_answer_mb: int = 64        # the arrays of one answer; the grader reads no more
    max_open_files: int = 256
    test_budget_s: Optional[float] = None  # time in the student's code per test; None: 6 x call_timeout_s
    total_budget_s: float = 480.0  # time in the student's code per submission (Gradescope's default timeout is 600)

    @property
    def test_budget(self):
        return self.test_budget_s if self.test_budget_s is not None else 6 * self.call_timeout_s


def _drop_privileges():
    return os.geteuid() == 0 and os.environ.get("NNHW_NO_PRIVILEGE_DROP") != "1"


def worker_uid():
    """The first uid a worker of this grader tries (the lease may move on to a free one)."""
    return UID_BASE + os.getpid() % UID_SPAN


def worker_python():
    return os.environ.get("NNHW_WORKER_PYTHON") or sys.executable


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


# -- processes ------------------------------------------------------------------------------------
def _status(pid):
    """``{field: value}`` of /proc/<pid>/status (its real uid, state and memory), or None when gone.

    The real uid from ``status``, not the owner of /proc/<pid>: a process that makes itself
    non-dumpable shows its /proc folder as root's, but cannot change its real uid.
    """
    try:
        with open(f"/proc/{pid}/status", "rb") as fh:
            text = fh.read().decode("ascii", "replace")
    except OSError:
        return None
    fields = {}
    for line in text.splitlines():
        key, _, value = line.partition(":")
        fields[key] = value.strip()
    return fields


def _real_uid(fields):
    try:
        return int(fields["Uid"].split()[0])
    except (KeyError, ValueError, IndexError):
        return None


def _has_token(pid, token):
    try:
        with open(f"/proc/{pid}/environ", "rb") as fh:
            return f"{TOKEN_VARIABLE}={token}".encode() in fh.read().split(b"\0")
    except OSError:
        return False


def processes_of(uid=None, token=None, zombies=False):
    """PIDs on this machine whose real uid is ``uid`` or that carry ``token`` in their environment.

    Zombies (dead, waiting to be reaped) are left out unless ``zombies``: they run nothing.
    """
    found, me = [], os.getpid()
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == me:
            continue
        fields = _status(entry)
        if fields is None or (not zombies and fields.get("State", "")[:1] in ("Z", "X")):
            continue
        if (uid is not None and _real_uid(fields) == uid) or (token is not None and _has_token(entry, token)):
            found.append(int(entry))
    return found


def anonymous_memory_mb(pids):
    """Anonymous plus shared memory (not shared libraries) of ``pids`` together, in MB."""
    total_kb = 0
    for pid in pids:
        fields = _status(pid) or {}
        for key in ("RssAnon", "RssShmem"):
            try:
                total_kb += int(fields.get(key, "0 kB").split()[0])
            except (ValueError, IndexError):
                pass
    return total_kb / 1024


def _kill_everything_as(uid):
    """``kill(-1, SIGKILL)`` run *as* ``uid``: the kernel signals every process of that uid in one sweep,
    however fast it forks. Runs a tiny interpreter as that uid (no fork of the threaded grader)."""
    try:
        subprocess.run([worker_python(), "-I", "-S", "-c", "import os; os.kill(-1, 9)"], env={},
                       stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                       user=uid, group=uid, extra_groups=[], timeout=10, cwd="/")
    except (OSError, subprocess.SubprocessError):
        pass


def kill_all(uid=None, token=None, pgid=None, timeout=10.0):
    """Kill until nothing is left: a fork bomb can spawn between one scan and the next.

    Returns True when no live process of ``uid`` / with ``token`` remains.
    """
    if pgid is not None:
        try:
            os.killpg(pgid, signal.SIGKILL)
        except OSError:
            pass
    deadline = time.monotonic() + timeout
    while True:
        pids = processes_of(uid=uid, token=token)
        if not pids:
            return True
        if time.monotonic() > deadline:
            return False
        if uid is not None:
            _kill_everything_as(uid)
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        time.sleep(0.01)


def remove_files_of(uid, folders=SHARED_TEMP_DIRS):
    """Delete what ``uid`` left in the shared temporary folders (call only once its processes are dead)."""
    for folder in {*folders, tempfile.gettempdir()}:
        try:
            entries = list(os.scandir(folder))
        except OSError:
            continue
        for entry in entries:
            try:
                if entry.stat(follow_symlinks=False).st_uid != uid:
                    continue
                if entry.is_dir(follow_symlinks=False):
                    shutil.rmtree(entry.path, ignore_errors=True)
                else:
                    os.unlink(entry.path)
            except OSError:
                pass


# -- worker uids ------------------------------------------------------------------------------------
def _lock_dir():
    for folder in UID_LOCK_DIRS:
        try:
            folder.mkdir(mode=0o700, exist_ok=True)
            info = folder.lstat()
        except OSError:
            continue
        # only a folder root made and no one else can write to is trusted (not one a student pre-created)
        if os.path.isdir(folder) and not folder.is_symlink() and info.st_uid == 0 and not info.st_mode & 0o022:
            return folder
    return None


def _uid_is_free(uid):
    try:
        pwd.getpwuid(uid)
        return False  # a real account (or a systemd dynamic user): never borrow it
    except KeyError:
        pass
    return not processes_of(uid=uid, zombies=True)


def lease_uid():
    """``(uid, lock)``: a worker uid no process has, held (by an flock) until ``lock`` is closed."""
    folder = _lock_dir()
    start = worker_uid() - UID_BASE
    for step in range(UID_SPAN):
        uid = UID_BASE + (start + step) % UID_SPAN
        lock = None
        if folder is not None:
            try:
                fd = os.open(folder / str(uid), os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
            except OSError:
                continue
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                os.close(fd)
                continue
            lock = fd
        if _uid_is_free(uid):
            return uid, lock
        if lock is not None:
            os.close(lock)
    raise WorkerSetupError(f"no free worker uid in {UID_BASE}..{UID_BASE + UID_SPAN - 1}")


# -- replies --------------------------------------------------------------------------------------
def _text(value, limit=4000):
    return value[:limit] if isinstance(value, str) else ""


def _error_report(error):
    if not isinstance(error, dict):
        raise protocol.ProtocolError("an error report that is not a table")
    return {"type": _text(error.get("type"), 100) or "Error", "message": _text(error.get("message")),
            "traceback": _text(error.get("traceback"))}


def _number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def check_reply(request, reply, value):
    """Accept a reply only in the shape the worker's own code sends; anything else is a protocol error."""
    if reply.get("seq") != request.get("seq"):
        raise _Garbled("sent an answer out of turn (did your code fork a copy of itself, or write to the "
                       "grader's channel?)")
    if not isinstance(reply.get("ok"), bool):
        raise protocol.ProtocolError("a reply without ok: true/false")
    if not reply["ok"]:
        reply["error"] = _error_report(reply.get("error"))
        return reply, None
    op = request.get("op")
    if op == "init":
        imports = reply.get("imports")
        if not isinstance(imports, dict):
            raise protocol.ProtocolError("an import report that is not a table")
        clean = {}
        for name, report in imports.items():
            if not isinstance(report, dict):
                raise protocol.ProtocolError("an import report that is not a table")
            ok = report.get("ok") is True
            clean[str(name)] = {"ok": True} if ok else {"ok": False, "error": _error_report(report.get("error"))}
        reply["imports"] = clean
        return reply, value
    if not isinstance(value, dict):
        raise protocol.ProtocolError("an answer that is not a table")
    mutated = value.get("mutated", [])
    if not isinstance(mutated, list) or not all(isinstance(m, (str, int)) and not isinstance(m, bool)
                                                for m in mutated):
        raise protocol.ProtocolError("a malformed list of modified arguments")
    value["mutated"] = [str(m)[:100] for m in mutated]
    if op == "time" and not (_number(value.get("seconds")) and value["seconds"] >= 0):
        raise protocol.ProtocolError("a timing that is not a number of seconds")
    if op == "new" and not (isinstance(value.get("handle"), int) and not isinstance(value["handle"], bool)):
        raise protocol.ProtocolError("an object handle that is not an integer")
    if "grads" in value and not isinstance(value["grads"], (list, type(None))):
        raise protocol.ProtocolError("gradients that are not a list")
    if "param_grads" in value and not isinstance(value["param_grads"], (dict, type(None))):
        raise protocol.ProtocolError("parameter gradients that are not a table")
    return reply, value


class _CappedReader:
    """``read(n)`` for :func:`protocol.unpack` that enforces the deadline and the size caps as it goes,
    so the grader never holds more of a hostile answer than the caps allow."""

    def __init__(self, worker, deadline):
        self.worker, self.deadline, self.total, self.prefix = worker, deadline, 0, b""
        self.cap = MAX_HEADER_BYTES + worker.limits.max_answer_mb * MB

    def __call__(self, nbytes):
        data = self.worker._read(nbytes, self.deadline)
        if len(self.prefix) < 8:
            self.prefix += data[:8 - len(self.prefix)]
            if len(self.prefix) == 8 and struct.unpack("!Q", self.prefix)[0] > MAX_HEADER_BYTES:
                raise _TooLarge(f"returned an answer whose description is larger than {MAX_HEADER_BYTES // MB} MB "
                                "(return arrays, not huge Python lists)")
        self.total += len(data)
        if self.total > self.cap:
            raise _TooLarge(f"returned an answer larger than {self.worker.limits.max_answer_mb} MB "
                            "(the grader reads no more than that from one call)")
        return data


class Worker:
    """One live worker process holding the student's modules."""

    def __init__(self, files, modules, limits, poison=None):
        self.limits = limits
        self.token = secrets.token_hex(8)
        self.uid, self._lease = lease_uid() if _drop_privileges() else (None, None)
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
        """In the child, between fork and exec: limits first, then (as root) the irrevocable bits, then the uid."""
        os.umask(0o077)
        memory = self.limits.memory_mb * MB
        resource.setrlimit(resource.RLIMIT_DATA, (memory, memory))  # heap and private mappings, not torch/CUDA
        resource.setrlimit(resource.RLIMIT_CPU, (self.limits.cpu_s, self.limits.cpu_s + 5))
        resource.setrlimit(resource.RLIMIT_FSIZE, (self.limits.max_file_mb * MB,) * 2)
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
        files = self.limits.max_open_files if hard == resource.RLIM_INFINITY else min(self.limits.max_open_files, hard)
        resource.setrlimit(resource.RLIMIT_NOFILE, (files, files))
        try:  # when memory runs out, the kernel kills the worker, never the grader; as root the student cannot undo it
            fd = os.open("/proc/self/oom_score_adj", os.O_WRONLY)
            os.write(fd, b"1000")
            os.close(fd)
        except OSError:
            pass
        if _prctl is not None:  # setuid programs (su, pkexec, ...) gain nothing from here on
            _prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)
        if self.uid is not None:
            resource.setrlimit(resource.RLIMIT_NPROC, (self.limits.max_processes,) * 2)  # per uid: ours alone
            if _unshare is not None:
                _unshare(_CLONE_NEWNET)  # no network where the kernel lets root do this; ignored where not
            os.setgroups([])
            os.setresgid(self.uid, self.uid, self.uid)
            os.setresuid(self.uid, self.uid, self.uid)

    def _spawn(self):
        to_worker_r, to_worker_w = os.pipe()
        from_worker_r, from_worker_w = os.pipe()
        env = {
            "PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": str(self.root), "TMPDIR": str(self.root),
            "LANG": "C.UTF-8", "PYTHONHASHSEED": "0", "PYTHONDONTWRITEBYTECODE": "1", "OMP_NUM_THREADS": "1",
            "MKL_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", TOKEN_VARIABLE: self.token,
        }
        for name in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "CUDA_VISIBLE_DEVICES"):
            if name in os.environ:
                env[name] = os.environ[name]
        command = [worker_python(), "-I", "-B", str(self.root / "_nnhw_worker.py"), str(to_worker_r), str(from_worker_w)]
        try:
            proc = subprocess.Popen(
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
            reply, answer = protocol.unpack(_CappedReader(self, deadline), make_tensor=make_tensor)
            return check_reply(message, reply, answer)
        except TimeoutError:
            problem = f"timed out after {timeout:g} s"
        except MemoryError:
            problem = f"used more than {self.limits.memory_mb} MB of memory"
        except (EOFError, OSError):
            problem = self._death_reason()
        except (_TooLarge, _Garbled) as exc:
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
        message, _ = self.request({"op": "init"}, {"modules": list(modules), "poison": poison},
                                  timeout=self.limits.startup_timeout_s)
        if not message.get("ready"):
            self.close()
            raise WorkerFailure("did not start properly", self.output())
        return message["imports"]

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
        if self._lease is not None:
            os.close(self._lease)
            self._lease = None


def close_all_workers():
    """Close every worker this process still has open (the grader's last word before writing results)."""
    for worker in list(_OPEN_WORKERS):
        worker.close()


def make_tensor(array, dtype, device, requires_grad):
    """Rebuild a tensor the worker sent; CUDA results land on CUDA only where it exists."""
    import torch

    if dtype not in _TENSOR_DTYPES or array.dtype.kind not in "biufc":
        raise protocol.ProtocolError(f"a tensor of dtype {dtype[:40]!r} from an array of {array.dtype}")
    if not _DEVICE.fullmatch(device):
        raise protocol.ProtocolError(f"a tensor on device {device[:40]!r}")
    tensor = torch.from_numpy(array.copy()).to(getattr(torch, dtype))
    if device.startswith("cuda") and torch.cuda.is_available():
        tensor = tensor.to(device)
    tensor.nnhw_device = device
    return tensor
