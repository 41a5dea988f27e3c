"""Small helpers shared by the engine's tests."""

import json
import os
import subprocess
import sys
import textwrap
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


def call(worker, target, *args):
    """The student's ``target(*args)`` through a live :class:`sandbox.Worker`: its result (the call must
    succeed)."""
    reply, answer = worker.request({"op": "call", "target": target}, {"args": list(args)})
    assert reply["ok"], reply
    return answer["result"]


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


#: the toy course's one assignment (see :func:`write_toy_course`)
TOY = "toy"


def write(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")


def write_toy_course(course):
    """A course of one assignment, ``toy``, graded without torch: one property, weak on purpose (two
    examples, the first always 0), a mutant wrong on odd numbers only, a solution and a stub."""
    write(course / "assignments" / TOY / "assignment.toml", """
        [assignment]
        id = "toy"
        title = "A toy assignment with one weak property"
        files = ["toy.py"]

        [hypothesis]
        max_examples = 2

        [tests.test_double_matches_reference]
        weight = 1
        """)
    write(course / "assignments" / TOY / "tests" / "test_toy.py", '''
        from hypothesis import given, strategies as st


        @given(x=st.integers(0, 10**6))
        def test_double_matches_reference(student, reference, x):
            """double: matches the reference on two integers (too few to catch every bug)"""
            assert student.double(x) == reference.double(x)
        ''')
    write(course / "assignments" / TOY / "mutants" / "double_wrong_on_odd.py", """
        # target: toy.py
        # caught-by: double
        # Off by one on odd numbers only: a property with two examples catches it by luck.
        def double(x):
            return 2 * x + x % 2
        """)
    write(course / "solutions" / TOY / "toy.py", "def double(x):\n    return 2 * x\n")
    write(course / "starter" / TOY / "toy.py", "def double(x):\n    raise NotImplementedError\n")
    return course
