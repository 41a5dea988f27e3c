from autograder.plugin import without_inputs


def test_hidden_tests_can_hide_their_inputs():
    text = ("sigmoid: wrong values in the result\nexpected: float64 array\ninputs:\n  z = float64 array, shape (2,)\n"
            "    [1. 2.]\nformula (slides): σ(z)\nrelu raised ValueError: no\non these inputs:\n  z = 1")
    hidden = without_inputs(text)
    assert "[1. 2.]" not in hidden and "z = 1" not in hidden
    assert "inputs: (hidden for this test)" in hidden and "on these inputs: (hidden for this test)" in hidden
    assert "formula (slides): σ(z)" in hidden and "relu raised ValueError: no" in hidden
