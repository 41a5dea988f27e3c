"""Limit the process that is about to become a worker, and drop it to its own uid.

Standalone (no package imports): the grader runs it between fork and exec of a worker it starts
itself, and the warm process (:mod:`.warm_main`, where it is copied as ``_nnhw_restrict.py``)
runs it in each worker it forks. One function, so a worker gets the same limits either way.
"""

import ctypes
import os
import resource

MB = 1 << 20
PR_SET_NO_NEW_PRIVS, CLONE_NEWNET = 38, 0x40000000

try:  # looked up once here: the child between fork and exec should call, not load
    _LIBC = ctypes.CDLL(None, use_errno=True)
    prctl, unshare = _LIBC.prctl, _LIBC.unshare
except (OSError, AttributeError):  # pragma: no cover - not Linux/glibc
    prctl = unshare = None


def restrict(limits, uid=None):
    """Limits first, then (as root, with ``uid``) the irrevocable bits, then the uid.

    ``limits``: ``memory_mb``, ``cpu_s``, ``max_file_mb``, ``max_open_files`` and ``max_processes``."""
    os.umask(0o077)
    memory = limits["memory_mb"] * MB
    resource.setrlimit(resource.RLIMIT_DATA, (memory, memory))  # heap and private mappings, not torch/CUDA
    resource.setrlimit(resource.RLIMIT_CPU, (limits["cpu_s"], limits["cpu_s"] + 5))
    resource.setrlimit(resource.RLIMIT_FSIZE, (limits["max_file_mb"] * MB,) * 2)
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    files = limits["max_open_files"] if hard == resource.RLIM_INFINITY else min(limits["max_open_files"], hard)
    resource.setrlimit(resource.RLIMIT_NOFILE, (files, files))
    try:  # when memory runs out, the kernel kills the worker, never the grader; as root the student cannot undo it
        fd = os.open("/proc/self/oom_score_adj", os.O_WRONLY)
        os.write(fd, b"1000")
        os.close(fd)
    except OSError:
        pass
    if prctl is not None:  # setuid programs (su, pkexec, ...) gain nothing from here on
        prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)
    if uid is not None:
        resource.setrlimit(resource.RLIMIT_NPROC, (limits["max_processes"],) * 2)  # per uid: ours alone
        if unshare is not None:
            unshare(CLONE_NEWNET)  # no network where the kernel lets root do this; ignored where not
        os.setgroups([])
        os.setresgid(uid, uid, uid)
        os.setresuid(uid, uid, uid)
