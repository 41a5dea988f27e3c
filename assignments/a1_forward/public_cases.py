"""Small, fixed example inputs for the public tests of a1_forward.

The build runs the reference solution on every case and stores its outputs in the starter's
tests/cases.json; students' local tests compare their functions with those outputs.
"""

import numpy as np

#: how the contract names the items these functions return (the feedback says dx, not result[0])
OUTPUTS = {"mlp_forward": ("zs", "activations")}

SEED = 20261127


def _case(name, function, *args, **kwargs):
    return {"name": name, "function": function, "args": list(args), "kwargs": kwargs}


def cases():
    rng = np.random.default_rng(SEED)
    z = rng.normal(size=(3, 4))
    extremes = np.array([[-1000.0, -711.0, -30.0, 0.0, 30.0, 711.0, 1000.0]])
    h, W, b = rng.normal(size=(4, 3)), rng.normal(size=(3, 2)), rng.normal(size=2)
    weights = [rng.normal(size=(3, 5)), rng.normal(size=(5, 4)), rng.normal(size=(4, 2))]
    biases = [rng.normal(size=5), rng.normal(size=4), rng.normal(size=2)]
    x = rng.normal(size=(6, 3))
    logits = rng.normal(size=(5, 3))
    probs = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    labels = np.eye(3)[rng.integers(0, 3, size=5)]
    return [
        _case("affine_forward: 4 rows, 3 → 2", "affine_forward", h, W, b),
        _case("sigmoid: random 3x4", "sigmoid", z),
        _case("sigmoid: extreme values stay finite", "sigmoid", extremes),
        _case("tanh: random 3x4", "tanh", z),
        _case("tanh: extreme values stay finite", "tanh", extremes),
        _case("relu: random 3x4 and zeros", "relu", np.concatenate([z, np.zeros((1, 4))])),
        _case("softmax: random rows", "softmax", logits),
        _case("softmax: a row [1000, 1000] stays finite", "softmax", np.array([[1000.0, 1000.0], [-1000.0, 0.0]])),
        _case("mlp_forward: 3 layers, tanh, identity output", "mlp_forward", x, weights, biases, "tanh"),
        _case("mlp_forward: relu hidden, softmax output", "mlp_forward", x, weights, biases, "relu", "softmax"),
        _case("mse_loss: 5x3", "mse_loss", probs, labels),
        _case("binary_cross_entropy: 5x3", "binary_cross_entropy", probs, labels),
        _case("cross_entropy: 5 one-hot rows", "cross_entropy", probs, labels),
    ]
