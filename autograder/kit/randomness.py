"""Graded properties of code that draws random numbers (a dropout mask, a shuffled order, an initialisation).

Such code has no single right answer to compare with, so its tests check properties, each with a stated
chance of failing correct code (:data:`FALSE_FAILURE`, at most, per check):

- :func:`check_seeded`: the same seed gives the same answer, and another seed another answer. The worker
  seeds Python's, numpy's and torch's global generators to the same state before every call, so code that
  draws from a global generator instead of the seed it is given answers alike for every seed: only
  "another seed, another answer" catches it, and "same seed, same answer" alone never does.
- :func:`rate_bounds` and :func:`check_rate`: a count of successes (entries kept by a mask) lies within
  exact binomial bounds, not a normal approximation (wrong near p = 0 or 1, where the count is skewed).
"""

import math

import numpy as np

from autograder.check import describe

#: the largest chance that one check of this module fails correct code
FALSE_FAILURE = 1e-9


def same_answer(a, b):
    """Whether two answers are identical (arrays, tensors, numbers and tuples, lists or dicts of them)."""
    if isinstance(a, (list, tuple)):
        return isinstance(b, (list, tuple)) and len(a) == len(b) and all(map(same_answer, a, b))
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(same_answer(a[k], b[k]) for k in a)
    a, b = (v.detach().cpu().numpy() if hasattr(v, "detach") else v for v in (a, b))
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return np.shape(a) == np.shape(b) and np.array_equal(a, b, equal_nan=True)
    return a == b or (a != a and b != b)  # NaN equals NaN here


def check_seeded(check, call, seed, coincidence=0.5, false_failure=FALSE_FAILURE):
    """Fail ``check`` unless ``call(seed)`` (the student's answer for a seed) is the same twice for ``seed``, and
    differs for another seed. ``coincidence`` bounds the chance that two seeds give the same answer by luck
    (a mask of n entries kept with probability p: (p² + (1 − p)²)ⁿ); other seeds seed + 1, seed + 2, ... are
    tried until one differs, at most as many as bring the chance that all coincide below ``false_failure``."""
    first, again = call(seed), call(seed)
    if not same_answer(first, again):
        check.fail(f"gives two different answers for the same seed {seed}: draw every random number from a "
                   "generator made from the seed (np.random.default_rng(seed), torch.Generator().manual_seed(seed))",
                   f"first: {describe(first)}\nthen: {describe(again)}")
    tries = 1 if coincidence <= 0 else max(1, math.ceil(math.log(false_failure) / math.log(coincidence)))
    for other in range(seed + 1, seed + 1 + tries):
        if not same_answer(call(other), first):
            return
    check.fail(f"gives the same answer for the seeds {seed} to {seed + tries}: the seed is not used (a draw from "
               "a global generator, which the grader re-seeds before every call, is the same every time)",
               f"answer: {describe(first)}")


def _log_pmf(k, n, p):
    return math.lgamma(n + 1) - math.lgamma(k + 1) - math.lgamma(n - k + 1) + k * math.log(p) + \
        (n - k) * math.log1p(-p)


def rate_bounds(n, p, false_failure=FALSE_FAILURE):
    """``(low, high)``: for X ~ Binomial(n, p), P(X < low) ≤ false_failure / 2 and P(X > high) ≤ false_failure / 2,
    the tightest such bounds, from the exact binomial distribution."""
    if p <= 0 or p >= 1:
        return (0, 0) if p <= 0 else (n, n)
    tail = false_failure / 2

    def first_past(ks):
        total = 0.0
        for k in ks:
            total += math.exp(_log_pmf(k, n, p))
            if total > tail:
                return k
        return ks[-1]
    return first_past(range(0, n + 1)), first_past(range(n, -1, -1))


def check_rate(check, count, n, p, what, false_failure=FALSE_FAILURE):
    """Fail ``check`` when ``count`` of ``n`` (``what``: "entries kept") lies outside :func:`rate_bounds`: a
    correct answer with success probability ``p`` fails this with probability at most ``false_failure``."""
    low, high = rate_bounds(n, p, false_failure)
    if not low <= count <= high:
        check.fail(f"{what}: {count} of {n} ({count / n:.1%}), where p = {p:g} gives between {low} and {high} "
                   f"(a correct answer falls outside with probability below {false_failure:g})")
