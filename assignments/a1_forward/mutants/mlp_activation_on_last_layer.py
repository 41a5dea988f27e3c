# target: forward.py
# caught-by: mlp_forward
# The hidden activation is applied to the output layer too (output_activation ignored).
import numpy as np


def mlp_forward(x, weights, biases, activation, output_activation="identity"):
    zs, activations = [], [x]
    for W, b in zip(weights, biases):
        z = affine_forward(activations[-1], W, b)
        zs.append(z)
        activations.append(ACTIVATIONS[activation](z))
    return zs, activations
