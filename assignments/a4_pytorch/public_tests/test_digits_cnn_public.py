"""Public tests for digits_cnn.py: run them from the assignment folder with  python -m pytest tests

They check the contract on small examples whose answers they compute themselves (one SGD step by
hand, an accuracy by counting) and report a failure as the autograder does: what is wrong, where,
and its likely cause where the example shows one (digits_checks.py names the causes, here and in
the autograder alike). The autograder checks much more (random shapes, seeds, momentum,
comparisons with the reference solution, and fit's accuracy on digits you do not have), so passing
here is a good sign, not a guarantee.
"""

import importlib
import sys
from pathlib import Path

import pytest
import torch
import torch.nn as nn
from torch.utils.data import DataLoader, TensorDataset

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent)]

import digits_checks as checks  # noqa: E402
import fit_check  # noqa: E402
from _nnhw_check import Check  # noqa: E402
from _nnhw_feedback import answer, feedback_only, stop_unless_importable  # noqa: E402

stop_unless_importable()

FORWARD = "conv1 → ReLU → maxpool 2×2 → conv2 → ReLU → maxpool 2×2 → flatten each sample → fc  (logits)"
LOADER = "DataLoader(TensorDataset(x, y), batch_size, shuffle, generator=torch.Generator().manual_seed(seed))"
STEP = "for each minibatch M: optimizer.zero_grad(); loss = loss_fn(model(x_M), y_M); loss.backward(); optimizer.step()"
EPOCH_LOSS = "epoch loss = Σ_M L(M) · |M| / N  (the mean loss per sample)"
LR = 0.5


def student(name):
    """``name`` from your digits_cnn.py; a file that cannot be imported is reported as the autograder does."""
    return getattr(answer("digits_cnn.py", lambda: importlib.import_module("digits_cnn")), name)


def small_model():
    torch.manual_seed(0)
    return nn.Sequential(nn.Flatten(), nn.Linear(64, 10))


def digits(n, seed=0):
    generator = torch.Generator().manual_seed(seed)
    return torch.rand(n, 1, 8, 8, generator=generator), torch.randint(0, 10, (n,), generator=generator)


def shapes(channels):
    """The contract's parameters of DigitsCNN(channels) and their shapes."""
    c1, c2 = channels
    return {"conv1.weight": (c1, 1, 3, 3), "conv1.bias": (c1,), "conv2.weight": (c2, c1, 3, 3), "conv2.bias": (c2,),
            "fc.weight": (10, c2 * 2 * 2), "fc.bias": (10,)}


@pytest.mark.parametrize("channels", [(8, 16), (3, 5)], ids=["channels 8,16", "channels 3,5"])
@feedback_only
def test_DigitsCNN_parameters_and_logits(channels):
    """DigitsCNN: the contract's parameters and shapes, and each sample's logits of shape (N, 10)"""
    x, _ = digits(5)
    check = Check("DigitsCNN", {"channels": channels, "x": x}, FORWARD)
    model = answer("DigitsCNN", lambda: student("DigitsCNN")(channels=channels), check.inputs)
    got = {name: tuple(p.shape) for name, p in model.state_dict().items()}
    checks.report(check, checks.parameter_finding(got, shapes(channels), shapes((8, 16)), channels))
    logits = answer("DigitsCNN.forward", lambda: model(x), check.inputs,
                    explain=lambda exc: checks.crash_cause(str(exc), channels))
    if not isinstance(logits, torch.Tensor) or tuple(logits.shape) != (5, 10):
        check.fail(f"forward should return logits of shape (5, 10), got {getattr(logits, 'shape', logits)!r}")
    cause = checks.logits_cause(logits)
    if cause:
        check.fail("forward should return the logits, the scores before softmax", "", cause)
    if not checks.close(model(x[2:3]), logits[2:3], atol=1e-6):
        check.fail("sample 2 alone gets other logits than in the batch: each sample's logits must depend on that "
                   "sample only (flatten each sample on its own)")
    if model.double()(x.double()).dtype != torch.float64:
        check.fail("after model.double(), forward should compute in float64")


def epochs(make, global_seeds, count):
    """``count`` passes over the loader ``make()`` returns, torch's global generator seeded with ``global_seeds[0]``
    before it is made and with ``global_seeds[1]`` before it is iterated: an order taken from it shows."""
    torch.manual_seed(global_seeds[0])
    loader = make()
    torch.manual_seed(global_seeds[1])
    return [[tuple(batch) for batch in loader] for _ in range(count)]


@pytest.mark.parametrize("shuffle", [False, True], ids=["shuffle=False", "shuffle=True"])
@feedback_only
def test_make_loader_batches_and_seeded_order(shuffle):
    """make_loader: every sample once per epoch in batches of batch_size, in an order its seed alone decides"""
    x, y = digits(10)
    check = Check("make_loader", {"x": x, "y": y, "batch_size": 4, "shuffle": shuffle, "seed": 3}, LOADER)
    make_loader = student("make_loader")
    loader = answer("make_loader", lambda: make_loader(x, y, 4, shuffle, seed=3), check.inputs)
    if not isinstance(loader, DataLoader):
        check.fail(f"should return a torch.utils.data.DataLoader, got a {type(loader).__name__}")
    if loader.num_workers:
        check.fail(f"the loader has num_workers={loader.num_workers}", "",
                   "keep num_workers=0: the autograder cannot run DataLoader worker processes")
    first, again = (answer("make_loader", lambda g=g: epochs(lambda: make_loader(x, y, 4, shuffle, seed=3), g, 2),
                           check.inputs) for g in ((101, 202), (303, 404)))
    others = [answer("make_loader", lambda s=s: epochs(lambda: make_loader(x, y, 4, shuffle, seed=s), (101, 202), 1),
                     check.inputs)[0] for s in (4, 5, 6)]
    checks.report(check, checks.loader_finding(x, y, 4, shuffle, 3, first, again, others))


def by_hand(model, batches, accumulate=False):
    """One plain SGD step per batch, θ ← θ − η ∇θ L(M) (with ``accumulate``, ∇ summed over the batches so
    far, as when nothing clears the gradients): the weights after, each batch's loss before its step, the mean
    loss per sample, and the loss of the trained weights over all the samples."""
    names = [name for name, _ in model.named_parameters()]
    params = [p.detach().clone() for p in model.parameters()]
    summed = [torch.zeros_like(p) for p in params]
    losses = []
    for x, y in batches:
        params = [p.requires_grad_() for p in params]
        loss = nn.functional.cross_entropy(nn.functional.linear(x.flatten(1), *params), y)
        grads = torch.autograd.grad(loss, params)
        summed = [s + g if accumulate else g for s, g in zip(summed, grads)]
        params = [(p - LR * g).detach() for p, g in zip(params, summed)]
        losses.append(loss.item())
    x, y = (torch.cat(parts) for parts in zip(*batches))
    after = nn.functional.cross_entropy(nn.functional.linear(x.flatten(1), *params), y).item()
    mean = sum(loss * len(b[1]) for loss, b in zip(losses, batches)) / len(y)
    return {"state": dict(zip(names, params)), "losses": losses, "loss": mean, "after": after}


@pytest.mark.parametrize("n", [4, 10], ids=["4 digits", "10 digits"])
@feedback_only
def test_train_epoch_is_sgd_per_minibatch(n):
    """train_epoch: one SGD step per minibatch, and the mean loss per sample"""
    x, y = digits(n, seed=1)
    model = small_model().eval()
    initial = {name: p.detach().clone() for name, p in model.named_parameters()}
    loader = DataLoader(TensorDataset(x, y), batch_size=4)
    batches = list(loader)
    expected = by_hand(model, batches)
    seen = []  # the logits loss_fn is given
    loss_fn = nn.CrossEntropyLoss()
    loss_fn.register_forward_hook(lambda module, args, output: seen.append(args[0].detach()))
    inputs = {"x": x, "y": y, "model": "nn.Sequential(nn.Flatten(), nn.Linear(64, 10))",
              "loader": "DataLoader(TensorDataset(x, y), batch_size=4)", "optimizer": f"SGD(lr={LR})",
              "loss_fn": "nn.CrossEntropyLoss()"}
    check = Check("train_epoch", inputs, STEP, **checks.FLOAT32)
    optimizer = torch.optim.SGD(model.parameters(), lr=LR)
    loss = answer("train_epoch", lambda: student("train_epoch")(model, loader, optimizer, loss_fn), inputs)
    checks.report(check, checks.mode_finding("train_epoch", model.training, True))
    state = {name: p.detach() for name, p in model.named_parameters()}
    check.diagnose = lambda got, want, path: checks.loss_fn_cause(seen) or \
        checks.weights_cause(state, initial, lambda: by_hand(small_model(), batches, accumulate=True)["state"])
    checks.match_state(check, state, expected["state"], "the weights after one epoch")
    checks.report(check, checks.number_finding(loss, "the returned epoch loss"))
    check.diagnose = lambda got, want, path: checks.loss_fn_cause(seen) or \
        checks.epoch_loss_cause(float(got), expected["losses"], [len(b[1]) for b in batches], expected["after"])
    check.formula = EPOCH_LOSS
    check.matches(loss, expected["loss"], what="the returned epoch loss")


@feedback_only
def test_evaluate_loss_accuracy_mode_and_no_grad():
    """evaluate: the mean loss per sample and the accuracy, in evaluation mode and without a graph"""
    x, y = digits(10, seed=2)
    model = small_model().train()
    loader = DataLoader(TensorDataset(x, y), batch_size=4)
    with torch.no_grad():
        logits = model(x)
    graphs, training_passes = checks.record_forward_passes(model)
    inputs = {"x": x, "y": y, "model": "nn.Sequential(nn.Flatten(), nn.Linear(64, 10))",
              "loader": "DataLoader(TensorDataset(x, y), batch_size=4)", "loss_fn": "nn.CrossEntropyLoss()"}
    check = Check("evaluate", inputs, "accuracy = #{argmax over the classes of the logits == y} / N;  " + EPOCH_LOSS,
                  **checks.FLOAT32)
    result = answer("evaluate", lambda: student("evaluate")(model, loader, nn.CrossEntropyLoss()), inputs)
    gradients = [name for name, p in model.named_parameters() if p.grad is not None]
    accuracy = (logits.argmax(dim=1) == y).double().mean().item()
    checks.report(check, checks.evaluate_finding(training_passes, graphs, gradients, result, accuracy, len(y)))
    checks.report(check, checks.number_finding(result[0], "the mean loss per sample"))
    losses = [nn.functional.cross_entropy(logits[i:i + 4], y[i:i + 4]).item() for i in range(0, len(y), 4)]
    check.diagnose = lambda got, want, path: checks.epoch_loss_cause(float(got), losses, [4, 4, 2])
    check.matches(result[0], nn.functional.cross_entropy(logits, y).item(), what="the mean loss per sample")


@feedback_only
def test_fit_on_held_back_digits():
    """fit: classifies the held-back fifth of the training digits well enough, within the CPU time allowed

    fit trained on the training digits minus a held-back fifth, measured on that fifth by the grade's rule
    (fit_check.py): the report is the feedback when the rule gives less than every point, and is printed (the
    notebook shows it) when it gives every point."""
    x, y = fit_check.training_digits()
    inputs = {"x, y": f"the {int(fit_check.held_back(len(y)).sum())} training digits not held back", "seed": 0}
    check = Check("fit", inputs)
    report = answer("fit", lambda: fit_check.measure(student("fit"), x, y), inputs)
    lines = "\n".join(report.lines())
    if report.cpu_s > fit_check.CPU_S:
        check.fail(f"took {report.cpu_s:.0f} s of CPU time; at most {fit_check.CPU_S} s are allowed", lines,
                   "too many epochs, or batches too small")
    if report.points < fit_check.POINTS:
        check.fail(f"your model reads {report.accuracy:.1%} of the {report.held_back} held-back digits; "
                   f"{fit_check.FULL:.0%} earns every point", lines, report.cause)
    print("your fit, trained on the training digits minus every fifth, by the grade's rule:\n" + lines)
