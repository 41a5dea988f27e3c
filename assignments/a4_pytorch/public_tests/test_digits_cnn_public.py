"""Public tests for digits_cnn.py: run them from the assignment folder with  python -m pytest tests

They check the contract on small examples whose answers they compute themselves (one SGD
step by hand, an accuracy by counting). The autograder checks much more (random shapes,
seeds, momentum, comparisons with the reference solution, and fit's accuracy on digits you
do not have), so passing here is a good sign, not a guarantee.
"""

import sys
from pathlib import Path

import pytest
import torch
import torch.nn as nn
from torch.utils.data import DataLoader, TensorDataset

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parent)]

import digits_cnn  # noqa: E402


def small_model():
    torch.manual_seed(0)
    return nn.Sequential(nn.Flatten(), nn.Linear(64, 10))


def digits(n, seed=0):
    generator = torch.Generator().manual_seed(seed)
    return torch.rand(n, 1, 8, 8, generator=generator), torch.randint(0, 10, (n,), generator=generator)


def by_hand(model, batches, lr):
    """The weights after one plain SGD step per batch, θ ← θ − η ∇θ L(M), and the per-sample mean loss."""
    params = [p.detach().clone().requires_grad_() for p in model.parameters()]
    total = 0.0
    for x, y in batches:
        loss = nn.functional.cross_entropy(nn.functional.linear(x.flatten(1), params[0], params[1]), y)
        grads = torch.autograd.grad(loss, params)
        params = [(p - lr * g).detach().requires_grad_() for p, g in zip(params, grads)]
        total += loss.item() * len(y)
    return [p.detach() for p in params], total / sum(len(y) for _, y in batches)


@pytest.mark.parametrize("channels", [(8, 16), (3, 5)])
def test_DigitsCNN_parameters_and_logits(channels):
    c1, c2 = channels
    model = digits_cnn.DigitsCNN(channels=channels)
    shapes = {name: tuple(p.shape) for name, p in model.state_dict().items()}
    assert shapes == {"conv1.weight": (c1, 1, 3, 3), "conv1.bias": (c1,), "conv2.weight": (c2, c1, 3, 3),
                      "conv2.bias": (c2,), "fc.weight": (10, c2 * 4), "fc.bias": (10,)}
    x, _ = digits(5)
    logits = model(x)
    assert logits.shape == (5, 10)
    assert not torch.allclose(logits.sum(dim=1), torch.ones(5)), "return logits, not probabilities"
    assert not torch.allclose(logits.exp().sum(dim=1), torch.ones(5)), "return logits, not log-probabilities"
    assert torch.allclose(model(x[2:3]), logits[2:3], atol=1e-6), "each sample's logits depend on that sample only"
    assert model.double()(x.double()).dtype == torch.float64, "after model.double() forward computes in float64"


def epoch(loader, global_seed=None):
    """One pass over ``loader`` (torch's global generator seeded with ``global_seed`` first): its batches."""
    if global_seed is not None:
        torch.manual_seed(global_seed)
    return [(bx, by) for bx, by in loader]


def test_make_loader_batches_and_seeded_order():
    x, y = digits(10)
    plain = digits_cnn.make_loader(x, y, 4, shuffle=False)
    assert isinstance(plain, DataLoader)
    assert plain.num_workers == 0, "keep num_workers=0: the autograder cannot run DataLoader worker processes"
    assert [b[1].tolist() for b in plain] == [y[:4].tolist(), y[4:8].tolist(), y[8:].tolist()]
    shuffled = digits_cnn.make_loader(x, y, 4, shuffle=True, seed=3)
    first, second = epoch(shuffled, global_seed=1), epoch(shuffled)
    for batches in (first, second):
        assert [len(by) for _, by in batches] == [4, 4, 2], "batches of batch_size, the last one shorter"
        xs, ys = torch.cat([bx for bx, _ in batches]), torch.cat([by for _, by in batches])
        samples = zip(xs.flatten(1).tolist(), ys.tolist())
        assert sorted(samples) == sorted(zip(x.flatten(1).tolist(), y.tolist())), "every sample once, with its label"
    order = [by.tolist() for _, by in first]
    assert [by.tolist() for _, by in second] != order, "each epoch reshuffles"
    again = digits_cnn.make_loader(x, y, 4, shuffle=True, seed=3)
    assert [by.tolist() for _, by in epoch(again, global_seed=2)] == order, \
        "the same seed gives the same batches, whatever torch's global generator does"
    others = [[by.tolist() for _, by in epoch(digits_cnn.make_loader(x, y, 4, shuffle=True, seed=s))] for s in (4, 5)]
    assert any(other != order for other in others), "another seed gives another order"


@pytest.mark.parametrize("n", [4, 10])
def test_train_epoch_is_sgd_per_minibatch(n):
    x, y = digits(n, seed=1)
    model = small_model().eval()
    loader = DataLoader(TensorDataset(x, y), batch_size=4)
    weights, mean_loss = by_hand(model, list(loader), lr=0.5)
    loss = digits_cnn.train_epoch(model, loader, torch.optim.SGD(model.parameters(), lr=0.5), nn.CrossEntropyLoss())
    assert isinstance(loss, float), "return the epoch loss as a Python float (loss.item())"
    assert model.training, "train_epoch puts the model in training mode"
    for got, want in zip(model.parameters(), weights):
        assert torch.allclose(got.detach(), want, atol=1e-5), "weights differ from one SGD step per minibatch"
    assert loss == pytest.approx(mean_loss, rel=1e-5), "the mean loss per sample, Σ L(M)·|M| / N"


def test_evaluate_loss_accuracy_mode_and_no_grad():
    x, y = digits(10, seed=2)
    model = small_model().train()
    with torch.no_grad():
        logits = model(x)
    graphs = []
    model.register_forward_hook(lambda module, args, output: graphs.append(output.requires_grad))
    loss, accuracy = digits_cnn.evaluate(model, DataLoader(TensorDataset(x, y), batch_size=4), nn.CrossEntropyLoss())
    assert not model.training, "evaluate puts the model in evaluation mode"
    assert not any(graphs), "evaluate builds no autograd graph: run the forward passes under torch.no_grad()"
    assert all(p.grad is None for p in model.parameters()), "evaluate stores no gradients"
    assert accuracy == pytest.approx((logits.argmax(dim=1) == y).float().mean().item())
    assert loss == pytest.approx(nn.functional.cross_entropy(logits, y).item(), rel=1e-5)
