"""The worker seeds the global generators before every call: a student's function that draws from them
without seeding them answers the same for the same inputs, in every call, worker and run.

torch seeds its CPU generator at random when it starts, so without this a fit that ignores its ``seed``
would train to another accuracy, and earn other partial credit, each time it is graded."""

import pytest
from helpers import call

from autograder.config import Limits
from autograder.sandbox import Worker

pytestmark = [pytest.mark.needs_worker, pytest.mark.needs_torch]  # the student's module imports torch

STUDENT = '''
import random

import numpy as np
import torch


def draws():
    """What code that never seeds anything gets from each global generator."""
    return [random.random(), float(np.random.rand()), float(torch.rand(()))]


def seeded_draws(seed):
    """Code that seeds them itself gets its own seed's numbers."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    return draws()
'''


def calls(tmp_path, *requests):
    """Start a worker on STUDENT, make each ``(target, *args)`` call, close it; the answers."""
    path = tmp_path / "student.py"
    path.write_text(STUDENT)
    worker = Worker({"student.py": path}, ["student"], Limits(startup_timeout_s=120))
    try:
        return [call(worker, target, *args) for target, *args in requests]
    finally:
        worker.close()


def test_unseeded_draws_are_the_same_in_every_call_and_every_worker(tmp_path):
    first, second, own_1, own_2, third = calls(tmp_path, ("draws",), ("draws",), ("seeded_draws", 1),
                                               ("seeded_draws", 2), ("draws",))
    assert first == second == third  # and a student's own seeding does not carry over to the next call
    (another,) = calls(tmp_path, ("draws",))
    assert another == first
    assert own_1 != own_2 and first not in (own_1, own_2)
