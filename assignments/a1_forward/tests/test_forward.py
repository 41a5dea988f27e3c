"""Graded properties of assignment 1 (forward.py). Each test's first docstring line is its title."""

import numpy as np
import torch
from hypothesis import example, given
from hypothesis import strategies as st

from autograder.check import Formula
from autograder.kit import strategies as nst
from autograder.kit.judge import judge

SIGMOID = Formula("σ(z) = 1 / (1 + e^(−z))", "slides")
TANH = Formula("tanh(z) = (e^z − e^(−z)) / (e^z + e^(−z))", "slides")  # the slides' e^x read e^z
RELU = Formula("ReLU(z) = max(0, z)", "slides")
MSE = Formula("L = 1/(2m) Σ_i ‖y_i − ŷ_i‖²", "slides")  # the slides' BCE and CE lack the minus sign: not theirs
SOFTMAX = "softmax(z)_j = e^(z_j) / Σ_k e^(z_k), per row"
MLP_OUTPUTS = ("zs", "activations")


def torch_of(function):
    """A numpy-in, numpy-out torch function in float64: torch as a second judge."""
    return lambda *arrays: function(*(torch.from_numpy(np.array(a)) for a in arrays)).numpy()


@st.composite
def affine_inputs(draw):
    """``(h, W, b)``; W is square half the time, where h Wᵀ has the right shape and only the values differ."""
    m, d_in = draw(st.integers(1, 16)), draw(st.integers(1, 8))
    d_out = draw(st.one_of(st.just(d_in), st.integers(1, 8)))
    return draw(nst.arrays((m, d_in))), draw(nst.arrays((d_in, d_out))), draw(nst.arrays((d_out,)))


# a square, non-symmetric W: the one shape where z = h Wᵀ + b looks right but is not (any seed sees it)
@example(case=(np.array([[1.0, 2.0]]), np.array([[1.0, 2.0], [3.0, 4.0]]), np.array([0.5, -0.5])))
@given(case=affine_inputs())
def test_affine_forward_matches_reference(student, reference, case):
    """affine_forward: z = h W + b matches the reference (shape (m, d_out), float64)"""
    h, W, b = case
    judge(student, reference, "affine_forward", h, W, b, formula="z = h W + b",
          torch_judge=torch_of(lambda h, W, b: h @ W + b))


@given(z=nst.any_arrays())
def test_sigmoid_matches_reference(student, reference, z):
    """sigmoid: matches the reference and torch.sigmoid on random arrays of any shape"""
    judge(student, reference, "sigmoid", z, formula=SIGMOID, torch_judge=torch_of(torch.sigmoid))


@given(z=nst.any_arrays(nst.extreme_floats()))
def test_sigmoid_extreme_inputs(student, reference, z):
    """sigmoid: finite and correct for extreme inputs (±710, ±1000, ±1e300: no nan, no wrong 0 or 1)"""
    judge(student, reference, "sigmoid", z, formula=SIGMOID, torch_judge=torch_of(torch.sigmoid))


@given(z=nst.any_arrays())
def test_tanh_matches_reference(student, reference, z):
    """tanh: matches the reference and torch.tanh on random arrays of any shape"""
    judge(student, reference, "tanh", z, formula=TANH, torch_judge=torch_of(torch.tanh))


@given(z=nst.any_arrays(nst.extreme_floats()))
def test_tanh_extreme_inputs(student, reference, z):
    """tanh: finite and correct for extreme inputs (the slide's formula overflows past |z| = 710)"""
    judge(student, reference, "tanh", z, formula=TANH, torch_judge=torch_of(torch.tanh))


@given(z=nst.any_arrays(st.one_of(nst.floats(), st.sampled_from([0.0, -0.0]))))
def test_relu_matches_reference(student, reference, z):
    """relu: max(0, z) matches the reference and torch.relu, zeros included"""
    judge(student, reference, "relu", z, formula=RELU, torch_judge=torch_of(torch.relu))


@given(z=nst.matrices())
def test_softmax_matches_reference(student, reference, z):
    """softmax: each row matches the reference and torch.softmax(dim=-1)"""
    judge(student, reference, "softmax", z, formula=SOFTMAX,
          torch_judge=torch_of(lambda t: torch.softmax(t, dim=-1)))


@given(z=nst.matrices(elements=nst.extreme_floats()))
def test_softmax_extreme_inputs(student, reference, z):
    """softmax: finite rows summing to 1 for extreme logits (e.g. a row [1000, 1000])"""
    judge(student, reference, "softmax", z, formula=SOFTMAX + " (shift each row by its max first)",
          torch_judge=torch_of(lambda t: torch.softmax(t, dim=-1)))


def _torch_mlp(x, weights, biases, activation, output_activation):
    hidden = {"sigmoid": torch.sigmoid, "tanh": torch.tanh, "relu": torch.relu}[activation]
    last = {"identity": lambda t: t, "sigmoid": torch.sigmoid, "softmax": lambda t: torch.softmax(t, -1)}
    a, zs, activations = torch.from_numpy(x), [], [x]
    for i, (W, b) in enumerate(zip(weights, biases)):
        z = a @ torch.from_numpy(W) + torch.from_numpy(b)
        a = (last[output_activation] if i == len(weights) - 1 else hidden)(z)
        zs.append(z.numpy())
        activations.append(a.numpy())
    return zs, activations


@given(net=nst.networks(), activation=st.sampled_from(["sigmoid", "tanh", "relu"]))
def test_mlp_forward_matches_reference(student, reference, net, activation):
    """mlp_forward: every z^l and a^l of a random network (depth 1–4) matches the reference and torch"""
    args = (net["x"], net["weights"], net["biases"], activation, "identity")
    judge(student, reference, "mlp_forward", *args, formula="z^l = a^(l−1) W^l + b^l,  a^l = f(z^l),  a^0 = x",
          torch_judge=_torch_mlp, outputs=MLP_OUTPUTS)


@given(net=nst.networks(), activation=st.sampled_from(["sigmoid", "tanh", "relu"]),
       output_activation=st.sampled_from(["identity", "sigmoid", "softmax"]))
def test_mlp_forward_output_activations(student, reference, net, activation, output_activation):
    """mlp_forward: the last layer uses output_activation (identity, sigmoid, softmax), hidden ones activation"""
    args = (net["x"], net["weights"], net["biases"], activation, output_activation)
    judge(student, reference, "mlp_forward", *args, formula="a^L = output_activation(z^L)",
          torch_judge=_torch_mlp, outputs=MLP_OUTPUTS)


@given(dims=nst.dims(), data=st.data())
def test_mse_loss_matches_reference(student, reference, dims, data):
    """mse_loss: 1/(2m) Σ‖y − ŷ‖² matches the reference and torch (m = rows)"""
    y_hat, y = data.draw(nst.arrays(dims), label="y_hat"), data.draw(nst.arrays(dims), label="y")
    judge(student, reference, "mse_loss", y_hat, y, formula=MSE,
          torch_judge=torch_of(lambda p, t: torch.nn.functional.mse_loss(p, t, reduction="sum") / (2 * len(t))))


@given(dims=nst.dims(), data=st.data())
def test_binary_cross_entropy_matches_reference(student, reference, dims, data):
    """binary_cross_entropy: −1/m Σ[y log ŷ + (1−y) log(1−ŷ)] matches the reference and torch"""
    y_hat = data.draw(nst.probabilities(dims), label="y_hat")
    y = data.draw(st.one_of(nst.probabilities(dims), nst.arrays(dims, st.sampled_from([0.0, 1.0]))), label="y")
    judge(student, reference, "binary_cross_entropy", y_hat, y,
          formula="L = −1/m Σ [y log ŷ + (1 − y) log(1 − ŷ)]  (note the minus sign)",
          torch_judge=torch_of(lambda p, t: torch.nn.functional.binary_cross_entropy(p, t, reduction="sum")
                               / len(t)))


@given(dims=nst.dims(), data=st.data())
def test_cross_entropy_matches_reference(student, reference, dims, data):
    """cross_entropy: −1/m Σ y log ŷ with one-hot y matches the reference and torch"""
    y_hat = data.draw(nst.probability_rows(*dims), label="y_hat")
    y = data.draw(nst.one_hot(*dims), label="y")
    judge(student, reference, "cross_entropy", y_hat, y, formula="L = −1/m Σ_i Σ_j y_ij log ŷ_ij",
          torch_judge=torch_of(lambda p, t: torch.nn.functional.nll_loss(torch.log(p), t.argmax(1),
                                                                         reduction="sum") / len(t)))


@given(dims=nst.dims(), data=st.data())
def test_cross_entropy_confident_predictions(student, reference, dims, data):
    """cross_entropy: stays finite when ŷ is exactly 0 for classes the label rules out"""
    y = data.draw(nst.one_hot(*dims), label="y")
    y_hat = np.where(y > 0, 1.0, 0.0)
    judge(student, reference, "cross_entropy", y_hat, y, formula="L = −1/m Σ y log ŷ, with 0 · log 0 = 0")
