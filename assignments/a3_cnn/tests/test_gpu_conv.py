"""Graded properties of assignment 3, part 2 (gpu_conv.py, torch). Each test's first docstring line is its title.

Torch is the judge: the student's conv2d / Conv2dFunction / Conv2d run in the worker, torch's
own convolution (F.conv2d, nn.Conv2d, autograd through them; cuDNN on a GPU) runs here in the
grader, on the same inputs. float64 on the CPU checks the mathematics (and gradcheck the
backward pass); float32 checks that dtype and device are kept; the CUDA cases compare float32
with cuDNN (TF32 off), live where the grader has a GPU and from recordings where it has not.
"""

import math
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from hypothesis import given
from hypothesis import strategies as st

from autograder.check import Check, Mismatch
from autograder.config import load_config
from autograder.diagnosis import Diagnoser, none_gradient
from autograder.grading.student import StudentCodeAbort, StudentCodeError
from autograder.kit import cuda
from autograder.kit import strategies as nst
from autograder.kit.experiment import LiveLab, causes_of
from autograder.kit.judge import modified_in_place
from autograder.kit.static import forbidden_uses

ASSIGNMENT_DIR = Path(__file__).resolve().parent.parent
IM2COL = ("cols = unfold(x) is (N, C·FH·FW, L);  out = weight.reshape(K, −1) @ cols + bias, reshaped to "
          "(N, K, H_out, W_out)")
BACKWARD = ("dx = fold(weight.reshape(K, −1)ᵀ @ dout_cols);  dw = Σ_n dout_cols @ colsᵀ;  "
            "db = dout summed over batch and positions")


def pair(value):
    return (value, value) if isinstance(value, int) else tuple(value)


# ---------------------------------------------------------------------------------------
# Tolerances
# ---------------------------------------------------------------------------------------
# Every number a conv layer computes is a sum of n products a_i·b_i: n = C·FH·FW (+1 for the
# bias) for an output, at most K·⌈FH/sh⌉·⌈FW/sw⌉ for dx, N·H_out·W_out for dw and db. Two
# correct implementations add these products in different orders (cuDNN's implicit GEMM,
# Winograd or FFT kernels; one CPU matmul; the student's unfold + matmul), so their results
# differ by rounding. Summing n products in floating point errs by at most n·u·Σ|a_i·b_i|
# (u = 2⁻²⁴ in float32, 2⁻⁵³ in float64), and in practice by about √n·u·Σ|a_i·b_i| (rounding
# errors mostly cancel: Higham & Mary 2019 bound it by λ·√n·u·Σ|a_i·b_i| with high probability
# for a small constant λ). We allow 2 · min(n, 16·√n) · u · max Σ|a_i·b_i|: the factor 2 for
# the two sides' errors, the worst-case n for short sums and a generous λ = 16 for long ones
# (Winograd and FFT round more than a plain sum), and Σ|a_i·b_i| computed exactly (float64)
# from |x|, |w| and |dout| at its largest over the result. That is far below what a bug costs:
# a missing or misplaced product moves a result by about Σ|a_i·b_i| / n, which for n ≥ 16 is
# still ≥ 8x the tolerance in float32 and ~10⁸x in float64.
UNIT_ROUNDOFF = {torch.float32: 2.0 ** -24, torch.float64: 2.0 ** -53}


def _allowance(n, magnitude, dtype):
    return 2 * min(n, 16 * math.sqrt(n)) * UNIT_ROUNDOFF[dtype] * magnitude


def tolerances(x, weight, bias, stride, padding, dout=None):
    """atol for the output and, given dout, for dx, dw and db (see above)."""
    (sh, sw), (ph, pw) = pair(stride), pair(padding)
    N, C = x.shape[:2]
    K, _, FH, FW = weight.shape
    ax, aw = x.detach().abs().double().cpu(), weight.detach().abs().double().cpu()
    ab = bias.detach().abs().double().cpu() if bias is not None else None
    dtype = x.dtype if x.dtype in UNIT_ROUNDOFF else torch.float32
    with torch.enable_grad():
        ax.requires_grad_()
        aw.requires_grad_()
        magnitude = F.conv2d(ax, aw, ab, stride=(sh, sw), padding=(ph, pw))
        atol = {"out": _allowance(C * FH * FW + 1, magnitude.max().item(), dtype)}
        if dout is not None:
            adout = dout.detach().abs().double().cpu()
            magnitude.backward(adout)  # Σ|dout|·|w| into ax.grad, Σ|dout|·|x| into aw.grad
            H_out, W_out = adout.shape[2:]
            positions = N * H_out * W_out
            atol["dx"] = _allowance(K * -(-FH // sh) * -(-FW // sw), ax.grad.max().item(), dtype)
            atol["dw"] = _allowance(positions, aw.grad.max().item(), dtype)
            atol["db"] = _allowance(positions, adout.sum(dim=(0, 2, 3)).max().item(), dtype)
    return atol


def compare(function, inputs, got, expected, atol, what, formula=IM2COL, lab=None, path=()):
    """Shape, dtype, device, then |got − expected| ≤ atol; a dtype promoted is named as the likely cause, and
    where ``lab`` (a callable that builds a :class:`~autograder.kit.experiment.LiveLab`) is given, a known bug
    that a second call of the student's code, on other inputs, confirms. ``path`` locates ``got`` and
    ``expected`` inside the lab's whole answer."""
    Check(function, inputs, formula, rtol=0.0, atol=max(atol, 1e-300), diagnose=Diagnoser(lab)).matches(
        got, expected, what=what, path=path)


# ---------------------------------------------------------------------------------------
# strategies
# ---------------------------------------------------------------------------------------


def _int_or_pair(draw, values, label):
    if draw(st.booleans(), label=f"{label} as a pair"):
        return (draw(values, label=f"{label}[0]"), draw(values, label=f"{label}[1]"))
    return draw(values, label=label)


@st.composite
def conv2d_layers(draw, max_n=3, max_c=3, max_k=4, max_side=9, bias=None):
    """A layer for conv2d: x, weight, bias (or None), stride and padding (ints or pairs), dout."""
    N, C, K = (draw(st.integers(1, max_n), label="N"), draw(st.integers(1, max_c), label="C"),
               draw(st.integers(1, max_k), label="K"))
    H, W = draw(st.integers(1, max_side), label="H"), draw(st.integers(1, max_side), label="W")
    padding = _int_or_pair(draw, st.integers(0, 2), "padding")
    stride = _int_or_pair(draw, st.integers(1, 4), "stride")
    (ph, pw), (sh, sw) = pair(padding), pair(stride)
    FH = draw(st.one_of(st.integers(1, min(5, H + 2 * ph)), st.just(H + 2 * ph)), label="FH")
    FW = draw(st.one_of(st.integers(1, min(5, W + 2 * pw)), st.just(W + 2 * pw)), label="FW")
    with_bias = draw(st.booleans(), label="bias") if bias is None else bias
    H_out, W_out = (H + 2 * ph - FH) // sh + 1, (W + 2 * pw - FW) // sw + 1
    return {
        "x": draw(nst.dense_arrays((N, C, H, W)), label="x"),
        "weight": draw(nst.dense_arrays((K, C, FH, FW)), label="weight"),
        "bias": draw(nst.dense_arrays((K,)), label="bias") if with_bias else None,
        "stride": stride,
        "padding": padding,
        "dout": draw(nst.dense_arrays((N, K, H_out, W_out)), label="dout"),
    }


def tensors(layer, dtype):
    """The layer's arrays as CPU tensors of ``dtype`` (None stays None)."""
    def convert(a):
        return None if a is None else torch.from_numpy(a).to(dtype)

    return {k: convert(v) if isinstance(v, np.ndarray) or v is None else v for k, v in layer.items()}


def shown(layer):
    return {k: layer[k] for k in ("x", "weight", "bias", "stride", "padding")}


def torch_forward_backward(layer, wrt):
    """Torch's output and the grads of the arguments in ``wrt`` (0 = x, 1 = weight, 2 = bias)."""
    leaves = [layer["x"].clone().requires_grad_(0 in wrt), layer["weight"].clone().requires_grad_(1 in wrt),
              None if layer["bias"] is None else layer["bias"].clone().requires_grad_(2 in wrt)]
    out = F.conv2d(*leaves, stride=layer["stride"], padding=layer["padding"])
    grads = torch.autograd.grad(out, [leaves[i] for i in wrt], layer["dout"])
    return out.detach(), list(grads)


def check_grads(function, inputs, grads, expected, wrt, atol, formula=BACKWARD, lab=None):
    """The gradients of ``wrt`` against torch's; ``lab``, where given, builds the experiment whose answer is the
    tuple of gradients (see :func:`gradient_lab`)."""
    names = {0: ("dx", "x"), 1: ("dw", "weight"), 2: ("db", "bias")}
    if not isinstance(grads, (list, tuple)) or len(grads) != len(wrt):
        Check(function, inputs, formula).fail(f"backward gave {grads!r} instead of one gradient per input")
    for i, (index, got, want) in enumerate(zip(wrt, grads, expected)):
        short, name = names[index]
        if got is None:
            Check(function, inputs, formula).fail(
                f"the gradient of {name} ({short}) is None", diagnosis=none_gradient(name))
        compare(function, inputs, got, want, atol[short], f"{short} (∂L/∂{name}, compared with torch autograd)",
                formula, lab, (i,))


# ---------------------------------------------------------------------------------------
# static check
# ---------------------------------------------------------------------------------------


def test_conv2d_no_forbidden_api(student, student_sources):
    """conv2d: built from unfold/fold and matrix products — gpu_conv.py names no torch convolution and no autograd in the backward (static check)"""
    forbidden = load_config(ASSIGNMENT_DIR / "assignment.toml").forbidden
    generator = torch.Generator().manual_seed(0)
    x, weight = torch.randn(1, 2, 4, 4, generator=generator, dtype=torch.float64), \
        torch.randn(3, 2, 3, 3, generator=generator, dtype=torch.float64)
    student.call("conv2d", x, weight)  # the layer must exist before its source can earn a point
    found = forbidden_uses(student_sources.get("gpu_conv.py", ""), forbidden.names, "gpu_conv.py")
    if found:
        lines = "\n".join(f"  gpu_conv.py line {line}: {what}" for line, what in found)
        Check("conv2d").fail("gpu_conv.py uses what this assignment does not allow:", lines,
                             f"{', '.join(sorted({what for _, what in found}))}: {forbidden.reason}")


# ---------------------------------------------------------------------------------------
# conv2d
# ---------------------------------------------------------------------------------------


@given(layer=conv2d_layers())
def test_conv2d_float64_matches_torch(student, layer):
    """conv2d: float64 on the CPU matches torch's F.conv2d (stride and padding as ints or pairs, with and without bias)"""
    t = tensors(layer, torch.float64)
    got = student.call("conv2d", t["x"], t["weight"], t["bias"], stride=t["stride"], padding=t["padding"])
    if student.mutated:
        modified_in_place(Check("conv2d", shown(t)), student.mutated, list(shown(t)))
    expected = F.conv2d(t["x"], t["weight"], t["bias"], stride=t["stride"], padding=t["padding"])
    atol = tolerances(t["x"], t["weight"], t["bias"], t["stride"], t["padding"])
    compare("conv2d", shown(t), got, expected, atol["out"], "the result (compared with F.conv2d)")


@given(layer=conv2d_layers())
def test_conv2d_float32_keeps_dtype_and_device(student, layer):
    """conv2d: float32 in, float32 out on the input's device, matching F.conv2d (never through numpy or float64)"""
    t = tensors(layer, torch.float32)
    got = student.call("conv2d", t["x"], t["weight"], t["bias"], stride=t["stride"], padding=t["padding"])
    expected = F.conv2d(t["x"], t["weight"], t["bias"], stride=t["stride"], padding=t["padding"])
    atol = tolerances(t["x"], t["weight"], t["bias"], t["stride"], t["padding"])
    compare("conv2d", shown(t), got, expected, atol["out"],
            "the result of float32 inputs (compared with F.conv2d in float32)",
            IM2COL + "; create new tensors from the inputs so they keep dtype and device")


# ---------------------------------------------------------------------------------------
# Conv2dFunction
# ---------------------------------------------------------------------------------------


def _function_backward(student, reference, layer, dtype):
    t = tensors(layer, dtype)
    wrt = [0, 1] if t["bias"] is None else [0, 1, 2]
    out, grads = student.call_with_grad("Conv2dFunction.apply", t["x"], t["weight"], t["bias"], pair(t["stride"]),
                                        pair(t["padding"]), wrt=wrt, grad_output=t["dout"])
    expected, expected_grads = torch_forward_backward(t, wrt)
    atol = tolerances(t["x"], t["weight"], t["bias"], t["stride"], t["padding"], t["dout"])
    inputs = {**shown(t), "dout": t["dout"]}
    compare("Conv2dFunction", inputs, out, expected, atol["out"], "the forward result (compared with F.conv2d)")
    check_grads("Conv2dFunction", inputs, grads, expected_grads, wrt, atol, lab=gradient_lab(student, reference, t))


def gradient_lab(student, reference, t):
    """A callable that builds the experiment on Conv2dFunction's gradients: its answer is the tuple (dx, dw[, db])
    of ``Conv2dFunction.apply(x, weight, bias, stride, padding)`` for ``grad_output = dout``, the student's
    computed again in the worker (through its autograd Function), on the probes of the assignment's causes.py;
    the right one by torch autograd through F.conv2d. Only a float64 answer can confirm a cause: the experiment
    compares within 1e−6 relative, which two float32 summation orders do not meet."""
    causes = causes_of(reference)
    names = ["x", "weight", "bias", "dout", "stride", "padding"]

    def run_student(x, weight, bias, dout, stride, padding):
        wrt = [0, 1] if bias is None else [0, 1, 2]
        _, grads = student.call_with_grad("Conv2dFunction.apply", x, weight, bias, pair(stride), pair(padding),
                                          wrt=wrt, grad_output=dout)
        return tuple(grads) if isinstance(grads, (list, tuple)) else grads

    def right(x, weight, bias, dout, stride, padding):
        layer = {"x": x, "weight": weight, "bias": bias, "dout": dout, "stride": stride, "padding": padding}
        return tuple(torch_forward_backward(layer, [0, 1] if bias is None else [0, 1, 2])[1])

    args = [t["x"], t["weight"], t["bias"], t["dout"], t["stride"], t["padding"]]
    if t["x"].dtype != torch.float64:
        return None
    return lambda: LiveLab(run_student, reference, right, args, {}, names, causes.bugs("Conv2dFunction"),
                           causes.probes("Conv2dFunction"))


@given(layer=conv2d_layers())
def test_Conv2dFunction_backward_matches_torch(student, reference, layer):
    """Conv2dFunction: backward gives the dx, dw, db of torch autograd through F.conv2d (float64, with and without bias)"""
    _function_backward(student, reference, layer, torch.float64)


@given(layer=conv2d_layers())
def test_Conv2dFunction_float32_backward(student, reference, layer):
    """Conv2dFunction: float32 output and gradients keep dtype and device and match torch autograd"""
    _function_backward(student, reference, layer, torch.float32)


def remote_function(student, stride, padding, with_bias):
    """A torch.autograd.Function in the grader whose forward and backward are the student's
    Conv2dFunction, run in the worker: gradcheck sees the student's backward, the student's code
    never runs here."""

    def args(x, weight, bias):
        return x.detach(), weight.detach(), None if bias is None else bias.detach(), stride, padding

    class StudentConv2dFunction(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x, weight, bias):
            ctx.save_for_backward(x, weight, bias)
            return student.call("Conv2dFunction.apply", *args(x, weight, bias))

        @staticmethod
        def backward(ctx, dout):
            wrt = [0, 1, 2] if with_bias else [0, 1]
            _, grads = student.call_with_grad("Conv2dFunction.apply", *args(*ctx.saved_tensors), wrt=wrt,
                                              grad_output=dout.detach().contiguous())
            grads = list(grads) if isinstance(grads, (list, tuple)) else [grads]
            return tuple(grads + [None] * (3 - len(grads)))

    return StudentConv2dFunction.apply


@given(layer=conv2d_layers(max_n=2, max_c=2, max_k=2, max_side=5))
def test_Conv2dFunction_gradcheck(student, layer):
    """Conv2dFunction: passes torch.autograd.gradcheck in float64 (your backward against finite differences of your forward)"""
    t = tensors(layer, torch.float64)
    stride, padding = pair(t["stride"]), pair(t["padding"])
    function = remote_function(student, stride, padding, t["bias"] is not None)
    inputs = [t["x"].requires_grad_(), t["weight"].requires_grad_(),
              None if t["bias"] is None else t["bias"].requires_grad_()]
    try:
        torch.autograd.gradcheck(function, inputs, fast_mode=True)
    except (Mismatch, StudentCodeError, StudentCodeAbort):
        raise
    except Exception as exc:  # noqa: BLE001 - gradcheck's verdict (or torch refusing the gradients) is feedback
        text = str(exc).strip()
        Check("Conv2dFunction", shown(t), BACKWARD).fail(
            "torch.autograd.gradcheck rejects your backward pass: its gradients do not match finite differences "
            "of your forward (or have the wrong shape or dtype)", text[:3000])


# ---------------------------------------------------------------------------------------
# Conv2d
# ---------------------------------------------------------------------------------------


@given(layer=conv2d_layers())
def test_Conv2d_module_matches_nn_Conv2d(student, layer):
    """Conv2d: has nn.Conv2d's parameters (state_dicts load both ways) and matches its output and gradients (float32)"""
    t = tensors(layer, torch.float32)
    K, C, FH, FW = t["weight"].shape
    options = {"stride": t["stride"], "padding": t["padding"], "bias": t["bias"] is not None}
    inputs = {"Conv2d": f"Conv2d({C}, {K}, kernel_size={(FH, FW)}, "
                        + ", ".join(f"{k}={v!r}" for k, v in options.items()) + ")", **shown(t)}
    formula = "Conv2d(...)(x) == nn.Conv2d(...)(x) once both hold the same weight and bias"
    check = Check("Conv2d", inputs, formula)
    theirs = nn.Conv2d(C, K, (FH, FW), **options)
    with torch.no_grad():
        theirs.weight.copy_(t["weight"])
        if theirs.bias is not None:
            theirs.bias.copy_(t["bias"])

    module = student.new("Conv2d", C, K, (FH, FW), **options)
    fresh = module.call("state_dict")
    wanted = {k: tuple(v.shape) for k, v in theirs.state_dict().items()}
    have = {k: tuple(v.shape) for k, v in fresh.items()} if isinstance(fresh, dict) else fresh
    if have != wanted:
        swapped = isinstance(have, dict) and have.get("weight") == (C, K, FH, FW) != wanted["weight"]
        check.fail("its state_dict should have nn.Conv2d's parameters (names and shapes)",
                   f"expected {wanted}\ngot {have}", "weight is (in_channels, out_channels, FH, FW); nn.Conv2d's is "
                   "(out_channels, in_channels, FH, FW)" if swapped else None)
    try:
        nn.Conv2d(C, K, (FH, FW), **options).load_state_dict(fresh)
    except RuntimeError as exc:
        check.fail("nn.Conv2d cannot load its state_dict", str(exc))
    module.call("load_state_dict", {k: v.detach().clone() for k, v in theirs.state_dict().items()})

    out, grads, parameter_grads = module.call_with_grad(t["x"], wrt=[0], grad_output=t["dout"])
    x = t["x"].clone().requires_grad_()
    expected = theirs(x)
    expected.backward(t["dout"])
    atol = tolerances(t["x"], t["weight"], t["bias"], t["stride"], t["padding"], t["dout"])
    compare("Conv2d", inputs, out, expected.detach(), atol["out"], "the output (compared with nn.Conv2d)", formula)
    compare("Conv2d", inputs, grads[0] if grads else None, x.grad, atol["dx"],
            "∂L/∂x (compared with nn.Conv2d)", formula)
    expected_parameters = {name: p.grad for name, p in theirs.named_parameters()}
    if not isinstance(parameter_grads, dict) or sorted(parameter_grads) != sorted(expected_parameters):
        check.fail("its parameters should be exactly nn.Conv2d's (weight, and bias unless bias=False)",
                   f"got gradients for {sorted(parameter_grads or {})}")
    for name, want in expected_parameters.items():
        compare("Conv2d", inputs, parameter_grads[name], want, atol["dw" if name == "weight" else "db"],
                f"{name}.grad (compared with nn.Conv2d)", formula)


# ---------------------------------------------------------------------------------------
# CUDA: float32 against cuDNN with TF32 off (live on a GPU grader, recorded elsewhere)
# ---------------------------------------------------------------------------------------


def _cuda_inputs(case):
    x, weight, bias = case.args
    return {"case": case.name, "compared with": case.source, "x": x, "weight": weight, "bias": bias,
            **case.kwargs}


def test_conv2d_cuda_matches_cudnn(student):
    """conv2d: float32 on a CUDA GPU matches cuDNN, torch's GPU convolution, with TF32 off"""
    for case in cuda.cuda_cases(ASSIGNMENT_DIR, tag="conv2d"):
        x, weight, bias = case.args
        got = student.call("conv2d", x, weight, bias, **case.kwargs)
        atol = tolerances(x, weight, bias, case.kwargs["stride"], case.kwargs["padding"])
        compare("conv2d", _cuda_inputs(case), got, case.expected, atol["out"],
                f"the result on {case.device} (compared with cuDNN)")


def test_Conv2dFunction_cuda_backward_matches_cudnn(student):
    """Conv2dFunction: float32 output and dx, dw, db on a CUDA GPU match cuDNN's with TF32 off"""
    for case in cuda.cuda_cases(ASSIGNMENT_DIR, tag="Conv2dFunction"):
        x, weight, bias = case.args
        stride, padding = pair(case.kwargs["stride"]), pair(case.kwargs["padding"])
        out, grads = student.call_with_grad("Conv2dFunction.apply", x, weight, bias, stride, padding,
                                            wrt=list(case.wrt), grad_output=case.grad_output)
        atol = tolerances(x, weight, bias, stride, padding, case.grad_output)
        inputs = _cuda_inputs(case)
        compare("Conv2dFunction", inputs, out, case.expected, atol["out"],
                f"the forward result on {case.device} (compared with cuDNN)")
        check_grads("Conv2dFunction", inputs, grads, case.expected_grads, case.wrt, atol)


# ---------------------------------------------------------------------------------------
# Leaderboard: speed relative to torch's own convolution (no points)
# ---------------------------------------------------------------------------------------


def _best_time(function, repeat=5):
    """Best wall time of ``repeat`` calls after a warm-up, waiting for CUDA to finish each."""
    sync = torch.cuda.synchronize if torch.cuda.is_available() else (lambda: None)
    function()
    best = float("inf")
    for _ in range(repeat):
        sync()
        start = time.perf_counter()
        function()
        sync()
        best = min(best, time.perf_counter() - start)
    return best


def test_conv2d_speed_leaderboard(student, leaderboard):
    """conv2d: speed of your layer relative to torch's own convolution on the grader's device (leaderboard only, no points)"""
    device = "cuda" if torch.cuda.is_available() else "cpu"
    generator = torch.Generator().manual_seed(0)
    x = torch.randn(8, 32, 28, 28, generator=generator).to(device)
    weight = (torch.rand(32, 32, 3, 3, generator=generator) * 2 - 1).div_(math.sqrt(32 * 9)).to(device)
    bias = (torch.rand(32, generator=generator) * 2 - 1).div_(math.sqrt(32 * 9)).to(device)
    inputs = {"x": x, "weight": weight, "bias": bias, "stride": 1, "padding": 1}
    with cuda.tf32_off():
        expected = F.conv2d(x, weight, bias, stride=1, padding=1)
        got = student.call("conv2d", x, weight, bias, stride=1, padding=1)
        compare("conv2d", inputs, got, expected, tolerances(x, weight, bias, 1, 1)["out"],
                "the result (a wrong answer gets no leaderboard entry)")
        yours = student.time("conv2d", x, weight, bias, stride=1, padding=1, repeat=5)
        threads = torch.get_num_threads()
        torch.set_num_threads(1)  # the worker computes on one thread too (OMP_NUM_THREADS=1)
        try:
            theirs = _best_time(lambda: F.conv2d(x, weight, bias, stride=1, padding=1))
        finally:
            torch.set_num_threads(threads)
    leaderboard(f"conv2d time ÷ torch's ({device}; lower is better)", round(yours / theirs, 3), order="asc")
