# target: forward.py
# caught-by: mlp_forward
# zs holds the activations a^l instead of the pre-activations z^l.
import numpy as np


def mlp_forward(x, weights, biases, activation, output_activation="identity"):
    zs, activations = [], [x]
    for layer, (W, b) in enumerate(zip(weights, biases)):
        z = affine_forward(activations[-1], W, b)
        last = layer == len(weights) - 1
        a = (OUTPUT_ACTIVATIONS[output_activation] if last else ACTIVATIONS[activation])(z)
        zs.append(a)
        activations.append(a)
    return zs, activations
