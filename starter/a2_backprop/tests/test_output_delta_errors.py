"""Public tests of output_delta's errors: run them from the assignment folder with  python -m pytest tests

The recorded cases (test_public.py) check what output_delta returns for the four supported pairs; these check
what the handout asks for every other (output_activation, loss) pair: a ValueError, so that a typo or a
mismatched loss cannot train silently. The autograder checks more such pairs.
"""

import importlib
import sys
from pathlib import Path

import numpy as np
import pytest

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent)]

from _nnhw_check import Feedback  # noqa: E402
from _nnhw_diagnosis import unchecked  # noqa: E402
from _nnhw_feedback import answer, fail, stop_unless_importable  # noqa: E402

stop_unless_importable()

SUPPORTED = "('identity', 'mse'), ('sigmoid', 'mse'), ('sigmoid', 'bce'), ('softmax', 'ce')"
UNSUPPORTED = [("identity", "bce"), ("softmax", "mse"), ("identity", "ce"), ("relu", "mse"), ("sigmoid", "hinge")]


@pytest.mark.parametrize("pair", UNSUPPORTED, ids=[f"{a} + {loss}" for a, loss in UNSUPPORTED])
def test_output_delta_rejects_unsupported_pairs(pair):
    """output_delta: raises ValueError for an unsupported (output_activation, loss) pair"""
    output_activation, loss = pair
    backprop = answer("backprop.py", lambda: importlib.import_module("backprop"))
    z_L = np.array([[0.5, -1.0, 2.0], [1.5, 0.0, -0.5]])
    y_hat = 1.0 / (1.0 + np.exp(-z_L))
    y = np.eye(3)[[2, 0]]
    why = (f"output_delta(z_L, y_hat, y, loss={loss!r}, output_activation={output_activation!r}) should raise "
           f"ValueError: the supported (output_activation, loss) pairs are {SUPPORTED}, and anything else must "
           "raise ValueError, so that a typo or a mismatched loss cannot train silently")
    try:
        got = backprop.output_delta(z_L, y_hat, y, loss, output_activation)
    except ValueError:
        return
    except NotImplementedError:
        fail("output_delta: not implemented yet")
    except Exception as exc:  # noqa: BLE001 - your code's error is the feedback
        problem = f"raised {type(exc).__name__}: {exc}; {why}"
    else:
        problem = f"returned {type(got).__name__} {getattr(got, 'shape', '')}; {why}"
    fail(Feedback("output_delta", problem, diagnosis=unchecked(f"the pair ({output_activation!r}, {loss!r})")))
