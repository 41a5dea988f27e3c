"""Small, fixed example inputs for the public tests of a2_backprop.

The build runs the reference solution on every case and stores its outputs; students'
local tests compare their functions against those stored outputs. numpy only, so this
file never depends on the forward pass it is checking against.
"""

import numpy as np

#: how the contract names the items these functions return (the feedback says dWs, not result[0])
OUTPUTS = {"parameter_gradients": ("dWs", "dbs"), "sgd_step": ("new_weights", "new_biases"),
           "train_mlp": ("weights", "biases", "losses")}

SEED = 20240502


def _sigmoid(z):
    return 0.5 * (1.0 + np.tanh(0.5 * z))  # a stable sigmoid, for building inputs only


def _softmax(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def _one_hot(labels, k):
    return np.eye(k)[labels]


def _network(rng, sizes):
    weights = [rng.normal(0.0, 1.0 / np.sqrt(a), size=(a, b)) for a, b in zip(sizes[:-1], sizes[1:])]
    biases = [rng.normal(0.0, 0.1, size=b) for b in sizes[1:]]
    return weights, biases


def _forward(x, weights, biases, hidden):
    """zs = [z^1 … z^L] and activations = [a^0 … a^L] with an identity output (inputs only)."""
    zs, activations = [], [x]
    for i, (W, b) in enumerate(zip(weights, biases)):
        z = activations[-1] @ W + b
        zs.append(z)
        activations.append(z if i == len(weights) - 1 else hidden(z))
    return zs, activations


def _case(name, function, *args, **kwargs):
    return {"name": name, "function": function, "args": list(args), "kwargs": kwargs}


def cases():
    rng = np.random.default_rng(SEED)
    out = []

    # --- activation derivatives -------------------------------------------------------
    extremes = np.array([[-1000.0, -30.0, -1.0, 0.0, 1.0, 30.0, 1000.0]])
    out.append(_case("sigmoid_prime: random 3x4", "sigmoid_prime", rng.normal(size=(3, 4))))
    out.append(_case("sigmoid_prime: large |z| stays finite", "sigmoid_prime", extremes.copy()))
    out.append(_case("tanh_prime: random 2x5", "tanh_prime", rng.normal(size=(2, 5))))
    out.append(_case("tanh_prime: large |z|", "tanh_prime", extremes.copy()))
    out.append(_case("relu_prime: random 3x3", "relu_prime", rng.normal(size=(3, 3))))
    out.append(_case("relu_prime: relu'(0) = 0", "relu_prime", np.array([[-2.0, -0.0, 0.0, 1e-300, 3.0]])))

    # --- loss gradients (m = 4 rows) --------------------------------------------------
    m = 4
    y_reg = rng.normal(size=(m, 2))
    y_hat_reg = rng.normal(size=(m, 2))
    out.append(_case("loss_grad: mse", "loss_grad", y_hat_reg, y_reg, "mse"))
    y_bin = rng.integers(0, 2, size=(m, 3)).astype(float)
    y_hat_bin = _sigmoid(rng.normal(size=(m, 3)))
    out.append(_case("loss_grad: bce", "loss_grad", y_hat_bin, y_bin, "bce"))
    y_cls = _one_hot(rng.integers(0, 3, size=m), 3)
    y_hat_cls = _softmax(rng.normal(size=(m, 3)))
    out.append(_case("loss_grad: ce with one-hot targets", "loss_grad", y_hat_cls, y_cls, "ce"))

    # --- output deltas ----------------------------------------------------------------
    z = rng.normal(size=(m, 2))
    out.append(_case("output_delta: identity + mse", "output_delta", z, z.copy(), y_reg, "mse", "identity"))
    z = rng.normal(size=(m, 3))
    y01 = rng.uniform(size=(m, 3))
    out.append(_case("output_delta: sigmoid + mse", "output_delta", z, _sigmoid(z), y01, "mse", "sigmoid"))
    z = rng.normal(size=(m, 3))
    out.append(_case("output_delta: sigmoid + bce", "output_delta", z, _sigmoid(z), y_bin, "bce", "sigmoid"))
    z = np.array([[1000.0, -1000.0, 0.0]])
    out.append(_case("output_delta: sigmoid + bce, saturated z", "output_delta", z, _sigmoid(z),
                     np.array([[0.0, 1.0, 1.0]]), "bce", "sigmoid"))
    z = rng.normal(size=(m, 3))
    out.append(_case("output_delta: softmax + ce", "output_delta", z, _softmax(z), y_cls, "ce", "softmax"))

    # --- backprop_deltas and parameter_gradients ----------------------------------------
    hidden = {"sigmoid": _sigmoid, "tanh": np.tanh, "relu": lambda z: np.maximum(z, 0.0)}
    for activation, sizes in [("tanh", [3, 4, 5, 2]), ("relu", [2, 6, 3]), ("sigmoid", [4, 3])]:
        weights, biases = _network(rng, sizes)
        x = rng.normal(size=(5, sizes[0]))
        zs, activations = _forward(x, weights, biases, hidden[activation])
        y = rng.normal(size=zs[-1].shape)
        delta_L = (zs[-1] - y) / x.shape[0]
        out.append(_case(f"backprop_deltas: {activation}, sizes {sizes}", "backprop_deltas",
                         zs, weights, delta_L, activation))
        deltas = [rng.normal(size=z.shape) / x.shape[0] for z in zs]
        out.append(_case(f"parameter_gradients: sizes {sizes}", "parameter_gradients", activations, deltas))

    # --- sgd_step -----------------------------------------------------------------------
    weights, biases = _network(rng, [3, 4, 2])
    dWs = [rng.normal(size=W.shape) for W in weights]
    dbs = [rng.normal(size=b.shape) for b in biases]
    out.append(_case("sgd_step: two layers, lr 0.1", "sgd_step", weights, biases, dWs, dbs, 0.1))

    # --- train_mlp (10 rows, batch 4: minibatches of 4, 4 and 2 rows) -----------------
    x = rng.normal(size=(10, 2))
    label = (x[:, 0] + x[:, 1] > 0).astype(int)
    setups = [
        ("tanh", "sigmoid", "bce", [2, 3, 1], label[:, None].astype(float)),
        ("relu", "softmax", "ce", [2, 4, 2], _one_hot(label, 2)),
        ("sigmoid", "identity", "mse", [2, 3, 2], np.stack([x.sum(axis=1), x[:, 0] - x[:, 1]], axis=1)),
    ]
    for activation, output_activation, loss, sizes, y in setups:
        weights, biases = _network(rng, sizes)
        out.append(_case(f"train_mlp: {activation} hidden, {output_activation} + {loss}", "train_mlp",
                         x, y, weights, biases, activation, output_activation, loss,
                         lr=0.5, epochs=3, batch_size=4))
    return out
