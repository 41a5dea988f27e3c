"""Draw training_curve.png, the handout's picture of the reference run (run by hand; the PNG is committed).

    .venv/bin/python assignments/a4_pytorch/training_curve.py     # needs matplotlib (pip install matplotlib)

It trains the reference DigitsCNN with the reference fit's settings (seed 0, batches of 32,
SGD with lr 0.05 and momentum 0.9, 15 epochs) on digits_train.npz, evaluating on
digits_test.npz after every epoch, and plots the mean loss per sample and the accuracy.
Run `nnhw build a4_pytorch` first so the data files exist. The PNG carries no date or
version, so redrawing an unchanged run with the same matplotlib gives the same bytes.
"""

from pathlib import Path

import torch
import torch.nn as nn

HERE = Path(__file__).resolve().parent
EPOCHS, BATCH, LR, MOMENTUM, SEED = 15, 32, 0.05, 0.9, 0


def reference_run():
    """Per epoch: (train loss, test loss, train accuracy, test accuracy) of the reference's fit settings."""
    from autograder.course import Course
    from autograder.kit import data

    reference = Course(HERE.parent.parent).assignment(HERE.name).load_reference()
    split = {name: {k: torch.from_numpy(v) for k, v in data.load(HERE, f"digits_{name}.npz").items()}
             for name in ("train", "test")}
    torch.set_num_threads(1)
    torch.manual_seed(SEED)
    model = reference.DigitsCNN()
    loader = reference.make_loader(split["train"]["x"], split["train"]["y"], BATCH, True, seed=SEED)
    optimizer = torch.optim.SGD(model.parameters(), lr=LR, momentum=MOMENTUM)
    loss_fn = nn.CrossEntropyLoss()
    history = []
    for _ in range(EPOCHS):
        train_loss = reference.train_epoch(model, loader, optimizer, loss_fn)
        evaluated = {name: reference.evaluate(model, reference.make_loader(s["x"], s["y"], 512, False), loss_fn)
                     for name, s in split.items()}
        history.append((train_loss, evaluated["test"][0], evaluated["train"][1], evaluated["test"][1]))
    return history


def draw(history, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    epochs = range(1, len(history) + 1)
    train_loss, test_loss, train_acc, test_acc = zip(*history)
    fig, (left, right) = plt.subplots(1, 2, figsize=(9, 3.4), dpi=100)
    left.plot(epochs, train_loss, "o-", label="training (mean over the epoch)")
    left.plot(epochs, test_loss, "s--", label="test (after the epoch)")
    left.set(xlabel="epoch", ylabel="cross-entropy loss per sample", title="loss")
    right.plot(epochs, train_acc, "o-", label="training digits")
    right.plot(epochs, test_acc, "s--", label="test digits")
    right.axhline(0.95, color="gray", linewidth=0.8, linestyle=":", label="95%: full points for fit")
    right.set(xlabel="epoch", ylabel="accuracy", title="accuracy", ylim=(0.5, 1.01))
    for axes in (left, right):
        axes.grid(alpha=0.3)
        axes.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, metadata={"Software": None})
    plt.close(fig)


if __name__ == "__main__":
    history = reference_run()
    draw(history, HERE / "training_curve.png")
    for epoch, row in enumerate(history, start=1):
        print(epoch, " ".join(f"{v:.4f}" for v in row))
