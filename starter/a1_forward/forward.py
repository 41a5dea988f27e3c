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
    # TODO: compute z = h W + b (matrix product, then add b to every row)
    raise NotImplementedError('affine_forward: not implemented yet')


def sigmoid(z):
    """The logistic function σ(z) = 1 / (1 + e^(−z)), elementwise.

    Must return finite values for every finite z, including z = ±1000 (where a direct
    e^(−z) overflows). Same shape as z.
    """
    # TODO: compute σ(z) = 1 / (1 + e^(−z)) without ever taking e^(x) of a large positive x
    raise NotImplementedError('sigmoid: not implemented yet')


def tanh(z):
    """The hyperbolic tangent (e^z − e^(−z)) / (e^z + e^(−z)), elementwise.

    Must return finite values for every finite z (the slide's formula overflows to
    inf/inf = NaN for |z| > 710). Same shape as z.
    """
    # TODO: compute tanh(z) = (e^z − e^(−z)) / (e^z + e^(−z)) in a form that cannot overflow
    raise NotImplementedError('tanh: not implemented yet')


def relu(z):
    """The rectified linear unit max(0, z), elementwise. Same shape as z."""
    # TODO: compute max(0, z) elementwise
    raise NotImplementedError('relu: not implemented yet')


def softmax(z):
    """Softmax of each row: softmax(z)_j = e^(z_j) / Σ_k e^(z_k) along the last axis.

    z: (m, d). Each row of the result is positive and sums to 1. Must stay finite for
    every finite z, e.g. a row [1000, 1000].
    """
    # TODO: compute e^(z_j) / Σ_k e^(z_k) per row, after subtracting each row's maximum
    raise NotImplementedError('softmax: not implemented yet')


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
    # TODO: for each layer compute z = a W + b, then a = f(z) (the output activation on the last layer)
    raise NotImplementedError('mlp_forward: not implemented yet')


def mse_loss(y_hat, y):
    """Least squares, 1/(2m) Σ_i ‖y_i − ŷ_i‖², m = number of rows. Returns a float."""
    # TODO: compute 1/(2m) Σ_i ‖y_i − ŷ_i‖² with m the number of rows
    raise NotImplementedError('mse_loss: not implemented yet')


def binary_cross_entropy(y_hat, y):
    """Binary cross-entropy, −1/m Σ [y log ŷ + (1 − y) log(1 − ŷ)] over all entries.

    y_hat: probabilities in (0, 1); y: targets in [0, 1]; same shape, m = number of rows.
    Returns a float.
    """
    # TODO: compute −1/m Σ [y log ŷ + (1 − y) log(1 − ŷ)] over every entry, m the number of rows
    raise NotImplementedError('binary_cross_entropy: not implemented yet')


def cross_entropy(y_hat, y):
    """Categorical cross-entropy, −1/m Σ_i Σ_j y_ij log ŷ_ij with one-hot rows y_i.

    y_hat: (m, d) rows of probabilities; y: (m, d) one-hot. Returns a float.
    """
    # TODO: compute −1/m Σ_i Σ_j y_ij log ŷ_ij, m the number of rows
    raise NotImplementedError('cross_entropy: not implemented yet')
