"""Central differences: a third judge of a gradient, independent of both the reference and torch.

Grader side only (the student's code never runs here). ``numeric_gradient`` perturbs entries of
an array in place and reads a loss; entries whose ± steps cross a kink (a ReLU switching on or
off) or give a non-finite loss come back marked unusable, and ``match_numeric`` compares the
student's gradient with the numerical one where it is usable, with the reference's elsewhere.
"""

import math

import numpy as np

from autograder.check import Check

#: step h·max(1, |θ|) in float64, at most ENTRIES entries of each array (a fixed choice, as in a
#: hand-written gradient check), and the tolerance central differences are held to
STEP = 1e-5
ENTRIES = 16
RTOL, ATOL = 1e-4, 1e-6


def numeric_gradient(evaluate, theta, step=STEP, entries=ENTRIES):
    """Central differences of ``evaluate() -> (loss, pattern)`` w.r.t. the array ``theta`` (changed in place
    and restored); ``pattern`` is a list of boolean arrays (e.g. which ReLUs are on) that must not change
    between the ± steps. Returns ``(gradient, usable)``."""
    grad, usable = np.zeros_like(theta), np.zeros(theta.shape, dtype=bool)
    loss0, pattern0 = evaluate()
    if not math.isfinite(loss0):
        return grad, usable
    indices = list(np.ndindex(theta.shape))
    if len(indices) > entries:
        chosen = np.random.default_rng(len(indices)).choice(len(indices), entries, replace=False)
        indices = [indices[i] for i in sorted(chosen)]
    for index in indices:
        old = theta[index]
        h = step * max(1.0, abs(old))
        theta[index] = old + h
        plus, pattern_plus = evaluate()
        upper = theta[index]
        theta[index] = old - h
        minus, pattern_minus = evaluate()
        lower = theta[index]
        theta[index] = old
        grad[index] = (plus - minus) / (upper - lower)
        same = all(np.array_equal(p, q) and np.array_equal(p, r)
                   for p, q, r in zip(pattern0, pattern_plus, pattern_minus))
        usable[index] = same and math.isfinite(plus) and math.isfinite(minus)
    return grad, usable


def numeric_check(function, inputs, formula, context=()):
    """A check held to the tolerance central differences can meet."""
    return Check(function, inputs, formula, rtol=RTOL, atol=ATOL, context=context)


def match_numeric(check, got, expected, numeric, usable, what):
    """Compare with central differences where they are usable (elsewhere with the reference's value)."""
    check.matches(got, np.where(usable, numeric, expected), what=f"{what} (compared with a numerical gradient)")
