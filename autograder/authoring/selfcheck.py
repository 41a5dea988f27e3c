"""The public tests run on code that must pass them: the reference solution, and each accepted variant.

A public case can record an answer the reference itself then fails (a ``None`` compared as a number, a
helper the starter lacks), and ``nnhw build`` cannot see it: only running the starter's tests with the code
in place does, as a student would, so ``nnhw verify`` does it and fails loudly.
"""

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

#: how a student runs them (the handout says so), from the starter folder
COMMAND = ["-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"]
#: the report's last lines verify prints
TAIL_LINES = 30


def public_test_failure(assignment, submission, timeout=600):
    """None when the starter's public tests pass with the files of ``submission`` (a folder laid out as an
    upload) over the stubs, else the end of pytest's report. None too where the starter has no public tests."""
    if not any((assignment.starter_dir / "tests").glob("test_*.py")):
        return None
    with tempfile.TemporaryDirectory(prefix=f"nnhw-public-{assignment.id}-") as temp:
        folder = Path(shutil.copytree(assignment.starter_dir, Path(temp) / assignment.id,
                                      ignore=shutil.ignore_patterns("__pycache__", ".pytest_cache")))
        for name in assignment.config.files:
            shutil.copyfile(Path(submission) / name, folder / name)
        try:
            done = subprocess.run([sys.executable, *COMMAND], cwd=folder, capture_output=True, text=True,
                                  timeout=timeout, stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired:
            return f"the public tests did not finish in {timeout} s"
    if done.returncode == 0:
        return None
    lines = (done.stdout + done.stderr).strip().splitlines()
    return "\n".join(lines[-TAIL_LINES:])
