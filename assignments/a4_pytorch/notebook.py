# The notebook's own cells for a4_pytorch (nnhw build interleaves them with the handout's sections;
# docs/notebooks.md describes the format). Each cell runs the student's digits_cnn.py.
# REFERENCE below is the reference solution's run of training_run: `python assignments/a4_pytorch/notebook_reference.py
# --write` recomputes it, and tests/test_notebooks.py checks that it still is that run.
# ruff: noqa: F821, I001 - check and your_code come from the notebook's first cell; the student's module is imported last

# %%
import math

import matplotlib.pyplot as plt
import numpy as np
import torch
import torch.nn as nn

import digits_cnn

torch.set_num_threads(1)  # this small network trains fastest on one thread, and then runs as the reference's did
data = np.load("digits_train.npz")
x, y = torch.from_numpy(data["x"]), torch.from_numpy(data["y"])
print(f"{len(y)} training digits: x {tuple(x.shape)} {x.dtype}, y {tuple(y.shape)} {y.dtype}")

# %% [section] 1. The data
# %% [plot]
fig, axes = plt.subplots(2, 10, figsize=(10, 2.4))
for ax, image, label in zip(axes.flat, x[:20], y[:20]):
    ax.imshow(image[0], cmap="gray_r")
    ax.set_title(str(label.item()), fontsize=9)
    ax.set_axis_off()
fig.suptitle("the first 20 training digits and their labels")
plt.show()

# %% [section] 2. The model: `DigitsCNN`
# %% [check] DigitsCNN
# %%
with your_code():
    torch.manual_seed(0)
    model = digits_cnn.DigitsCNN()
    print(model)
    print(f"\nlogits for 5 digits: {tuple(model(x[:5]).shape)}; "
          f"{sum(p.numel() for p in model.parameters())} parameters")

# %% [section] 3. Minibatches: `make_loader`
# %% [check] make_loader

# %% [section] 4. The training loop: `train_epoch`
# %% [check] train_epoch

# %% [section] 5. Measuring: `evaluate`
# %% [check] evaluate

# %% [section] 6. Training: `fit`
# %% [markdown]
# ### Before training: two sanity checks
#
# Every practitioner runs these before a long training run; each takes seconds and catches bugs that
# would otherwise cost an evening.
#
# 1. **The loss at initialisation.** A fresh network's logits are small and nearly equal, so it gives each of
#    the 10 classes a probability near 1/10, and the cross-entropy is near −ln(1/10) = ln 10 ≈ 2.30.
# 2. **Overfitting a tiny set.** A model, a loss and a training loop that work can learn 20 training digits
#    by heart, to 100% accuracy, in a few dozen steps. If yours cannot, no amount of data will help.
# %%
with your_code():
    torch.manual_seed(0)
    loss, accuracy = digits_cnn.evaluate(digits_cnn.DigitsCNN(), digits_cnn.make_loader(x, y, 256, shuffle=False),
                                         nn.CrossEntropyLoss())
    near = abs(loss - math.log(10)) < 0.1
    print(f"loss at initialisation: {loss:.3f}; ln 10 = {math.log(10):.3f}  " +
          ("✓" if near else "✗ far from ln 10: are the outputs logits, straight from fc, with nothing after it?"))
    print(f"accuracy at initialisation: {accuracy:.1%}. Not a check: chance is 10%, but an untrained network's "
          "largest logit often falls on the same one or two classes for most digits, so anything from a few percent "
          "to 30% is normal")
# %% [plot]
with your_code():
    torch.manual_seed(0)
    model = digits_cnn.DigitsCNN()
    tiny = digits_cnn.make_loader(x[:20], y[:20], 20, shuffle=False)
    optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
    loss_fn = nn.CrossEntropyLoss()
    steps = [(digits_cnn.train_epoch(model, tiny, optimizer, loss_fn), digits_cnn.evaluate(model, tiny, loss_fn)[1])
             for _ in range(60)]
    perfect = next((step for step, (_, accuracy) in enumerate(steps, start=1) if accuracy == 1.0), None)
    print(f"✓ 100% of the 20 digits after {perfect} steps" if perfect else
          f"✗ {steps[-1][1]:.0%} of the 20 digits after {len(steps)} steps: the model, the loss or the loop has a bug")
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3))
    left.plot([loss for loss, _ in steps])
    left.set(xlabel="step (one batch of the 20 digits)", ylabel="training loss", yscale="log", title="loss")
    right.plot([accuracy for _, accuracy in steps])
    right.set(xlabel="step", ylabel="accuracy on the 20 digits", ylim=(0, 1.05), title="accuracy")
    for ax in (left, right):
        ax.grid(alpha=0.3)
    fig.suptitle("your model, train_epoch and evaluate overfitting 20 digits (Adam, η = 0.01)")
    fig.tight_layout()
    plt.show()
# %% [markdown]
# ### A short training run, beside the reference's
#
# The first 800 training digits, 6 epochs, SGD with η = 0.05 and momentum 0.9, batches of 32 (the
# reference's `fit`, shortened), measured after every epoch on the last 200 training digits, which it
# never trains on. The dashed lines are the reference solution's run with the same settings and seeds:
# with a correct `DigitsCNN`, `make_loader`, `train_epoch` and `evaluate`, your lines lie on them.
# %%
TRAIN, HELD_OUT, EPOCHS = 800, 200, 6
REFERENCE = [(2.284, 2.23, 0.235), (1.9732, 1.4584, 0.52), (0.6929, 1.1555, 0.735), (0.381, 0.948, 0.7), (0.2471, 0.6835, 0.795), (0.1453, 0.5997, 0.855)]


def training_run(module, x, y, seed=0):
    """The trained model and, per epoch, (training loss, held-out loss, held-out accuracy) of ``module``'s code."""
    torch.manual_seed(seed)
    model = module.DigitsCNN()
    loader = module.make_loader(x[:TRAIN], y[:TRAIN], 32, shuffle=True, seed=seed)
    held_out = module.make_loader(x[-HELD_OUT:], y[-HELD_OUT:], 256, shuffle=False)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    loss_fn = nn.CrossEntropyLoss()
    history = []
    for _ in range(EPOCHS):
        training_loss = module.train_epoch(model, loader, optimizer, loss_fn)
        history.append((training_loss, *module.evaluate(model, held_out, loss_fn)))
    return model, history


# %% [plot]
trained = None
with your_code():
    trained, history = training_run(digits_cnn, x, y)
    epochs = range(1, EPOCHS + 1)
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 3.6))
    for run, style, who in ((REFERENCE, {"linestyle": "--", "linewidth": 4, "alpha": 0.35}, "reference"),
                            (history, {"marker": "o"}, "yours")):
        training_loss, held_out_loss, held_out_accuracy = zip(*run)
        left.plot(epochs, training_loss, color="C0", label=f"training, {who}", **style)
        left.plot(epochs, held_out_loss, color="C1", label=f"held-out, {who}", **style)
        right.plot(epochs, held_out_accuracy, color="C1", label=f"held-out, {who}", **style)
    left.set(xlabel="epoch", ylabel="cross-entropy per sample", title="loss")
    right.set(xlabel="epoch", ylabel="accuracy", ylim=(0, 1.02), title="accuracy on the 200 held-out digits")
    for ax in (left, right):
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    fig.tight_layout()
    plt.show()
    print(f"after {EPOCHS} epochs: yours {history[-1][2]:.1%}, the reference {REFERENCE[-1][2]:.1%} of the held-out digits")
# %% [markdown]
# ### What your model gets wrong
#
# The held-out digits your trained model misreads, each titled *true → predicted*. Some are hard for a
# person too; a longer run (your `fit`) gets most of the others right.
# %% [plot]
if trained is None:
    print("· the training run above did not finish: this cell shows its mistakes once it does.")
with your_code():
    if trained is not None:
        held_x, held_y = x[-HELD_OUT:], y[-HELD_OUT:]
        trained.eval()
        with torch.no_grad():
            predicted = trained(held_x).argmax(dim=1)
        wrong = (predicted != held_y).nonzero().flatten()[:24].tolist()
        fig, axes = plt.subplots(2, 12, figsize=(12, 2.6))
        for ax in axes.flat:
            ax.set_axis_off()
        for ax, index in zip(axes.flat, wrong):
            ax.imshow(held_x[index, 0], cmap="gray_r")
            ax.set_title(f"{held_y[index].item()} → {predicted[index].item()}", fontsize=9)
        fig.suptitle(f"{(predicted != held_y).sum().item()} of {HELD_OUT} held-out digits misread" +
                     (f" (the first {len(wrong)})" if len(wrong) < (predicted != held_y).sum().item() else ""))
        plt.show()
# %% [markdown]
# ### Your `fit`, by the grade's rule
#
# The next cell trains your `fit` on the training digits minus every fifth one, then measures the model on
# those 288 digits it never saw: its accuracy against the grade's line (95% for every point of fit's test, 90%
# for none), the CPU seconds `fit` took against the 60 s limit, and the points that rule gives (the same check
# as `python tests/fit_check.py`).
# %% [check] fit
