"""The engine parses course files from several threads at once (``nnhw verify``, one thread per assignment).
On CPython 3.11 two syntax trees built at once can fail with "SystemError: AST constructor recursion depth
mismatch" (python/cpython#106905); it did, in a test run. :func:`autograder.syntax.parse` takes them one at a
time. A garbage-collector callback that yields the GIL makes the race happen on every run with a bare
``ast.parse`` here (3.11)."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

RACE = """
import gc, sys, threading, time
sys.path.insert(0, {root!r})
from autograder.syntax import parse
source = open({source!r}, encoding="utf-8").read()
gc.set_threshold(50)
gc.callbacks.append(lambda phase, info: time.sleep(0.00001))  # another thread runs mid-construction
errors = []
def parse_often():
    for _ in range(20):
        try:
            parse(source)
        except SystemError as exc:
            errors.append(str(exc))
threads = [threading.Thread(target=parse_often) for _ in range(6)]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
print(len(errors), errors[:1])
"""


def test_threads_parsing_at_once_do_not_trip_over_each_other():
    script = RACE.format(root=str(ROOT), source=str(ROOT / "solutions" / "a2_backprop" / "backprop.py"))
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split()[0] == "0", done.stdout
