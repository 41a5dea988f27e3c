"""A Gradescope container laid out in a temporary folder, for running a bundle as Gradescope would.

    root = make_container(tmp_path, bundle_zip, submission_path)
    results = run_autograder(root)

The bundle is unzipped to <root>/source, the submission copied to <root>/submission, and
run_autograder is copied to <root>/run_autograder and run from <root> with AUTOGRADER_ROOT
set. setup.sh is not run (no network); the test interpreter (NNHW_PYTHON) stands in for the
system Python it would have installed into.
"""

import json
import os
import shutil
import stat
import subprocess
import sys
import time
import zipfile
from pathlib import Path


def make_container(tmp_path, bundle_zip, submission=None):
    root = Path(tmp_path) / "autograder"
    (root / "source").mkdir(parents=True)
    (root / "results").mkdir()
    (root / "submission").mkdir()
    with zipfile.ZipFile(bundle_zip) as zf:
        zf.extractall(root / "source")
    for name in ("run_autograder", "setup.sh"):
        path = root / "source" / name
        path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    shutil.copy(root / "source" / "run_autograder", root / "run_autograder")
    if submission is not None:
        submission = Path(submission)
        if submission.is_dir():
            shutil.copytree(submission, root / "submission", dirs_exist_ok=True)
        else:
            shutil.copy(submission, root / "submission" / submission.name)
    (root / "submission_metadata.json").write_text(json.dumps({"id": 1, "users": [{"name": "Student"}]}))
    return root


def run_autograder(root, timeout=600, extra_env=None):
    """Run <root>/run_autograder like Gradescope; returns (results dict, seconds, completed process)."""
    env = {**os.environ, "AUTOGRADER_ROOT": str(root), "NNHW_PYTHON": sys.executable, **(extra_env or {})}
    env.pop("NNHW_COURSE_ROOT", None)
    started = time.monotonic()
    done = subprocess.run([str(root / "run_autograder")], cwd=root, env=env, capture_output=True, text=True,
                          timeout=timeout)
    seconds = time.monotonic() - started
    results = json.loads((root / "results" / "results.json").read_text())
    return results, seconds, done
