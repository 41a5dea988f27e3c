# The notebook's own cells for a1_forward (nnhw build interleaves them with the handout's sections;
# docs/notebooks.md describes the format). Each cell runs the student's forward.py.
# ruff: noqa: F821, I001 - check and your_code come from the notebook's first cell; the student's module is imported last

# %%
import matplotlib.pyplot as plt
import numpy as np

import forward

# %% [section] What to write
# %% [check] affine_forward
# %% [check] sigmoid tanh relu
# %% [markdown]
# ### Your activations, next to their formulas
#
# Each solid curve is your function on z from −6 to 6; the dashed one is the slides' formula, computed
# here with numpy. On this range the two must coincide.
# %% [plot]
SLIDES = {
    "sigmoid": (r"$\sigma(z) = \frac{1}{1 + e^{-z}}$", lambda z: 1 / (1 + np.exp(-z))),
    "tanh": (r"$\tanh(z) = \frac{e^z - e^{-z}}{e^z + e^{-z}}$", lambda z: (np.exp(z) - np.exp(-z)) / (np.exp(z) + np.exp(-z))),
    "relu": (r"$\mathrm{relu}(z) = \max(0, z)$", lambda z: np.maximum(0, z)),
}
with your_code():
    z = np.linspace(-6, 6, 241)
    fig, axes = plt.subplots(1, 3, figsize=(12, 3.4))
    for ax, (name, (formula, slide)) in zip(axes, SLIDES.items()):
        ax.plot(z, getattr(forward, name)(z), linewidth=3, alpha=0.6, label=f"your {name}")
        ax.plot(z, slide(z), "k--", linewidth=1, label="the formula")
        ax.set(title=formula, xlabel="z", ylabel=f"{name}(z)")
        ax.grid(alpha=0.3)
        ax.legend(loc="upper left", fontsize=8)
    fig.tight_layout()
    plt.show()
# %% [check] softmax
# %% [check] mlp_forward
# %% [check] mse_loss binary_cross_entropy cross_entropy
# %% [markdown]
# ### Your losses for one prediction
#
# One example with target y: how each loss grows as the prediction ŷ moves away from it. The
# cross-entropies punish a confident wrong answer without bound (−log ŷ → ∞ as ŷ → 0); MSE never
# exceeds 1/2 here.
# %% [plot]
with your_code():
    y_hat = np.linspace(0.001, 0.999, 300)
    fig, ax = plt.subplots(figsize=(6, 3.4))
    for target, style in ((1.0, "-"), (0.0, "--")):
        y = np.full((1, 1), target)
        ax.plot(y_hat, [forward.binary_cross_entropy(np.array([[p]]), y) for p in y_hat], style, color="C0",
                label=f"binary_cross_entropy, y = {target:g}")
        ax.plot(y_hat, [forward.mse_loss(np.array([[p]]), y) for p in y_hat], style, color="C1",
                label=f"mse_loss, y = {target:g}")
    ax.set(xlabel="prediction ŷ", ylabel="loss", ylim=(0, 5), title="your losses for one example")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    plt.show()

# %% [section] Conventions the autograder relies on
# %% [markdown]
# ### Extreme inputs
#
# Your softmax on rows that overflow a direct `np.exp`: every row must stay finite and sum to 1, and
# your sigmoid and tanh must stay finite at ±1000.
# %%
with your_code():
    rows = np.array([[1000.0, 1000.0, 0.0], [-1000.0, 0.0, 1000.0], [710.0, -710.0, 0.0], [-800.0, -800.0, -801.0]])
    for row, p in zip(rows, forward.softmax(rows)):
        fine = np.all(np.isfinite(p)) and abs(p.sum() - 1) < 1e-12
        print(f"softmax({row}) = {np.array2string(p, precision=4)}, sum {p.sum():.15g}  {'✓' if fine else '✗'}")
    z = np.array([-1000.0, -710.0, 710.0, 1000.0])
    for name in ("sigmoid", "tanh"):
        values = getattr(forward, name)(z)
        print(f"{name}({z}) = {values}  {'✓' if np.all(np.isfinite(values)) else '✗ not finite'}")
