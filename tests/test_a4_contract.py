"""a4 is judged by its contract alone (issue 26): what the handout and the docstrings state is graded, by what
they state, and a legitimate way of meeting it costs nothing.

Each file in ``a4_submissions/`` holds the functions of one case of the issue, written the way the case describes;
the submission is the reference solution with them appended, as a mutant's is (the later definitions win). Case 5
is the instructor mutant ``model_log_softmax_output``. Before the change, each lost points for something the
contract allows (1, 2, 4), crashed with a bare error (3) or was told no cause (5). Graded here through the real
grader and worker.
"""

import ast
import re
from pathlib import Path

import pytest

pytestmark = pytest.mark.needs_torch

ROOT = Path(__file__).resolve().parent.parent
A4 = "a4_pytorch"
ASSIGNMENT = ROOT / "assignments" / A4
SUBMISSIONS = Path(__file__).resolve().parent / "a4_submissions"
STARTER = ROOT / "starter" / A4


@pytest.fixture(scope="module")
def harness():
    from autograder.course import load_modules

    return load_modules({"harness.py": ASSIGNMENT / "harness.py"}, prefix="nnhw_test_a4_contract_harness")


@pytest.fixture(scope="module")
def checks():
    from autograder.course import load_modules

    return load_modules({"digits_checks.py": ASSIGNMENT / "public_tests" / "digits_checks.py"},
                        prefix="nnhw_test_a4_contract_checks")


def submission(case, folder):
    """The submission of ``case`` laid out in ``folder``: the solution with the case's functions appended."""
    from autograder.authoring.mutants import Mutant, load_mutant, write_mutant_submission
    from autograder.course import Course

    assignment = Course(ROOT).assignment(A4)
    path = SUBMISSIONS / f"{case}.py"
    if not path.is_file():
        return write_mutant_submission(assignment, load_mutant(assignment.mutants_dir / f"{case}.py"), folder)
    code = path.read_text(encoding="utf-8")
    return write_mutant_submission(assignment, Mutant(case, path, "digits_cnn.py", (), f"issue 26, {case}", code),
                                   folder)


def _submitted(case, name, folder):
    """``name`` from the submission of ``case``, imported in this process (for the harness's own checks)."""
    from autograder.course import load_modules

    files = {"digits_cnn.py": submission(case, folder) / "digits_cnn.py"}
    return getattr(load_modules(files, prefix=f"nnhw_a4_case_{case}"), name)


def graded(case, keyword, folder):
    """The graded tests matching ``keyword`` for the submission of ``case``: ``{title: test result}``."""
    from autograder.course import Course
    from autograder.grading.grader import grade

    results = grade(Course(ROOT).assignment(A4), submission(case, folder), keyword=keyword)
    assert results["tests"], results
    return {test["name"]: test for test in results["tests"]}


def full_marks(tests):
    return {title: (t["score"], t["max_score"]) for title, t in tests.items() if t["score"] != t["max_score"]}


# ---------------------------------------------------------------------------------------
# every test states its contract sentence, and a student can read that sentence
# ---------------------------------------------------------------------------------------


def _one_line(text):
    return " ".join(text.split())


def contract_quotes():
    """``{test function: [quoted contract sentences]}`` from the graded tests' docstrings."""
    tree = ast.parse((ASSIGNMENT / "tests" / "test_digits_cnn.py").read_text(encoding="utf-8"))
    quotes = {}
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name.startswith("test_"):
            doc = ast.get_docstring(node) or ""
            after = doc.split("\nContract", 1)[1] if "\nContract" in doc else ""
            quotes[node.name] = re.findall(r'"([^"]+)"', after)
    return quotes


def test_every_a4_test_quotes_a_contract_sentence_the_student_can_read():
    from autograder.config import load_config

    configured = [t.name for t in load_config(ASSIGNMENT / "assignment.toml").tests]
    quotes = contract_quotes()
    assert sorted(quotes) == sorted(configured)
    readable = _one_line("\n".join(path.read_text(encoding="utf-8") for path in (
        STARTER / "digits_cnn.py", STARTER / "handout.md", STARTER / "tests" / "test_digits_cnn_public.py")))
    for test, sentences in quotes.items():
        assert sentences, f"{test}: its docstring quotes no contract sentence"
        unread = [s for s in sentences if _one_line(s) not in readable]
        assert not unread, f"{test} enforces sentences no student can read in the starter: {unread}"


def test_a_sentence_missing_from_the_starter_is_found(monkeypatch):
    """The check above can fail: a quote the starter does not hold is reported."""
    real = contract_quotes()
    monkeypatch.setitem(globals(), "contract_quotes",
                        lambda: {**real, "test_fit_accuracy": ["fit must finish within 6 s of CPU time"]})
    with pytest.raises(AssertionError, match="test_fit_accuracy enforces sentences"):
        test_every_a4_test_quotes_a_contract_sentence_the_student_can_read()


# ---------------------------------------------------------------------------------------
# the harness observes what it reports
# ---------------------------------------------------------------------------------------


def test_probabilities_and_log_probabilities_are_told_apart_from_logits(checks):
    import torch

    logits = torch.tensor([[2.0, -1.0, 0.5], [0.1, 0.2, -3.0]])
    assert checks.rows_are_probabilities(torch.softmax(logits, dim=1))
    assert checks.rows_are_log_probabilities(torch.log_softmax(logits, dim=1))
    assert not checks.rows_are_log_probabilities(torch.softmax(logits, dim=1))
    assert not checks.rows_are_probabilities(torch.log_softmax(logits, dim=1))
    assert not checks.rows_are_probabilities(logits) and not checks.rows_are_log_probabilities(logits)


def test_a_graph_is_reported_only_where_a_forward_pass_built_one(harness, tmp_path):
    """Case 2 (loss_fn called just outside torch.no_grad()) builds no graph; the same code without no_grad does."""
    import torch

    x, y = torch.rand(5, 1, 8, 8), torch.randint(0, 10, (5,))
    evaluate = _submitted("evaluate_loss_outside_no_grad", "evaluate", tmp_path)
    outside = harness.run_evaluate(x, y, 2, 0, evaluate=evaluate)
    assert outside["graphs"] == [False, False, False] and not outside["gradients"]
    assert outside["training_passes"] == [False, False, False]

    def without_no_grad(model, loader, loss_fn):
        model.eval()
        return sum(loss_fn(model(bx), by).item() * len(by) for bx, by in loader) / 5, 0.0

    assert harness.run_evaluate(x, y, 2, 0, evaluate=without_no_grad)["graphs"] == [True, True, True]


def test_evaluate_is_judged_by_the_mode_of_its_forward_passes_not_the_mode_it_leaves(harness, checks, tmp_path):
    """Issue 31, point 7: a tutorial's check_accuracy (model.eval(), no_grad, model.train() at the end) is found
    right; evaluate without model.eval() is found wrong although it leaves the model as the tutorial's does."""
    import torch

    x, y = torch.rand(5, 1, 8, 8), torch.randint(0, 10, (5,))
    tutorial = harness.run_evaluate(x, y, 2, 0, evaluate=_submitted("evaluate_tutorial_check_accuracy", "evaluate",
                                                                    tmp_path))
    assert tutorial["training_passes"] == [False, False, False] and tutorial["graphs"] == [False] * 3
    train_mode = harness.run_evaluate(x, y, 2, 0, evaluate=_submitted("evaluate_train_mode", "evaluate", tmp_path))
    expected = train_mode["result"][1]
    assert checks.evaluate_finding(tutorial["training_passes"], tutorial["graphs"], tutorial["gradients"],
                                   tutorial["result"], expected, 5) is None
    assert train_mode["training_passes"] == [True, True, True]
    wrong = checks.evaluate_finding(train_mode["training_passes"], train_mode["graphs"], train_mode["gradients"],
                                    train_mode["result"], expected, 5)
    assert wrong.problem == "3 of evaluate's 3 forward passes ran in training mode"
    assert wrong.cause.startswith("model.eval() is not called before evaluate's forward passes")


def test_a_loader_with_workers_is_stopped_before_it_starts_them_and_only_while_the_student_s_code_runs(harness):
    import torch
    from torch.utils.data import DataLoader, TensorDataset

    data = TensorDataset(torch.arange(6.0), torch.arange(6))
    iterate = DataLoader.__iter__
    with harness.no_loader_workers():
        assert len(list(DataLoader(data, batch_size=4))) == 2  # num_workers=0 runs as usual
        with pytest.raises(harness.LoaderWorkersUnavailable, match="Use num_workers=0"):
            iter(DataLoader(data, batch_size=4, num_workers=2))
    assert DataLoader.__iter__ is iterate


# ---------------------------------------------------------------------------------------
# the five cases of the issue, graded end to end
# ---------------------------------------------------------------------------------------


#: the cases a legitimate way of meeting the contract lost points in: (submission, the tests that failed it before,
#: how many they are). Before: case 1, "loss_fn saw batches of sizes [1, 1], expected one call per minibatch: [1]"
#: (train_epoch, 7 points) and "loss_fn saw batches of sizes [2], expected ... [1, 1]" (evaluate, 3); case 2,
#: "evaluate builds autograd graphs (or stores gradients)" where none was built (3); case 4, "epoch 1, batch 0: not
#: the reference's examples in the reference's order" (make_loader, 3; fit trains on that loader and is graded too).
LEGITIMATE = [("loss_over_concatenated_outputs", "(train_epoch or evaluate) and not cuda", 3),
              ("evaluate_loss_outside_no_grad", "evaluate and not cuda", 1),
              ("evaluate_tutorial_check_accuracy", "evaluate and not cuda", 1),
              ("loader_sampler_generator", "make_loader or fit", 2)]


@pytest.mark.e2e
@pytest.mark.needs_worker
@pytest.mark.parametrize("case, keyword, count", LEGITIMATE, ids=[case for case, _, _ in LEGITIMATE])
def test_cases_1_2_4_a_legitimate_way_gets_full_marks_on_the_tests_that_failed_it_before(tmp_path, case, keyword,
                                                                                         count):
    tests = graded(case, keyword, tmp_path)
    assert len(tests) == count and not full_marks(tests)


@pytest.mark.e2e
@pytest.mark.needs_worker
@pytest.mark.parametrize("landlock", ["on", "off"])
def test_case3_loader_workers_get_the_message_that_says_what_to_change(monkeypatch, tmp_path, landlock):
    """Before: "PermissionError: [Errno 13] Permission denied" under Landlock, "used more than 1024 MB of memory"
    without it. Now the same message either way, naming num_workers=0 and why, and where the loader ran."""
    from autograder.check import likely_cause

    if landlock == "off":
        monkeypatch.setenv("NNHW_NO_LANDLOCK", "1")
    tests = graded("loader_with_workers", "make_loader or fit", tmp_path)
    assert len(tests) == 2
    for title, test in tests.items():
        output, function = test["output"], title.split(":")[0]
        assert test["score"] == 0 and output.startswith(f"{function}: a DataLoader with num_workers=4"), output
        assert "Use num_workers=0" in output and "shared memory" in output, output
        assert "num_workers=0" in likely_cause(output), output
        assert "PermissionError" not in output and "MB of memory" not in output, output
    fit = next(t for title, t in tests.items() if title.startswith("fit:"))
    assert 'iterated at File "digits_cnn.py"' in fit["output"] and "for x, y in loader" in fit["output"]


@pytest.mark.e2e
@pytest.mark.needs_worker
def test_case4_a_sampler_with_its_own_seeded_generator_gets_full_marks(tmp_path):
    """Before: "epoch 1, batch 0: not the reference's examples in the reference's order" (3 points); fit, which
    trains on that loader, is graded as well."""
    tests = graded("loader_sampler_generator", "make_loader or fit", tmp_path)
    assert len(tests) == 2 and not full_marks(tests)


@pytest.mark.e2e
@pytest.mark.needs_worker
def test_case5_log_probabilities_are_named_as_the_cause(tmp_path):
    """Before: only "wrong values in the logits", no cause."""
    from autograder.check import likely_cause

    tests = graded("model_log_softmax_output", "DigitsCNN_forward or DigitsCNN_float64", tmp_path)
    assert len(tests) == 2
    for test in tests.values():
        cause = likely_cause(test["output"])
        assert test["score"] == 0 and cause, test["output"]
        assert cause.startswith("forward returns log-probabilities"), cause
        assert "nn.CrossEntropyLoss applies log-softmax itself" in cause, cause


# ---------------------------------------------------------------------------------------
# fit checked before submitting (issue 31, point 1): the grade's rule, on held-back digits
# ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def fit_check():
    from autograder.course import load_modules

    return load_modules({"fit_check.py": ASSIGNMENT / "public_tests" / "fit_check.py"}, prefix="nnhw_test_fit_check")


def test_the_local_fit_check_applies_the_grade_s_rule(fit_check):
    from autograder.config import load_config

    assert fit_check.POINTS == load_config(ASSIGNMENT / "assignment.toml").test("test_fit_accuracy").weight
    assert (fit_check.share(0.95), fit_check.share(0.90), fit_check.share(0.925)) == (1.0, 0.0, pytest.approx(0.5))
    assert fit_check.FitReport(0.99, 288, fit_check.CPU_S + 1).points == 0.0
    lines = fit_check.FitReport(0.925, 288, 2.0).lines()
    assert lines[0].startswith("✗ accuracy on 288 held-back digits: 92.5% (266 right)") and "95%" in lines[0]
    assert lines[1].startswith("✓ fit took 2.0 CPU s on one thread; the limit is 60 CPU s")
    assert lines[2] == "the same rule gives 2.50 of fit's 5 points"


def test_the_local_fit_check_passes_the_reference_and_fails_one_epoch(fit_check, tmp_path):
    """The reference's fit earns every point on the held-back fifth; the mutant that trains one epoch does not.
    Trains in this process: about 2 CPU seconds."""
    x, y = fit_check.training_digits(ASSIGNMENT / "data" / "digits_train.npz")
    from autograder.course import load_modules

    solution = load_modules({"digits_cnn.py": ROOT / "solutions" / A4 / "digits_cnn.py"}, prefix="nnhw_a4_fit_solution")
    reference = fit_check.measure(solution.fit, x, y)
    assert reference.held_back == 288 and reference.points == fit_check.POINTS, reference
    one_epoch = fit_check.measure(_submitted("fit_one_epoch", "fit", tmp_path / "one_epoch"), x, y)
    assert one_epoch.points < fit_check.POINTS and one_epoch.lines()[0].startswith("✗"), one_epoch
