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
    # TODO: return σ(z)·(1 − σ(z)) using the given sigmoid
    raise NotImplementedError('sigmoid_prime: not implemented yet')


def tanh_prime(z):
    """tanh'(z) = 1 − tanh(z)², elementwise; same shape as z."""
    # TODO: return 1 − tanh(z)² using the given tanh
    raise NotImplementedError('tanh_prime: not implemented yet')


def relu_prime(z):
    """relu'(z): 1.0 where z > 0, else 0.0 (so relu'(0) = 0); a float array shaped like z."""
    # TODO: return 1 where z > 0 and 0 elsewhere (relu′(0) = 0), as floats
    raise NotImplementedError('relu_prime: not implemented yet')


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
    # TODO: return ∂L/∂ŷ for mse, bce or ce (each carries 1/m); ValueError otherwise
    raise NotImplementedError('loss_grad: not implemented yet')


def output_delta(z_L, y_hat, y, loss, output_activation):
    """δ^L = ∂L/∂z^L for the last layer; shape (m, d_L), carrying the 1/m of the batch mean.

    z_L is the last pre-activation, y_hat = output_activation(z_L) and y the targets
    (one-hot rows for "ce"). Supported (output_activation, loss) pairs:
    ("identity", "mse"), ("sigmoid", "mse"), ("sigmoid", "bce"), ("softmax", "ce").
    Raise ValueError naming the supported pairs for any other combination.
    Must stay finite for every finite z_L, so do not divide by ŷ(1 − ŷ).
    """
    # TODO: return δ^L for the four supported pairs (see the handout); ValueError otherwise
    raise NotImplementedError('output_delta: not implemented yet')


# ---------------------------------------------------------------------------------------
# Backpropagation
# ---------------------------------------------------------------------------------------


def backprop_deltas(zs, weights, delta_L, activation):
    """All the errors [δ^1, …, δ^L], given δ^L; deltas[i] has the shape of zs[i].

    zs = [z^1, …, z^L] as returned by mlp_forward, weights = [W^1, …, W^L], and
    activation the hidden activation name ("sigmoid", "tanh" or "relu").
    For l < L:  δ^l = (δ^{l+1} W^{l+1 T}) ⊙ f'(z^l).
    """
    # TODO: start from δ^L and go backwards: δ^l = (δ^{l+1} W^{l+1 T}) ⊙ f′(z^l); return [δ^1 … δ^L]
    raise NotImplementedError('backprop_deltas: not implemented yet')


def parameter_gradients(activations, deltas):
    """The gradients (dWs, dbs) of the batch-mean loss, two lists with one entry per layer.

    activations = [a^0, …, a^L] as returned by mlp_forward (a^0 = x) and
    deltas = [δ^1, …, δ^L]. dWs[i] has the shape of W^{i+1}, (d_i, d_{i+1}),
    and dbs[i] the shape of b^{i+1}, (d_{i+1},):
    dW^l = a^{l-1 T} δ^l  and  db^l = Σ_rows δ^l.
    """
    # TODO: for each layer l: dW^l = a^{l−1 T} δ^l and db^l = Σ_rows δ^l
    raise NotImplementedError('parameter_gradients: not implemented yet')


# ---------------------------------------------------------------------------------------
# Training
# ---------------------------------------------------------------------------------------


def sgd_step(weights, biases, dWs, dbs, lr):
    """One gradient-descent step θ ← θ − η ∇θ L for every W^l and b^l.

    Returns NEW lists (new_weights, new_biases); the arrays and lists passed in
    must not be modified.
    """
    # TODO: return new lists with W − η·dW and b − η·db (do not change the inputs)
    raise NotImplementedError('sgd_step: not implemented yet')


def train_mlp(x, y, weights, biases, activation, output_activation, loss, lr, epochs, batch_size):
    """Minibatch SGD; returns (weights, biases, losses), leaving the arguments unmodified.

    Each epoch walks the rows of (x, y) in order, batch_size rows at a time (the last
    minibatch is shorter when batch_size does not divide m; no shuffling). For every
    minibatch: forward pass, record its loss, backpropagate, take one sgd_step.
    losses[k] is the loss (a Python float) of minibatch k computed BEFORE step k,
    so len(losses) = epochs · ⌈m / batch_size⌉.
    """
    # TODO: for each epoch and each minibatch in row order: forward, record the loss, backprop, one sgd_step
    raise NotImplementedError('train_mlp: not implemented yet')
