"""Assignment 1: the forward pass of a fully-connected network.

Conventions (the handout explains them): a batch holds one example per row, so ``h`` is
``(m, d_in)``; layer i has weights ``W`` of shape ``(d_{i-1}, d_i)`` and bias ``b`` of shape
``(d_i,)``, and computes ``z = h @ W + b``. Arrays are float64. No function modifies its
arguments.
"""

import numpy as np


def affine_forward(h, W, b):
    """The affine part of a layer, z = h W + b.

    h: (m, d_in) batch of inputs, one example per row.
    W: (d_in, d_out) weights; b: (d_out,) bias, added to every row.
    Returns z: (m, d_out).
    """
    return h @ W + b


def sigmoid(z):
    """The logistic function σ(z) = 1 / (1 + e^(−z)), elementwise.

    Must return finite values for every finite z, including z = ±1000 (where a direct
    e^(−z) overflows). Same shape as z.
    """
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def tanh(z):
    """The hyperbolic tangent (e^z − e^(−z)) / (e^z + e^(−z)), elementwise.

    Must return finite values for every finite z (the slide's formula overflows to
    inf/inf = NaN for |z| > 710). Same shape as z.
    """
    e = np.exp(-2.0 * np.abs(z))
    return np.sign(z) * (1.0 - e) / (1.0 + e)


def relu(z):
    """The rectified linear unit max(0, z), elementwise. Same shape as z."""
    return np.maximum(z, 0.0)


def softmax(z):
    """Softmax of each row: softmax(z)_j = e^(z_j) / Σ_k e^(z_k) along the last axis.

    z: (m, d). Each row of the result is positive and sums to 1. Must stay finite for
    every finite z, e.g. a row [1000, 1000].
    """
    shifted = z - np.max(z, axis=-1, keepdims=True)
    e = np.exp(shifted)
    return e / np.sum(e, axis=-1, keepdims=True)


ACTIVATIONS = {"sigmoid": sigmoid, "tanh": tanh, "relu": relu}
OUTPUT_ACTIVATIONS = {"identity": lambda z: z, "sigmoid": sigmoid, "softmax": softmax}


def mlp_forward(x, weights, biases, activation, output_activation="identity"):
    """Run a fully-connected network on a batch.

    x: (m, d_0) inputs; weights[i]: (d_i, d_{i+1}); biases[i]: (d_{i+1},).
    activation: "sigmoid", "tanh" or "relu", used by every hidden layer.
    output_activation: "identity", "sigmoid" or "softmax", used by the last layer.
    Returns (zs, activations): zs[l] is layer l+1's pre-activation z^(l+1), and
    activations[0] = x, activations[l+1] = f(zs[l]); both are lists, len(zs) = len(weights)
    and len(activations) = len(weights) + 1.
    """
    zs, activations = [], [x]
    for layer, (W, b) in enumerate(zip(weights, biases)):
        z = affine_forward(activations[-1], W, b)
        last = layer == len(weights) - 1
        f = OUTPUT_ACTIVATIONS[output_activation] if last else ACTIVATIONS[activation]
        zs.append(z)
        activations.append(f(z))
    return zs, activations


def mse_loss(y_hat, y):
    """Least squares, 1/(2m) Σ_i ‖y_i − ŷ_i‖², m = number of rows. Returns a float."""
    m = y.shape[0]
    return float(np.sum((y - y_hat) ** 2) / (2 * m))


def binary_cross_entropy(y_hat, y):
    """Binary cross-entropy, −1/m Σ [y log ŷ + (1 − y) log(1 − ŷ)] over all entries.

    y_hat: probabilities in (0, 1); y: targets in [0, 1]; same shape, m = number of rows.
    Returns a float.
    """
    m = y.shape[0]
    return float(-np.sum(y * np.log(y_hat) + (1 - y) * np.log(1 - y_hat)) / m)


def cross_entropy(y_hat, y):
    """Categorical cross-entropy, −1/m Σ_i Σ_j y_ij log ŷ_ij with one-hot rows y_i.

    y_hat: (m, d) rows of probabilities; y: (m, d) one-hot. Returns a float.
    """
    m = y.shape[0]
    picked = np.where(y > 0, y_hat, 1.0)  # 0 · log 0 counts as 0, as in the limit
    return float(-np.sum(y * np.log(picked)) / m)
