"""What a4's tests find wrong in digits_cnn.py, and the likely cause each finding names.

Shared by the graded tests (in the grader, next to the reference solution) and the public tests (copied into
the starter's tests/, next to your code), so that a bug gets the same explanation on your machine as on
Gradescope. Every function here takes what a test observed (tensors, lists, numbers; nothing runs your code)
and returns a :class:`Finding`, a cause, or None where the evidence does not single one out: a wrong hint
costs more than none. torch only.
"""

import numbers
import re
from typing import NamedTuple

import torch

FLOAT32 = {"rtol": 1e-4, "atol": 1e-5}  # float32, the same operations in the same order on both sides


class Finding(NamedTuple):
    """A broken property of the contract: what was observed, detail lines, and its likely cause (or None).
    ``Check.fail(*finding)`` reports it."""

    problem: str
    details: str = ""
    cause: str | None = None


def report(check, *findings):
    """Fail ``check`` (a Check of the autograder's check.py) with the first of ``findings`` that is one."""
    for finding in findings:
        if finding:
            check.fail(*finding)


def match_state(check, got, expected, what):
    """Weights compared parameter by parameter, each named as the contract names it
    (``the weights after 2 steps, parameter 1.weight``)."""
    if sorted(got) != sorted(expected):
        check.fail(f"{what}: the model's parameters are {sorted(got)}, expected {sorted(expected)}")
    for name in expected:
        check.matches(got[name], expected[name], what=f"{what}, parameter {name}")


def close(got, expected, rtol=FLOAT32["rtol"], atol=FLOAT32["atol"]):
    """Whether two tensors (or numbers) agree in shape and value."""
    got, expected = torch.as_tensor(got).detach().double(), torch.as_tensor(expected).detach().double()
    return got.shape == expected.shape and bool(torch.allclose(got, expected, rtol=rtol, atol=atol))


def same_state(got, expected):
    """Whether two state_dicts hold the same parameters with the same values."""
    return got.keys() == expected.keys() and all(close(got[k], expected[k]) for k in expected)


# ---------------------------------------------------------------------------------------
# DigitsCNN
# ---------------------------------------------------------------------------------------


def rows_are_probabilities(rows):
    """Whether every row of ``rows`` is non-negative and sums to 1: what softmax returns."""
    rows = torch.as_tensor(rows).detach().double()
    return bool(rows.numel()) and bool((rows >= 0).all()) and \
        torch.allclose(rows.sum(dim=-1), torch.ones_like(rows[..., 0]), atol=1e-4)


def rows_are_log_probabilities(rows):
    """Whether the exponentials of every row of ``rows`` are probabilities: what log_softmax returns."""
    rows = torch.as_tensor(rows).detach().double()
    return bool(rows.numel()) and bool((rows <= 1e-6).all()) and rows_are_probabilities(rows.exp())


def logits_cause(rows):
    """The likely cause of wrong logits that are probabilities or log-probabilities, row by row."""
    if rows_are_probabilities(rows):
        what = "probabilities (each row is ≥ 0 and sums to 1, as softmax's rows do)"
    elif rows_are_log_probabilities(rows):
        what = "log-probabilities (the exponentials of each row sum to 1, as log_softmax's rows do)"
    else:
        return None
    return (f"forward returns {what}: return the logits, the scores before softmax; nn.CrossEntropyLoss applies "
            "log-softmax itself")


def _written_in(name):
    return (f"{name} has the shape DigitsCNN() has with its default channels: a size written in as a number; "
            "compute it from channels (fc takes c2 * 2 * 2 inputs)")


def parameter_finding(got, expected, default, channels):
    """DigitsCNN(channels)'s parameters ``{name: shape}`` against the contract's, the first difference named
    exactly. A shape that is the one of ``default`` (DigitsCNN()'s, with its default channels) where these
    channels want another is a size written in as a number."""
    got = {name: tuple(shape) for name, shape in got.items()}
    missing, extra = [n for n in expected if n not in got], [n for n in got if n not in expected]
    if missing or extra:
        return Finding(f"with channels {tuple(channels)} its state_dict should hold exactly {', '.join(expected)}",
                       "; ".join(f"{what}: {', '.join(names)}" for what, names in
                                 (("missing", missing), ("not in the contract", extra)) if names))
    for name, shape in expected.items():
        if got[name] != tuple(shape):
            return Finding(f"with channels {tuple(channels)}, {name} has shape {got[name]}, expected {tuple(shape)}",
                           "", _written_in(name) if got[name] == tuple(default[name]) else None)
    return None


#: torch's messages for a view or reshape whose fixed row length does not divide the tensor, and for weights
#: loaded into a parameter of another shape
FIXED_ROWS = re.compile(r"shape '\[-1, (\d+)\]' is invalid for input of size (\d+)")
LOADED = re.compile(r"size mismatch for ([\w.]+): copying a param with shape torch\.Size\(\[([\d, ]*)\]\) from "
                    r"checkpoint, the shape in current model is torch\.Size\(\[([\d, ]*)\]\)")


def crash_cause(message, channels, default=None):
    """The likely cause of DigitsCNN raising ``message``: a flatten to rows of a length written in, or (with
    ``default``, DigitsCNN()'s parameter shapes) a parameter of the default channels' shape."""
    rows, loaded = FIXED_ROWS.search(message or ""), LOADED.search(message or "")
    features = channels[1] * 2 * 2
    if rows and int(rows[1]) != features:
        return (f"a view or reshape to rows of {rows[1]} values, a length written in: with channels "
                f"{tuple(channels)} each sample has c2·2·2 = {features} features; flatten each sample on its own "
                "with h.flatten(start_dim=1)")
    if loaded and default and loaded[1] in default:
        shape = tuple(int(size) for size in loaded[3].split(",") if size.strip())
        return _written_in(loaded[1]) if shape == tuple(default[loaded[1]]) else None
    return None


def layer_cause(got, expected, channels):
    """The likely cause of wrong logits, from the inputs the model's conv2 and fc received (``{layer: tensor}``,
    the student's and the reference's, on the same weights): the first layer whose input differs, and how."""
    for layer, before in (("conv2", "conv1"), ("fc", "conv2")):
        g, e = got.get(layer), expected.get(layer)
        if g is None or e is None:
            return None
        if g.shape != e.shape:
            if layer == "conv2" and g.shape[-2:] == tuple(2 * s for s in e.shape[-2:]):
                return (f"conv2's input is {g.shape[-2]}×{g.shape[-1]} per channel, the size conv1 outputs: the 2×2 "
                        "max-pool between conv1 and conv2 is missing")
            return None
        if close(g, e):
            continue
        if (g < 0).any() and close(g.clamp(min=0), e):
            return (f"{layer}'s input has negative values where the ReLU after {before} gives 0: that ReLU is "
                    "missing")
        c2 = channels[1]
        side = round((e.shape[-1] / c2) ** 0.5) if layer == "fc" else 0
        if side and side * side * c2 == e.shape[-1] and \
                close(g, e.reshape(-1, c2, side, side).permute(0, 2, 3, 1).reshape(e.shape)):
            return ("each sample is flattened channels-last (height, width, channel), not in torch's (channel, "
                    "height, width) order: h.flatten(start_dim=1) on the (N, c2, 2, 2) maps")
        return None
    return None


# ---------------------------------------------------------------------------------------
# make_loader
# ---------------------------------------------------------------------------------------

#: a shuffle of this many samples or more repeats an order by chance with probability 1/10! (3e-7) at most, so
#: "different seeds, different orders" and "each epoch reshuffles" are asked of orders at least this long.
SHUFFLED_AT_LEAST = 10


def samples(epoch):
    """An epoch's batches as one tensor, a row per sample (its pixels, then its label), in the order handed out;
    a Finding where the batches are not pairs (x, y)."""
    try:
        rows = [torch.cat([bx.reshape(len(bx), -1).double(), by.reshape(-1, 1).double()], dim=1) for bx, by in epoch]
        return torch.cat(rows) if rows else torch.empty(0, 0, dtype=torch.float64)
    except (TypeError, ValueError, RuntimeError, AttributeError) as exc:
        return Finding("each batch should be a pair (x, y) of tensors with a row of x per label in y",
                       f"{type(exc).__name__}: {exc}"[:300])


def batch_sizes(n, batch_size):
    """The contract's batch sizes: batch_size each, the last one shorter where batch_size does not divide n."""
    return [batch_size] * (n // batch_size) + [n % batch_size] * (n % batch_size > 0)


def _epoch_finding(epoch, number, data, batch_size):
    """One epoch: pairs (x, y), the contract's batch sizes, every sample once. Returns (its samples, None) or
    (None, Finding)."""
    got = samples(epoch)
    if isinstance(got, Finding):
        return None, got._replace(problem=f"epoch {number}: {got.problem}")
    sizes, wanted = [len(b[1]) for b in epoch], batch_sizes(len(data), batch_size)
    if sizes != wanted:
        dropped = sizes == wanted[:-1]
        return None, Finding(f"epoch {number}: batch sizes {sizes}, expected {wanted}", "",
                             "the last, shorter batch is dropped (drop_last=True): keep it, drop_last=False"
                             if dropped else None)
    if sorted(map(tuple, got.tolist())) != sorted(map(tuple, data.tolist())):
        return None, Finding(f"epoch {number}: the batches do not hold every sample of (x, y) exactly once, each "
                             "image with its own label")
    return got, None


def loader_finding(x, y, batch_size, shuffle, seed, first, again, others):
    """make_loader(x, y, batch_size, shuffle, seed) judged by what its loaders handed out: ``first``, two epochs of
    one loader; ``again``, the same from a loader made afresh with torch's global generator in another state;
    ``others``, the first epoch of loaders made with other seeds (``seed + 1``, ...)."""
    data = samples([(x, y)])
    orders = []
    for number, epoch in enumerate(first, 1):
        order, finding = _epoch_finding(epoch, number, data, batch_size)
        if finding:
            return finding
        orders.append(order)
    if not shuffle and any(not torch.equal(order, data) for order in orders):
        return Finding("without shuffle the batches must keep the data's order", "",
                       "the loader shuffles although shuffle is False: pass it on, DataLoader(..., shuffle=shuffle)")
    again = [samples(epoch) for epoch in again]
    if len(again) != len(orders) or any(isinstance(a, Finding) or not torch.equal(a, b) for a, b in zip(again, orders)):
        return Finding(f"two loaders made with the same seed ({seed}) handed out different batches; between the "
                       "two, only the state of torch's global generator differed: the order must come from "
                       "torch.Generator().manual_seed(seed) alone", "",
                       "the loader shuffles with torch's global generator (no generator=... of its own, or "
                       "torch.manual_seed(seed) instead)")
    if not shuffle or len(y) < SHUFFLED_AT_LEAST:
        return None
    seeds = [seed + k for k in range(len(others) + 1)]
    if all(torch.equal(samples(epoch), orders[0]) for epoch in others):
        return Finding(f"loaders made with the seeds {seeds} all hand out the same order: the seed must decide the "
                       "order", "", "the seed is not used, or the data is not shuffled at all")
    if torch.equal(orders[0], orders[1]):
        return Finding("epoch 2 repeats epoch 1's order: each pass over the loader must reshuffle", "",
                       "the order is drawn once, when the loader is made (e.g. a fixed list of indices as its "
                       "sampler), not on every pass")
    return None


# ---------------------------------------------------------------------------------------
# train_epoch and evaluate
# ---------------------------------------------------------------------------------------

#: the weights did not move although a step was asked for
NO_STEP = ("optimizer.step() does not run between loss.backward() and the next zero_grad(): each minibatch is "
           "zero_grad(), forward, loss, backward(), step(), in this order")
#: the weights moved as gradients that are never cleared move them
ZERO_GRAD = ("optimizer.zero_grad() is not called for every minibatch: backward() adds to .grad, so each step "
             "used the sum of all gradients so far")
#: loss_fn received rows that are probabilities
GIVEN_PROBABILITIES = ("loss_fn was given probabilities (rows summing to 1), not the model's logits; "
                       "nn.CrossEntropyLoss applies log-softmax itself")


def mode_finding(function, training, expected_training):
    """The model's mode after ``function``: train_epoch leaves it training (evaluate is judged by the mode of its
    forward passes instead: :func:`forward_mode_finding`)."""
    if bool(training) == expected_training:
        return None
    left, call = ("evaluation", "model.train()") if expected_training else ("training", "model.eval()")
    return Finding(f"the model is left in {left} mode", "", f"{call} is not called at the start of {function}")


def unchanged(got, initial):
    """Whether training left every weight exactly as it was."""
    return got.keys() == initial.keys() and all(torch.equal(got[k], initial[k]) for k in initial)


def weights_cause(got, initial, accumulated=None):
    """The likely cause of wrong weights after training steps: unchanged from ``initial``, or those of steps whose
    gradients accumulate (``accumulated``, a callable giving that state, worked out only when needed)."""
    if unchanged(got, initial):
        return NO_STEP
    if accumulated is not None and same_state(got, accumulated()):
        return ZERO_GRAD
    return None


def loss_fn_cause(logits_seen):
    """The likely cause that the logits loss_fn was given (one tensor per call) show."""
    return GIVEN_PROBABILITIES if any(rows_are_probabilities(rows) for rows in logits_seen) else None


def epoch_loss_cause(loss, batch_losses, sizes, recomputed=None):
    """Which known wrong way of working out the epoch loss gives ``loss``: adding up the expected run's
    ``batch_losses`` (batch ``sizes``) otherwise, or ``recomputed``, the trained model's loss over all the epoch's
    data. Named only when exactly one fits."""
    weighs = f"the mean per sample is Σ L(M)·|M| / N, so a short last batch weighs less (batch sizes {list(sizes)})"
    wrong = [(sum(batch_losses) / len(batch_losses), "the mean of the batch means", weighs),
             (batch_losses[-1], "the last batch's loss", weighs),
             (sum(batch_losses), "the sum of the batch losses", weighs)]
    if recomputed is not None:
        wrong.append((recomputed, "the loss of the trained model, worked out after the epoch",
                      "return the mean of the losses the steps were taken on, each batch's loss before its step"))
    fits = [(what, advice) for value, what, advice in wrong if abs(loss - value) <= 1e-5 * (1 + abs(value))]
    return f"the returned loss is {fits[0][0]}; {fits[0][1]}" if len(fits) == 1 else None


def number_finding(value, what):
    """train_epoch and evaluate return Python floats, not tensors."""
    if isinstance(value, torch.Tensor):
        return Finding(f"{what} is a tensor ({tuple(value.shape)}, {value.dtype}); return a Python float "
                       "(loss.item() gives one, and does not keep the graph alive)")
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        return Finding(f"{what} should be a float, got {value!r}"[:300])
    return None


def record_forward_passes(model):
    """For each forward pass of ``model`` from now on: whether it built an autograd graph (its output requires
    grad: what running it outside torch.no_grad() does) and whether any of its modules was in training mode.
    evaluate is judged by these, what it does while it runs, not by the mode it leaves the model in."""
    graphs, training = [], []

    def hook(module, args, output):
        graphs.append(bool(getattr(output, "requires_grad", False)))
        training.append(any(m.training for m in module.modules()))

    model.register_forward_hook(hook)
    return graphs, training


def forward_mode_finding(training_passes):
    """evaluate's forward passes (``training_passes``: for each, whether a module was in training mode) must all
    run in evaluation mode; which mode evaluate leaves behind is its own business (model.train() at its end, so
    that training can go on, is fine)."""
    if not any(training_passes):
        return None
    return Finding(f"{sum(training_passes)} of evaluate's {len(training_passes)} forward passes ran in training "
                   "mode", "", "model.eval() is not called before evaluate's forward passes: dropout and batch norm "
                   "would act as in training")


def graph_finding(graphs, gradients):
    """evaluate's forward passes (``graphs``: for each, whether its output required grad) and the parameters
    left with a gradient."""
    if any(graphs):
        return Finding(f"the model's forward pass built an autograd graph (its output required grad) in "
                       f"{sum(graphs)} of its {len(graphs)} calls", "",
                       "model(x) is called outside a torch.no_grad() block: run the forward passes under it")
    if gradients:
        return Finding(f"evaluate left gradients in {', '.join(gradients)}", "",
                       "loss.backward() in evaluate: it must not call backward()")
    return None


def evaluate_finding(training_passes, graphs, gradients, result, expected_accuracy, n):
    """evaluate's run on n samples, all but its loss: the mode its forward passes ran in, the graphs and gradients
    they left, the pair it returns and the accuracy in it."""
    if not isinstance(result, (list, tuple)) or len(result) != 2:
        shape = Finding(f"should return (mean loss, accuracy), got {result!r}"[:300])
    else:
        shape = number_finding(result[1], "the accuracy") or accuracy_finding(result[1], expected_accuracy, n)
    return forward_mode_finding(training_passes) or graph_finding(graphs, gradients) or shape


def accuracy_finding(got, expected, n):
    """The accuracy compared as what it counts, the digits classified right out of ``n``: exactly."""
    right, wanted = got * n, round(expected * n)
    if abs(right - round(right)) > 1e-6 * n or not 0 <= right <= n:
        fits = [cause for value, cause in ((wanted, "the count of right predictions, not divided by N"),
                                           (100 * expected, "a percentage, not a share")) if value and got == value]
        return Finding(f"the accuracy should be the share of the {n} digits classified right (between 0 and 1), "
                       f"got {got:g}; expected {expected:g} ({wanted} of {n})", "", fits[0] if len(fits) == 1 else None)
    if round(right) != wanted:
        return Finding(f"wrong accuracy: expected {expected:.4g} ({wanted} of {n} digits right), got {got:.4g} "
                       f"({round(right)} of {n})")
    return None
