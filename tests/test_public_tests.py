"""A student's local run of the public tests prints what the grader prints: the feedback alone (no test
source, no chained traceback), a screenful at most per failure, and pytest's usual summary line."""

import re
import subprocess
import sys

import pytest
from helpers import ROOT

from autograder.authoring.build import starter_tree

BUGS = {  # plausible a1 bugs, as edits of the reference solution
    "return h @ W + b": "return h @ W",
    "    shifted = z - np.max(z, axis=-1, keepdims=True)": "    shifted = z - np.max(z, axis=0, keepdims=True)",
    "return e / np.sum(e, axis=-1, keepdims=True)": "return e / np.sum(e, axis=0, keepdims=True)",
    "return np.maximum(z, 0.0)": "z[z < 0] = 0.0\n    return z",
    "    m = y.shape[0]\n    return float(np.sum((y - y_hat) ** 2) / (2 * m))": "    return float(np.sum((y - y_hat) ** 2))",
}


def starter(assignment, folder):
    """The starter students download, laid out in ``folder``."""
    for path, data in starter_tree(assignment).items():
        (folder / path).parent.mkdir(parents=True, exist_ok=True)
        (folder / path).write_bytes(data)


def pytest_output(folder):
    """A student's run of the public tests in ``folder``: ``python -m pytest tests``."""
    done = subprocess.run([sys.executable, "-m", "pytest", "tests", "-p", "no:cacheprovider"], cwd=folder,
                          capture_output=True, text=True, timeout=300)
    return done.stdout


def failures(output, test):
    """Each failure's section of pytest's output for the test function ``test`` (up to the next test's heading)."""
    parts = re.split(r"^_{3,} (.+?) _{3,}$", output.split("short test summary info")[0], flags=re.M)
    return [section for name, section in zip(parts[1::2], parts[2::2]) if re.fullmatch(rf"{test}(\[.*\])?", name)]


def assert_feedback_alone(section, max_lines):
    lines = section.strip().splitlines()
    assert len(lines) <= max_lines, section
    assert "Traceback" not in section and "During handling" not in section and "def test_" not in section
    assert not any(line.startswith(("E ", ">   ")) for line in lines), section


def run_public_tests(course, tmp_path):
    starter(course.assignment("a1_forward"), tmp_path)
    source = (ROOT / "solutions" / "a1_forward" / "forward.py").read_text()
    source = re.sub(r"^\s*# (BEGIN|END) SOLUTION.*\n", "", source, flags=re.M)
    for old, new in BUGS.items():
        assert old in source, old
        source = source.replace(old, new)
    (tmp_path / "forward.py").write_text(source)
    return pytest_output(tmp_path)


@pytest.mark.e2e
def test_failures_print_the_feedback_alone(course, tmp_path):
    output = run_public_tests(course, tmp_path)
    sections = failures(output, "test_recorded_case")
    assert len(sections) >= 4, output
    for section in sections:
        assert_feedback_alone(section, 22)
    assert "likely cause: the bias b is never added" in output
    assert "likely cause: computed along the wrong axis: each column is treated as one example" in output
    assert "modified its argument z in place" in output
    assert "mlp_forward: wrong values in zs[0]" in output
    # test ids are readable text: pytest escapes every non-ASCII character of an id (→ as \u2192)
    assert "test_recorded_case[affine_forward: 4 rows, 3 -> 2]" in output and "\\u" not in output, output
    assert re.search(r"^=+ \d+ failed, \d+ passed in [\d.]+s =+$", output.strip().splitlines()[-1]), output


#: a4's own public tests against two of its mutants: the test that fails, and the likely cause it must name
A4_BUGS = {"train_no_zero_grad": ("test_train_epoch_is_sgd_per_minibatch", "optimizer.zero_grad() is not called"),
           "model_log_softmax_output": ("test_DigitsCNN_parameters_and_logits", "forward returns log-probabilities")}


@pytest.mark.e2e
@pytest.mark.needs_torch
@pytest.mark.parametrize("mutant", sorted(A4_BUGS))
def test_a4_public_tests_print_the_same_feedback_and_cause_as_the_grader(course, tmp_path, mutant):
    """Issue 22: a4's public tests printed pytest's tracebacks and tensor dumps (208 lines for 6 failures) and
    never named a missing zero_grad."""
    from autograder.authoring.mutants import load_mutant, write_mutant_submission
    from autograder.check import likely_cause

    assignment = course.assignment("a4_pytorch")
    starter(assignment, tmp_path)
    write_mutant_submission(assignment, load_mutant(assignment.mutants_dir / f"{mutant}.py"), tmp_path)
    output = pytest_output(tmp_path)
    test, cause = A4_BUGS[mutant]
    sections = failures(output, test)
    assert sections, output
    for section in sections:
        assert_feedback_alone(section, 25)
        assert (likely_cause(section) or "").startswith(cause), section
    assert "skipped" not in output and re.search(r"^=+ \d+ failed, \d+ passed in", output.splitlines()[-1]), output


def test_no_test_module_without_cases_is_shipped(course):
    """a4 records no public cases: its starter has no tests/test_public.py to show as skipped (cases.json stays: it
    names the student's modules for the notebook's checks); a1's has one."""
    from autograder.authoring.build import recorded_case_files

    assert recorded_case_files({"cases": []}) == {}
    assert "tests/test_public.py" in recorded_case_files({"cases": [{"name": "sigmoid"}]})
    assert not (course.assignment("a4_pytorch").starter_dir / "tests" / "test_public.py").exists()
    assert (course.assignment("a1_forward").starter_dir / "tests" / "test_public.py").is_file()


@pytest.mark.e2e
@pytest.mark.parametrize("mutant", [None, "output_delta_catch_all_else"], ids=["solution", "catch-all else"])
def test_a2_public_tests_ask_output_delta_for_its_value_error(course, tmp_path, mutant):
    """Issue 31: a2's public cases never exercised output_delta's ValueError, so a catch-all ``else`` passed locally
    and lost points on Gradescope. Its own public test now fails it, with what to raise, and passes the solution."""
    import shutil

    from autograder.authoring.mutants import load_mutant, write_mutant_submission

    assignment = course.assignment("a2_backprop")
    starter(assignment, tmp_path)
    if mutant is None:
        shutil.copy(ROOT / "solutions" / "a2_backprop" / "backprop.py", tmp_path / "backprop.py")
    else:
        write_mutant_submission(assignment, load_mutant(assignment.mutants_dir / f"{mutant}.py"), tmp_path)
    done = subprocess.run([sys.executable, "-m", "pytest", "tests", "-p", "no:cacheprovider", "-k", "output_delta"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=300)
    sections = failures(done.stdout, "test_output_delta_rejects_unsupported_pairs")
    assert len(sections) == (0 if mutant is None else 5), done.stdout
    for section in sections:
        assert_feedback_alone(section, 6)
        assert "should raise ValueError" in section, section
