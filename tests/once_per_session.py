"""Work done once per test session however many pytest-xdist workers ask for it, and folders removed once
at its very end (pytest-xdist's "making session-scoped fixtures execute only once", with a lock file).

The controller (or a run without workers) makes a private folder and hands its path to every worker
(conftest's ``pytest_configure_node``); :func:`once` keeps each result there, pickled, under a lock; the
controller removes what :func:`remove_at_end` listed, and the folder, when the session ends (no worker can
still be reading by then)."""

import fcntl
import pickle
import shutil
import tempfile
from pathlib import Path

import pytest

FOLDER = pytest.StashKey[Path]()
WORKER_INPUT = "nnhw_session_folder"


def is_worker(config):
    return hasattr(config, "workerinput")


def configure(config):
    if is_worker(config):
        config.stash[FOLDER] = Path(config.workerinput[WORKER_INPUT])
    else:
        config.stash[FOLDER] = Path(tempfile.mkdtemp(prefix="nnhw-test-session-"))  # 0700: the pickles are ours


def configure_node(node):
    node.workerinput[WORKER_INPUT] = str(node.config.stash[FOLDER])


def unconfigure(config):
    folder = config.stash.get(FOLDER, None)
    if is_worker(config) or folder is None:
        return
    listed = folder / "remove-at-end"
    for path in (listed.read_text().splitlines() if listed.exists() else []):
        shutil.rmtree(path, ignore_errors=True)
    shutil.rmtree(folder, ignore_errors=True)


def once(config, name, compute):
    """``compute()`` in the first process of this session to ask; the others wait for it and get a copy of
    its result (which must pickle). If it raised, the next to ask computes again."""
    folder = config.stash[FOLDER]
    saved = folder / f"{name}.pickle"
    with open(folder / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes, or the process dies
        if saved.exists():
            return pickle.loads(saved.read_bytes())
        value = compute()
        partial = saved.with_suffix(".partial")
        partial.write_bytes(pickle.dumps(value))
        partial.replace(saved)
        return value


def remove_at_end(config, path):
    """Remove ``path`` (a folder) when the whole session ends, not when this worker's does: another worker
    may still inspect it."""
    with open(config.stash[FOLDER] / "remove-at-end", "a") as fh:  # one short append: whole lines
        fh.write(f"{path}\n")
