"""Assignment 4: the PyTorch example. A small CNN that reads handwritten digits, and its training loop.

Everything here is ordinary PyTorch: a model is an ``nn.Module``, a ``DataLoader`` hands out
minibatches, and one training step is the slides' gradient descent θ ← θ − η ∇θ L(M) on a
minibatch M, spelt in five lines:

    optimizer.zero_grad()          # forget the previous batch's gradients
    logits = model(x)              # forward pass
    loss = loss_fn(logits, y)      # L(M): the mean loss over the batch
    loss.backward()                # backward pass: ∇θ L(M) into every parameter's .grad
    optimizer.step()               # θ ← θ − η ∇θ L(M)

Never name a device: create tensors from the ones you are given and move each batch to the
model's device, so the same code runs on a CPU and on a CUDA GPU.

Keep DataLoader's ``num_workers=0`` (the default): the grader cannot run DataLoader worker
processes (they pass batches through shared memory, which its sandbox does not open), and the
digits are in memory already.

The data: digits_train.npz (next to this file) holds x, float32 (N, 1, 8, 8) in [0, 1],
and y, int64 (N,) in 0..9. Load it with

    data = numpy.load("digits_train.npz")
    x, y = torch.from_numpy(data["x"]), torch.from_numpy(data["y"])
"""

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset


class DigitsCNN(nn.Module):
    """conv1 → ReLU → 2×2 max-pool → conv2 → ReLU → 2×2 max-pool → flatten → fc.

    The layers are conv1 = nn.Conv2d(1, c1, 3, padding=1), conv2 = nn.Conv2d(c1, c2, 3, padding=1)
    and fc = nn.Linear(c2·2·2, num_classes): the autograder loads weights by these names.
    An (N, 1, 8, 8) batch becomes (N, c1, 8, 8), (N, c1, 4, 4), (N, c2, 4, 4), (N, c2, 2, 2),
    then (N, c2·2·2) and finally (N, num_classes) logits (scores, not probabilities:
    nn.CrossEntropyLoss applies the softmax itself).
    """

    def __init__(self, channels=(8, 16), num_classes=10):
        super().__init__()
        # BEGIN SOLUTION: conv1 = 3×3 conv from 1 to c1 channels (padding 1), conv2 = 3×3 conv from c1 to c2 (padding 1), fc = linear from c2·2·2 to num_classes
        c1, c2 = channels
        self.conv1 = nn.Conv2d(1, c1, 3, padding=1)
        self.conv2 = nn.Conv2d(c1, c2, 3, padding=1)
        self.fc = nn.Linear(c2 * 2 * 2, num_classes)
        # END SOLUTION

    def forward(self, x):
        """Logits (N, num_classes) for images x of shape (N, 1, 8, 8): the scores before softmax, not probabilities
        or log-probabilities. Name no dtype: it computes in the dtype of the model and x: float32, or float64 after
        model.double()."""
        # BEGIN SOLUTION: conv1, ReLU, 2×2 max-pool, conv2, ReLU, 2×2 max-pool, flatten each sample, fc
        h = F.max_pool2d(F.relu(self.conv1(x)), 2)
        h = F.max_pool2d(F.relu(self.conv2(h)), 2)
        return self.fc(h.flatten(start_dim=1))
        # END SOLUTION


def make_loader(x, y, batch_size, shuffle, seed=0):
    """A DataLoader over TensorDataset(x, y) with batches of ``batch_size`` (the last one may be shorter).

    Each epoch (each pass over the loader) hands out every sample once. Without ``shuffle`` the
    batches keep the data's order. With ``shuffle`` the order comes from
    ``torch.Generator().manual_seed(seed)`` and from nothing else (not torch's global generator):
    the same seed gives the same batches on every run, another seed another order, and each epoch
    reshuffles. Keep ``num_workers=0``.
    """
    # BEGIN SOLUTION: a DataLoader over TensorDataset(x, y); keep the last short batch; when shuffling, pass a generator seeded with seed
    generator = torch.Generator().manual_seed(seed) if shuffle else None
    return DataLoader(TensorDataset(x, y), batch_size=batch_size, shuffle=shuffle, generator=generator)
    # END SOLUTION


def train_epoch(model, loader, optimizer, loss_fn):
    """One pass over ``loader`` in training mode (``model.train()``), one optimizer step per batch:
    zero_grad, forward, loss, backward, step.

    Returns the mean loss per sample over the epoch, Σ batch_loss · batch_size / N, as a
    float (so a shorter last batch weighs less), batch_loss being the batch's loss before its
    step. Only the number counts, not how you add it up.
    """
    # BEGIN SOLUTION: model.train(); for each batch moved to the model's device: zero_grad, forward, loss, backward, step; add up loss·batch size
    model.train()
    device = next(model.parameters()).device
    total, count = 0.0, 0
    for x, y in loader:
        x, y = x.to(device), y.to(device)
        optimizer.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        optimizer.step()
        total += loss.item() * len(y)
        count += len(y)
    return total / count
    # END SOLUTION


def evaluate(model, loader, loss_fn):
    """``(mean loss per sample, accuracy)`` over ``loader``, as floats, in evaluation mode (``model.eval()``)
    and without gradients: the forward passes run under ``torch.no_grad()``, so no autograd graph is built
    and no gradient stored.

    A sample's prediction is the class with the largest logit. Only the numbers count, not how you add them up.
    """
    # BEGIN SOLUTION: model.eval(); under torch.no_grad() add up loss·batch size and the correct predictions (argmax over the classes)
    model.eval()
    device = next(model.parameters()).device
    total, correct, count = 0.0, 0, 0
    with torch.no_grad():
        for x, y in loader:
            x, y = x.to(device), y.to(device)
            logits = model(x)
            total += loss_fn(logits, y).item() * len(y)
            correct += (logits.argmax(dim=1) == y).sum().item()
            count += len(y)
    return total / count, correct / count
    # END SOLUTION


def fit(x, y, seed=0):
    """A DigitsCNN trained on images x (N, 1, 8, 8) and labels y (N,); it should score ≥ 95% on new digits.

    95% earns every point of the test, 90% none, linearly in between; fit must finish within 60 s of
    CPU time. You choose the epochs, learning rate, batch size and optimizer. Seed torch
    (``torch.manual_seed(seed)``) so that a run is reproducible.
    """
    # BEGIN SOLUTION: seed torch, build the model, a shuffling loader and an optimizer, run train_epoch for some epochs
    torch.manual_seed(seed)
    model = DigitsCNN().to(x.device)
    loader = make_loader(x, y, batch_size=32, shuffle=True, seed=seed)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    loss_fn = nn.CrossEntropyLoss()
    for _ in range(15):
        train_epoch(model, loader, optimizer, loss_fn)
    return model
    # END SOLUTION
