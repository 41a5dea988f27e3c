"""kit.randomness: the pieces a graded test of random code needs, each failing correct code with a stated,
small probability and failing the usual wrong code."""

import math
from fractions import Fraction

import numpy as np
import pytest

from autograder.check import Check, Mismatch
from autograder.kit.randomness import FALSE_FAILURE, check_rate, check_seeded, rate_bounds


def exact_cdf(k, n, p):
    """P(X ≤ k) for X ~ Binomial(n, p), in exact rational arithmetic."""
    p = Fraction(p)
    return sum(math.comb(n, i) * p ** i * (1 - p) ** (n - i) for i in range(0, k + 1))


@pytest.mark.parametrize("n, p", [(50, 0.5), (60, 0.97), (40, 0.02), (200, 0.3)])
def test_rate_bounds_are_the_tightest_exact_binomial_bounds(n, p):
    tail = Fraction(FALSE_FAILURE) / 2
    low, high = rate_bounds(n, p)
    below, above = exact_cdf(low - 1, n, p) if low else 0, 1 - exact_cdf(high, n, p)
    assert below <= tail and above <= tail
    assert exact_cdf(low, n, p) > tail and 1 - exact_cdf(high - 1, n, p) > tail  # one step tighter would fail


def test_near_p_1_the_normal_bound_is_wrong_and_the_exact_one_is_not():
    """A 6σ normal bound at p = 0.999, n = 1000 allows counts above n and rejects none below the mean by enough;
    the exact bounds stay inside [0, n] and hold."""
    n, p = 1000, 0.999
    sigma = math.sqrt(n * p * (1 - p))
    assert n * p + 6 * sigma > n  # the normal bound's upper end is no bound at all
    low, high = rate_bounds(n, p)
    assert high == n and 0 < low < n and exact_cdf(low - 1, n, p) <= Fraction(FALSE_FAILURE) / 2


def test_check_rate_fails_a_mask_that_keeps_the_wrong_share():
    check = Check("dropout_forward")
    rng = np.random.default_rng(0)
    check_rate(check, int((rng.random(10_000) < 0.8).sum()), 10_000, 0.8, "entries kept")
    with pytest.raises(Mismatch, match=r"entries kept: \d+ of 10000 \(\d+\.\d%\), where p = 0.8 gives between 77\d\d and 82\d\d"):
        check_rate(check, int((rng.random(10_000) < 0.2).sum()), 10_000, 0.8, "entries kept")  # p and 1 − p swapped


def dropout(seed, how):
    x = np.ones(64)
    if how == "seeded":
        return x * (np.random.default_rng(seed).random(64) < 0.5) / 0.5
    if how == "global":  # the worker re-seeds the global generator before every call: the same mask every time
        np.random.seed(0)
        return x * (np.random.random(64) < 0.5) / 0.5
    return x * (np.random.default_rng().random(64) < 0.5) / 0.5  # unseeded: another mask every call


def test_check_seeded_passes_seeded_code_and_names_the_two_usual_mistakes():
    check = Check("dropout_forward")
    check_seeded(check, lambda seed: dropout(seed, "seeded"), 3, coincidence=0.5 ** 64)
    with pytest.raises(Mismatch, match="same answer for the seeds 3 to 4: the seed is not used"):
        check_seeded(check, lambda seed: dropout(seed, "global"), 3, coincidence=0.5 ** 64)
    with pytest.raises(Mismatch, match="two different answers for the same seed 3"):
        check_seeded(check, lambda seed: dropout(seed, "unseeded"), 3, coincidence=0.5 ** 64)


def test_check_seeded_tries_enough_seeds_where_answers_often_coincide():
    """A coin flip: two seeds agree half the time, so 30 seeds bring the false failure below 1e-9."""
    tried = []

    def coin(seed):
        tried.append(seed)
        return seed <= 32  # the same answer as seed 3 for seeds 4 ... 32: a run of bad luck
    check_seeded(Check("coin"), coin, 3, coincidence=0.5)
    assert tried[-1] == 33 and math.ceil(math.log(FALSE_FAILURE) / math.log(0.5)) == 30
