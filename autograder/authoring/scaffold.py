"""``nnhw new ID``: a new assignment that builds and verifies as it stands, for a TA to grow from.

One function (``affine``) goes through every file an assignment has, in the form a1–a4 use:
the solution with its markers, a graded property (hypothesis and :func:`autograder.kit.judge.judge`),
its ``[tests.<name>]`` table, a public case, a handout with the points-table placeholder and an
instructor mutant. docs/authoring.md walks through the same files to add a second function.
"""

import importlib.util
import json
import keyword
import re
import sys
from pathlib import Path

#: an id names folders and, as ``<id>.py``, the module students submit: a lower-case Python identifier
ID_PATTERN = re.compile(r"[a-z][a-z0-9_]*")


class ScaffoldError(ValueError):
    """The id cannot name a new assignment (taken, or not usable as a folder and module name)."""


def check_id(course_root, assignment_id):
    """Refuse an id that is taken in the course, or that cannot be a module name students import."""
    if not ID_PATTERN.fullmatch(assignment_id):
        raise ScaffoldError(f"{assignment_id!r} cannot name an assignment: use lower-case letters, digits and _, "
                            "starting with a letter (e.g. a5_rnn); it names the folders and the module students "
                            f"submit, {assignment_id}.py")
    if keyword.iskeyword(assignment_id):
        raise ScaffoldError(f"{assignment_id!r} is a Python keyword; students could not import {assignment_id}.py")
    if assignment_id in sys.stdlib_module_names or _installed(assignment_id):
        raise ScaffoldError(f"a module called {assignment_id!r} exists already (in Python's standard library or "
                            f"installed); the students' {assignment_id}.py would shadow it: choose another id")
    taken = [f"{top}/{assignment_id}" for top in ("assignments", "solutions", "starter")
             if (Path(course_root) / top / assignment_id).exists()]
    if taken:
        raise ScaffoldError(f"assignment {assignment_id!r} already exists ({', '.join(taken)} in {course_root}); "
                            "choose a new id")


def _installed(name):
    """Whether ``import name`` finds a module here (a folder that is only a namespace package does not count)."""
    spec = importlib.util.find_spec(name)
    return spec is not None and spec.origin not in (None, "namespace")


def files(assignment_id, title, cache=False):
    """The new assignment's files, ``{path relative to the course: text}``; with ``cache``, CS231n's pattern
    (:mod:`.scaffold_cache`)."""
    from autograder.authoring import scaffold_cache

    module = f"{assignment_id}.py"
    fill = {"ID": assignment_id, "MODULE": module, "TITLE": title, "TITLE_TOML": json.dumps(title, ensure_ascii=False)}
    kind = scaffold_cache if cache else sys.modules[__name__]
    templates = {
        f"assignments/{assignment_id}/assignment.toml": kind.CONFIG,
        f"solutions/{assignment_id}/{module}": kind.SOLUTION,
        f"assignments/{assignment_id}/tests/test_{assignment_id}.py": kind.GRADED_TEST,
        **{f"assignments/{assignment_id}/mutants/{name}": text for name, text in kind.MUTANTS.items()},
        f"assignments/{assignment_id}/public_cases.py": kind.PUBLIC_CASES,
        f"assignments/{assignment_id}/handout.md": kind.HANDOUT,
        f"assignments/{assignment_id}/causes.py": getattr(kind, "CAUSES", CAUSES),
    }
    return {path: re.sub(r"@(\w+)@", lambda match: fill[match.group(1)], text) for path, text in templates.items()}


#: what a course folder of one's own starts with besides assignments/ and solutions/: the lock its bundles install
LOCK = Path(__file__).resolve().parent.parent.parent / "requirements.lock"
GITIGNORE = "# written by nnhw build and verify\ndist/\n.nnhw/\n"


def start_course(root):
    """Make ``root`` a course (``assignments/``, ``solutions/``, the lock its Gradescope bundles install, a
    .gitignore for what the build writes) where it is an empty folder; returns the paths written. A folder with
    other things in it is refused: a course is made on purpose, not around someone's files."""
    root = Path(root)
    others = sorted(p.name for p in root.iterdir() if not p.name.startswith(".")) if root.is_dir() else []
    if others:
        raise ScaffoldError(f"no course at or above {root} (a folder with assignments/ and solutions/), and {root} is "
                            f"not empty ({', '.join(others[:5])}{', ...' if len(others) > 5 else ''}): run "
                            "`nnhw new` in an empty folder to start a course there, or in an existing course")
    written = []
    for folder in ("assignments", "solutions"):
        (root / folder).mkdir(parents=True, exist_ok=True)
        written.append(root / folder)
    if LOCK.is_file():
        (root / LOCK.name).write_bytes(LOCK.read_bytes())
        written.append(root / LOCK.name)
    (root / ".gitignore").write_text(GITIGNORE, encoding="utf-8")
    return [*written, root / ".gitignore"]


def scaffold(course_root, assignment_id, title=None, cache=False):
    """Write a new assignment into the course at ``course_root``; returns the paths written."""
    course_root = Path(course_root)
    check_id(course_root, assignment_id)
    title = title or f"Assignment {assignment_id}"
    if "\n" in title or not title.strip():
        raise ScaffoldError("the title must be one line of text")
    written = []
    for relative, text in files(assignment_id, title, cache).items():
        path = course_root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written


# -- the files (@ID@, @MODULE@, @TITLE@ and @TITLE_TOML@ are filled in) ------------------------------------
CONFIG = """\
# @ID@: read by `nnhw build`, `nnhw grade`, `nnhw verify` and the Gradescope bundle (docs/authoring.md).

[assignment]
id = "@ID@"
title = @TITLE_TOML@
files = ["@MODULE@"]        # what students submit: solutions/@ID@/@MODULE@, stubbed into starter/@ID@/
needs_torch = false         # true when the graded tests or the solution import torch

[limits]                    # per submission, enforced on the worker that runs the student's code
call_timeout_s = 5          # one call of a student function

[hypothesis]
max_examples = 50           # examples per property, unless a test's table sets its own

# One table per graded test, in the order Gradescope shows them. weight = points.
[tests.test_affine_matches_reference]
weight = 1
"""

SOLUTION = '''\
"""@ID@: the reference solution.

Between the markers is what students write: `nnhw build` turns each region into a TODO and a
NotImplementedError in starter/@ID@/@MODULE@. Arrays are float64, a batch holds one example per row,
and no function modifies its arguments.
"""


def affine(h, W, b):
    """One layer's pre-activation, z = h W + b.

    h: (m, d_in) batch of inputs, one example per row.
    W: (d_in, d_out) weights; b: (d_out,) bias, added to every row.
    Returns z: (m, d_out).
    """
    # BEGIN SOLUTION: compute z = h W + b (a matrix product, then b added to every row)
    return h @ W + b
    # END SOLUTION
'''

GRADED_TEST = '''\
"""Graded properties of @ID@ (@MODULE@). Each test's first docstring line is its title: the name of
the function it grades, a colon, and what it checks. Each test has a [tests.<name>] table in
assignment.toml."""

from hypothesis import given
from hypothesis import strategies as st

from autograder.kit import strategies as nst
from autograder.kit.judge import judge

AFFINE = "z = h W + b"


@st.composite
def affine_inputs(draw):
    """``(h, W, b)``: a batch of m rows of width d_in, and a layer d_in → d_out."""
    m, d_in, d_out = draw(st.integers(1, 8)), draw(st.integers(1, 6)), draw(st.integers(1, 6))
    return draw(nst.arrays((m, d_in))), draw(nst.arrays((d_in, d_out))), draw(nst.arrays((d_out,)))


@given(case=affine_inputs())
def test_affine_matches_reference(student, reference, case):
    """affine: z = h W + b matches the reference (shape (m, d_out), float64)"""
    h, W, b = case
    judge(student, reference, "affine", h, W, b, formula=AFFINE)
'''

CAUSES = '''\
"""Known bugs of @MODULE@'s functions, each as what code with it returns: the feedback names one as the likely
cause only after calling the student's function again on probes confirms it (autograder/diagnosis.py)."""

from autograder.diagnosis import Bug

BUGS = {
    "affine": [Bug("the bias b is never added: z = h W + b, with b added to every row", lambda ref, h, W, b: h @ W)],
}
'''

MUTANTS = {"affine_no_bias.py": """\
# target: @MODULE@
# caught-by: affine
# The bias is never added: z = h W.


def affine(h, W, b):
    return h @ W
"""}

PUBLIC_CASES = '''\
"""Fixed inputs for the public tests of @ID@: `nnhw build` runs the reference solution on each case and
records its answer in starter/@ID@/tests/cases.json, which the students' tests compare with."""

import numpy as np

SEED = 1  # a fixed seed: the build writes the same bytes every time


def cases():
    rng = np.random.default_rng(SEED)
    h, W, b = rng.normal(size=(4, 3)), rng.normal(size=(3, 2)), rng.normal(size=2)
    return [
        {"name": "affine: 4 rows, 3 → 2", "function": "affine", "args": [h, W, b]},
    ]
'''

HANDOUT = """\
# @TITLE@

Fill in every `# TODO` / `NotImplementedError` in **`@MODULE@`** and submit that one file. The
docstrings state each function's exact contract.

## What to write

- `affine(h, W, b)` → z = h W + b: `h` is a batch `(m, d_in)`, one example per row, `W` is
  `(d_in, d_out)` and `b` is `(d_out,)`, added to every row.

## How you are graded

{{POINTS_TABLE}}
"""
