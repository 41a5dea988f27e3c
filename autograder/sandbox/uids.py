"""Lease a worker uid when the grader is root: one no process has and no account uses.

A lock file per uid under /run (flock, released when the grader dies) keeps two graders on one
machine apart, so one grader's clean-up (``kill(-1)`` as that uid) never touches another's worker.
"""

import fcntl
import os
import pwd
import tempfile
from pathlib import Path

from autograder.sandbox.processes import processes_of

#: uids handed to workers when the grader is root: above ordinary users, below ``nobody``.
UID_BASE, UID_SPAN = 61000, 4000
#: where graders on one machine lease worker uids (root only; a lock per uid, released when the grader dies).
UID_LOCK_DIRS = (Path("/run/nnhw-worker-uids"), Path(tempfile.gettempdir()) / "nnhw-worker-uids-0")


class WorkerSetupError(RuntimeError):
    """The worker could not be started at all: a problem with the grading machine, not the student."""


def drop_privileges():
    """Whether workers get a uid of their own: as root, unless NNHW_NO_PRIVILEGE_DROP=1."""
    return os.geteuid() == 0 and os.environ.get("NNHW_NO_PRIVILEGE_DROP") != "1"


def worker_uid():
    """The first uid a worker of this grader tries (the lease may move on to a free one)."""
    return UID_BASE + os.getpid() % UID_SPAN


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
