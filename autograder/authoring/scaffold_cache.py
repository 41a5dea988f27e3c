"""``nnhw new ID --cache``: the scaffold in CS231n's pattern, a forward that returns ``(out, cache)`` and a
backward that takes the student's own cache back.

The graded tests grade ``z`` and the backward's results, never the cache (each student's own design), and call
the backward with the cache the student's forward returned (:mod:`autograder.kit.answers`); the public cases
record only ``z`` (``"parts"``) and chain the backward through the student's forward (``"before"`` and
``answer_of``). docs/authoring.md walks through the same files.
"""

CONFIG = """\
# @ID@: read by `nnhw build`, `nnhw grade`, `nnhw verify` and the Gradescope bundle (docs/authoring.md).

[assignment]
id = "@ID@"
title = @TITLE_TOML@
files = ["@MODULE@"]        # what students submit: solutions/@ID@/@MODULE@, stubbed into starter/@ID@/
needs_torch = true          # the graded tests compare with torch

[limits]                    # per submission, enforced on the worker that runs the student's code
call_timeout_s = 5          # one call of a student function

[hypothesis]
max_examples = 50           # examples per property, unless a test's table sets its own

# One table per graded test, in the order Gradescope shows them. weight = points.
[tests.test_affine_forward_matches_reference]
weight = 1

[tests.test_affine_backward_through_your_forward]
weight = 2
requires = ["test_affine_forward_matches_reference"]
"""

SOLUTION = '''\
"""@ID@: the reference solution.

Between the markers is what students write: `nnhw build` turns each region into a TODO and a
NotImplementedError in starter/@ID@/@MODULE@. Arrays are float64, a batch holds one example per row,
and no function modifies its arguments.
"""


def affine_forward(h, W, b):
    """One layer's pre-activation, z = h W + b, and what the backward pass needs.

    h: (m, d_in) batch of inputs, one example per row.
    W: (d_in, d_out) weights; b: (d_out,) bias, added to every row.
    Returns (z, cache): z is (m, d_out); cache is yours to design (arrays, numbers, and tuples, lists
    or dicts of them), and affine_backward gets it back.
    """
    # BEGIN SOLUTION: compute z = h W + b and keep what affine_backward needs
    return h @ W + b, (h, W)
    # END SOLUTION


def affine_backward(dz, cache):
    """The gradients of a loss L with respect to h, W and b, given dz = ∂L/∂z.

    dz: (m, d_out); cache: what your affine_forward returned.
    Returns (dh, dW, db) with the shapes of h, W and b.
    """
    # BEGIN SOLUTION: dh = dz Wᵀ, dW = hᵀ dz, db = the sum of dz's rows
    h, W = cache
    return dz @ W.T, h.T @ dz, dz.sum(axis=0)
    # END SOLUTION
'''

GRADED_TEST = '''\
"""Graded properties of @ID@ (@MODULE@). Each test's first docstring line is its title: the name of
the function it grades, a colon, and what it checks. Each test has a [tests.<name>] table in
assignment.toml."""

import torch
from hypothesis import given
from hypothesis import strategies as st

from autograder.check import Check
from autograder.kit import strategies as nst
from autograder.kit.answers import item
from autograder.kit.judge import call, compare

FORWARD = "z = h W + b"
BACKWARD = "dh = dz Wᵀ, dW = hᵀ dz, db = Σ_rows dz"


@st.composite
def affine_inputs(draw):
    """``(h, W, b)``: a batch of m ≥ 2 rows (one row cannot tell a sum over rows from a mean), a layer d_in → d_out."""
    m, d_in, d_out = draw(st.integers(2, 8)), draw(st.integers(1, 6)), draw(st.integers(1, 6))
    return draw(nst.arrays((m, d_in))), draw(nst.arrays((d_in, d_out))), draw(nst.arrays((d_out,)))


def torch_affine(h, W, b, dz=None):
    """torch's z, or with ``dz`` the gradients its autograd finds: a second judge beside the reference."""
    h, W, b = (torch.tensor(a, requires_grad=True) for a in (h, W, b))
    z = h @ W + b
    if dz is None:
        return z.detach().numpy()
    z.backward(torch.from_numpy(dz))
    return h.grad.numpy(), W.grad.numpy(), b.grad.numpy()


@given(case=affine_inputs())
def test_affine_forward_matches_reference(student, reference, case):
    """affine_forward: z = h W + b matches the reference and torch (the cache is yours to design)"""
    h, W, b = case
    check = Check("affine_forward", {"h": h, "W": W, "b": b}, formula=FORWARD)
    z = item(check, call(student, check, "affine_forward", h, W, b), 0, "(z, cache)")
    compare(check, z, reference.affine_forward(h, W, b)[0], "z")
    compare(check, z, torch_affine(h, W, b), "z (compared with torch)")


@given(case=affine_inputs(), data=st.data())
def test_affine_backward_through_your_forward(student, reference, case, data):
    """affine_backward: dh, dW, db through your own affine_forward's cache match the reference and torch"""
    h, W, b = case
    dz = data.draw(nst.arrays((h.shape[0], W.shape[1])), label="dz")
    check = Check("affine_backward", {"h": h, "W": W, "b": b, "dz": dz}, formula=BACKWARD,
                  outputs=("dh", "dW", "db"))
    cache = item(check, call(student, check, "affine_forward", h, W, b, names=["h", "W", "b"]), 1, "(z, cache)")
    got = call(student, check, "affine_backward", dz, cache, names=["dz", "cache"])
    compare(check, got, reference.affine_backward(dz, reference.affine_forward(h, W, b)[1]))
    compare(check, got, torch_affine(h, W, b, dz), "the result (compared with torch)")
'''

MUTANTS = {
    "affine_forward_no_bias.py": """\
# target: @MODULE@
# caught-by: affine_forward
# The bias is never added: z = h W.


def affine_forward(h, W, b):
    return h @ W, (h, W)
""",
    "affine_backward_mean_db.py": """\
# target: @MODULE@
# caught-by: affine_backward
# db is the mean of dz's rows, not their sum: off by a factor m.


def affine_backward(dz, cache):
    h, W = cache
    return dz @ W.T, h.T @ dz, dz.mean(axis=0)
""",
}

CAUSES = '''\
"""Known bugs of @MODULE@'s functions, each as what code with it returns (autograder/diagnosis.py). The tests
here compare with `compare`, whose likely causes are the general relations (a factor m, a sign, a missing
term); a bug of affine_backward depends on the student's own cache, so none is listed for it."""

BUGS = {}
'''

PUBLIC_CASES = '''\
"""Fixed inputs for the public tests of @ID@: `nnhw build` runs the reference solution on each case and
records its answer in starter/@ID@/tests/cases.json, which the students' tests compare with."""

import numpy as np

from autograder.authoring.public_cases import answer_of

SEED = 1  # a fixed seed: the build writes the same bytes every time
OUTPUTS = {"affine_backward": ("dh", "dW", "db")}  # the items' names in the feedback


def cases():
    rng = np.random.default_rng(SEED)
    h, W, b, dz = rng.normal(size=(4, 3)), rng.normal(size=(3, 2)), rng.normal(size=2), rng.normal(size=(4, 2))
    return [
        {"name": "affine_forward: 4 rows, 3 → 2 (z only: the cache is yours)", "function": "affine_forward",
         "args": [h, W, b], "parts": {"z": 0}},
        {"name": "affine_backward: through your own affine_forward's cache", "function": "affine_backward",
         "before": [{"function": "affine_forward", "args": [h, W, b]}],
         "args": [dz, answer_of("affine_forward", item=1)]},
    ]
'''

HANDOUT = """\
# @TITLE@

Fill in every `# TODO` / `NotImplementedError` in **`@MODULE@`** and submit that one file. The
docstrings state each function's exact contract.

## What to write

- `affine_forward(h, W, b)` → `(z, cache)`: z = h W + b, where `h` is a batch `(m, d_in)`, one example
  per row, `W` is `(d_in, d_out)` and `b` is `(d_out,)`, added to every row. `cache` holds what your
  backward pass needs; what goes in it is yours to choose, but it must be data: numpy arrays, numbers,
  and tuples, lists or dicts (with string keys) of them, not an object of your own class.
- `affine_backward(dz, cache)` → `(dh, dW, db)`: the gradients with respect to `h`, `W` and `b`, given
  dz = ∂L/∂z and the `cache` your `affine_forward` returned: dh = dz Wᵀ, dW = hᵀ dz, db = Σ_rows dz.

Only `z` and the gradients are graded; the backward pass is graded through your own forward's cache.

## How you are graded

{{POINTS_TABLE}}
"""
