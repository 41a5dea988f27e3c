"""Install nnhw's lock (``requirements.lock``) into a Python: the versions that decide a grade.

Run as a script, before nnhw itself is installed (standard library only)::

    python3 autograder/lockinstall.py requirements.lock [--group runtime --group test ...] [--no-torch]

Torch comes first, on its own: its CPU build from PyTorch's own index (about 200 MB), tried
with a short timeout and with none of pip's configured indexes or find-links, so that what
arrives is that build or nothing; where that index cannot be reached, the default index at the
same pinned version (on a stock Linux machine that is the multi-GB CUDA build, so we say so).
Then every other pin of the chosen groups, exactly, which also settles torch's own
dependencies at the lock's versions.
"""

import argparse
import os
import subprocess
import sys
import tempfile

CPU_INDEX = "https://download.pytorch.org/whl/cpu"
CPU_INDEX_TIMEOUT_S = 15
#: pip settings that add places to look for packages: the CPU attempt goes without them
SOURCE_VARIABLES = ("PIP_INDEX_URL", "PIP_EXTRA_INDEX_URL", "PIP_FIND_LINKS", "PIP_NO_INDEX", "PIP_CONSTRAINT")


class LockError(Exception):
    pass


def read_lock(path):
    """``{group: [pin, ...]}`` in file order; a pin before any ``# [group]`` line is in "runtime"."""
    groups, group = {}, "runtime"
    with open(path, encoding="utf-8") as fh:
        for number, raw in enumerate(fh, start=1):
            line = raw.strip()
            if line.startswith("# [") and "]" in line:
                group = line[3:line.index("]")].strip()
                continue
            line = line.split("#", 1)[0].strip()
            if not line:
                continue
            name, sep, version = line.partition("==")
            if not sep or not name.strip() or not version.strip() or any(c in version for c in "<>=!~,; "):
                raise LockError(f"{path}:{number}: {line!r} is not an exact pin (name==version)")
            groups.setdefault(group, []).append(f"{name.strip()}=={version.strip()}")
    return groups


def torch_pin(groups):
    return next((pin for pins in groups.values() for pin in pins if pin.split("==")[0].lower() == "torch"), None)


def cpu_attempt(python, pin):
    """The command and environment that fetch torch's CPU build from PyTorch's index alone."""
    command = [python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-cache-dir",
               "--index-url", CPU_INDEX, "--timeout", str(CPU_INDEX_TIMEOUT_S), "--retries", "1", pin]
    env = {k: v for k, v in os.environ.items() if k not in SOURCE_VARIABLES}
    env["PIP_CONFIG_FILE"] = os.devnull  # no configured indexes or find-links: that build or nothing
    return command, env


def default_attempt(python, pin):
    return [python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-cache-dir", pin], dict(os.environ)


def install_torch(python, pin, run=subprocess.run, say=print):
    command, env = cpu_attempt(python, pin)
    if run(command, env=env).returncode == 0:
        say(f"lockinstall: {pin} from {CPU_INDEX} (the CPU build), or already there")
        return "cpu-index"
    say(f"lockinstall: {CPU_INDEX} could not be reached; installing {pin} from the default index "
        "(on a stock Linux machine that is the large CUDA build)")
    command, env = default_attempt(python, pin)
    if run(command, env=env).returncode != 0:
        raise LockError(f"could not install {pin} from {CPU_INDEX} or from the default index")
    return "default-index"


def install(python, lock, groups=("runtime",), with_torch=True, run=subprocess.run, say=print):
    """Install the pins of ``groups`` from ``lock`` into ``python``; torch first (see the module doc)."""
    locked = read_lock(lock)
    unknown = [g for g in groups if g not in locked]
    if unknown:
        raise LockError(f"{lock}: no group(s) {', '.join(unknown)}; it has {', '.join(locked)}")
    torch = torch_pin(locked)
    pins = [pin for g in groups for pin in locked[g] if pin != torch]
    if with_torch and torch:
        install_torch(python, torch, run, say)
    with tempfile.NamedTemporaryFile("w", suffix=".txt", prefix="nnhw-lock-", delete=False) as fh:
        fh.write("\n".join(pins) + "\n")
    try:
        command = [python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-cache-dir",
                   "-r", fh.name]
        if run(command, env=dict(os.environ)).returncode != 0:
            raise LockError(f"pip could not install the pins of {lock} ({', '.join(groups)})")
    finally:
        os.unlink(fh.name)
    say(f"lockinstall: {len(pins)} pinned package(s) of {', '.join(groups)}" + (f" and {torch}" if with_torch else ""))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("lock")
    parser.add_argument("--python", default=sys.executable, help="the interpreter to install into")
    parser.add_argument("--group", action="append", dest="groups", help="lock group(s) (default: runtime)")
    parser.add_argument("--no-torch", action="store_true", help="leave torch out (assignments that never need it)")
    options = parser.parse_args(argv)
    try:
        install(options.python, options.lock, tuple(options.groups or ["runtime"]), not options.no_torch)
    except (LockError, OSError) as exc:
        print(f"lockinstall: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
