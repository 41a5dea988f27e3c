# target: backprop.py
# caught-by: train_mlp
# batch_size ignored: one full-batch gradient step per epoch instead of one step per minibatch.
import numpy as np
from forward import mlp_forward, mse_loss, binary_cross_entropy, cross_entropy


def train_mlp(x, y, weights, biases, activation, output_activation, loss, lr, epochs, batch_size):
    loss_fn = {"mse": mse_loss, "bce": binary_cross_entropy, "ce": cross_entropy}[loss]
    losses = []
    for _ in range(epochs):
        zs, activations = mlp_forward(x, weights, biases, activation, output_activation)
        y_hat = activations[-1]
        losses.append(float(loss_fn(y_hat, y)))
        delta_L = output_delta(zs[-1], y_hat, y, loss, output_activation)
        deltas = backprop_deltas(zs, weights, delta_L, activation)
        dWs, dbs = parameter_gradients(activations, deltas)
        weights, biases = sgd_step(weights, biases, dWs, dbs, lr)
    return list(weights), list(biases), losses
