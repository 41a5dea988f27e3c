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

    An (N, 1, 8, 8) batch becomes (N, c1, 8, 8), (N, c1, 4, 4), (N, c2, 4, 4), (N, c2, 2, 2),
    then (N, c2·2·2) and finally (N, num_classes) logits (scores, not probabilities:
    nn.CrossEntropyLoss applies the softmax itself).
    """

    def __init__(self, channels=(8, 16), num_classes=10):
        super().__init__()
        # TODO: conv1 = 3×3 conv from 1 to c1 channels (padding 1), conv2 = 3×3 conv from c1 to c2 (padding 1), fc = linear from c2·2·2 to num_classes
        raise NotImplementedError('DigitsCNN.__init__: not implemented yet')

    def forward(self, x):
        """Logits (N, num_classes) for images x of shape (N, 1, 8, 8)."""
        # TODO: conv1, ReLU, 2×2 max-pool, conv2, ReLU, 2×2 max-pool, flatten each sample, fc
        raise NotImplementedError('DigitsCNN.forward: not implemented yet')


def make_loader(x, y, batch_size, shuffle, seed=0):
    """A DataLoader over TensorDataset(x, y) with batches of ``batch_size`` (the last one may be shorter).

    With ``shuffle`` the order comes from ``torch.Generator().manual_seed(seed)``, so the same
    seed gives the same batches on every run.
    """
    # TODO: a DataLoader over TensorDataset(x, y); keep the last short batch; when shuffling, pass a generator seeded with seed
    raise NotImplementedError('make_loader: not implemented yet')


def train_epoch(model, loader, optimizer, loss_fn):
    """One pass over ``loader`` in training mode, one optimizer step per batch.

    Returns the mean loss per sample over the epoch, Σ batch_loss · batch_size / N, as a
    float (so a shorter last batch weighs less).
    """
    # TODO: model.train(); for each batch moved to the model's device: zero_grad, forward, loss, backward, step; add up loss·batch size
    raise NotImplementedError('train_epoch: not implemented yet')


def evaluate(model, loader, loss_fn):
    """``(mean loss per sample, accuracy)`` over ``loader``, as floats, in evaluation mode and without gradients."""
    # TODO: model.eval(); under torch.no_grad() add up loss·batch size and the correct predictions (argmax over the classes)
    raise NotImplementedError('evaluate: not implemented yet')


def fit(x, y, seed=0):
    """A DigitsCNN trained on images x (N, 1, 8, 8) and labels y (N,); it should score ≥ 95% on new digits.

    You choose the epochs, learning rate, batch size and optimizer. Seed torch
    (``torch.manual_seed(seed)``) so that a run is reproducible.
    """
    # TODO: seed torch, build the model, a shuffling loader and an optimizer, run train_epoch for some epochs
    raise NotImplementedError('fit: not implemented yet')
