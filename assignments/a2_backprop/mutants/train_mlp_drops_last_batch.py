# target: backprop.py
# caught-by: train_mlp
# The last, shorter minibatch of each epoch is skipped when batch_size does not divide m.
import numpy as np
from forward import mlp_forward, mse_loss, binary_cross_entropy, cross_entropy


def train_mlp(x, y, weights, biases, activation, output_activation, loss, lr, epochs, batch_size):
    loss_fn = {"mse": mse_loss, "bce": binary_cross_entropy, "ce": cross_entropy}[loss]
    losses = []
    for _ in range(epochs):
        for start in range(0, x.shape[0] - batch_size + 1, batch_size):
            xb, yb = x[start:start + batch_size], y[start:start + batch_size]
            zs, activations = mlp_forward(xb, weights, biases, activation, output_activation)
            y_hat = activations[-1]
            losses.append(float(loss_fn(y_hat, yb)))
            delta_L = output_delta(zs[-1], y_hat, yb, loss, output_activation)
            deltas = backprop_deltas(zs, weights, delta_L, activation)
            dWs, dbs = parameter_gradients(activations, deltas)
            weights, biases = sgd_step(weights, biases, dWs, dbs, lr)
    return list(weights), list(biases), losses
