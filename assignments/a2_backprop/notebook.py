# The notebook's own cells for a2_backprop (nnhw build interleaves them with the handout's sections;
# docs/notebooks.md describes the format). Each cell runs the student's backprop.py with the given forward.py.
# ruff: noqa: F821, I001 - check and your_code come from the notebook's first cell; the student's module is imported last

# %%
import matplotlib.pyplot as plt
import numpy as np

import backprop
import forward

# %% [section] What to implement
# %% [check] sigmoid_prime tanh_prime relu_prime
# %% [check] loss_grad
# %% [check] backprop_deltas
# %% [check] parameter_gradients
# %% [check] sgd_step

# %% [section] δᴸ for each output / loss pair
# %% [check] output_delta

# %% [section] Training: `train_mlp`
# %% [check] train_mlp
# %% [markdown]
# ### Your `train_mlp` on two half-moons
#
# 200 points in the plane, made with numpy: two interleaved half-moons that no straight line separates.
# A network with one hidden layer of 16 tanh units, a sigmoid output and binary cross-entropy, trained by
# your `train_mlp` (minibatches of 20, η = 0.5, 200 epochs). Left: the loss of every minibatch, before its
# step. Right: where the trained network says 1 (its decision boundary is the line ŷ = 0.5).
# %%
def half_moons(m=200, noise=0.12, seed=0):
    """Two interleaved half circles, label 0 and 1, with Gaussian noise."""
    rng = np.random.default_rng(seed)
    angle = rng.uniform(0, np.pi, size=m)
    label = np.arange(m) % 2
    upper = np.stack([np.cos(angle), np.sin(angle)], axis=1)
    lower = np.stack([1 - np.cos(angle), 0.5 - np.sin(angle)], axis=1)
    x = np.where(label[:, None] == 0, upper, lower)
    return x - x.mean(axis=0) + rng.normal(scale=noise, size=(m, 2)), label[:, None].astype(float)


def small_network(sizes, seed=0):
    rng = np.random.default_rng(seed)
    weights = [rng.normal(scale=1 / np.sqrt(a), size=(a, b)) for a, b in zip(sizes[:-1], sizes[1:])]
    return weights, [np.zeros(b) for b in sizes[1:]]


# %% [plot]
with your_code():
    x, y = half_moons()
    weights, biases = small_network([2, 16, 1])
    weights, biases, losses = backprop.train_mlp(x, y, weights, biases, "tanh", "sigmoid", "bce",
                                                 lr=0.5, epochs=200, batch_size=20)
    grid = np.stack(np.meshgrid(np.linspace(-2.2, 2.2, 200), np.linspace(-1.6, 1.6, 160)), axis=-1)
    y_hat = forward.mlp_forward(grid.reshape(-1, 2), weights, biases, "tanh", "sigmoid")[1][-1].reshape(grid.shape[:2])
    accuracy = np.mean((forward.mlp_forward(x, weights, biases, "tanh", "sigmoid")[1][-1] > 0.5) == (y > 0.5))
    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4))
    window = 10  # one epoch of minibatches
    left.plot(losses, linewidth=0.5, alpha=0.35, label="each minibatch")
    left.plot(np.arange(window - 1, len(losses)), np.convolve(losses, np.ones(window) / window, mode="valid"),
              label=f"mean of the last {window}")
    left.legend(fontsize=8)
    left.set(xlabel="step (minibatch)", ylabel="binary cross-entropy", yscale="log", title="your train_mlp's losses")
    left.grid(alpha=0.3)
    right.contourf(grid[..., 0], grid[..., 1], y_hat, levels=np.linspace(0, 1, 11), cmap="RdBu_r", alpha=0.6)
    right.contour(grid[..., 0], grid[..., 1], y_hat, levels=[0.5], colors="k", linewidths=1.5)
    right.scatter(x[:, 0], x[:, 1], c=y[:, 0], cmap="RdBu_r", edgecolors="k", linewidths=0.5, s=18)
    right.set(title=f"decision boundary: {accuracy:.0%} of the points on their side", aspect="equal")
    fig.tight_layout()
    plt.show()

# %% [section] Checking your gradient numerically
# %% [markdown]
# ### The gradient check of your whole backward pass
#
# The check above, done for you on a tiny network (3 → 4 → 3 → 2, five examples) for each output and loss
# pair: your `output_delta`, `backprop_deltas` and `parameter_gradients` against central differences of
# the loss (computed with the given forward pass only). The relative error of each parameter is
# max |analytic − numeric| / max(|analytic| + |numeric|), as in the handout: below 1e-6 is right, 1e-2 or
# above is a bug.
# %% [plot]
def numerical_gradient(loss, theta, eps=1e-6):
    """∂loss/∂theta by central differences, one entry at a time (theta is changed and put back)."""
    grad = np.zeros_like(theta)
    for index in np.ndindex(theta.shape):
        kept = theta[index]
        theta[index] = kept + eps
        plus = loss()
        theta[index] = kept - eps
        minus = loss()
        theta[index] = kept
        grad[index] = (plus - minus) / (2 * eps)
    return grad


RIGHT, BUG = 1e-6, 1e-2  # the handout's lines: below RIGHT the gradient is right, from BUG on it has a bug


def relative_error(analytic, numeric):
    """The handout's relative error: the largest difference, relative to the largest entry."""
    return np.max(np.abs(analytic - numeric)) / max(1e-12, np.max(np.abs(analytic) + np.abs(numeric)))


def gradient_check(activation, output_activation, loss, seed=0):
    """{parameter name: relative error} of your backward pass on a tiny network."""
    rng = np.random.default_rng(seed)
    weights, _ = small_network([3, 4, 3, 2], seed)
    # biases away from 0: with zero biases a layer after dead relu units has z exactly 0, on relu's kink,
    # where central differences measure a slope of 1/2 that no derivative has
    biases = [rng.normal(scale=0.5, size=W.shape[1]) for W in weights]
    x = rng.normal(size=(5, 3))
    targets = {"mse": rng.normal(size=(5, 2)), "bce": rng.integers(0, 2, size=(5, 2)).astype(float),
               "ce": np.eye(2)[rng.integers(0, 2, size=5)]}
    y = targets[loss]
    loss_of = {"mse": forward.mse_loss, "bce": forward.binary_cross_entropy, "ce": forward.cross_entropy}[loss]

    def current_loss():
        return loss_of(forward.mlp_forward(x, weights, biases, activation, output_activation)[1][-1], y)

    zs, activations = forward.mlp_forward(x, weights, biases, activation, output_activation)
    delta_L = backprop.output_delta(zs[-1], activations[-1], y, loss, output_activation)
    dWs, dbs = backprop.parameter_gradients(activations, backprop.backprop_deltas(zs, weights, delta_L, activation))
    errors = {}
    for layer in range(len(weights)):
        errors[f"W{layer + 1}"] = relative_error(dWs[layer], numerical_gradient(current_loss, weights[layer]))
        errors[f"b{layer + 1}"] = relative_error(dbs[layer], numerical_gradient(current_loss, biases[layer]))
    return errors


with your_code():
    setups = [("tanh", "identity", "mse"), ("sigmoid", "sigmoid", "bce"), ("relu", "softmax", "ce")]
    fig, ax = plt.subplots(figsize=(9, 3.6))
    for offset, setup in enumerate(setups):
        errors = gradient_check(*setup)
        print(f"{' + '.join(setup):<26}" + "  ".join(f"{name} {error:.1e}" for name, error in errors.items()) +
              ("  ✓" if max(errors.values()) < RIGHT else "  ✗ a gradient is wrong"))
        positions = np.arange(len(errors)) + offset / (len(setups) + 1)
        ax.bar(positions, np.maximum(list(errors.values()), 1e-16), width=1 / (len(setups) + 1), label=" + ".join(setup))
        ax.set_xticks(np.arange(len(errors)) + 1 / (len(setups) + 1), list(errors))
    ax.axhline(RIGHT, color="green", linestyle=":", label=f"below {RIGHT:g}: right")
    ax.axhline(BUG, color="red", linestyle=":", label=f"{BUG:g} and above: a bug")
    ax.set(yscale="log", ylim=(1e-16, 10), ylabel="relative error (log scale)",
           xlabel="parameter: W1 is the first layer's weights, b1 its biases, …",
           title="your gradients against central differences (each colour: one activation + output + loss)")
    ax.legend(fontsize=8, ncol=5, loc="upper center", bbox_to_anchor=(0.5, -0.1))
    fig.tight_layout()
    plt.show()
