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


def run_public_tests(course, tmp_path):
    assignment = course.assignment("a1_forward")
    for path, data in starter_tree(assignment).items():
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_bytes(data)
    source = (ROOT / "solutions" / "a1_forward" / "forward.py").read_text()
    source = re.sub(r"^\s*# (BEGIN|END) SOLUTION.*\n", "", source, flags=re.M)
    for old, new in BUGS.items():
        assert old in source, old
        source = source.replace(old, new)
    (tmp_path / "forward.py").write_text(source)
    done = subprocess.run([sys.executable, "-m", "pytest", "tests", "-p", "no:cacheprovider"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=300)
    return done.stdout


@pytest.mark.e2e
def test_failures_print_the_feedback_alone(course, tmp_path):
    output = run_public_tests(course, tmp_path)
    sections = re.split(r"^_{3,} test_recorded_case\[.*\] _{3,}$", output.split("short test summary info")[0],
                        flags=re.M)[1:]
    assert len(sections) >= 4, output
    for section in sections:
        lines = section.strip().splitlines()
        assert len(lines) <= 22, section
        assert "Traceback" not in section and "During handling" not in section and "def test_" not in section
        assert not any(line.startswith(("E ", ">   ")) for line in lines), section
    assert "likely cause: b is missing" in output
    assert "likely cause: normalised over axis 0" in output
    assert "modified its argument z in place" in output
    assert "mlp_forward: wrong values in zs[0]" in output
    # test ids are readable text: pytest escapes every non-ASCII character of an id (→ as \u2192)
    assert "test_recorded_case[affine_forward: 4 rows, 3 -> 2]" in output and "\\u" not in output, output
    assert re.search(r"^=+ \d+ failed, \d+ passed in [\d.]+s =+$", output.strip().splitlines()[-1]), output
