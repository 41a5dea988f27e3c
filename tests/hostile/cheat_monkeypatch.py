# Cheating: monkeypatching numpy, numpy.testing, copy, pytest, unittest and hypothesis in the
# student's process, hoping the comparisons (or the check that arguments were left alone) believe
# anything. relu is wrong; sigmoid modifies its argument in place.
import copy as _copy
import unittest as _unittest

import numpy as _np
import numpy.testing as _npt

_yes = lambda *a, **k: True  # noqa: E731
_none = lambda *a, **k: None  # noqa: E731
for _name in ("allclose", "array_equal", "array_equiv", "isclose", "all", "any"):
    setattr(_np, _name, _yes)
for _name in ("assert_allclose", "assert_array_equal", "assert_array_almost_equal", "assert_equal",
              "assert_almost_equal"):
    setattr(_npt, _name, _none)
_copy.deepcopy = lambda value, memo=None: value
_unittest.TestCase.assertEqual = _none
_unittest.TestCase.assertTrue = _none
_unittest.TestCase.assertAlmostEqual = _none
try:
    import pytest as _pytest

    _pytest.approx = lambda *a, **k: _yes
    _pytest.fail = _none
except ImportError:
    pass
try:
    import hypothesis as _hypothesis

    _hypothesis.given = lambda *a, **k: (lambda f: f)
    _hypothesis.settings.register_profile("cheat", max_examples=1)
    _hypothesis.settings.load_profile("cheat")
except Exception:  # noqa: BLE001
    pass

_reference_relu, _reference_sigmoid = relu, sigmoid  # noqa: F821


def relu(z):
    return _reference_relu(z) + 1


def sigmoid(z):
    answer = _reference_sigmoid(z)
    z[...] = 0.5
    return answer
