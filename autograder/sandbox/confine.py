"""Landlock: the worker shuts itself in before the student's code is imported.

Landlock (Linux 5.13+) lets an unprivileged process restrict itself, and every process it
starts afterwards, irrevocably. No root is needed, so the same confinement holds when an
ordinary user grades on a laptop and, on top of the worker's own uid, when root grades on
Gradescope. Once confined the worker may:

- read and run its Python installation (the interpreter, the stdlib, its site-packages; all of
  a venv's or conda's prefix) and the system's shared libraries (``dlopen`` after the fact);
- read the few system files numeric libraries look at (``/proc/self``, CPU topology) and use
  ``/dev/null``, ``/dev/urandom`` and friends, and the NVIDIA device nodes where they exist;
- read and write its private folder;

and nothing else: not the course checkout, not other students' submissions, not ``~/.ssh``.
From ABI 4 it may neither bind nor connect TCP sockets; from ABI 6 it may not signal, or
connect to abstract UNIX sockets of, processes outside its domain (the grader). ptrace of
processes outside the domain is refused at every ABI.

Standalone (standard library only): copied next to the worker script as ``_nnhw_confine.py``;
the grader imports it to tell which confinement a machine offers.
"""

import ctypes
import errno
import glob
import os
import site
import sys
import sysconfig

# the syscall numbers are the same on every Linux architecture but alpha
_SYS_CREATE_RULESET, _SYS_ADD_RULE, _SYS_RESTRICT_SELF = 444, 445, 446
_CREATE_RULESET_VERSION = 1
_RULE_PATH_BENEATH = 1
_PR_SET_NO_NEW_PRIVS = 38

# file-system rights (include/uapi/linux/landlock.h)
EXECUTE, WRITE_FILE, READ_FILE, READ_DIR = 1 << 0, 1 << 1, 1 << 2, 1 << 3
REFER, TRUNCATE, IOCTL_DEV = 1 << 13, 1 << 14, 1 << 15  # ABI 2, 3, 5
_FS_RIGHTS_BY_ABI = {1: (1 << 13) - 1, 2: REFER, 3: TRUNCATE, 5: IOCTL_DEV}
#: rights a rule on a file (not a folder) may grant; the kernel refuses folder rights there.
_FILE_RIGHTS = EXECUTE | WRITE_FILE | READ_FILE | TRUNCATE | IOCTL_DEV
NET_BIND_TCP, NET_CONNECT_TCP = 1 << 0, 1 << 1                # ABI 4
SCOPE_ABSTRACT_UNIX_SOCKET, SCOPE_SIGNAL = 1 << 0, 1 << 1     # ABI 6

READ = EXECUTE | READ_FILE | READ_DIR
DEVICE = READ_FILE | WRITE_FILE | IOCTL_DEV

#: shared libraries loaded after start-up (ctypes, torch's lazy imports) and the loader's cache.
SYSTEM_LIBRARIES = ("/lib", "/lib32", "/lib64", "/usr/lib", "/usr/lib32", "/usr/lib64", "/usr/local/lib",
                    "/etc/ld.so.cache")
#: what numpy, OpenBLAS, OpenMP and torch read about the machine (none of it about its users).
SYSTEM_FILES = ("/proc/self", "/proc/cpuinfo", "/proc/meminfo", "/proc/stat", "/sys/devices/system/cpu",
                "/sys/devices/system/node", "/sys/fs/cgroup/cpu.max")
DEVICES = ("/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom")
#: prefixes that are the whole system, not one Python installation: only their Python parts are allowed.
_SYSTEM_PREFIXES = ("/", "/usr", "/usr/local")


class ConfinementUnavailable(OSError):
    """This kernel offers no Landlock (too old, disabled at boot, or refused by a seccomp filter)."""


class _RulesetAttr(ctypes.Structure):
    _fields_ = [("handled_access_fs", ctypes.c_uint64), ("handled_access_net", ctypes.c_uint64),
                ("scoped", ctypes.c_uint64)]


class _PathBeneathAttr(ctypes.Structure):
    _pack_ = 1
    _fields_ = [("allowed_access", ctypes.c_uint64), ("parent_fd", ctypes.c_int32)]


def _libc():
    libc = ctypes.CDLL(None, use_errno=True)
    libc.syscall.restype = ctypes.c_long
    return libc


def probe():
    """``(abi, why_not)``: the Landlock ABI this kernel offers (0 when none) and, when none, why."""
    try:
        libc = _libc()
    except (OSError, AttributeError) as exc:  # pragma: no cover - not Linux
        return 0, f"no C library to ask ({exc})"
    abi = libc.syscall(_SYS_CREATE_RULESET, None, ctypes.c_size_t(0), ctypes.c_uint32(_CREATE_RULESET_VERSION))
    if abi >= 1:
        return int(abi), ""
    code = ctypes.get_errno()
    why = {errno.ENOSYS: "the kernel has no Landlock (Linux 5.13 or newer is needed)",
           errno.EOPNOTSUPP: "Landlock is built in but disabled (add landlock to the lsm= boot parameter)",
           errno.EPERM: "a seccomp filter (e.g. a container's) refuses Landlock"}
    return 0, why.get(code, f"Landlock refused: {os.strerror(code)}")


def _fs_rights(abi):
    rights = 0
    for since, bits in _FS_RIGHTS_BY_ABI.items():
        if abi >= since:
            rights |= bits
    return rights


def _check(result, what):
    if result < 0:
        code = ctypes.get_errno()
        raise OSError(code, f"landlock: {what}: {os.strerror(code)}")
    return result


def _add_rule(libc, ruleset, path, rights, handled):
    try:
        fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
    except (FileNotFoundError, PermissionError):
        return  # this machine has no such file, or it is not ours to use anyway
    try:
        if not os.path.isdir(f"/proc/self/fd/{fd}"):
            rights &= _FILE_RIGHTS
        rule = _PathBeneathAttr(rights & handled, fd)
        _check(libc.syscall(_SYS_ADD_RULE, ctypes.c_int(ruleset),
                            ctypes.c_int(_RULE_PATH_BENEATH), ctypes.byref(rule), ctypes.c_uint32(0)),
               f"allow {path}")
    finally:
        os.close(fd)


def confine(read=(), write=(), devices=()):
    """Restrict this process and all it starts from now on to ``read`` (read and execute), ``write``
    (everything) and ``devices`` (read, write, ioctl); no TCP and no signals out where the ABI allows.

    Returns ``"landlock ABI n"``. Raises :class:`ConfinementUnavailable` where the kernel offers none.
    """
    abi, why_not = probe()
    if not abi:
        raise ConfinementUnavailable(why_not)
    libc = _libc()
    handled = _fs_rights(abi)
    attr = _RulesetAttr(handled, NET_BIND_TCP | NET_CONNECT_TCP if abi >= 4 else 0,
                        SCOPE_ABSTRACT_UNIX_SOCKET | SCOPE_SIGNAL if abi >= 6 else 0)
    size = 8 if abi < 4 else 16 if abi < 6 else 24  # the struct as this ABI knows it
    ruleset = _check(libc.syscall(_SYS_CREATE_RULESET, ctypes.byref(attr), ctypes.c_size_t(size),
                                  ctypes.c_uint32(0)), "create a ruleset")
    try:
        for paths, rights in ((read, READ), (write, handled), (devices, DEVICE)):
            for path in paths:
                _add_rule(libc, ruleset, path, rights, handled)
        _check(libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "no new privileges")
        _check(libc.syscall(_SYS_RESTRICT_SELF, ctypes.c_int(ruleset), ctypes.c_uint32(0)), "restrict")
    finally:
        os.close(ruleset)
    return f"landlock ABI {abi}"


def python_installation():
    """The folders (and the interpreter) of the Python running this process.

    A venv's or conda's prefix is all installation; where the prefix is the whole system (``/usr``)
    only its Python parts are: the stdlib and the site-packages, not ``/usr/local/src``.
    """
    paths = {os.path.realpath(sys.executable), *site.getsitepackages()}
    for scheme_path in ("stdlib", "platstdlib", "purelib", "platlib"):
        paths.add(sysconfig.get_paths()[scheme_path])
    for prefix in {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix}:
        if os.path.realpath(prefix) not in _SYSTEM_PREFIXES:
            paths.add(prefix)
    return sorted(paths)


def gpu_paths():
    """``(devices, readable)`` the NVIDIA driver needs where there is one (none elsewhere)."""
    devices = sorted(glob.glob("/dev/nvidia*"))
    if not devices:
        return [], []
    return devices, ["/proc/driver/nvidia", "/sys/devices", "/sys/bus/pci", "/sys/module/nvidia"]


def confine_worker(folder, also_read=(), also_write=()):
    """The worker's confinement: its installation and the system bits for reading, ``folder`` for writing."""
    gpu_devices, gpu_files = gpu_paths()
    return confine(read=[*python_installation(), *SYSTEM_LIBRARIES, *SYSTEM_FILES, *gpu_files, *also_read],
                   write=[folder, *also_write], devices=[*DEVICES, *gpu_devices])
