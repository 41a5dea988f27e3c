"""a4's feedback in the same form as a1-a3's (issue 22): a ``likely cause:`` line where the evidence singles one
out, exact things shown exactly, weights named as the contract names them.

The causes come from ``assignments/a4_pytorch/public_tests/digits_checks.py``, which the graded tests and the
public tests share. Each is shown here firing on what a plausible wrong implementation produces (computed, not
written down) and staying silent on the right answer and where two causes would fit; the end-to-end test grades
every a4 mutant and reads the first failure's cause, as ``nnhw verify`` does.
"""

from pathlib import Path

import pytest

pytestmark = pytest.mark.needs_torch

ROOT = Path(__file__).resolve().parent.parent
A4 = ROOT / "assignments" / "a4_pytorch"


@pytest.fixture(scope="module")
def checks():
    from autograder.course import load_modules

    return load_modules({"digits_checks.py": A4 / "public_tests" / "digits_checks.py"}, prefix="nnhw_test_a4_checks")


@pytest.fixture(scope="module")
def harness():
    from autograder.course import load_modules

    return load_modules({"harness.py": A4 / "harness.py"}, prefix="nnhw_test_a4_feedback_harness")


class Recorder:
    """A Check stand-in: what ``checks.report`` and ``checks.match_state`` ask of it."""

    def __init__(self):
        self.failures, self.compared = [], []

    def fail(self, problem, details="", diagnosis=None):
        self.failures.append((problem, details, diagnosis))
        raise AssertionError(problem)

    def matches(self, got, expected, what=None):
        self.compared.append(what)


# ---------------------------------------------------------------------------------------
# DigitsCNN: which layer's input first differs, and how
# ---------------------------------------------------------------------------------------


def _layers(forward_kind, x, conv1, conv2):
    """The inputs conv2 and fc receive in a DigitsCNN-shaped forward pass, written the right way or one wrong way."""
    import torch.nn.functional as F

    h = conv1(x)
    h = h if forward_kind == "no first pool" else F.max_pool2d(F.relu(h), 2)
    seen = {"conv2": h}
    h = conv2(h)
    h = F.max_pool2d(h if forward_kind == "no second relu" else F.relu(h), 4 if forward_kind == "no first pool" else 2)
    seen["fc"] = h.permute(0, 2, 3, 1).flatten(1) if forward_kind == "channels last" else h.flatten(1)
    return {k: v.detach() for k, v in seen.items()}


@pytest.mark.parametrize("kind, cause", [("no second relu", "fc's input has negative values where the ReLU after "
                                                            "conv2 gives 0"),
                                         ("no first pool", "conv2's input is 8×8 per channel"),
                                         ("channels last", "each sample is flattened channels-last"),
                                         ("right", None)])
def test_the_layer_whose_input_first_differs_names_the_cause(checks, kind, cause):
    import torch

    torch.manual_seed(1)
    conv1, conv2 = torch.nn.Conv2d(1, 3, 3, padding=1), torch.nn.Conv2d(3, 5, 3, padding=1)
    x = torch.rand(4, 1, 8, 8)
    found = checks.layer_cause(_layers(kind, x, conv1, conv2), _layers("right", x, conv1, conv2), (3, 5))
    assert (found or "").startswith(cause or "") and bool(found) == bool(cause), found


def test_layer_inputs_that_differ_otherwise_name_no_cause(checks):
    import torch

    torch.manual_seed(2)
    conv1, conv2 = torch.nn.Conv2d(1, 3, 3, padding=1), torch.nn.Conv2d(3, 5, 3, padding=1)
    x = torch.rand(4, 1, 8, 8)
    right = _layers("right", x, conv1, conv2)
    assert checks.layer_cause({**right, "fc": right["fc"] * 1.5}, right, (3, 5)) is None  # e.g. a scaled fc input
    assert checks.layer_cause({"conv2": right["conv2"]}, right, (3, 5)) is None  # fc not called as a module


def test_the_harness_reports_what_conv2_and_fc_received(harness):
    import torch

    from autograder.course import Course

    reference = Course(ROOT).assignment("a4_pytorch").load_reference()
    torch.manual_seed(3)
    state = reference.DigitsCNN(channels=(2, 3)).state_dict()
    run = harness.run_model((2, 3), state, torch.rand(2, 1, 8, 8), model_class=reference.DigitsCNN)
    assert {k: tuple(v.shape) for k, v in run["layers"].items()} == {"conv2": (2, 2, 4, 4), "fc": (2, 12)}
    assert tuple(run["output"].shape) == (2, 10)


def test_a_parameter_of_the_default_channels_shape_is_a_size_written_in(checks):
    expected = {"fc.weight": (10, 4), "fc.bias": (10,)}
    default = {"fc.weight": (10, 64), "fc.bias": (10,)}
    written_in = checks.parameter_finding({"fc.weight": [10, 64], "fc.bias": [10]}, expected, default, (1, 1))
    assert written_in.problem == "with channels (1, 1), fc.weight has shape (10, 64), expected (10, 4)"
    assert written_in.cause.startswith("fc.weight has the shape DigitsCNN() has with its default channels")
    other = checks.parameter_finding({"fc.weight": [10, 8], "fc.bias": [10]}, expected, default, (1, 1))
    assert other.problem.endswith("has shape (10, 8), expected (10, 4)") and other.cause is None
    assert checks.parameter_finding({"fc.weight": [10, 4], "fc.bias": [10]}, expected, default, (1, 1)) is None
    missing = checks.parameter_finding({"fc.weight": [10, 4], "linear.bias": [10]}, expected, default, (1, 1))
    assert missing.details == "missing: fc.bias; not in the contract: linear.bias"


def test_a_crash_names_a_row_length_or_a_shape_written_in(checks):
    import torch

    with pytest.raises(RuntimeError) as flat:
        torch.zeros(2, 20).view(-1, 64)
    assert "rows of 64 values" in checks.crash_cause(str(flat.value), (3, 5))
    assert checks.crash_cause(str(flat.value), (3, 16)) is None  # 16·2·2 = 64: that length is right there
    fc = torch.nn.Linear(64, 10)
    with pytest.raises(RuntimeError) as loaded:
        fc.load_state_dict(torch.nn.Linear(4, 10).state_dict())
    default = {"weight": (10, 64), "bias": (10,)}
    assert checks.crash_cause(str(loaded.value), (1, 1), default).startswith("weight has the shape DigitsCNN() has")
    assert checks.crash_cause(str(loaded.value), (1, 1), {"weight": (10, 32)}) is None
    assert checks.crash_cause("name 'F' is not defined", (1, 1), default) is None


def test_rows_that_are_probabilities_are_named_and_logits_are_not(checks):
    import torch

    logits = torch.tensor([[2.0, -1.0, 0.5], [0.1, 0.2, -3.0]])
    assert checks.logits_cause(torch.softmax(logits, 1)).startswith("forward returns probabilities")
    assert checks.logits_cause(torch.log_softmax(logits, 1)).startswith("forward returns log-probabilities")
    assert checks.logits_cause(logits) is None


# ---------------------------------------------------------------------------------------
# make_loader
# ---------------------------------------------------------------------------------------


def _epochs(loader, count=2):
    return [[tuple(batch) for batch in loader] for _ in range(count)]


def _loader_finding(checks, make, x, y, shuffle, seed=3):
    import torch

    torch.manual_seed(101)
    first = _epochs(make(x, y, 4, shuffle, seed))
    torch.manual_seed(303)
    again = _epochs(make(x, y, 4, shuffle, seed))
    others = [_epochs(make(x, y, 4, shuffle, seed + k), 1)[0] for k in (1, 2, 3)]
    return checks.loader_finding(x, y, 4, shuffle, seed, first, again, others)


def _loaders():
    import torch
    from torch.utils.data import DataLoader, TensorDataset

    def right(x, y, batch_size, shuffle, seed):
        return DataLoader(TensorDataset(x, y), batch_size, shuffle, generator=torch.Generator().manual_seed(seed))

    def drops_last(x, y, batch_size, shuffle, seed):
        return DataLoader(TensorDataset(x, y), batch_size, shuffle, drop_last=True,
                          generator=torch.Generator().manual_seed(seed))

    def always_shuffles(x, y, batch_size, shuffle, seed):
        return right(x, y, batch_size, True, seed)

    def global_generator(x, y, batch_size, shuffle, seed):
        return DataLoader(TensorDataset(x, y), batch_size, shuffle)

    def once(x, y, batch_size, shuffle, seed):
        order = torch.randperm(len(y), generator=torch.Generator().manual_seed(seed)).tolist()
        return DataLoader(TensorDataset(x, y), batch_size, sampler=order if shuffle else None)

    def never(x, y, batch_size, shuffle, seed):
        return DataLoader(TensorDataset(x, y), batch_size)

    return {"right": right, "drops_last": drops_last, "always_shuffles": always_shuffles,
            "global_generator": global_generator, "once": once, "never": never}


@pytest.mark.parametrize("loader, shuffle, cause", [
    ("right", False, None), ("right", True, None),
    ("drops_last", False, "the last, shorter batch is dropped"),
    ("always_shuffles", False, "the loader shuffles although shuffle is False"),
    ("global_generator", True, "the loader shuffles with torch's global generator"),
    ("once", True, "the order is drawn once"),
    ("never", True, "the seed is not used, or the data is not shuffled at all")])
def test_each_wrong_loader_gets_its_cause(checks, loader, shuffle, cause):
    import torch

    x, y = torch.rand(10, 1, 8, 8), torch.arange(10)
    finding = _loader_finding(checks, _loaders()[loader], x, y, shuffle)
    assert (finding and finding.cause or "").startswith(cause or "") and bool(finding) == bool(cause), finding


# ---------------------------------------------------------------------------------------
# train_epoch and evaluate
# ---------------------------------------------------------------------------------------


def _train(harness, zero_grad=True, step_first=False, seed=4):
    """A training loop written the right way or one wrong way, run by the harness on the small model."""
    import torch

    def train_epoch(model, loader, optimizer, loss_fn):
        model.train()
        for x, y in loader:
            if zero_grad:
                optimizer.zero_grad()
            loss = loss_fn(model(x), y)
            if step_first:
                optimizer.step()
            loss.backward()
            if not step_first:
                optimizer.step()
        return 0.0

    torch.manual_seed(0)
    x, y = torch.rand(6, 1, 8, 8), torch.randint(0, 10, (6,))
    return harness.run_train_epoch(x, y, 2, 0.5, 0.9, seed, train_epoch=train_epoch), (x, y)


def test_weights_name_a_missing_zero_grad_or_a_step_before_backward(harness, checks):
    import torch

    right, (x, y) = _train(harness)
    initial = harness.small_model(4).state_dict()

    def accumulated():
        return harness.run_train_epoch(x, y, 2, 0.5, 0.9, 4, train_epoch=_right_loop, keep_gradients=True)["state"]

    assert checks.weights_cause(right["state"], initial, accumulated) is None
    assert checks.weights_cause(_train(harness, zero_grad=False)[0]["state"], initial, accumulated) == checks.ZERO_GRAD
    assert checks.weights_cause(_train(harness, step_first=True)[0]["state"], initial, accumulated) == checks.NO_STEP
    assert checks.weights_cause({k: v + 0.01 for k, v in right["state"].items()}, initial, accumulated) is None
    assert checks.unchanged(initial, {k: v.clone() for k, v in initial.items()})
    assert not checks.unchanged(right["state"], initial) and not torch.equal(right["state"]["1.weight"],
                                                                          initial["1.weight"])


def _right_loop(model, loader, optimizer, loss_fn):
    model.train()
    for x, y in loader:
        optimizer.zero_grad()
        loss_fn(model(x), y).backward()
        optimizer.step()
    return 0.0


def test_the_logits_loss_fn_saw_show_probabilities(harness, checks):
    import torch

    def softmax_first(model, loader, optimizer, loss_fn):
        for x, y in loader:
            optimizer.zero_grad()
            loss_fn(torch.softmax(model(x), dim=1), y).backward()
            optimizer.step()
        return 0.0

    x, y = torch.rand(4, 1, 8, 8), torch.randint(0, 10, (4,))
    wrong = harness.run_train_epoch(x, y, 2, 0.1, 0.0, 1, train_epoch=softmax_first)["calls"]["logits"]
    right = harness.run_train_epoch(x, y, 2, 0.1, 0.0, 1, train_epoch=_right_loop)["calls"]["logits"]
    assert checks.loss_fn_cause(wrong) == checks.GIVEN_PROBABILITIES and checks.loss_fn_cause(right) is None


def test_an_epoch_loss_added_up_wrongly_is_named_only_when_one_way_fits(checks):
    losses, sizes = [2.0, 1.0, 4.0], [4, 4, 2]
    right = sum(loss * size for loss, size in zip(losses, sizes)) / 10
    assert checks.epoch_loss_cause(right, losses, sizes) is None
    assert "the mean of the batch means" in checks.epoch_loss_cause(7 / 3, losses, sizes)
    assert "the last batch's loss" in checks.epoch_loss_cause(4.0, losses, sizes)
    assert "the sum of the batch losses" in checks.epoch_loss_cause(7.0, losses, sizes)
    assert "worked out after the epoch" in checks.epoch_loss_cause(1.25, losses, sizes, recomputed=1.25)
    assert checks.epoch_loss_cause(4.0, losses, sizes, recomputed=4.0) is None  # two ways fit: name neither
    assert checks.epoch_loss_cause(3.3, losses, sizes) is None


def test_the_accuracy_is_compared_as_a_count_and_shown_exactly(checks):
    assert checks.accuracy_finding(0.75, 0.75, 4) is None
    assert checks.accuracy_finding(0.7500000001, 0.75, 4) is None
    wrong = checks.accuracy_finding(0.5, 0.75, 4)
    assert wrong.problem == "wrong accuracy: expected 0.75 (3 of 4 digits right), got 0.5 (2 of 4)"
    assert "tolerance" not in wrong.problem + wrong.details and wrong.cause is None
    assert checks.accuracy_finding(3, 0.75, 4).cause == "the count of right predictions, not divided by N"
    assert checks.accuracy_finding(75.0, 0.75, 4).cause == "a percentage, not a share"
    assert checks.accuracy_finding(0.3, 0.25, 4).problem.startswith("the accuracy should be the share of the 4")


def test_mode_graph_and_number_findings(checks):
    assert checks.mode_finding("train_epoch", True, True) is None
    left = checks.mode_finding("train_epoch", False, True)
    assert left.problem == "the model is left in evaluation mode"
    assert left.cause == "model.train() is not called at the start of train_epoch"
    assert checks.forward_mode_finding([False, False]) is None
    assert checks.forward_mode_finding([False, True]).problem == "1 of evaluate's 2 forward passes ran in training mode"
    assert checks.graph_finding([False, True], []).cause.startswith("model(x) is called outside a torch.no_grad()")
    assert checks.graph_finding([False], ["fc.weight"]).cause.startswith("loss.backward() in evaluate")
    assert checks.graph_finding([False, False], []) is None
    import torch

    assert "is a tensor" in checks.number_finding(torch.tensor(1.0), "the loss").problem
    assert checks.number_finding(1.5, "the loss") is None and checks.number_finding(True, "the loss")


def test_weights_are_named_as_the_contract_names_them(checks):
    import torch

    check = Recorder()
    state = {"1.weight": torch.zeros(2, 2), "1.bias": torch.zeros(2)}
    checks.match_state(check, state, state, "the weights after 2 steps")
    assert check.compared == ["the weights after 2 steps, parameter 1.weight",
                              "the weights after 2 steps, parameter 1.bias"]
    with pytest.raises(AssertionError):
        checks.match_state(check, {"1.weight": state["1.weight"]}, state, "the weights after 2 steps")


# ---------------------------------------------------------------------------------------
# every a4 mutant, graded as nnhw verify grades it
# ---------------------------------------------------------------------------------------

#: the start of the likely cause each mutant's first failure must name (None: the evidence singles none out: at
#: the shrunk N = 1, an argmax over the wrong axis and counting the wrong predictions give the same accuracy)
EXPECTED = {
    "evaluate_argmax_batch_axis": None,
    "evaluate_builds_graph": "model(x) is called outside a torch.no_grad() block",
    "evaluate_loss_mean_of_batch_means": "the returned loss is the mean of the batch means",
    "evaluate_train_mode": "model.eval() is not called before evaluate's forward passes",
    "fit_one_epoch": "the model reads only",
    "loader_always_shuffles": "the loader shuffles although shuffle is False",
    "loader_drops_last": "the last, shorter batch is dropped",
    "loader_ignores_shuffle": "the seed is not used, or the data is not shuffled at all",
    "loader_seeds_global_generator": "the loader shuffles with torch's global generator",
    "loader_shuffle_without_seed": "the loader shuffles with torch's global generator",
    "loader_shuffles_once": "the order is drawn once",
    "model_channels_last_flatten": "each sample is flattened channels-last",
    "model_fc_in_features_64": "fc.weight has the shape DigitsCNN() has with its default channels",
    "model_log_softmax_output": "forward returns log-probabilities",
    "model_missing_second_relu": "fc's input has negative values where the ReLU after conv2 gives 0",
    "model_one_pool_of_4": "conv2's input is 8×8 per channel",
    "model_softmax_output": "forward returns probabilities",
    "model_view_64": "a view or reshape to rows of 64 values",
    "train_loss_last_batch": "the returned loss is the last batch's loss",
    "train_loss_mean_of_batch_means": "the returned loss is the mean of the batch means",
    "train_loss_recomputed_after_epoch": "the returned loss is the loss of the trained model",
    "train_no_model_train": "model.train() is not called at the start of train_epoch",
    "train_no_zero_grad": "optimizer.zero_grad() is not called for every minibatch",
    "train_softmax_before_loss": "loss_fn was given probabilities",
    "train_step_before_backward": "optimizer.step() does not run between loss.backward()",
}
#: mutants whose later failures are the same bug seen again: they name the first failure's cause too
SAME_BUG = {"train_no_zero_grad": (5, 6), "train_step_before_backward": (5, 6), "model_fc_in_features_64": (1, 2, 3),
            "model_softmax_output": (2, 3), "model_one_pool_of_4": (2, 3)}


@pytest.fixture(scope="module")
def verified():
    """a4's mutants, graded as ``nnhw verify a4_pytorch`` grades them."""
    from autograder.authoring.verify import verify
    from autograder.course import Course

    return [graded for graded in verify(Course(ROOT).assignment("a4_pytorch")) if graded.kind == "mutant"]


@pytest.mark.e2e
@pytest.mark.needs_worker
def test_nine_in_ten_a4_mutants_get_the_right_likely_cause_from_their_first_failure(verified):
    from autograder.authoring.verify import cause_share

    first = {graded.name: (graded.first_failure() or (None, None))[1] for graded in verified}
    explained, caught = cause_share(verified)
    assert caught == len(first) and explained >= 0.9 * caught, first
    wrong = {name: first.get(name) for name, cause in EXPECTED.items()
             if not (first.get(name) or "").startswith(cause or "") or bool(first.get(name)) != bool(cause)}
    assert not wrong, wrong


@pytest.mark.e2e
@pytest.mark.needs_worker
def test_a_later_failure_of_the_same_bug_names_the_same_cause(verified):
    from autograder.check import likely_cause

    failed = {graded.name: {int(t["number"]): likely_cause(t["output"]) for t in graded.failed_tests()}
              for graded in verified}
    for name, numbers in SAME_BUG.items():
        causes = {number: failed[name].get(number) for number in numbers}
        assert len(set(causes.values())) == 1 and None not in causes.values(), (name, causes)
