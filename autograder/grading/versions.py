"""What a grade was computed with: the versions that decide it, and whether they are the lock's.

Hypothesis draws different examples in different versions, and numpy's and torch's kernels
round differently, so a grade is only reproducible together with these versions. results.json
records them (``extra_data.versions``), and a grader whose packages differ from
``requirements.lock`` says so (``extra_data.lock_drift``, and a warning from ``nnhw grade``).
"""

import functools
import platform
from importlib import metadata
from pathlib import Path

#: the packages whose versions change which examples are drawn or how results are rounded
DECIDING = ("numpy", "torch", "hypothesis", "pytest")
LOCK_NAME = "requirements.lock"


@functools.cache  # a process's packages do not change under it; each grading asks for them again
def installed(name):
    """The installed version of ``name``, or None."""
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def graded_with():
    """``{"python": "3.10.12", "numpy": "2.2.6", ...}`` for this process (None: not installed)."""
    return {"python": platform.python_version(), **{name: installed(name) for name in DECIDING}}


def _base(version):
    return version.split("+", 1)[0]  # torch's "2.13.0+cpu" is the lock's "2.13.0"


def lock_drift(lock_path, group="runtime"):
    """Lines like ``numpy 2.4.6 (lock: 2.2.6)`` for each installed runtime package that differs from the
    lock; None when there is no lock to compare with. Packages not installed are left out (an
    assignment may not need torch)."""
    path = Path(lock_path)
    if not path.is_file():
        return None
    drift = []
    for pin in _pins(path, path.stat().st_mtime_ns, group):
        name, version = pin.split("==")
        have = installed(name)
        if have is not None and _base(have) != version:
            drift.append(f"{name} {have} (lock: {version})")
    return drift


@functools.cache  # read once per process (a zygote reads it for all its children), again only when it changes
def _pins(path, mtime_ns, group):
    from autograder.lockinstall import read_lock

    return tuple(read_lock(path).get(group, []))


def describe(versions=None):
    versions = versions or graded_with()
    return ", ".join(f"{name} {version}" for name, version in versions.items() if version)


if __name__ == "__main__":  # scripts/bootstrap prints this
    print(describe())
