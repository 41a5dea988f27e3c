"""Runs the student's training code on objects the protocol cannot carry, in the worker and in the grader.

A model, a DataLoader, an optimizer and a loss function are live objects, not data, so a
graded test cannot send them to the student's ``train_epoch``. This module builds them on
the spot from data (tensors, numbers, a seed), runs one function on them and answers with
data: the returned values, the weights afterwards, the model's mode, whether its forward
passes built a graph, and what the loss function saw. The worker imports it next to
digits_cnn.py ([assignment] worker_modules), where each function uses the student's code; the
grader imports it too and passes the reference's, so both sides build the same objects. One
exception: the reference trains with :class:`WrittenOutSGD` (torch.optim.SGD's update, written
out), the student's code with torch.optim.SGD itself. The student's code runs with DataLoader
worker processes refused, with the reason (:func:`no_loader_workers`).
"""

import contextlib
import functools
import importlib
import time

import torch
import torch.nn as nn
from torch.utils.data import DataLoader, TensorDataset

STUDENT_MODULE = "digits_cnn"


class LoaderWorkersUnavailable(RuntimeError):
    """A DataLoader with worker processes was iterated in the grader, where they cannot run."""


def refuse_loader_workers(loader):
    """Stop a loader with ``num_workers > 0`` before it starts its processes, saying why.

    Its worker processes hand batches back through shared memory (``/dev/shm``), which the grader's
    sandbox does not open (it is shared with every other process on the machine), and each would count
    against the submission's memory limit with its own copy of torch. Without this the student reads a
    bare ``PermissionError`` or "used more than 1024 MB of memory"."""
    workers = getattr(loader, "num_workers", 0)
    if isinstance(workers, int) and workers > 0:
        raise LoaderWorkersUnavailable(
            f"a DataLoader with num_workers={workers} was iterated; the grader cannot run DataLoader worker "
            "processes: they pass batches through shared memory (/dev/shm), which the grader's sandbox does "
            "not open, and each would count against your memory limit. Use num_workers=0 (the default): the "
            "digits are already in memory, so worker processes would only add start-up time")


@contextlib.contextmanager
def no_loader_workers():
    """While the student's code runs: every DataLoader it iterates goes through :func:`refuse_loader_workers`."""
    iterate = DataLoader.__iter__

    def guarded(loader):
        refuse_loader_workers(loader)
        return iterate(loader)

    DataLoader.__iter__ = guarded
    try:
        yield
    finally:
        DataLoader.__iter__ = iterate


def _students(name):
    """The student's ``name``; a function runs under :func:`no_loader_workers`."""
    found = getattr(importlib.import_module(STUDENT_MODULE), name)
    if isinstance(found, type) or not callable(found):
        return found

    @functools.wraps(found)
    def guarded(*args, **kwargs):
        with no_loader_workers():
            return found(*args, **kwargs)
    return guarded


def small_model(seed, device="cpu"):
    """The model train_epoch and evaluate are tested with: any nn.Module will do, so a tiny one with a
    known initialisation keeps those tests independent of the student's DigitsCNN. Built on the CPU, so only
    the CPU generator is seeded: ``torch.manual_seed`` also queues a seeding for each lazy device backend,
    formatting a stack trace for each (half a CPU second of every grading)."""
    torch.default_generator.manual_seed(seed)
    model = nn.Sequential(nn.Flatten(), nn.Linear(64, 12), nn.ReLU(), nn.Linear(12, 10))
    return model.to(device)


def _cpu_state(model):
    return {name: value.detach().cpu().clone() for name, value in model.state_dict().items()}


class RecordingLoss(nn.CrossEntropyLoss):
    """nn.CrossEntropyLoss that also notes, for each call: the batch size, the logits it was handed and the
    loss. How many calls there are is the student's business: only the result is graded; the logits show
    probabilities given instead, and the reference's calls name wrong results (its batch losses)."""

    def __init__(self):
        super().__init__()
        self.calls = []

    def forward(self, logits, target):
        loss = super().forward(logits, target)
        self.calls.append({"batch": int(target.shape[0]), "logits": logits.detach().cpu().clone(),
                           "loss": float(loss.detach())})
        return loss


def _loss_record(loss_fn):
    return {key: [call[key] for call in loss_fn.calls] for key in ("batch", "logits", "loss")}


def _record_forward_passes(model):
    """For each forward pass of ``model`` from now on: whether it built an autograd graph (its output requires
    grad, which is what running it outside torch.no_grad() does), and whether any of its modules was in training
    mode while it ran. What evaluate does while it runs is graded, not the mode it leaves the model in (a loop
    that ends with model.train(), so that training can go on, is good practice). The public test's
    ``digits_checks.record_forward_passes`` is the same hook; this one runs in the worker, which has no copy."""
    graphs, training = [], []

    def hook(module, args, output):
        graphs.append(bool(getattr(output, "requires_grad", False)))
        training.append(any(m.training for m in module.modules()))

    model.register_forward_hook(hook)
    return graphs, training


class WrittenOutSGD:
    """torch.optim.SGD's update with momentum μ, written out: v ← g on the first step, then v ← μ·v + g;
    θ ← θ − η·v. The same tensor operations in the same order, so the same numbers on the CPU.

    Why the grader does not use torch.optim.SGD for the reference: building any torch.optim optimizer
    imports torch.compile's machinery (torch._dynamo, with sympy): 3 CPU seconds, 6 s of Gradescope's
    half core. The student's side still gets torch.optim.SGD, so their train_epoch is checked against
    the update rule itself."""

    def __init__(self, params, lr, momentum=0.0):
        self.params, self.lr, self.momentum = list(params), lr, momentum
        self.velocity = [None] * len(self.params)

    def zero_grad(self, set_to_none=True):
        for p in self.params:
            if set_to_none:
                p.grad = None
            elif p.grad is not None:
                p.grad.zero_()

    @torch.no_grad()
    def step(self):
        for i, p in enumerate(self.params):
            if p.grad is None:
                continue
            g = p.grad
            if self.momentum:
                if self.velocity[i] is None:
                    self.velocity[i] = torch.clone(g).detach()
                else:
                    self.velocity[i].mul_(self.momentum).add_(g)
                g = self.velocity[i]
            p.add_(g, alpha=-self.lr)


class GradientsKept(WrittenOutSGD):
    """WrittenOutSGD whose zero_grad does nothing: the reference's train_epoch with it steps as a loop without
    optimizer.zero_grad() does, each step on the sum of all gradients so far (a likely cause, for the feedback)."""

    def zero_grad(self, set_to_none=True):
        pass


def run_train_epoch(x, y, batch_size, lr, momentum, model_seed, device="cpu", train_epoch=None,
                    keep_gradients=False):
    """train_epoch on small_model(model_seed) (left in evaluation mode beforehand), an unshuffled loader
    of (x, y) and SGD(lr, momentum): the returned loss, the weights after, the mode, the loss calls.
    The student's train_epoch gets torch.optim.SGD, the reference's (``train_epoch`` given) WrittenOutSGD, or
    :class:`GradientsKept` with ``keep_gradients``."""
    sgd = torch.optim.SGD if train_epoch is None else GradientsKept if keep_gradients else WrittenOutSGD
    train_epoch = train_epoch or _students("train_epoch")
    model = small_model(model_seed, device).eval()  # train_epoch must switch to training mode itself
    loader = DataLoader(TensorDataset(x, y), batch_size=batch_size)
    optimizer = sgd(model.parameters(), lr=lr, momentum=momentum)
    loss_fn = RecordingLoss()
    loss = train_epoch(model, loader, optimizer, loss_fn)
    return {"loss": loss, "state": _cpu_state(model), "training": model.training, "calls": _loss_record(loss_fn)}


def run_evaluate(x, y, batch_size, model_seed, device="cpu", evaluate=None):
    """evaluate on small_model(model_seed) (left in training mode beforehand) and an unshuffled loader:
    the returned (loss, accuracy), for each forward pass whether it built a graph and whether it ran in
    training mode, which parameters got a gradient, the loss calls."""
    evaluate = evaluate or _students("evaluate")
    model = small_model(model_seed, device).train()  # evaluate must switch to evaluation mode itself
    graphs, training = _record_forward_passes(model)
    loader = DataLoader(TensorDataset(x, y), batch_size=batch_size)
    loss_fn = RecordingLoss()
    result = evaluate(model, loader, loss_fn)
    return {"result": result, "training_passes": training, "calls": _loss_record(loss_fn), "graphs": graphs,
            "gradients": sorted(name for name, p in model.named_parameters() if p.grad is not None)}


#: torch's global generator is set to one of these before each loader is made, and to another before it is
#: iterated, so that an order taken from it shows: make_loader must take its order from its own generator.
GLOBAL_SEEDS = ((101, 202), (303, 404))


def _epochs(make_loader, x, y, batch_size, shuffle, seed, global_seeds, epochs):
    torch.default_generator.manual_seed(global_seeds[0])  # the CPU's alone: see small_model
    loader = make_loader(x, y, batch_size, shuffle, seed=seed)
    if not isinstance(loader, DataLoader):
        return type(loader).__name__
    refuse_loader_workers(loader)
    torch.default_generator.manual_seed(global_seeds[1])
    return [[tuple(batch) for batch in loader] for _ in range(epochs)]


def run_loader(x, y, batch_size, shuffle, seed, other_seeds=(), make_loader=None):
    """What make_loader's loaders hand out: ``"first"``, two epochs of make_loader(x, y, batch_size, shuffle, seed);
    ``"again"``, the same made afresh with torch's global generator in other states; ``"others"``, the first epoch
    for each of ``other_seeds``. A loader that is no DataLoader is answered by its type's name instead."""
    make_loader = make_loader or _students("make_loader")
    first, again = (_epochs(make_loader, x, y, batch_size, shuffle, seed, g, 2) for g in GLOBAL_SEEDS)
    others = [_epochs(make_loader, x, y, batch_size, shuffle, s, GLOBAL_SEEDS[0], 1) for s in other_seeds]
    for made in (first, again, *others):
        if isinstance(made, str):
            return {"type": made}
    return {"type": "DataLoader", "first": first, "again": again, "others": [epochs[0] for epochs in others]}


#: the layers whose inputs run_model reports, for the feedback: what reaches them shows which step before is wrong
OBSERVED_LAYERS = ("conv2", "fc")


def _record_layer_inputs(model):
    """``{layer: the input of its last forward pass}`` for each of OBSERVED_LAYERS that ``model`` has as a module."""
    inputs = {}
    for name in OBSERVED_LAYERS:
        layer = getattr(model, name, None)
        if isinstance(layer, nn.Module):
            layer.register_forward_pre_hook(
                lambda module, args, name=name: inputs.__setitem__(name, args[0].detach().cpu().clone())
                if args and isinstance(args[0], torch.Tensor) else None)
    return inputs


def run_model(channels, state=None, x=None, double=False, model_class=None):
    """DigitsCNN(channels) with ``state`` loaded (None: its own initialisation), optionally .double(),
    applied to x: its parameter shapes, its output and the inputs its conv2 and fc received."""
    model_class = model_class or _students("DigitsCNN")
    model = model_class(channels=tuple(channels))
    shapes = {name: tuple(p.shape) for name, p in model.state_dict().items()}
    if state is None:
        return {"shapes": shapes}
    model.load_state_dict(state)
    if double:
        model = model.double()
    layers = _record_layer_inputs(model)
    return {"shapes": shapes, "output": model(x), "layers": layers}


def run_fit(x, y, seed=0, fit=None):
    """fit(x, y, seed): the returned model's type and weights, and the CPU seconds it took (this process)."""
    fit = fit or _students("fit")
    started = time.process_time()
    model = fit(x, y, seed=seed)
    seconds = time.process_time() - started
    state = _cpu_state(model) if isinstance(model, nn.Module) else None
    return {"type": type(model).__name__, "state": state, "cpu_s": seconds}
