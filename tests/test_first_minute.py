"""Errors a student makes in the first minute, read as theirs (issue 31, points 2 and 3): a file that does not import
is one line once per public-test run; a backward that returns the wrong number of gradients is named as that; a cell
run before the one defining its names says so; inputs are named as the code the student writes names them."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from autograder import protocol
from autograder.grading.student import Session

ROOT = Path(__file__).resolve().parent.parent
TOO_FEW = "function Conv2dFunctionBackward returned an incorrect number of gradients (expected 5, got 3)"


def starter(tmp_path, assignment_id, solution=False):
    folder = tmp_path / assignment_id
    shutil.copytree(ROOT / "starter" / assignment_id, folder)
    if solution:
        for path in (ROOT / "solutions" / assignment_id).glob("*.py"):
            shutil.copy(path, folder / path.name)
    return folder


def public_tests(folder, *args):
    done = subprocess.run([sys.executable, "-m", "pytest", "tests", "-p", "no:cacheprovider", *args], cwd=folder,
                          capture_output=True, text=True, timeout=300, check=False)
    return done.stdout + done.stderr


@pytest.mark.needs_torch
def test_a_wrong_number_of_gradients_names_forwards_inputs_and_the_nones():
    torch = pytest.importorskip("torch")
    t = torch.zeros(1)
    inputs = {"x": t, "weight": t, "bias": None, "stride": 1, "padding": 0}
    assert protocol.gradient_count(TOO_FEW, inputs) == (
        "Conv2dFunction.backward returns 3 gradients; it must return one per input of forward "
        "(x, weight, bias, stride, padding), 5 in all, in that order, None for stride and padding "
        "(and for bias when it is None)")
    assert protocol.gradient_count("RuntimeError: shapes do not match", inputs) is None
    explained = Session._explain("Conv2dFunction.apply", {"type": "RuntimeError", "message": TOO_FEW,
                                                           "traceback": 'File "torch/autograd/graph.py"'}, inputs)
    assert "likely cause: Conv2dFunction.backward returns 3 gradients" in explained and "torch/" not in explained


@pytest.mark.needs_torch
def test_apply_and_a_modules_call_take_forwards_parameter_names():
    torch = pytest.importorskip("torch")

    class Double(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x, scale):
            return 2 * x

    class Layer(torch.nn.Module):
        def forward(self, x):
            return x

    found = {"Double": Double, "Layer": Layer}.__getitem__
    assert list(protocol.call_signature("Double.apply", found).parameters) == ["x", "scale"]  # not args, kwargs
    assert list(protocol.call_signature("Layer.__call__", found).parameters) == ["x"]  # not self


def test_a_cell_run_before_the_cell_defining_its_names_says_so(tmp_path):
    folder = starter(tmp_path, "a1_forward")
    script = ("import sys\nsys.path.insert(0, 'tests')\nfrom _nnhw_notebook import your_code\n"
              "with your_code():\n    half_moons.shape\n")
    out = subprocess.run([sys.executable, "-c", script], cwd=folder, capture_output=True, text=True, timeout=60,
                         check=True).stdout
    assert out.startswith("· this cell stopped: name 'half_moons' is not defined: it is defined in an earlier cell")
    assert "run the cells above first" in out and "one of your functions" not in out


@pytest.mark.e2e
def test_a_file_that_does_not_compile_is_one_line_once_per_public_test_run(tmp_path):
    folder = starter(tmp_path, "a2_backprop")
    (folder / "backprop.py").write_text((folder / "backprop.py").read_text() + "x = (1))\n")
    out = public_tests(folder)
    line = "✗ backprop.py does not import: SyntaxError: unmatched ')' (line "
    # once in the report; pytest's closing summary may repeat it after "ERROR <file> - " where the terminal is wide
    assert [text for text in out.splitlines() if text.startswith(line)] and \
        sum(text.startswith(line) for text in out.splitlines()) == 1, out
    assert "importlib" not in out and "Traceback" not in out, out
    assert "fix that first: no public test runs until it imports" in out and "1 error" in out, out


@pytest.mark.e2e
@pytest.mark.needs_torch
def test_a_backward_returning_too_few_gradients_is_named_in_the_public_tests(tmp_path):
    folder = starter(tmp_path, "a3_cnn", solution=True)
    code = (folder / "gpu_conv.py").read_text()
    (folder / "gpu_conv.py").write_text(code.replace("return dx, dw, db, None, None", "return dx, dw, db"))
    out = public_tests(folder, "-k", "Conv2dFunction and float64 and 3x3", "-x")
    assert ("likely cause: Conv2dFunction.backward returns 3 gradients; it must return one per input of forward "
            "(x, weight, bias, stride, padding), 5 in all, in that order, None for stride and padding") in out, out
    assert "torch/autograd" not in out and "expected: dict" not in out and "  stride = (1, 1)" in out, out


@pytest.mark.e2e
@pytest.mark.needs_torch
def test_a_layer_is_shown_with_its_constructor_arguments_and_its_output_named_so(tmp_path):
    folder = starter(tmp_path, "a3_cnn", solution=True)
    code = (folder / "gpu_conv.py").read_text()
    (folder / "gpu_conv.py").write_text(code.replace("self.stride, self.padding)", "self.stride)"))
    out = public_tests(folder, "-k", "Conv2d and parameters and padding")
    assert "Conv2d: the output has shape (2, 4, 3, 3), expected (2, 4, 5, 5)" in out, out
    assert "  kernel_size = 3\n  padding = 1" in out and "parameter output" not in out and "self =" not in out, out
