import ast

import pytest

from autograder.regions import MarkerError, make_stub, solution_functions, strip_markers

SOLUTION = '''import numpy as np


def relu(z):
    """max(0, z)."""
    # BEGIN SOLUTION: compute max(0, z)
    return np.maximum(z, 0)
    # END SOLUTION


class Layer:
    def forward(self, x):
        """Docstring kept."""
        # BEGIN SOLUTION
        return x
        # END SOLUTION


def given(x):
    return x + 1
'''


def test_stub_keeps_signatures_docstrings_and_given_code():
    stub = make_stub(SOLUTION)
    tree = ast.parse(stub)
    assert "np.maximum" not in stub and "return x\n" not in stub
    assert '"""max(0, z)."""' in stub and '"""Docstring kept."""' in stub
    assert "# TODO: compute max(0, z)" in stub
    assert "raise NotImplementedError('relu: not implemented yet')" in stub
    assert "raise NotImplementedError('Layer.forward: not implemented yet')" in stub
    assert "return x + 1" in stub  # unmarked code ships as given
    assert [n.name for n in tree.body if isinstance(n, (ast.FunctionDef, ast.ClassDef))] == ["relu", "Layer", "given"]


def test_stub_raises_not_implemented():
    namespace = {}
    exec(make_stub(SOLUTION), namespace)
    with pytest.raises(NotImplementedError, match="relu: not implemented yet"):
        namespace["relu"](1.0)
    assert namespace["given"](1) == 2


def test_strip_markers_keeps_the_code():
    stripped = strip_markers(SOLUTION)
    assert "SOLUTION" not in stripped and "np.maximum(z, 0)" in stripped
    assert solution_functions(SOLUTION) == ["relu", "Layer.forward"]


@pytest.mark.parametrize("broken, message", [
    (SOLUTION.replace("    # END SOLUTION\n", "", 1), "BEGIN SOLUTION inside the region opened at line 6"),
    (SOLUTION.replace("        # BEGIN SOLUTION\n", "", 1), "forward.py:15: END SOLUTION without a BEGIN SOLUTION"),
    (SOLUTION + "# BEGIN SOLUTION\n", "is never closed"),
    ("# BEGIN SOLUTION\nx = 1\n# END SOLUTION\n", "must lie inside a function"),
])
def test_unbalanced_markers_say_where(broken, message):
    with pytest.raises(MarkerError, match=message):
        make_stub(broken, "forward.py")
