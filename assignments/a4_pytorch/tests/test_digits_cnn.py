"""Graded properties of assignment 4 (digits_cnn.py, the PyTorch example). Each test's first docstring line is its title.

The reference is the judge. Models, loaders and optimizers are live objects, so the tests
send data (tensors, numbers, seeds) and ../harness.py builds the same objects on both sides:
in the worker around the student's code, here around the reference's. train_epoch and
evaluate are tested on a tiny model of the harness's, so they are graded apart from
DigitsCNN; fit is graded by the accuracy of the weights it learns on the hidden test split,
which never leaves the grader (the worker gets only the training split).

Each test grades one property the contract states, and says which: its docstring quotes the
sentence (from digits_cnn.py's docstrings or the handout) after "Contract". A legitimate way of
meeting the contract (one loss_fn call per epoch instead of one per batch, a loss computed just
outside torch.no_grad(), a shuffling sampler with its own generator) costs nothing: the tests
judge results and observed facts, not how the code is spelt.
"""

from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn as nn
from hypothesis import given
from hypothesis import strategies as st

from autograder.check import Check, Feedback, Mismatch
from autograder.config import load_config
from autograder.course import load_modules
from autograder.grading.student import StudentCodeAbort, StudentCodeError
from autograder.kit import data

ASSIGNMENT_DIR = Path(__file__).resolve().parent.parent
harness = load_modules({"harness.py": ASSIGNMENT_DIR / "harness.py"}, prefix="nnhw_a4_harness")
TRAIN = {k: torch.from_numpy(v) for k, v in data.load(ASSIGNMENT_DIR, "digits_train.npz").items()}

STEP = "for each minibatch M: optimizer.zero_grad(); loss = loss_fn(model(x_M), y_M); loss.backward(); optimizer.step()  (θ ← θ − η ∇θ L(M))"
EPOCH_LOSS = "epoch loss = Σ_M L(M) · |M| / N  (the mean loss per sample)"
FORWARD = "conv1 → ReLU → maxpool 2×2 → conv2 → ReLU → maxpool 2×2 → flatten each sample → fc  (logits)"
# float32 on one CPU thread, the same operations in the same order: the two sides agree to rounding.
# A few SGD steps amplify a last-bit difference only slightly; any bug moves weights by ~lr·|∇|.
FLOAT32 = dict(rtol=1e-4, atol=1e-5)
FIT_FULL, FIT_NONE = 0.95, 0.90
FIT_CPU_S = 60
FIT_WEIGHT = load_config(ASSIGNMENT_DIR / "assignment.toml").test("test_fit_accuracy").weight


# ---------------------------------------------------------------------------------------
# strategies and helpers
# ---------------------------------------------------------------------------------------


@st.composite
def digit_batches(draw, max_n=48):
    """x (n, 1, 8, 8) and y (n,): a slice of the training digits."""
    n = draw(st.integers(1, max_n), label="N")
    start = draw(st.integers(0, len(TRAIN["y"]) - n), label="first digit")
    return TRAIN["x"][start:start + n].clone(), TRAIN["y"][start:start + n].clone()


channel_pairs = st.tuples(st.integers(1, 8), st.integers(1, 8)) | st.just((8, 16))


GRADED = {"run_model": "DigitsCNN", "run_loader": "make_loader", "run_train_epoch": "train_epoch",
          "run_evaluate": "evaluate", "run_fit": "fit"}


def run(student, helper, *args, **kwargs):
    """The harness's ``helper`` around the student's code in the worker; a failure is worded as the failure of
    the student's function it runs (``train_epoch raised ...``), not of the harness. A DataLoader with worker
    processes is stopped by the harness before it starts them, and reported as what to change."""
    try:
        return student.call(helper, *args, **kwargs)
    except StudentCodeError as exc:
        if exc.raised == harness.LoaderWorkersUnavailable.__name__:
            _loader_workers_fail(GRADED[helper], exc.brief)
        raise StudentCodeError(str(exc).replace(helper, GRADED[helper], 1), raised=exc.raised) from None
    except StudentCodeAbort as exc:
        raise StudentCodeAbort(str(exc).replace(helper, GRADED[helper], 1)) from None


def _loader_workers_fail(function, report):
    """The feedback for a DataLoader with worker processes: the harness's explanation, where in the student's
    code the loader was iterated, and what to change."""
    lines = report.split(f"{harness.LoaderWorkersUnavailable.__name__}: ", 1)[-1].splitlines()
    frames = [i for i, line in enumerate(lines) if line.strip().startswith('File "digits_cnn.py"')]
    where = f"iterated at {lines[frames[-1]].strip()}: {lines[frames[-1] + 1].strip()}" if frames and \
        frames[-1] + 1 < len(lines) else ""
    raise Mismatch(Feedback(function, lines[0], [where],
                            diagnosis="DataLoader(..., num_workers=N) with N > 0 in your code: set num_workers=0"))


def _not_logits(got, expected, path):
    """The likely cause of wrong logits that are probabilities or log-probabilities, row by row."""
    if harness.rows_are_probabilities(got):
        what = "probabilities (each row is ≥ 0 and sums to 1, as softmax's rows do)"
    elif harness.rows_are_log_probabilities(got):
        what = "log-probabilities (the exponentials of each row sum to 1, as log_softmax's rows do)"
    else:
        return None
    return (f"forward returns {what}: return the logits, the scores before softmax; nn.CrossEntropyLoss applies "
            "log-softmax itself")


def shown(x, y, **options):
    return {"x": x, "y": y, **options}


def random_state(reference, channels, seed):
    torch.default_generator.manual_seed(seed)  # the CPU's alone: see harness.small_model
    return {k: v.clone() for k, v in reference.DigitsCNN(channels=channels).state_dict().items()}


def as_float(check, value, what):
    """A number, not a tensor: train_epoch and evaluate return Python floats."""
    if isinstance(value, torch.Tensor):
        check.fail(f"{what} is a tensor ({tuple(value.shape)}, {value.dtype}); return a Python float "
                   "(loss.item() gives one, and does not keep the graph alive)")
    return value


# ---------------------------------------------------------------------------------------
# DigitsCNN
# ---------------------------------------------------------------------------------------


@given(channels=channel_pairs)
def test_DigitsCNN_parameters(student, reference, channels):
    """DigitsCNN: has conv1 (1→c1, 3×3), conv2 (c1→c2, 3×3) and fc (c2·2·2→10), with nn.Conv2d's and nn.Linear's parameter names and shapes

    Contract (DigitsCNN's docstring): "conv1 = nn.Conv2d(1, c1, 3, padding=1), conv2 = nn.Conv2d(c1, c2, 3,
    padding=1) and fc = nn.Linear(c2·2·2, num_classes): the autograder loads weights by these names"
    """
    got = run(student, "run_model", channels, None)["shapes"]
    expected = harness.run_model(channels, None, None, model_class=reference.DigitsCNN)["shapes"]
    if {k: tuple(v) for k, v in got.items()} != expected:
        Check("DigitsCNN", {"channels": channels}, FORWARD).fail(
            "its state_dict should hold exactly these parameters (names and shapes)",
            f"expected {expected}\ngot      {got}")


@given(channels=channel_pairs, batch=digit_batches(max_n=9), seed=st.integers(0, 2**16))
def test_DigitsCNN_forward_matches_reference(student, reference, channels, batch, seed):
    """DigitsCNN: with the reference's weights, gives its logits (not probabilities) for batches of any size (float32)

    Contract (forward's docstring): "Logits (N, num_classes) for images x of shape (N, 1, 8, 8): the scores
    before softmax, not probabilities or log-probabilities"
    """
    x, _ = batch
    state = random_state(reference, channels, seed)
    inputs = {"channels": channels, "x": x}
    check = Check("DigitsCNN.forward", inputs, FORWARD, diagnose=_not_logits, **FLOAT32)
    expected = harness.run_model(channels, state, x, model_class=reference.DigitsCNN)["output"]
    got = run(student, "run_model", channels, state, x)["output"]
    check.matches(got, expected, what="the logits")
    if student.mutated:
        check.fail("forward changed its input x in place (use ReLU that returns a new tensor, not relu_ on x)")


@given(channels=channel_pairs, batch=digit_batches(max_n=5), seed=st.integers(0, 2**16))
def test_DigitsCNN_float64(student, reference, channels, batch, seed):
    """DigitsCNN: after .double() it computes in float64 and matches the reference

    Contract (forward's docstring): "it computes in the dtype of the model and x: float32, or float64 after
    model.double()"
    """
    x = batch[0].double()
    state = random_state(reference, channels, seed)
    expected = harness.run_model(channels, state, x, double=True, model_class=reference.DigitsCNN)["output"]
    got = run(student, "run_model", channels, state, x, double=True)["output"]
    check = Check("DigitsCNN.forward", {"channels": channels, "x": x}, FORWARD, diagnose=_not_logits)
    check.matches(got, expected, what="the logits")


# ---------------------------------------------------------------------------------------
# make_loader
# ---------------------------------------------------------------------------------------


#: a shuffle of this many samples or more repeats an order by chance with probability 1/10! (3e-7) at most, so
#: "different seeds, different orders" and "each epoch reshuffles" are asked of orders at least this long.
SHUFFLED_AT_LEAST = 10


def _samples(check, epoch, what):
    """An epoch's batches as one tensor, a row per sample (its pixels, then its label), in the order handed out."""
    try:
        rows = [torch.cat([bx.reshape(len(bx), -1).double(), by.reshape(-1, 1).double()], dim=1) for bx, by in epoch]
        return torch.cat(rows) if rows else torch.empty(0, 0, dtype=torch.float64)
    except (TypeError, ValueError, RuntimeError, AttributeError) as exc:
        check.fail(f"{what}: each batch should be a pair (x, y) of tensors with a row of x per label in y",
                   f"{type(exc).__name__}: {exc}"[:300])


def _batch_sizes(n, batch_size):
    """The contract's batch sizes: batch_size each, the last one shorter where batch_size does not divide n."""
    return [batch_size] * (n // batch_size) + [n % batch_size] * (n % batch_size > 0)


def _check_epoch(check, epoch, number, data, batch_size):
    """One epoch of the loader: pairs (x, y), the contract's batch sizes, every sample once; its samples in order."""
    got = _samples(check, epoch, f"epoch {number}")
    sizes, wanted = [len(b[1]) for b in epoch], _batch_sizes(len(data), batch_size)
    if sizes != wanted:
        last = " (the last, shorter batch is missing: keep it, drop_last=False)" if sizes == wanted[:-1] else ""
        check.fail(f"epoch {number}: batch sizes {sizes}, expected {wanted}{last}")
    if sorted(map(tuple, got.tolist())) != sorted(map(tuple, data.tolist())):
        check.fail(f"epoch {number}: the batches do not hold every sample of (x, y) exactly once, each image "
                   "with its own label")
    return got


@given(batch=digit_batches(max_n=40), batch_size=st.integers(1, 16), shuffle=st.booleans(),
       seed=st.integers(0, 2**16))
def test_make_loader_batches_and_shuffle(student, batch, batch_size, shuffle, seed):
    """make_loader: a DataLoader whose epochs hand out every sample once in batches of batch_size (the last may be shorter); shuffled by its seed alone, the data's order otherwise

    Contract (make_loader's docstring): "A DataLoader over TensorDataset(x, y) with batches of ``batch_size``
    (the last one may be shorter)"; "Each epoch (each pass over the loader) hands out every sample once";
    "Without ``shuffle`` the batches keep the data's order"; "With ``shuffle`` the order comes from
    ``torch.Generator().manual_seed(seed)`` and from nothing else (not torch's global generator): the same seed
    gives the same batches on every run, another seed another order, and each epoch reshuffles". Judged as
    properties: the reference's own order is never asked for.
    """
    x, y = batch
    inputs = shown(x, y, batch_size=batch_size, shuffle=shuffle, seed=seed)
    formula = "DataLoader(TensorDataset(x, y), batch_size, shuffle, generator=torch.Generator().manual_seed(seed))"
    check = Check("make_loader", inputs, formula)
    others = [seed + k for k in (1, 2, 3)]
    got = run(student, "run_loader", x, y, batch_size, shuffle, seed, other_seeds=others)
    if got["type"] != "DataLoader":
        check.fail(f"should return a torch.utils.data.DataLoader, got a {got['type']}")
    data = _samples(check, [(x, y)], "the data")
    orders = [_check_epoch(check, epoch, number, data, batch_size) for number, epoch in enumerate(got["first"], 1)]
    if not shuffle and any(not torch.equal(order, data) for order in orders):
        check.fail("without shuffle the batches must keep the data's order")
    again = [_samples(check, epoch, "a second loader") for epoch in got["again"]]
    if len(again) != len(orders) or any(not torch.equal(a, b) for a, b in zip(again, orders)):
        check.fail(f"two loaders made with the same seed ({seed}) handed out different batches; between the two, "
                   "only the state of torch's global generator differed: the order must come from "
                   "torch.Generator().manual_seed(seed) alone",
                   diagnosis="the loader shuffles with torch's global generator (no generator=... of its own, "
                             "or torch.manual_seed(seed) instead)")
    if not shuffle or len(y) < SHUFFLED_AT_LEAST:
        return
    if all(torch.equal(_samples(check, epoch, "another seed's loader"), orders[0]) for epoch in got["others"]):
        check.fail(f"loaders made with the seeds {[seed, *others]} all hand out the same order: the seed must decide "
                   "the order", diagnosis="the seed is not used, or the data is not shuffled at all")
    if torch.equal(orders[0], orders[1]):
        check.fail("epoch 2 repeats epoch 1's order: each pass over the loader must reshuffle",
                   diagnosis="the order is drawn once, when the loader is made (e.g. a fixed list of indices as "
                             "its sampler), not on every pass")


# ---------------------------------------------------------------------------------------
# train_epoch
# ---------------------------------------------------------------------------------------


def _train_inputs(x, y, batch_size, lr, momentum, seed):
    return shown(x, y, model=f"a small MLP (Flatten, Linear(64, 12), ReLU, Linear(12, 10)) seeded with {seed}",
                 loader=f"DataLoader(TensorDataset(x, y), batch_size={batch_size})",
                 optimizer=f"SGD(lr={lr}, momentum={momentum})", loss_fn="nn.CrossEntropyLoss()")


def _train_both(student, reference, x, y, batch_size, lr, momentum, seed, device="cpu"):
    options = dict(batch_size=batch_size, lr=lr, momentum=momentum, model_seed=seed)
    got = run(student, "run_train_epoch", x, y, device=device, **options)
    expected = harness.run_train_epoch(x, y, train_epoch=reference.train_epoch, **options)
    return got, expected


def _given_probabilities(calls):
    """The likely cause of wrong weights or a wrong loss that loss_fn's calls show (None where they show none)."""
    if any(calls["probabilities"]):
        return ("loss_fn was given probabilities (rows summing to 1), not the model's logits; nn.CrossEntropyLoss "
                "applies log-softmax itself")
    return None


def _epoch_loss_cause(loss, calls):
    """Which known wrong way of adding up the batch losses gives ``loss`` (the reference's ``calls`` hold them)."""
    batch_losses = calls["loss"]
    wrong = {"the mean of the batch means": float(np.mean(batch_losses)), "the last batch's loss": batch_losses[-1],
             "the sum of the batch losses": float(np.sum(batch_losses))}
    for what, value in wrong.items():
        if abs(loss - value) <= 1e-5 * (1 + abs(value)):
            return (f"the returned loss is {what}; the mean per sample is Σ L(M)·|M| / N, so a short last batch "
                    f"weighs less (batch sizes {calls['batch']})")
    return None


def _check_epoch_loss(check, loss, expected_loss, got_calls, expected_calls, what):
    """The returned mean loss per sample, judged by its value alone (however many loss_fn calls made it)."""
    loss = as_float(check, loss, what)
    check.diagnose = lambda g, e, path: _given_probabilities(got_calls) or _epoch_loss_cause(float(g), expected_calls)
    check.matches(loss, expected_loss, what=what)


@given(batch=digit_batches(max_n=24), batch_size=st.integers(2, 8), lr=st.sampled_from([0.05, 0.2, 0.5]),
       momentum=st.sampled_from([0.0, 0.9]), seed=st.integers(0, 2**16))
def test_train_epoch_steps(student, reference, batch, batch_size, lr, momentum, seed):
    """train_epoch: each minibatch is one step zero_grad → forward → loss → backward → step, checked after one step and after two

    Contract (train_epoch's docstring): "one optimizer step per batch: zero_grad, forward, loss, backward, step".
    Judged by the weights after each step; how often loss_fn is called is not graded.
    """
    x, y = batch
    initial = harness.small_model(seed).state_dict()
    for steps in (1, 2):
        n = min(len(y), steps * batch_size)
        check = Check("train_epoch", _train_inputs(x[:n], y[:n], batch_size, lr, momentum, seed), STEP, **FLOAT32)
        got, expected = _train_both(student, reference, x[:n], y[:n], batch_size, lr, momentum, seed)
        check.diagnose = lambda g, e, path: _given_probabilities(got["calls"])
        if steps == 1 and all(torch.equal(got["state"][k], initial[k]) for k in initial):
            check.fail("after one minibatch the weights have not changed: call optimizer.step() after "
                       "loss.backward() (a step before backward has no gradient to use yet)")
        try:
            check.matches(got["state"], {k: v for k, v in expected["state"].items()},
                          what=f"the weights after {steps} step{'s' * (steps > 1)}")
        except Mismatch as exc:
            if steps == 2:
                raise Mismatch("train_epoch: the weights after one step match the reference, after two they do not: "
                               "gradients accumulate across steps; call optimizer.zero_grad() for every minibatch\n"
                               + str(exc)) from None
            raise
        if n == len(y):
            break


@given(batch=digit_batches(max_n=40), batch_size=st.integers(2, 16), lr=st.sampled_from([0.05, 0.2]),
       momentum=st.sampled_from([0.0, 0.9]), seed=st.integers(0, 2**16))
def test_train_epoch_matches_reference(student, reference, batch, batch_size, lr, momentum, seed):
    """train_epoch: one epoch gives the reference's weights and its mean loss per sample (a short last batch weighs less), and leaves the model in training mode

    Contract (train_epoch's docstring): "One pass over ``loader`` in training mode (``model.train()``)";
    "Returns the mean loss per sample over the epoch, Σ batch_loss · batch_size / N, as a float". Judged by the
    weights and the value returned; how often loss_fn is called is not graded.
    """
    x, y = batch
    check = Check("train_epoch", _train_inputs(x, y, batch_size, lr, momentum, seed), EPOCH_LOSS, **FLOAT32)
    got, expected = _train_both(student, reference, x, y, batch_size, lr, momentum, seed)
    if not got["training"]:
        check.fail("the model is left in evaluation mode: call model.train() at the start of train_epoch")
    check.diagnose = lambda g, e, path: _given_probabilities(got["calls"])
    check.matches(got["state"], expected["state"], what="the weights after one epoch")
    _check_epoch_loss(check, got["loss"], expected["loss"], got["calls"], expected["calls"],
                      "the returned epoch loss")


# ---------------------------------------------------------------------------------------
# evaluate
# ---------------------------------------------------------------------------------------


@given(batch=digit_batches(max_n=40), batch_size=st.integers(1, 16), seed=st.integers(0, 2**16))
def test_evaluate_matches_reference(student, reference, batch, batch_size, seed):
    """evaluate: the reference's mean loss per sample and accuracy, in evaluation mode and without building a graph

    Contract (evaluate's docstring): "``(mean loss per sample, accuracy)`` over ``loader``, as floats, in evaluation
    mode (``model.eval()``) and without gradients: the forward passes run under ``torch.no_grad()``, so no autograd
    graph is built and no gradient stored". A graph is what is observed: a forward pass whose output requires
    grad. How often loss_fn is called, and where, is not graded.
    """
    x, y = batch
    inputs = shown(x, y, model=f"a small MLP seeded with {seed}", loader=f"DataLoader(TensorDataset(x, y), "
                   f"batch_size={batch_size})", loss_fn="nn.CrossEntropyLoss()")
    formula = "accuracy = #{argmax over the classes of the logits == y} / N;  " + EPOCH_LOSS
    check = Check("evaluate", inputs, formula, **FLOAT32)
    options = dict(batch_size=batch_size, model_seed=seed)
    got = run(student, "run_evaluate", x, y, **options)
    expected = harness.run_evaluate(x, y, evaluate=reference.evaluate, **options)
    if got["training"]:
        check.fail("the model is left in training mode: call model.eval() at the start of evaluate")
    graphs = got["graphs"]
    if any(graphs):
        check.fail(f"the model's forward pass built an autograd graph (its output required grad) in {sum(graphs)} of "
                   f"its {len(graphs)} calls: run the forward passes under torch.no_grad()",
                   diagnosis="model(x) is called outside a torch.no_grad() block")
    if got["gradients"]:
        check.fail(f"evaluate left gradients in {', '.join(got['gradients'])}: it must not call backward()",
                   diagnosis="loss.backward() in evaluate")
    result = got["result"]
    if not isinstance(result, (list, tuple)) or len(result) != 2:
        check.fail(f"should return (mean loss, accuracy), got {result!r}"[:300])
    accuracy = as_float(check, result[1], "the accuracy")
    check.matches(accuracy, expected["result"][1], what="the accuracy (argmax over the classes, dim=1)")
    _check_epoch_loss(check, result[0], expected["result"][0], got["calls"], expected["calls"],
                      "the mean loss per sample")


# ---------------------------------------------------------------------------------------
# fit: accuracy on the hidden test split (partial credit), and a leaderboard entry
# ---------------------------------------------------------------------------------------


def _reference_model(reference, state, check):
    """The reference's DigitsCNN holding the student's trained weights (its channels read from their shapes)."""
    try:
        channels = (state["conv1.weight"].shape[0], state["conv2.weight"].shape[0])
        model = reference.DigitsCNN(channels=channels)
        model.load_state_dict({k: v.float() for k, v in state.items()})
    except (KeyError, RuntimeError, IndexError, AttributeError, TypeError) as exc:
        check.fail("the model fit returns does not have DigitsCNN's parameters (conv1, conv2, fc)", str(exc)[:1000])
    return model


def test_fit_accuracy(student, reference, set_score, leaderboard):
    """fit: the trained model classifies ≥ 95% of the hidden test digits correctly (partial credit from 90%), within 60 s of CPU time

    Contract (fit's docstring): "A DigitsCNN trained on images x (N, 1, 8, 8) and labels y (N,); it should score
    ≥ 95% on new digits"; "95% earns every point of the test, 90% none, linearly in between"; "within 60 s of CPU
    time". A DataLoader with worker processes gets the message the handout announces ("Keep ``num_workers=0``").
    """
    check = Check("fit", {"x": TRAIN["x"], "y": TRAIN["y"], "seed": 0})
    trained = run(student, "run_fit", TRAIN["x"], TRAIN["y"], 0)
    if trained["state"] is None:
        check.fail(f"should return the trained DigitsCNN (an nn.Module), got a {trained['type']}")
    if trained["cpu_s"] > FIT_CPU_S:
        check.fail(f"took {trained['cpu_s']:.0f} s of CPU time; at most {FIT_CPU_S} s are allowed (fewer epochs, "
                   "or larger batches)")
    model = _reference_model(reference, trained["state"], check)
    test = {k: torch.from_numpy(v) for k, v in data.load(ASSIGNMENT_DIR, "digits_test.npz").items()}
    loader = reference.make_loader(test["x"], test["y"], 512, False)
    _, accuracy = reference.evaluate(model, loader, nn.CrossEntropyLoss())
    share = min(max((accuracy - FIT_NONE) / (FIT_FULL - FIT_NONE), 0.0), 1.0)
    set_score(share * FIT_WEIGHT)
    leaderboard("accuracy on the hidden test digits", round(accuracy, 4), order="desc")
    if share < 1.0:
        raise Mismatch(f"fit: your model classifies {accuracy:.1%} of the {len(test['y'])} hidden test digits "
                       f"correctly; {FIT_FULL:.0%} earns every point of this test, {FIT_NONE:.0%} none, linear in "
                       "between. Train longer, tune the learning rate, or check train_epoch and DigitsCNN")


# ---------------------------------------------------------------------------------------
# CUDA: the same code on a GPU agrees with the CPU (graded only where the grader has one)
# ---------------------------------------------------------------------------------------


def _needs_cuda():
    if not torch.cuda.is_available():
        pytest.skip("this grader has no GPU, so this test carries no points here")


def test_train_epoch_cuda_matches_cpu(student, reference):
    """train_epoch: on CUDA (model on the GPU, batches moved to it) gives the CPU reference's weights and loss

    Contract (the module's docstring): "Never name a device: create tensors from the ones you are given and move
    each batch to the model's device, so the same code runs on a CPU and on a CUDA GPU"
    """
    _needs_cuda()
    x, y = TRAIN["x"][:70], TRAIN["y"][:70]
    check = Check("train_epoch", _train_inputs(x, y, 16, 0.1, 0.9, 7) | {"device": "cuda"}, STEP,
                  rtol=1e-3, atol=1e-4)
    got, expected = _train_both(student, reference, x, y, 16, 0.1, 0.9, 7, device="cuda")
    check.matches(got["state"], expected["state"], what="the weights after one epoch on CUDA")
    check.matches(as_float(check, got["loss"], "the loss"), expected["loss"], what="the epoch loss on CUDA")


def test_evaluate_cuda_matches_cpu(student, reference):
    """evaluate: on CUDA gives the CPU reference's loss and accuracy

    Contract (the module's docstring): "Never name a device: create tensors from the ones you are given and move
    each batch to the model's device, so the same code runs on a CPU and on a CUDA GPU"
    """
    _needs_cuda()
    x, y = TRAIN["x"][:100], TRAIN["y"][:100]
    check = Check("evaluate", shown(x, y, batch_size=32, device="cuda"), EPOCH_LOSS, rtol=1e-3, atol=1e-4)
    got = run(student, "run_evaluate", x, y, 32, 3, device="cuda")
    expected = harness.run_evaluate(x, y, 32, 3, evaluate=reference.evaluate)
    check.matches(list(got["result"]), list(expected["result"]), what="(loss, accuracy) on CUDA")
