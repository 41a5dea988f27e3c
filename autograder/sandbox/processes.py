"""Find and kill every process a worker started, and delete the files its uid left behind.

Processes are found in /proc by their real uid (when the worker has a uid of its own) or by a
token in their environment (when it runs as the grading user). Killing repeats until /proc
shows none left, because a fork bomb can spawn between one scan and the next.
"""

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

TOKEN_VARIABLE = "NNHW_WORKER_TOKEN"
#: world-writable folders swept for files a worker uid left behind.
SHARED_TEMP_DIRS = ("/tmp", "/var/tmp", "/dev/shm")


def worker_python():
    """The interpreter the worker runs (and the clean-up sweep runs as the worker's uid)."""
    return os.environ.get("NNHW_WORKER_PYTHON") or sys.executable


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
