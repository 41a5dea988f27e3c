"""Assignment 2: backpropagation for a multilayer perceptron, in numpy.

Notation follows the slides (and handout.md):

- a batch has m rows; x is (m, d_0) and a^0 = x
- layer l (l = 1 … L) has weights W^l of shape (d_{l-1}, d_l) and bias b^l of shape (d_l,)
- z^l = a^{l-1} @ W^l + b^l is the pre-activation, a^l = f(z^l) the activation
- the loss L is the MEAN over the batch, and δ^l = ∂L/∂z^l has the shape of z^l, (m, d_l);
  because L is a batch mean, every δ already carries the factor 1/m

Python lists are 0-indexed, so weights[0] is W^1, zs[0] is z^1 and deltas[0] is δ^1,
while activations[0] is a^0 = x (see mlp_forward).

The forward pass is given: it is the reference solution of assignment 1. Do not use torch.
"""

import numpy as np

# The forward pass and the losses are given (the reference solution of assignment 1).
from forward import sigmoid, tanh, relu, softmax, mlp_forward, mse_loss, binary_cross_entropy, cross_entropy  # noqa: F401

LOSSES = {"mse": mse_loss, "bce": binary_cross_entropy, "ce": cross_entropy}


# ---------------------------------------------------------------------------------------
# Derivatives of the hidden activations
# ---------------------------------------------------------------------------------------


def sigmoid_prime(z):
    """σ'(z) = σ(z)(1 − σ(z)), elementwise; same shape as z.

    Must stay finite for every finite z (try z = ±1000).
    """
    # BEGIN SOLUTION: return σ(z)·(1 − σ(z)) using the given sigmoid
    s = sigmoid(z)
    return s * (1.0 - s)
    # END SOLUTION


def tanh_prime(z):
    """tanh'(z) = 1 − tanh(z)², elementwise; same shape as z."""
    # BEGIN SOLUTION: return 1 − tanh(z)² using the given tanh
    t = tanh(z)
    return 1.0 - t * t
    # END SOLUTION


def relu_prime(z):
    """relu'(z): 1.0 where z > 0, else 0.0 (so relu'(0) = 0); a float array shaped like z."""
    # BEGIN SOLUTION: return 1 where z > 0 and 0 elsewhere (relu′(0) = 0), as floats
    return np.where(z > 0, 1.0, 0.0)
    # END SOLUTION


def _hidden_prime(activation):
    """The derivative function f' for a hidden activation name: "sigmoid", "tanh" or "relu"."""
    primes = {"sigmoid": sigmoid_prime, "tanh": tanh_prime, "relu": relu_prime}
    if activation not in primes:
        raise ValueError(f"unknown hidden activation {activation!r}; use one of {sorted(primes)}")
    return primes[activation]


# ---------------------------------------------------------------------------------------
# The output layer
# ---------------------------------------------------------------------------------------


def loss_grad(y_hat, y, loss):
    """∂L/∂ŷ for the batch-mean loss named by `loss`; same shape as y_hat, (m, d_L).

    loss is "mse"  (L = 1/(2m) Σ ‖y − ŷ‖²),
            "bce"  (L = −1/m Σ [y log ŷ + (1 − y) log(1 − ŷ)], 0 < ŷ < 1), or
            "ce"   (L = −1/m Σ y log ŷ, ŷ > 0).
    m is the number of rows of y_hat. Raise ValueError for any other name.
    """
    # BEGIN SOLUTION: return ∂L/∂ŷ for mse, bce or ce (each carries 1/m); ValueError otherwise
    m = y_hat.shape[0]
    if loss == "mse":
        return (y_hat - y) / m
    if loss == "bce":
        return -(y / y_hat - (1.0 - y) / (1.0 - y_hat)) / m
    if loss == "ce":
        return -(y / y_hat) / m
    raise ValueError(f"unknown loss {loss!r}; use 'mse', 'bce' or 'ce'")
    # END SOLUTION


def output_delta(z_L, y_hat, y, loss, output_activation):
    """δ^L = ∂L/∂z^L for the last layer; shape (m, d_L), carrying the 1/m of the batch mean.

    z_L is the last pre-activation, y_hat = output_activation(z_L) and y the targets
    (one-hot rows for "ce"). Supported (output_activation, loss) pairs:
    ("identity", "mse"), ("sigmoid", "mse"), ("sigmoid", "bce"), ("softmax", "ce").
    Raise ValueError naming the supported pairs for any other combination.
    Must stay finite for every finite z_L, so do not divide by ŷ(1 − ŷ).
    """
    # BEGIN SOLUTION: return δ^L for the four supported pairs (see the handout); ValueError otherwise
    m = y_hat.shape[0]
    pair = (output_activation, loss)
    if pair == ("identity", "mse"):
        return (y_hat - y) / m
    if pair == ("sigmoid", "mse"):
        return (y_hat - y) / m * sigmoid_prime(z_L)
    if pair in (("sigmoid", "bce"), ("softmax", "ce")):
        return (y_hat - y) / m
    raise ValueError(
        f"unsupported output activation / loss pair {pair!r}; supported pairs are "
        "('identity', 'mse'), ('sigmoid', 'mse'), ('sigmoid', 'bce') and ('softmax', 'ce')"
    )
    # END SOLUTION


# ---------------------------------------------------------------------------------------
# Backpropagation
# ---------------------------------------------------------------------------------------


def backprop_deltas(zs, weights, delta_L, activation):
    """All the errors [δ^1, …, δ^L], given δ^L; deltas[i] has the shape of zs[i].

    zs = [z^1, …, z^L] as returned by mlp_forward, weights = [W^1, …, W^L], and
    activation the hidden activation name ("sigmoid", "tanh" or "relu").
    For l < L:  δ^l = (δ^{l+1} W^{l+1 T}) ⊙ f'(z^l).
    """
    # BEGIN SOLUTION: start from δ^L and go backwards: δ^l = (δ^{l+1} W^{l+1 T}) ⊙ f′(z^l); return [δ^1 … δ^L]
    f_prime = _hidden_prime(activation)
    deltas = [delta_L]
    for l in range(len(weights) - 2, -1, -1):
        delta = (deltas[0] @ weights[l + 1].T) * f_prime(zs[l])
        deltas.insert(0, delta)
    return deltas
    # END SOLUTION


def parameter_gradients(activations, deltas):
    """The gradients (dWs, dbs) of the batch-mean loss, two lists with one entry per layer.

    activations = [a^0, …, a^L] as returned by mlp_forward (a^0 = x) and
    deltas = [δ^1, …, δ^L]. dWs[i] has the shape of W^{i+1}, (d_i, d_{i+1}),
    and dbs[i] the shape of b^{i+1}, (d_{i+1},):
    dW^l = a^{l-1 T} δ^l  and  db^l = Σ_rows δ^l.
    """
    # BEGIN SOLUTION: for each layer l: dW^l = a^{l−1 T} δ^l and db^l = Σ_rows δ^l
    dWs, dbs = [], []
    for a_prev, delta in zip(activations, deltas):  # pairs (a^{l-1}, δ^l); a^L is not needed
        dWs.append(a_prev.T @ delta)
        dbs.append(delta.sum(axis=0))
    return dWs, dbs
    # END SOLUTION


# ---------------------------------------------------------------------------------------
# Training
# ---------------------------------------------------------------------------------------


def sgd_step(weights, biases, dWs, dbs, lr):
    """One gradient-descent step θ ← θ − η ∇θ L for every W^l and b^l.

    Returns NEW lists (new_weights, new_biases); the arrays and lists passed in
    must not be modified.
    """
    # BEGIN SOLUTION: return new lists with W − η·dW and b − η·db (do not change the inputs)
    new_weights = [W - lr * dW for W, dW in zip(weights, dWs)]
    new_biases = [b - lr * db for b, db in zip(biases, dbs)]
    return new_weights, new_biases
    # END SOLUTION


def train_mlp(x, y, weights, biases, activation, output_activation, loss, lr, epochs, batch_size):
    """Minibatch SGD; returns (weights, biases, losses), leaving the arguments unmodified.

    Each epoch walks the rows of (x, y) in order, batch_size rows at a time (the last
    minibatch is shorter when batch_size does not divide m; no shuffling). For every
    minibatch: forward pass, record its loss, backpropagate, take one sgd_step.
    losses[k] is the loss (a Python float) of minibatch k computed BEFORE step k,
    so len(losses) = epochs · ⌈m / batch_size⌉.
    """
    # BEGIN SOLUTION: for each epoch and each minibatch in row order: forward, record the loss, backprop, one sgd_step
    loss_fn = LOSSES[loss]
    losses = []
    for _ in range(epochs):
        for start in range(0, x.shape[0], batch_size):
            xb, yb = x[start:start + batch_size], y[start:start + batch_size]
            zs, activations = mlp_forward(xb, weights, biases, activation, output_activation)
            y_hat = activations[-1]
            losses.append(float(loss_fn(y_hat, yb)))
            delta_L = output_delta(zs[-1], y_hat, yb, loss, output_activation)
            deltas = backprop_deltas(zs, weights, delta_L, activation)
            dWs, dbs = parameter_gradients(activations, deltas)
            weights, biases = sgd_step(weights, biases, dWs, dbs, lr)
    return list(weights), list(biases), losses
    # END SOLUTION
