"""Small helpers shared by the engine's tests."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def nnhw(*args, check=True, timeout=900, env=None):
    """Run the nnhw CLI as a user would (``python -m autograder``) from the course folder."""
    done = subprocess.run([sys.executable, "-m", "autograder", *map(str, args)], cwd=ROOT, capture_output=True,
                          text=True, timeout=timeout, env={**os.environ, **(env or {})})
    if check and done.returncode != 0:
        raise AssertionError(f"nnhw {' '.join(map(str, args))} exited {done.returncode}:\n{done.stdout}\n{done.stderr}")
    return done


def grade(assignment_id, submission, out, *options, **kwargs):
    nnhw("grade", assignment_id, submission, "--out", out, "--quiet", *options, **kwargs)
    return json.loads(Path(out).read_text())


def by_name(results):
    return {t["name"]: t for t in results["tests"]}


#: a student function that leaves a grandchild behind, sleeping in a session of its own (a student
#: module's source; it needs ``os`` and ``time`` imported): what the worker's clean-up must still find
DETACH = '''
def detach():
    if os.fork() == 0:
        os.setsid()
        if os.fork() == 0:
            time.sleep(600)
        os._exit(0)
    os.wait()
    return 0
'''
