"""Graded properties of assignment 4 (digits_cnn.py, the PyTorch example). Each test's first docstring line is its title.

The reference is the judge. Models, loaders and optimizers are live objects, so the tests
send data (tensors, numbers, seeds) and ../harness.py builds the same objects on both sides:
in the worker around the student's code, here around the reference's. train_epoch and
evaluate are tested on a tiny model of the harness's, so they are graded apart from
DigitsCNN; fit is graded by the accuracy of the weights it learns on the hidden test split,
which never leaves the grader (the worker gets only the training split).
"""

from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn as nn
from hypothesis import given
from hypothesis import strategies as st

from autograder.check import Check, Mismatch
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
    the student's function it runs (``train_epoch raised ...``), not of the harness."""
    try:
        return student.call(helper, *args, **kwargs)
    except StudentCodeError as exc:
        raise StudentCodeError(str(exc).replace(helper, GRADED[helper], 1), raised=exc.raised) from None
    except StudentCodeAbort as exc:
        raise StudentCodeAbort(str(exc).replace(helper, GRADED[helper], 1)) from None


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
    """DigitsCNN: has conv1 (1→c1, 3×3), conv2 (c1→c2, 3×3) and fc (c2·2·2→10), with nn.Conv2d's and nn.Linear's parameter names and shapes"""
    got = run(student, "run_model", channels, None)["shapes"]
    expected = harness.run_model(channels, None, None, model_class=reference.DigitsCNN)["shapes"]
    if {k: tuple(v) for k, v in got.items()} != expected:
        Check("DigitsCNN", {"channels": channels}, FORWARD).fail(
            "its state_dict should hold exactly these parameters (names and shapes)",
            f"expected {expected}\ngot      {got}")


@given(channels=channel_pairs, batch=digit_batches(max_n=9), seed=st.integers(0, 2**16))
def test_DigitsCNN_forward_matches_reference(student, reference, channels, batch, seed):
    """DigitsCNN: with the reference's weights, gives its logits (not probabilities) for batches of any size (float32)"""
    x, _ = batch
    state = random_state(reference, channels, seed)
    inputs = {"channels": channels, "x": x}
    check = Check("DigitsCNN.forward", inputs, FORWARD, **FLOAT32)
    expected = harness.run_model(channels, state, x, model_class=reference.DigitsCNN)["output"]
    got = run(student, "run_model", channels, state, x)["output"]
    if isinstance(got, torch.Tensor) and got.shape == expected.shape and len(x) > 0:
        rows = got.detach().double()
        if (rows >= 0).all() and torch.allclose(rows.sum(dim=1), torch.ones(len(x), dtype=torch.float64), atol=1e-4):
            check.fail("forward returns probabilities (each row sums to 1): return the logits, the scores before "
                       "softmax; nn.CrossEntropyLoss applies log-softmax itself")
    check.matches(got, expected, what="the logits")
    if student.mutated:
        check.fail("forward changed its input x in place (use ReLU that returns a new tensor, not relu_ on x)")


@given(channels=channel_pairs, batch=digit_batches(max_n=5), seed=st.integers(0, 2**16))
def test_DigitsCNN_float64(student, reference, channels, batch, seed):
    """DigitsCNN: after .double() it computes in float64 and matches the reference"""
    x = batch[0].double()
    state = random_state(reference, channels, seed)
    expected = harness.run_model(channels, state, x, double=True, model_class=reference.DigitsCNN)["output"]
    got = run(student, "run_model", channels, state, x, double=True)["output"]
    Check("DigitsCNN.forward", {"channels": channels, "x": x}, FORWARD).matches(got, expected, what="the logits")


# ---------------------------------------------------------------------------------------
# make_loader
# ---------------------------------------------------------------------------------------


@given(batch=digit_batches(max_n=40), batch_size=st.integers(1, 16), shuffle=st.booleans(),
       seed=st.integers(0, 2**16))
def test_make_loader_matches_reference(student, reference, batch, batch_size, shuffle, seed):
    """make_loader: the same minibatches in the same order as the reference for the same seed, two epochs running, the last short batch kept"""
    x, y = batch
    inputs = shown(x, y, batch_size=batch_size, shuffle=shuffle, seed=seed)
    formula = "DataLoader(TensorDataset(x, y), batch_size, shuffle, generator=torch.Generator().manual_seed(seed))"
    check = Check("make_loader", inputs, formula)
    got = run(student, "run_loader", x, y, batch_size, shuffle, seed)
    expected = harness.run_loader(x, y, batch_size, shuffle, seed, make_loader=reference.make_loader)
    if got["type"] != "DataLoader":
        check.fail(f"should return a torch.utils.data.DataLoader, got a {got['type']}")
    for epoch, (mine, theirs) in enumerate(zip(got["epochs"], expected["epochs"]), start=1):
        sizes, wanted = [len(b[1]) for b in mine], [len(b[1]) for b in theirs]
        if sizes != wanted:
            last = " (the last, shorter batch is missing: keep it, drop_last=False)" if sizes == wanted[:-1] else ""
            check.fail(f"epoch {epoch}: batch sizes {sizes}, expected {wanted}{last}")
        if not shuffle and any(not torch.equal(m[1], t[1]) for m, t in zip(mine, theirs)):
            check.fail("without shuffle the batches must keep the data's order")
        for i, (m, t) in enumerate(zip(mine, theirs)):
            if not torch.equal(m[1], t[1]) or not torch.equal(m[0], t[0]):
                check.fail(f"epoch {epoch}, batch {i}: not the reference's examples in the reference's order; when "
                           "shuffling, pass generator=torch.Generator().manual_seed(seed) to the DataLoader (and use "
                           "the generator for nothing else)", f"labels expected {t[1].tolist()}\ngot      {m[1].tolist()}")


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


def _diagnose_loss_calls(check, got, expected):
    calls, wanted = got["calls"], expected["calls"]
    if any(calls["probabilities"]):
        check.fail("loss_fn was given probabilities (rows summing to 1): pass it the model's logits; "
                   "nn.CrossEntropyLoss applies log-softmax itself")
    if calls["batch"] != wanted["batch"]:
        check.fail(f"loss_fn saw batches of sizes {calls['batch']}, expected one call per minibatch: "
                   f"{wanted['batch']} (every batch of the loader, the last short one too)")


@given(batch=digit_batches(max_n=24), batch_size=st.integers(2, 8), lr=st.sampled_from([0.05, 0.2, 0.5]),
       momentum=st.sampled_from([0.0, 0.9]), seed=st.integers(0, 2**16))
def test_train_epoch_steps(student, reference, batch, batch_size, lr, momentum, seed):
    """train_epoch: each minibatch is one step zero_grad → forward → loss → backward → step, checked after one step and after two"""
    x, y = batch
    initial = harness.small_model(seed).state_dict()
    for steps in (1, 2):
        n = min(len(y), steps * batch_size)
        check = Check("train_epoch", _train_inputs(x[:n], y[:n], batch_size, lr, momentum, seed), STEP, **FLOAT32)
        got, expected = _train_both(student, reference, x[:n], y[:n], batch_size, lr, momentum, seed)
        _diagnose_loss_calls(check, got, expected)
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
    """train_epoch: one epoch gives the reference's weights and its mean loss per sample (a short last batch weighs less), and leaves the model in training mode"""
    x, y = batch
    check = Check("train_epoch", _train_inputs(x, y, batch_size, lr, momentum, seed), EPOCH_LOSS, **FLOAT32)
    got, expected = _train_both(student, reference, x, y, batch_size, lr, momentum, seed)
    _diagnose_loss_calls(check, got, expected)
    if not got["training"]:
        check.fail("the model is left in evaluation mode: call model.train() at the start of train_epoch")
    check.matches(got["state"], expected["state"], what="the weights after one epoch")
    loss = as_float(check, got["loss"], "the returned loss")
    batch_losses, sizes = expected["calls"]["loss"], expected["calls"]["batch"]
    wrong = {"the mean of the batch means": float(np.mean(batch_losses)), "the last batch's loss": batch_losses[-1],
             "the sum of the batch losses": float(np.sum(batch_losses))}
    if isinstance(loss, (int, float)) and abs(loss - expected["loss"]) > 1e-4 * (1 + abs(expected["loss"])):
        for what, value in wrong.items():
            if abs(loss - value) <= 1e-5 * (1 + abs(value)) and abs(value - expected["loss"]) > 1e-6:
                check.fail(f"the returned loss {loss:.6g} is {what}; return the mean per sample, "
                           f"Σ L(M)·|M| / N = {expected['loss']:.6g} (batch sizes {sizes})")
    check.matches(loss, expected["loss"], what="the returned epoch loss")


# ---------------------------------------------------------------------------------------
# evaluate
# ---------------------------------------------------------------------------------------


@given(batch=digit_batches(max_n=40), batch_size=st.integers(1, 16), seed=st.integers(0, 2**16))
def test_evaluate_matches_reference(student, reference, batch, batch_size, seed):
    """evaluate: the reference's mean loss per sample and accuracy, in evaluation mode and without building a graph"""
    x, y = batch
    inputs = shown(x, y, model=f"a small MLP seeded with {seed}", loader=f"DataLoader(TensorDataset(x, y), "
                   f"batch_size={batch_size})", loss_fn="nn.CrossEntropyLoss()")
    formula = "accuracy = #{argmax over the classes of the logits == y} / N;  " + EPOCH_LOSS
    check = Check("evaluate", inputs, formula, **FLOAT32)
    options = dict(batch_size=batch_size, model_seed=seed)
    got = run(student, "run_evaluate", x, y, **options)
    expected = harness.run_evaluate(x, y, evaluate=reference.evaluate, **options)
    _diagnose_loss_calls(check, got, expected)
    if got["training"]:
        check.fail("the model is left in training mode: call model.eval() at the start of evaluate")
    if any(got["calls"]["grad_enabled"]) or got["gradients"]:
        check.fail("evaluate builds autograd graphs (or stores gradients): run it under torch.no_grad()")
    result = got["result"]
    if not isinstance(result, (list, tuple)) or len(result) != 2:
        check.fail(f"should return (mean loss, accuracy), got {result!r}"[:300])
    loss, accuracy = (as_float(check, v, what) for v, what in zip(result, ("the loss", "the accuracy")))
    check.matches(accuracy, expected["result"][1], what="the accuracy (argmax over the classes, dim=1)")
    check.matches(loss, expected["result"][0], what="the mean loss per sample")


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
    """fit: the trained model classifies ≥ 95% of the hidden test digits correctly (partial credit from 90%), within 60 s of CPU time"""
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
    """train_epoch: on CUDA (model on the GPU, batches moved to it) gives the CPU reference's weights and loss"""
    _needs_cuda()
    x, y = TRAIN["x"][:70], TRAIN["y"][:70]
    check = Check("train_epoch", _train_inputs(x, y, 16, 0.1, 0.9, 7) | {"device": "cuda"}, STEP,
                  rtol=1e-3, atol=1e-4)
    got, expected = _train_both(student, reference, x, y, 16, 0.1, 0.9, 7, device="cuda")
    check.matches(got["state"], expected["state"], what="the weights after one epoch on CUDA")
    check.matches(as_float(check, got["loss"], "the loss"), expected["loss"], what="the epoch loss on CUDA")


def test_evaluate_cuda_matches_cpu(student, reference):
    """evaluate: on CUDA gives the CPU reference's loss and accuracy"""
    _needs_cuda()
    x, y = TRAIN["x"][:100], TRAIN["y"][:100]
    check = Check("evaluate", shown(x, y, batch_size=32, device="cuda"), EPOCH_LOSS, rtol=1e-3, atol=1e-4)
    got = run(student, "run_evaluate", x, y, 32, 3, device="cuda")
    expected = harness.run_evaluate(x, y, 32, 3, evaluate=reference.evaluate)
    check.matches(list(got["result"]), list(expected["result"]), what="(loss, accuracy) on CUDA")
