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
# what the tests find wrong and the causes they name, shared with the public tests (the starter's tests/)
checks = load_modules({"digits_checks.py": ASSIGNMENT_DIR / "public_tests" / "digits_checks.py"},
                      prefix="nnhw_a4_checks")
# fit's grading rule, shared with the students' local check of fit (the starter's tests/fit_check.py)
fit_check = load_modules({"fit_check.py": ASSIGNMENT_DIR / "public_tests" / "fit_check.py"}, prefix="nnhw_a4_fit")
TRAIN = {k: torch.from_numpy(v) for k, v in data.load(ASSIGNMENT_DIR, "digits_train.npz").items()}

STEP = "for each minibatch M: optimizer.zero_grad(); loss = loss_fn(model(x_M), y_M); loss.backward(); optimizer.step()  (θ ← θ − η ∇θ L(M))"
EPOCH_LOSS = "epoch loss = Σ_M L(M) · |M| / N  (the mean loss per sample)"
FORWARD = "conv1 → ReLU → maxpool 2×2 → conv2 → ReLU → maxpool 2×2 → flatten each sample → fc  (logits)"
# float32 on one CPU thread, the same operations in the same order: the two sides agree to rounding.
# A few SGD steps amplify a last-bit difference only slightly; any bug moves weights by ~lr·|∇|.
FLOAT32 = checks.FLOAT32
FIT_FULL, FIT_NONE, FIT_CPU_S = fit_check.FULL, fit_check.NONE, fit_check.CPU_S
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


def run(student, check, helper, *args, explain=None, **kwargs):
    """The harness's ``helper`` around the student's code in the worker; a failure is worded as the failure of
    the student's function it runs (``raised ...`` after that function's name, not the harness's), with the
    check's inputs and ``explain(message)``'s likely cause. A DataLoader with worker processes is stopped by the
    harness before it starts them, and reported as what to change."""
    try:
        return student.call(helper, *args, **kwargs)
    except StudentCodeError as exc:
        if exc.raised == harness.LoaderWorkersUnavailable.__name__:
            _loader_workers_fail(GRADED[helper], exc.brief)
        text = exc.brief.replace(helper, GRADED[helper], 1)
        problem = text.split(" ", 1)[1] if text.startswith(GRADED[helper] + " ") else text
        raise StudentCodeError(exc.brief, raised=exc.raised,
                               feedback=check.feedback(problem, diagnosis=explain and explain(text))) from None
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


def shown(x, y, **options):
    return {"x": x, "y": y, **options}


def random_state(reference, channels, seed):
    torch.default_generator.manual_seed(seed)  # the CPU's alone: see harness.small_model
    return {k: v.clone() for k, v in reference.DigitsCNN(channels=channels).state_dict().items()}


# ---------------------------------------------------------------------------------------
# DigitsCNN
# ---------------------------------------------------------------------------------------


def _default_shapes(reference):
    """DigitsCNN()'s parameter shapes with its default channels: a size written in as a number shows as one."""
    with torch.random.fork_rng(devices=[]):
        return {name: tuple(p.shape) for name, p in reference.DigitsCNN().state_dict().items()}


@given(channels=channel_pairs)
def test_DigitsCNN_parameters(student, reference, channels):
    """DigitsCNN: has conv1 (1→c1, 3×3), conv2 (c1→c2, 3×3) and fc (c2·2·2→10), with nn.Conv2d's and nn.Linear's parameter names and shapes

    Contract (DigitsCNN's docstring): "conv1 = nn.Conv2d(1, c1, 3, padding=1), conv2 = nn.Conv2d(c1, c2, 3,
    padding=1) and fc = nn.Linear(c2·2·2, num_classes): the autograder loads weights by these names"
    """
    check = Check("DigitsCNN", {"channels": channels}, FORWARD)
    got = run(student, check, "run_model", channels, None)["shapes"]
    expected = harness.run_model(channels, None, None, model_class=reference.DigitsCNN)["shapes"]
    checks.report(check, checks.parameter_finding(got, expected, _default_shapes(reference), channels))


def _forward(student, reference, check, channels, state, x, double=False):
    """The student's and the reference's run_model on the same weights; wrong logits get the likely cause their
    rows or the inputs of conv2 and fc show, a crash the one its message shows."""
    expected = harness.run_model(channels, state, x, double=double, model_class=reference.DigitsCNN)
    got = run(student, check, "run_model", channels, state, x, double=double,
              explain=lambda message: checks.crash_cause(message, channels, _default_shapes(reference)))
    check.diagnose = lambda g, e, path: checks.logits_cause(g) or \
        checks.layer_cause(got["layers"], expected["layers"], channels)
    check.matches(got["output"], expected["output"], what="the logits")


@given(channels=channel_pairs, batch=digit_batches(max_n=9), seed=st.integers(0, 2**16))
def test_DigitsCNN_forward_matches_reference(student, reference, channels, batch, seed):
    """DigitsCNN: with the reference's weights, gives its logits (not probabilities) for batches of any size (float32)

    Contract (forward's docstring): "Logits (N, num_classes) for images x of shape (N, 1, 8, 8): the scores
    before softmax, not probabilities or log-probabilities"
    """
    x, _ = batch
    check = Check("DigitsCNN.forward", {"channels": channels, "x": x}, FORWARD, **FLOAT32)
    _forward(student, reference, check, channels, random_state(reference, channels, seed), x)
    if student.mutated:
        check.fail("forward changed its input x in place", "",
                   "an in-place operation on x (relu_, +=, ...): use ones that return a new tensor")


@given(channels=channel_pairs, batch=digit_batches(max_n=5), seed=st.integers(0, 2**16))
def test_DigitsCNN_float64(student, reference, channels, batch, seed):
    """DigitsCNN: after .double() it computes in float64 and matches the reference

    Contract (forward's docstring): "it computes in the dtype of the model and x: float32, or float64 after
    model.double()"
    """
    x = batch[0].double()
    check = Check("DigitsCNN.forward", {"channels": channels, "x": x}, FORWARD)
    _forward(student, reference, check, channels, random_state(reference, channels, seed), x, double=True)


# ---------------------------------------------------------------------------------------
# make_loader
# ---------------------------------------------------------------------------------------


@given(batch=digit_batches(max_n=40), batch_size=st.integers(1, 16), shuffle=st.booleans(),
       seed=st.integers(0, 2**16))
def test_make_loader_batches_and_shuffle(student, batch, batch_size, shuffle, seed):
    """make_loader: a DataLoader whose epochs hand out every sample once in batches of batch_size (the last may be shorter); shuffled by its seed alone, the data's order otherwise

    Contract (make_loader's docstring): "A DataLoader over TensorDataset(x, y) with batches of ``batch_size``
    (the last one may be shorter)"; "Each epoch (each pass over the loader) hands out every sample once";
    "Without ``shuffle`` the batches keep the data's order"; "With ``shuffle`` the order comes from
    ``torch.Generator().manual_seed(seed)`` and from nothing else (not torch's global generator): the same seed
    gives the same batches on every run, another seed another order, and each epoch reshuffles". Judged as
    properties (digits_checks.loader_finding): the reference's own order is never asked for.
    """
    x, y = batch
    inputs = shown(x, y, batch_size=batch_size, shuffle=shuffle, seed=seed)
    formula = "DataLoader(TensorDataset(x, y), batch_size, shuffle, generator=torch.Generator().manual_seed(seed))"
    check = Check("make_loader", inputs, formula)
    got = run(student, check, "run_loader", x, y, batch_size, shuffle, seed, other_seeds=[seed + k for k in (1, 2, 3)])
    if got["type"] != "DataLoader":
        check.fail(f"should return a torch.utils.data.DataLoader, got a {got['type']}")
    checks.report(check, checks.loader_finding(x, y, batch_size, shuffle, seed, got["first"], got["again"],
                                               got["others"]))


# ---------------------------------------------------------------------------------------
# train_epoch
# ---------------------------------------------------------------------------------------


def _train_inputs(x, y, batch_size, lr, momentum, seed):
    return shown(x, y, model=f"a small MLP (Flatten, Linear(64, 12), ReLU, Linear(12, 10)) seeded with {seed}",
                 loader=f"DataLoader(TensorDataset(x, y), batch_size={batch_size})",
                 optimizer=f"SGD(lr={lr}, momentum={momentum})", loss_fn="nn.CrossEntropyLoss()")


def _train_both(student, check, reference, x, y, batch_size, lr, momentum, seed, device="cpu"):
    """train_epoch's run in the worker and the reference's here, and the likely cause of wrong weights set on
    ``check``: what loss_fn was given, weights left as they were, or those of steps whose gradients accumulate."""
    options = dict(batch_size=batch_size, lr=lr, momentum=momentum, model_seed=seed)
    got = run(student, check, "run_train_epoch", x, y, device=device, **options)
    expected = harness.run_train_epoch(x, y, train_epoch=reference.train_epoch, **options)
    initial = harness.small_model(seed).state_dict()

    def accumulated():
        return harness.run_train_epoch(x, y, train_epoch=reference.train_epoch, keep_gradients=True, **options)["state"]

    check.diagnose = lambda g, e, path: checks.loss_fn_cause(got["calls"]["logits"]) or \
        checks.weights_cause(got["state"], initial, accumulated)
    return got, expected, initial


def _loss_after(state, x, y):
    """The loss of the small model holding ``state`` over all of (x, y): an epoch loss worked out after training."""
    model = harness.small_model(0)
    model.load_state_dict(state)
    with torch.no_grad():
        return float(nn.functional.cross_entropy(model(x), y))


def _check_epoch_loss(check, loss, expected_loss, got_calls, expected_calls, what, recomputed=None):
    """The returned mean loss per sample, judged by its value alone (however many loss_fn calls made it);
    ``recomputed()``, where given, is what working it out after the epoch gives."""
    checks.report(check, checks.number_finding(loss, what))
    check.diagnose = lambda g, e, path: checks.loss_fn_cause(got_calls["logits"]) or \
        checks.epoch_loss_cause(float(g), expected_calls["loss"], expected_calls["batch"], recomputed and recomputed())
    check.matches(loss, expected_loss, what=what)


@given(batch=digit_batches(max_n=24), batch_size=st.integers(2, 8), lr=st.sampled_from([0.05, 0.2, 0.5]),
       momentum=st.sampled_from([0.0, 0.9]), seed=st.integers(0, 2**16))
def test_train_epoch_steps(student, reference, batch, batch_size, lr, momentum, seed):
    """train_epoch: each minibatch is one step zero_grad → forward → loss → backward → step, checked after one step and after two

    Contract (train_epoch's docstring): "one optimizer step per batch: zero_grad, forward, loss, backward, step".
    Judged by the weights after each step; how often loss_fn is called is not graded.
    """
    x, y = batch
    for steps in (1, 2):
        n = min(len(y), steps * batch_size)
        check = Check("train_epoch", _train_inputs(x[:n], y[:n], batch_size, lr, momentum, seed), STEP, **FLOAT32)
        got, expected, initial = _train_both(student, check, reference, x[:n], y[:n], batch_size, lr, momentum, seed)
        if steps == 1 and checks.unchanged(got["state"], initial):
            check.fail("after one minibatch the weights have not changed", "", checks.NO_STEP)
        if steps == 2:
            check.context.append("the weights after one step match the reference's")
        checks.match_state(check, got["state"], expected["state"], f"the weights after {steps} step{'s' * (steps > 1)}")
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
    got, expected, _ = _train_both(student, check, reference, x, y, batch_size, lr, momentum, seed)
    checks.report(check, checks.mode_finding("train_epoch", got["training"], True))
    checks.match_state(check, got["state"], expected["state"], "the weights after one epoch")
    _check_epoch_loss(check, got["loss"], expected["loss"], got["calls"], expected["calls"], "the returned epoch loss",
                      recomputed=lambda: _loss_after(expected["state"], x, y))


# ---------------------------------------------------------------------------------------
# evaluate
# ---------------------------------------------------------------------------------------


@given(batch=digit_batches(max_n=40), batch_size=st.integers(1, 16), seed=st.integers(0, 2**16))
def test_evaluate_matches_reference(student, reference, batch, batch_size, seed):
    """evaluate: the reference's mean loss per sample and accuracy, in evaluation mode and without building a graph

    Contract (evaluate's docstring): "``(mean loss per sample, accuracy)`` over ``loader``, as floats, in evaluation
    mode (``model.eval()``) and without gradients: the forward passes run under ``torch.no_grad()``, so no autograd
    graph is built and no gradient stored". What is observed is each forward pass: whether it ran in training mode
    and whether its output requires grad. The mode evaluate leaves behind is not graded (a loop that ends with
    model.train(), so that training can go on, is good practice), nor how often loss_fn is called, and where.
    """
    x, y = batch
    inputs = shown(x, y, model=f"a small MLP seeded with {seed}", loader=f"DataLoader(TensorDataset(x, y), "
                   f"batch_size={batch_size})", loss_fn="nn.CrossEntropyLoss()")
    formula = "accuracy = #{argmax over the classes of the logits == y} / N;  " + EPOCH_LOSS
    check = Check("evaluate", inputs, formula, **FLOAT32)
    options = dict(batch_size=batch_size, model_seed=seed)
    got = run(student, check, "run_evaluate", x, y, **options)
    expected = harness.run_evaluate(x, y, evaluate=reference.evaluate, **options)
    checks.report(check, checks.evaluate_finding(got["training_passes"], got["graphs"], got["gradients"],
                                                 got["result"], expected["result"][1], len(y)))
    _check_epoch_loss(check, got["result"][0], expected["result"][0], got["calls"], expected["calls"],
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


def _fit_cause(reference, model, accuracy):
    """Under-trained or learning its training digits by heart: the model's accuracy on those digits tells."""
    _, seen = reference.evaluate(model, reference.make_loader(TRAIN["x"], TRAIN["y"], 512, False),
                                 nn.CrossEntropyLoss())
    return fit_check.cause(seen, accuracy)


def test_fit_accuracy(student, reference, set_score, leaderboard):
    """fit: the trained model classifies ≥ 95% of the hidden test digits correctly (partial credit from 90%), within 60 s of CPU time

    Contract (fit's docstring): "A DigitsCNN trained on images x (N, 1, 8, 8) and labels y (N,); it should score
    ≥ 95% on new digits"; "95% earns every point of the test, 90% none, linearly in between"; "within 60 s of CPU
    time". A DataLoader with worker processes gets the message the handout announces ("Keep ``num_workers=0``").
    """
    check = Check("fit", {"x": TRAIN["x"], "y": TRAIN["y"], "seed": 0})
    trained = run(student, check, "run_fit", TRAIN["x"], TRAIN["y"], 0)
    if trained["state"] is None:
        check.fail(f"should return the trained DigitsCNN (an nn.Module), got a {trained['type']}")
    if trained["cpu_s"] > FIT_CPU_S:
        check.fail(f"took {trained['cpu_s']:.0f} s of CPU time; at most {FIT_CPU_S} s are allowed (fewer epochs, "
                   "or larger batches)")
    model = _reference_model(reference, trained["state"], check)
    test = {k: torch.from_numpy(v) for k, v in data.load(ASSIGNMENT_DIR, "digits_test.npz").items()}
    loader = reference.make_loader(test["x"], test["y"], 512, False)
    _, accuracy = reference.evaluate(model, loader, nn.CrossEntropyLoss())
    share = fit_check.share(accuracy)
    set_score(share * FIT_WEIGHT)
    leaderboard("accuracy on the hidden test digits", round(accuracy, 4), order="desc")
    if share < 1.0:
        raise Mismatch(Feedback("fit", f"your model classifies {accuracy:.1%} of the {len(test['y'])} hidden test "
                                f"digits correctly; {FIT_FULL:.0%} earns every point of this test, {FIT_NONE:.0%} "
                                "none, linear in between",
                                diagnosis=lambda: _fit_cause(reference, model, accuracy)))


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
    got, expected, _ = _train_both(student, check, reference, x, y, 16, 0.1, 0.9, 7, device="cuda")
    checks.match_state(check, got["state"], expected["state"], "the weights after one epoch on CUDA")
    checks.report(check, checks.number_finding(got["loss"], "the epoch loss on CUDA"))
    check.matches(got["loss"], expected["loss"], what="the epoch loss on CUDA")


def test_evaluate_cuda_matches_cpu(student, reference):
    """evaluate: on CUDA gives the CPU reference's loss and accuracy

    Contract (the module's docstring): "Never name a device: create tensors from the ones you are given and move
    each batch to the model's device, so the same code runs on a CPU and on a CUDA GPU"
    """
    _needs_cuda()
    x, y = TRAIN["x"][:100], TRAIN["y"][:100]
    check = Check("evaluate", shown(x, y, batch_size=32, device="cuda"), EPOCH_LOSS, rtol=1e-3, atol=1e-4)
    got = run(student, check, "run_evaluate", x, y, 32, 3, device="cuda")
    expected = harness.run_evaluate(x, y, 32, 3, evaluate=reference.evaluate)
    result = got["result"]
    if not isinstance(result, (list, tuple)) or len(result) != 2:
        check.fail(f"should return (mean loss, accuracy), got {result!r}"[:300])
    for value, what in zip(result, ("the loss on CUDA", "the accuracy on CUDA")):
        checks.report(check, checks.number_finding(value, what))
    checks.report(check, checks.accuracy_finding(result[1], expected["result"][1], len(y)))
    check.matches(result[0], expected["result"][0], what="the loss on CUDA")
