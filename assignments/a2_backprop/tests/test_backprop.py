"""Graded properties of assignment 2 (backprop.py). Each test's first docstring line is its title.

Three judges for every gradient: the reference solution, torch autograd of the batch-mean loss
(float64, CPU) and, grader side, central differences of the reference loss. The student's
functions run in the worker; torch and the numerical gradients never do.
"""

import copy

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import example, given
from hypothesis import strategies as st

from autograder.check import Check, Formula, describe
from autograder.diagnosis import Diagnoser
from autograder.grading.student import StudentCodeError, _named_inputs
from autograder.kit import strategies as nst
from autograder.kit.experiment import LiveLab, causes_of
from autograder.kit.gradcheck import match_numeric, numeric_check, numeric_gradient
from autograder.kit.judge import judge, judge_raises, modified_in_place, prepare

# The tensors here are tiny: torch's thread pool only adds overhead (10x on a busy 2-core machine).
torch.set_num_threads(1)

HIDDEN = ("sigmoid", "tanh", "relu")
PAIRS = (("identity", "mse"), ("sigmoid", "mse"), ("sigmoid", "bce"), ("softmax", "ce"))
UNSUPPORTED = (("identity", "bce"), ("identity", "ce"), ("sigmoid", "ce"), ("softmax", "mse"), ("softmax", "bce"),
               ("relu", "mse"), ("tanh", "bce"), ("sigmoid", "hinge"), ("identity", "mae"))

SIGMOID_PRIME = "σ′(z) = σ(z)(1 − σ(z))"
TANH_PRIME = "tanh′(z) = 1 − tanh(z)²"
RELU_PRIME = "relu′(z) = 1 for z > 0, 0 for z ≤ 0 (relu′(0) = 0 by definition)"
LOSS_GRAD = {
    "mse": "L = 1/(2m) Σ‖y − ŷ‖²,  ∂L/∂ŷ = (ŷ − y)/m",
    "bce": "L = −1/m Σ [y log ŷ + (1 − y) log(1 − ŷ)],  ∂L/∂ŷ = −(y/ŷ − (1 − y)/(1 − ŷ))/m",
    "ce": "L = −1/m Σ y log ŷ,  ∂L/∂ŷ = −y/(m ŷ)",
}
DELTA_L = {
    ("identity", "mse"): "δ^L = ∂L/∂ŷ ⊙ f′(z^L) = (ŷ − y)/m  (identity: f′ = 1)",
    ("sigmoid", "mse"): "δ^L = ∂L/∂ŷ ⊙ f′(z^L) = (ŷ − y)/m ⊙ σ′(z^L)",
    ("sigmoid", "bce"): "δ^L = ∂L/∂ŷ ⊙ σ′(z^L) = (ŷ − y)/m  (σ′ = ŷ(1 − ŷ) cancels the denominator)",
    ("softmax", "ce"): "δ^L_j = Σ_k ∂L/∂ŷ_k ∂ŷ_k/∂z_j = (ŷ − y)/m  (keep the sum over k: softmax mixes the units)",
}
BACKPROP = "δ^l = (δ^{l+1} W^{l+1 T}) ⊙ f′(z^l) for l = L−1, …, 1, starting from δ^L = delta_L; return [δ^1, …, δ^L]"
GRADIENTS = "dW^l = a^{l−1 T} δ^l (the shape of W^l),  db^l = Σ_rows δ^l (the shape of b^l)"
SGD = Formula("θ ← θ − η ∇θL:  W^l − lr·dW^l,  b^l − lr·db^l", "slides")  # the slides' gradient descent step
TRAIN = ("each epoch, minibatches of batch_size rows in order (the last may be shorter): mlp_forward → "
         "losses.append(loss before the step) → output_delta → backprop_deltas → parameter_gradients → sgd_step")
TRAIN_NOTE = ("note: train_mlp calls your own output_delta, backprop_deltas, parameter_gradients and sgd_step; "
              "make their tests pass first")



# ---------------------------------------------------------------------------------------
# Feedback helpers
# ---------------------------------------------------------------------------------------


def Explained(function, inputs, formula, context=(), **options):
    """A check that adds context (shapes, which layers are already right) to every failure."""
    return Check(function, inputs, formula, context=context, **options)


def _network_shapes(weights, zs):
    m = zs[0].shape[0]
    layers = " | ".join(f"W^{l} {W.shape}, z^{l} {z.shape}" for l, (W, z) in enumerate(zip(weights, zs), start=1))
    return f"shapes (m = {m}): {layers}; δ^l has the shape of z^l"


# ---------------------------------------------------------------------------------------
# Torch (second judge) and central differences (third judge), both grader side
# ---------------------------------------------------------------------------------------

TORCH_HIDDEN = {"sigmoid": torch.sigmoid, "tanh": torch.tanh, "relu": torch.relu}


def _t(array):
    return torch.from_numpy(np.array(array, dtype=np.float64))


def _autograd_prime(function):
    """f′(z) elementwise as torch autograd computes it: the gradient of Σ f(z)."""
    def derivative(z):
        t = _t(z).requires_grad_(True)
        function(t).sum().backward()
        return t.grad.numpy()
    return derivative


def _torch_contract_loss(loss, y_hat, y):
    """The contract's batch-mean losses, written as the handout writes them (ŷ strictly inside the domain)."""
    m = y.shape[0]
    if loss == "mse":
        return ((y - y_hat) ** 2).sum() / (2 * m)
    if loss == "bce":
        return -(y * torch.log(y_hat) + (1 - y) * torch.log(1 - y_hat)).sum() / m
    return -(y * torch.log(y_hat)).sum() / m


def _torch_loss_of_logits(z_L, y, output_activation, loss):
    """The same batch-mean losses as functions of z^L, in torch's numerically stable forms."""
    m = y.shape[0]
    if (output_activation, loss) == ("identity", "mse"):
        return ((y - z_L) ** 2).sum() / (2 * m)
    if (output_activation, loss) == ("sigmoid", "mse"):
        return ((y - torch.sigmoid(z_L)) ** 2).sum() / (2 * m)
    if (output_activation, loss) == ("sigmoid", "bce"):
        return F.binary_cross_entropy_with_logits(z_L, y, reduction="sum") / m
    return -(y * torch.log_softmax(z_L, dim=-1)).sum() / m


def _torch_backward(x, weights, biases, activation, output_activation, loss, y, zs):
    """Autograd through the whole network: (δ^l = z^l.grad, dW^l, db^l), or None where torch's forward pass
    puts a ReLU input on the other side of 0 than numpy's (then the two derivatives legitimately differ)."""
    a, z_tensors, W_tensors, b_tensors = _t(x), [], [], []
    for i, (W, b) in enumerate(zip(weights, biases)):
        W_t, b_t = _t(W).requires_grad_(True), _t(b).requires_grad_(True)
        z = a @ W_t + b_t
        z.retain_grad()
        if i < len(weights) - 1:
            if activation == "relu" and not np.array_equal(z.detach().numpy() > 0, zs[i] > 0):
                return None
            a = TORCH_HIDDEN[activation](z)
        z_tensors.append(z)
        W_tensors.append(W_t)
        b_tensors.append(b_t)
    _torch_loss_of_logits(z_tensors[-1], _t(y), output_activation, loss).backward()
    return ([z.grad.numpy() for z in z_tensors], [W.grad.numpy() for W in W_tensors],
            [b.grad.numpy() for b in b_tensors])


class Network:
    """The reference forward pass and loss, run from any layer on; the numerical-gradient side."""

    def __init__(self, reference, weights, biases, activation, output_activation, loss, y):
        self.weights, self.biases = weights, biases
        self.activation, self.output_activation, self.loss, self.y = activation, output_activation, loss, y
        self.hidden = {"sigmoid": reference.sigmoid, "tanh": reference.tanh, "relu": reference.relu}[activation]
        self.output = {"identity": lambda z: z, "sigmoid": reference.sigmoid,
                       "softmax": reference.softmax}[output_activation]
        self.loss_fn = {"mse": reference.mse_loss, "bce": reference.binary_cross_entropy,
                        "ce": reference.cross_entropy}[loss]

    def from_layer(self, i, z):
        """(loss, ReLU pattern) running layers i … L−1 (0-based) from the pre-activation z of layer i."""
        pattern = []
        for j in range(i, len(self.weights)):
            if j > i:
                z = a @ self.weights[j] + self.biases[j]
            if j == len(self.weights) - 1:
                a = self.output(z)
            else:
                a = self.hidden(z)
                if self.activation == "relu":
                    pattern.append(z > 0)
        return float(self.loss_fn(a, self.y)), pattern

    def reliable(self, y_hat):
        """Whether central differences of this loss are accurate here (log of 1 − ŷ loses digits near 1)."""
        return self.loss != "bce" or float(np.minimum(y_hat, 1 - y_hat).min()) > 1e-5


# ---------------------------------------------------------------------------------------
# Strategies
# ---------------------------------------------------------------------------------------


def targets(output_activation, loss, m, d):
    """Targets that suit the loss: one-hot rows for ce, values in (0, 1) or {0, 1} for a sigmoid output."""
    if loss == "ce":
        return nst.one_hot(m, d)
    if output_activation == "identity":
        return nst.arrays((m, d))
    return st.one_of(nst.probabilities((m, d)), nst.arrays((m, d), st.sampled_from([0.0, 1.0])))


@st.composite
def problems(draw, min_depth=1, max_depth=4):
    """A random network (depth 1–4, widths 1–8, batch 1–16), a hidden activation, an output/loss pair, targets."""
    net = draw(nst.networks(min_depth, max_depth))
    activation = draw(st.sampled_from(HIDDEN))
    output_activation, loss = draw(st.sampled_from(PAIRS))
    m, d = net["x"].shape[0], net["weights"][-1].shape[1]
    y = draw(targets(output_activation, loss, m, d))
    return dict(net, activation=activation, output_activation=output_activation, loss=loss, y=y)


def _fixed_problem():
    """Depth 3, widths 3 → 4 → 5 → 2, ReLU hidden layers, softmax + CE; the second row of x is zero, so z^1 has exact
    zeros (relu′(0) = 0 matters) and every δ^l of the recursion is exercised whatever hypothesis draws."""
    rng = np.random.default_rng(7)
    sizes = [3, 4, 5, 2]
    weights = [np.round(rng.normal(size=(a, b)), 2) for a, b in zip(sizes, sizes[1:])]
    biases = [np.array([0.0, 0.5, -0.5, 0.0]), np.round(rng.normal(size=5), 2), np.array([0.1, -0.1])]
    x = np.array([[1.0, -2.0, 0.5], [0.0, 0.0, 0.0], [0.25, 1.5, -1.0]])
    y = np.array([[1.0, 0.0], [0.0, 1.0], [0.0, 1.0]])
    return dict(x=x, weights=weights, biases=biases, activation="relu", output_activation="softmax", loss="ce", y=y)


def _output_of(reference, output_activation, z):
    return {"identity": np.copy, "sigmoid": reference.sigmoid, "softmax": reference.softmax}[output_activation](z)


# ---------------------------------------------------------------------------------------
# Derivatives of the hidden activations
# ---------------------------------------------------------------------------------------


#: a row on both sides of 0, so a wrong formula shows as more than one wrong number (z = [0.0] alone shows little)
BOTH_SIDES = np.array([[-2.0, -0.5, 0.0, 0.5, 2.0]])


@example(z=BOTH_SIDES)
@given(z=nst.any_arrays())
def test_sigmoid_prime_matches_autograd(student, reference, z):
    """sigmoid_prime: σ′(z) matches the reference and torch autograd of σ on random arrays"""
    judge(student, reference, "sigmoid_prime", z, formula=SIGMOID_PRIME, torch_judge=_autograd_prime(torch.sigmoid))


@given(z=nst.any_arrays(nst.extreme_floats()))
def test_sigmoid_prime_extreme_inputs(student, reference, z):
    """sigmoid_prime: finite and correct for large |z| (±40, ±1000, ±1e300: σ′ goes to 0, not NaN)"""
    judge(student, reference, "sigmoid_prime", z, formula=SIGMOID_PRIME + "  (use the given, overflow-free sigmoid)",
          torch_judge=_autograd_prime(torch.sigmoid))


@example(z=BOTH_SIDES)
@given(z=nst.any_arrays())
def test_tanh_prime_matches_autograd(student, reference, z):
    """tanh_prime: 1 − tanh(z)² matches the reference and torch autograd of tanh on random arrays"""
    judge(student, reference, "tanh_prime", z, formula=TANH_PRIME, torch_judge=_autograd_prime(torch.tanh))


@given(z=nst.any_arrays(nst.extreme_floats()))
def test_tanh_prime_extreme_inputs(student, reference, z):
    """tanh_prime: finite and correct for large |z| (±40, ±1000, ±1e300: tanh′ goes to 0)"""
    judge(student, reference, "tanh_prime", z, formula=TANH_PRIME + "  (use the given, overflow-free tanh)",
          torch_judge=_autograd_prime(torch.tanh))


@given(z=nst.any_arrays(nst.floats().filter(lambda v: v != 0.0)))
def test_relu_prime_matches_autograd(student, reference, z):
    """relu_prime: 1 where z > 0, 0 where z < 0, as float64; matches the reference and torch autograd of relu"""
    # z = 0 is left to test_relu_prime_at_zero, so that relu′(0) = 1 costs that test alone
    judge(student, reference, "relu_prime", z, formula=RELU_PRIME + "  (use z > 0, not z >= 0)",
          torch_judge=_autograd_prime(torch.relu))


@given(z=nst.any_arrays(st.one_of(st.sampled_from([0.0, -0.0]), nst.extreme_floats())))
@example(z=np.array([[-2.0, -0.0, 0.0, 1e-300, 3.0]]))
def test_relu_prime_at_zero(student, reference, z):
    """relu_prime: relu′(0) = 0 exactly (also at −0.0), and the right 0 or 1 for tiny and huge |z|"""
    judge(student, reference, "relu_prime", z, formula=RELU_PRIME + "  (use z > 0, not z >= 0)",
          torch_judge=_autograd_prime(torch.relu))


# ---------------------------------------------------------------------------------------
# loss_grad
# ---------------------------------------------------------------------------------------


def _check_loss_grad(student, reference, loss, y_hat, y):
    check, got, expected = prepare(student, reference, "loss_grad", y_hat, y, loss, formula=LOSS_GRAD[loss])
    check.matches(got, expected, what=f"∂L/∂ŷ for {loss!r}")
    p = _t(y_hat).requires_grad_(True)
    _torch_contract_loss(loss, p, _t(y)).backward()
    check.matches(got, p.grad.numpy(), what="the result (compared with torch autograd of the batch-mean loss)")


@given(dims=nst.dims(), data=st.data())
def test_loss_grad_mse(student, reference, dims, data):
    """loss_grad: ∂L/∂ŷ of the batch-mean MSE matches the reference and torch autograd"""
    y_hat, y = data.draw(nst.arrays(dims), label="y_hat"), data.draw(nst.arrays(dims), label="y")
    _check_loss_grad(student, reference, "mse", y_hat, y)


@given(dims=nst.dims(), data=st.data())
def test_loss_grad_bce(student, reference, dims, data):
    """loss_grad: ∂L/∂ŷ of the batch-mean binary cross-entropy matches the reference and torch autograd"""
    y_hat = data.draw(nst.probabilities(dims), label="y_hat")
    y = data.draw(st.one_of(nst.probabilities(dims), nst.arrays(dims, st.sampled_from([0.0, 1.0]))), label="y")
    _check_loss_grad(student, reference, "bce", y_hat, y)


@st.composite
def ce_cases(draw):
    """(ŷ, y): rows of probabilities and one-hot targets of the same shape."""
    dims = draw(nst.dims())
    return draw(nst.probability_rows(*dims)), draw(nst.one_hot(*dims))


#: two rows of three classes, ŷ away from 1: hypothesis shrinks a wrong −y/(m ŷ) to ŷ = y = [[1.0]], where
#: many wrong formulas give 0 and the feedback can tell none of them apart
CE_ROWS = (np.array([[0.7, 0.2, 0.1], [0.2, 0.3, 0.5]]), np.array([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0]]))


@example(case=CE_ROWS)
@given(case=ce_cases())
def test_loss_grad_ce(student, reference, case):
    """loss_grad: ∂L/∂ŷ of the batch-mean cross-entropy (one-hot y) matches the reference and torch autograd"""
    y_hat, y = case
    _check_loss_grad(student, reference, "ce", y_hat, y)


# ---------------------------------------------------------------------------------------
# output_delta
# ---------------------------------------------------------------------------------------


def _check_output_delta(student, reference, output_activation, loss, z_L, y, numeric=True):
    pair = (output_activation, loss)
    y_hat = _output_of(reference, output_activation, z_L)
    check, got, expected = prepare(student, reference, "output_delta", z_L, y_hat, y, loss, output_activation,
                                   formula=DELTA_L[pair])
    check.matches(got, expected, what="δ^L")

    z = _t(z_L).requires_grad_(True)
    _torch_loss_of_logits(z, _t(y), output_activation, loss).backward()
    check.matches(got, z.grad.numpy(), what="δ^L (compared with torch autograd of the batch-mean loss)")

    if numeric:
        net = Network(reference, [None], [None], "sigmoid", output_activation, loss, y)  # the output layer alone
        if net.reliable(y_hat):
            theta = z_L.copy()
            grad, usable = numeric_gradient(lambda: net.from_layer(0, theta), theta)
            match_numeric(numeric_check("output_delta", check.inputs, DELTA_L[pair], []), got, expected, grad, usable,
                           "δ^L")


@given(z_L=nst.matrices(elements=nst.floats(-8.0, 8.0)), data=st.data())
def test_output_delta_identity_mse(student, reference, z_L, data):
    """output_delta: δ^L for identity + MSE matches the reference, torch autograd and a numerical gradient"""
    y = data.draw(targets("identity", "mse", *z_L.shape), label="y")
    _check_output_delta(student, reference, "identity", "mse", z_L, y)


@given(z_L=nst.matrices(elements=nst.floats(-8.0, 8.0)), data=st.data())
def test_output_delta_sigmoid_mse(student, reference, z_L, data):
    """output_delta: δ^L for sigmoid + MSE matches the reference, torch autograd and a numerical gradient"""
    y = data.draw(targets("sigmoid", "mse", *z_L.shape), label="y")
    _check_output_delta(student, reference, "sigmoid", "mse", z_L, y)


@given(z_L=nst.matrices(elements=nst.floats(-8.0, 8.0)), data=st.data())
def test_output_delta_sigmoid_bce(student, reference, z_L, data):
    """output_delta: δ^L for sigmoid + BCE matches the reference, torch autograd and a numerical gradient"""
    y = data.draw(targets("sigmoid", "bce", *z_L.shape), label="y")
    _check_output_delta(student, reference, "sigmoid", "bce", z_L, y)


@given(z_L=nst.matrices(elements=nst.floats(-8.0, 8.0)), data=st.data())
def test_output_delta_softmax_ce(student, reference, z_L, data):
    """output_delta: δ^L for softmax + cross-entropy matches the reference, torch autograd and a numerical gradient"""
    y = data.draw(targets("softmax", "ce", *z_L.shape), label="y")
    _check_output_delta(student, reference, "softmax", "ce", z_L, y)


@given(z_L=nst.matrices(elements=nst.extreme_floats()), pair=st.sampled_from(PAIRS[1:]), data=st.data())
def test_output_delta_saturated(student, reference, z_L, pair, data):
    """output_delta: finite and correct when the output saturates (z^L = ±40, ±1000): never divide by ŷ(1 − ŷ)"""
    y = data.draw(targets(*pair, *z_L.shape), label="y")
    _check_output_delta(student, reference, *pair, z_L, y, numeric=False)


@given(pair=st.sampled_from(UNSUPPORTED), z_L=nst.matrices(elements=nst.floats(-5.0, 5.0)))
def test_output_delta_rejects_unsupported_pairs(student, reference, pair, z_L):
    """output_delta: raises ValueError for an unsupported (output_activation, loss) pair"""
    output_activation, loss = pair
    y_hat = reference.sigmoid(z_L)
    y = np.eye(z_L.shape[1])[np.argmax(z_L, axis=1)]
    inputs = {"z_L": z_L, "y_hat": y_hat, "y": y, "loss": loss, "output_activation": output_activation}
    supported = ", ".join(map(repr, PAIRS))
    with pytest.raises(ValueError):  # the reference sets the standard
        reference.output_delta(z_L.copy(), y_hat.copy(), y.copy(), loss, output_activation)
    judge_raises(student, "output_delta", z_L, y_hat, y, loss, output_activation, inputs=inputs,
                 why=f"for the unsupported pair output_activation={output_activation!r}, loss={loss!r}",
                 rejects=f"the pair ({output_activation!r}, {loss!r})",
                 rule=f"supported (output_activation, loss) pairs: {supported}; anything else must raise "
                      "ValueError, so that a typo or a mismatched loss cannot train silently")


# ---------------------------------------------------------------------------------------
# backprop_deltas
# ---------------------------------------------------------------------------------------


def _forward(reference, problem):
    zs, activations = reference.mlp_forward(problem["x"], problem["weights"], problem["biases"],
                                            problem["activation"], problem["output_activation"])
    delta_L = reference.output_delta(zs[-1], activations[-1], problem["y"], problem["loss"],
                                     problem["output_activation"])
    return zs, activations, delta_L


def _compare_deltas(check, got, expected):
    L = len(expected)
    if not isinstance(got, (list, tuple)):
        check.fail(f"should return a list [δ^1, …, δ^{L}] of {L} arrays, got {describe(got)}")
    if len(got) != L:
        shapes = ", ".join(str(getattr(g, "shape", type(g).__name__)) for g in got)
        check.fail(f"should return {L} arrays [δ^1, …, δ^{L}], one per layer, got {len(got)}",
                   f"the shapes you returned: [{shapes}]")
    for l in range(L, 0, -1):  # the order backpropagation computes them in
        if l < L:
            check.note = (f"δ^{L}" + (f" … δ^{l + 1} are" if l + 1 < L else " is") +
                          f" right; δ^{l} is the first wrong one going backwards from δ^{L}")
        else:
            check.note = f"δ^{L}, the last entry, must be delta_L itself"
        check.matches(got[l - 1], expected[l - 1], what=f"δ^{l} (deltas[{l - 1}])", path=(l - 1,))
    check.note = ""


@given(problem=problems())
@example(problem=_fixed_problem())
def test_backprop_deltas_matches_autograd(student, reference, problem):
    """backprop_deltas: every δ^l of a random network matches the reference, torch autograd and a numerical gradient"""
    weights, activation = problem["weights"], problem["activation"]
    zs, activations, delta_L = _forward(reference, problem)
    context = [_network_shapes(weights, zs), f"hidden activation {activation!r}; output "
               f"{problem['output_activation']!r} with loss {problem['loss']!r}"]
    check, got, expected = prepare(student, reference, "backprop_deltas", zs, weights, delta_L, activation,
                                   formula=BACKPROP, context=context)
    _compare_deltas(check, got, expected)

    autograd = _torch_backward(problem["x"], weights, problem["biases"], activation, problem["output_activation"],
                               problem["loss"], problem["y"], zs)
    if autograd is not None:
        for l, (g, t) in enumerate(zip(got, autograd[0]), start=1):
            check.matches(g, t, what=f"δ^{l} (compared with torch autograd of the batch-mean loss)")

    net = Network(reference, weights, problem["biases"], activation, problem["output_activation"], problem["loss"],
                  problem["y"])
    if net.reliable(activations[-1]):
        numeric = numeric_check("backprop_deltas", check.inputs, BACKPROP, context)
        for i in range(len(zs)):
            theta = zs[i].copy()
            grad, usable = numeric_gradient(lambda: net.from_layer(i, theta), theta)
            match_numeric(numeric, got[i], expected[i], grad, usable, f"δ^{i + 1}")


# ---------------------------------------------------------------------------------------
# parameter_gradients
# ---------------------------------------------------------------------------------------


@given(problem=problems())
@example(problem=_fixed_problem())
def test_parameter_gradients_matches_autograd(student, reference, problem):
    """parameter_gradients: dW^l and db^l match the reference, torch autograd and a numerical gradient"""
    weights, biases = problem["weights"], problem["biases"]
    zs, activations, delta_L = _forward(reference, problem)
    deltas = reference.backprop_deltas(zs, weights, delta_L, problem["activation"])
    m, L = problem["x"].shape[0], len(weights)
    layers = " | ".join(f"a^{l - 1} {a.shape}, δ^{l} {d.shape} → dW^{l} {W.shape}, db^{l} {b.shape}"
                        for l, (a, d, W, b) in enumerate(zip(activations, deltas, weights, biases), start=1))
    context = [f"shapes (m = {m}): {layers}"]
    check, got, expected = prepare(student, reference, "parameter_gradients", activations, deltas,
                                   formula=GRADIENTS, context=context)

    if not isinstance(got, (list, tuple)) or len(got) != 2:
        check.fail(f"should return a pair (dWs, dbs) of two lists, got {describe(got)}")
    for name, items in zip(("dWs", "dbs"), got):
        if not isinstance(items, (list, tuple)) or len(items) != L:
            check.fail(f"{name} should be a list of {L} arrays, one per layer, got {describe(items)}")
    for l in range(1, L + 1):
        check.matches(got[0][l - 1], expected[0][l - 1], what=f"dW^{l} (dWs[{l - 1}])", path=(0, l - 1))
    for l in range(1, L + 1):
        check.matches(got[1][l - 1], expected[1][l - 1], what=f"db^{l} (dbs[{l - 1}])", path=(1, l - 1))

    autograd = _torch_backward(problem["x"], weights, biases, problem["activation"], problem["output_activation"],
                               problem["loss"], problem["y"], zs)
    if autograd is not None:
        for l in range(1, L + 1):
            check.matches(got[0][l - 1], autograd[1][l - 1], what=f"dW^{l} (compared with torch autograd)")
            check.matches(got[1][l - 1], autograd[2][l - 1], what=f"db^{l} (compared with torch autograd)")

    net = Network(reference, [W.copy() for W in weights], [b.copy() for b in biases], problem["activation"],
                  problem["output_activation"], problem["loss"], problem["y"])
    if net.reliable(activations[-1]):
        numeric = numeric_check("parameter_gradients", check.inputs, GRADIENTS, context)
        x = problem["x"]
        evaluate = lambda: net.from_layer(0, x @ net.weights[0] + net.biases[0])  # noqa: E731
        for l in range(1, L + 1):
            grad, usable = numeric_gradient(evaluate, net.weights[l - 1])
            match_numeric(numeric, got[0][l - 1], expected[0][l - 1], grad, usable, f"dW^{l}")
            grad, usable = numeric_gradient(evaluate, net.biases[l - 1])
            match_numeric(numeric, got[1][l - 1], expected[1][l - 1], grad, usable, f"db^{l}")


# ---------------------------------------------------------------------------------------
# sgd_step
# ---------------------------------------------------------------------------------------


@st.composite
def sgd_problems(draw):
    sizes = draw(nst.layer_sizes())
    weights = [draw(nst.arrays((a, b))) for a, b in zip(sizes, sizes[1:])]
    biases = [draw(nst.arrays((b,))) for b in sizes[1:]]
    dWs = [draw(nst.arrays(W.shape)) for W in weights]
    dbs = [draw(nst.arrays(b.shape)) for b in biases]
    lr = draw(st.one_of(st.sampled_from([0.1, 0.01, 1.0]), st.floats(1e-4, 2.0)))
    return weights, biases, dWs, dbs, lr


SGD_NAMES = ["weights", "biases", "dWs", "dbs", "lr"]


def _values_check(student, reference, function, args, formula):
    """``prepare``'s check, with experiments for its likely causes, for a call whose modified arguments another test
    grades: only the values count here."""
    def make_lab():
        causes = causes_of(reference)
        return LiveLab(lambda *a, **k: student.call(function, *a, **k), reference, function, args, {},
                       list(_named_inputs(getattr(reference, function), args, {})), causes.bugs(function),
                       causes.probes(function), causes.repair(function))
    return Check(function, _named_inputs(getattr(reference, function), args, {}), formula, diagnose=Diagnoser(make_lab))


@given(args=sgd_problems())
def test_sgd_step_matches_reference(student, reference, args):
    """sgd_step: the new weights and biases W − lr·dW, b − lr·db match the reference"""
    args = copy.deepcopy(args)  # the probes start from the arguments as given, whatever the call does to them
    check = _values_check(student, reference, "sgd_step", args, SGD)
    try:
        got = student.call("sgd_step", *copy.deepcopy(args))  # values only: the next test grades the arguments
    except StudentCodeError as exc:
        exc.feedback.formula = SGD  # the crash, with the formula line as every failure shows it
        raise
    expected = reference.sgd_step(*copy.deepcopy(args))
    if not isinstance(got, (list, tuple)) or len(got) != 2:
        check.fail(f"should return a pair (new_weights, new_biases), got {describe(got)}")
    for index, name in enumerate(("weights", "biases")):
        g, e = got[index], expected[index]
        if not isinstance(g, (list, tuple)) or len(g) != len(e):
            check.fail(f"new_{name} should be a list of {len(e)} arrays, got {describe(g)}")
        for i, (gi, ei) in enumerate(zip(g, e)):
            check.matches(gi, ei, what=f"new_{name}[{i}]", path=(index, i))


@given(args=sgd_problems())
def test_sgd_step_leaves_arguments_unchanged(student, reference, args):
    """sgd_step: returns new arrays and leaves weights, biases, dWs and dbs untouched (no W -= ...)"""
    inputs = dict(zip(SGD_NAMES, args))
    check = Explained("sgd_step", inputs, SGD)
    student.call("sgd_step", *args)
    if student.mutated:
        modified_in_place(check, student.mutated, SGD_NAMES)


# ---------------------------------------------------------------------------------------
# train_mlp
# ---------------------------------------------------------------------------------------


def _sgd_step_changes(student, weights, biases, lr):
    """The experiment behind "train_mlp changed its arguments": "sgd_step" where the student's own sgd_step, called
    on copies of the weights and biases (and nonzero gradients), changes them; None where it leaves them alone."""
    def experiment():
        grads = [[np.ones_like(p) for p in params] for params in (weights, biases)]
        student.call("sgd_step", copy.deepcopy(weights), copy.deepcopy(biases), *grads, lr)
        return "sgd_step" if student.mutated else None
    return experiment



def _sigmoid(z):
    return 0.5 * (1.0 + np.tanh(0.5 * z))


def _toy_problem(seed, m, sizes, pair, separable=False):
    """A small, well-conditioned problem built with numpy (targets suited to the pair)."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(m, sizes[0]))
    weights = [rng.normal(0.0, 1.0 / np.sqrt(a), size=(a, b)) for a, b in zip(sizes, sizes[1:])]
    biases = [rng.normal(0.0, 0.1, size=b) for b in sizes[1:]]
    direction = rng.normal(size=(sizes[0], sizes[-1]))
    score = x @ direction
    if separable:  # push every point away from the decision boundary
        x = x + 0.5 * np.sign(score) @ direction.T / np.linalg.norm(direction, axis=0).max()
        score = x @ direction
    output_activation, loss = pair
    if loss == "ce":
        y = np.eye(sizes[-1])[np.argmax(score, axis=1)]
    elif loss == "bce" or separable:
        y = (score > 0).astype(float)
    elif output_activation == "sigmoid":
        y = _sigmoid(score)
    else:
        y = score
    return x, y, weights, biases


def _torch_training(x, y, weights, biases, activation, output_activation, loss, lr, epochs, batch_size):
    Ws = [_t(W).requires_grad_(True) for W in weights]
    bs = [_t(b).requires_grad_(True) for b in biases]
    losses = []
    for _ in range(epochs):
        for start in range(0, x.shape[0], batch_size):
            a = _t(x[start:start + batch_size])
            for i, (W, b) in enumerate(zip(Ws, bs)):
                z = a @ W + b
                a = TORCH_HIDDEN[activation](z) if i < len(Ws) - 1 else z
            value = _torch_loss_of_logits(z, _t(y[start:start + batch_size]), output_activation, loss)
            losses.append(float(value))
            value.backward()
            with torch.no_grad():  # plain SGD (torch.optim would cost seconds of imports)
                for p in [*Ws, *bs]:
                    p -= lr * p.grad
                    p.grad = None
    return [W.detach().numpy() for W in Ws], [b.detach().numpy() for b in bs], losses


@given(seed=st.integers(0, 2 ** 16), pair=st.sampled_from(PAIRS), activation=st.sampled_from(HIDDEN),
       hidden=st.lists(st.integers(1, 5), max_size=2), m=st.integers(1, 12), batch_size=st.integers(1, 14),
       epochs=st.integers(1, 3), lr=st.sampled_from([0.5, 0.1, 1.0]))
@example(seed=0, pair=("sigmoid", "bce"), activation="tanh", hidden=[3], m=10, batch_size=4, epochs=3, lr=0.5)
@example(seed=1, pair=("softmax", "ce"), activation="relu", hidden=[4], m=7, batch_size=3, epochs=2, lr=0.5)
def test_train_mlp_matches_reference(student, reference, seed, pair, activation, hidden, m, batch_size, epochs, lr):
    """train_mlp: losses and final weights match the reference step for step (short last minibatch included)"""
    output_activation, loss = pair
    sizes = [2, *hidden, 3 if loss == "ce" else 2]
    x, y, weights, biases = _toy_problem(seed, m, sizes, pair)
    args = (x, y, weights, biases, activation, output_activation, loss, lr, epochs, batch_size)
    batches = [min(batch_size, m - start) for start in range(0, m, batch_size)]
    steps = epochs * len(batches)
    context = [f"minibatches per epoch: {len(batches)}, of {batches} rows (m = {m}, batch_size = {batch_size}); "
               f"{epochs} epoch(s), so {steps} SGD steps", TRAIN_NOTE]
    check, got, expected = prepare(student, reference, "train_mlp", *args, formula=TRAIN, context=context,
                                   changed_by=_sgd_step_changes(student, weights, biases, lr))

    if not isinstance(got, (list, tuple)) or len(got) != 3:
        check.fail(f"should return (weights, biases, losses), got {describe(got)}")
    losses = got[2]
    if not isinstance(losses, (list, tuple)):
        check.fail(f"losses should be a list of {steps} floats, got {describe(losses)}")
    if len(losses) != steps:
        check.fail(f"returned {len(losses)} losses; expected epochs · ⌈m / batch_size⌉ = {epochs} · {len(batches)} "
                   f"= {steps}", "record one loss per minibatch, before its SGD step",
                   lambda: check.diagnose(losses, expected[2], (2,)))
    for k, (g, e) in enumerate(zip(losses, expected[2])):
        epoch, batch = divmod(k, len(batches))
        start = batch * batch_size
        check.note = ({0: "losses[0] is the loss of the first minibatch with the initial weights, before any step",
                       1: "losses[0] is right"}.get(k, f"losses[0 … {k - 1}] are right"))
        check.matches(g, e, f"losses[{k}] (epoch {epoch + 1}, minibatch rows {start}:{start + batches[batch]})",
                      path=(2, k))
    check.note = ""
    for name, index in (("weights", 0), ("biases", 1)):
        check.matches(got[index], expected[index], what=f"the returned {name}", path=(index,))

    torch_weights, torch_biases, torch_losses = _torch_training(*args)
    check.matches(list(losses), torch_losses, what="losses (compared with training by torch autograd)")
    check.matches(list(got[0]), torch_weights, what="the returned weights (compared with training by torch autograd)")
    check.matches(list(got[1]), torch_biases, what="the returned biases (compared with training by torch autograd)")


#: Learning rates for the separable toy problems; every (seed, pair, activation, batch size) the test can draw
#: was checked with the reference: the full-data loss ends at most 0.55 of its start (the test asks for < 0.75)
#: and the last epoch's mean minibatch loss below the first epoch's.
TOY_LR = {("identity", "mse"): 0.25, ("sigmoid", "mse"): 2.0, ("sigmoid", "bce"): 0.5, ("softmax", "ce"): 0.5}
TOY_SEEDS, TOY_M, TOY_EPOCHS = 100, 32, 40


@given(seed=st.integers(0, TOY_SEEDS - 1), pair=st.sampled_from(PAIRS), activation=st.sampled_from(HIDDEN),
       batch_size=st.sampled_from([4, 8, 10, 32]))
def test_train_mlp_loss_decreases(student, reference, seed, pair, activation, batch_size):
    """train_mlp: the loss falls when training on a separable toy dataset (32 points, 40 epochs)"""
    output_activation, loss = pair
    sizes = [2, 8, 3 if loss == "ce" else 1]
    x, y, weights, biases = _toy_problem(seed, TOY_M, sizes, pair, separable=True)
    lr = TOY_LR[pair]
    args = (x, y, weights, biases, activation, output_activation, loss, lr, TOY_EPOCHS, batch_size)
    setup = (f"setup: a separable toy dataset of {TOY_M} points in 2-D, network sizes {sizes}, hidden {activation!r}, "
             f"output {output_activation!r} with loss {loss!r}, lr = {lr}, epochs = {TOY_EPOCHS}, "
             f"batch_size = {batch_size}")
    check, got, _ = prepare(student, reference, "train_mlp", *args, formula=TRAIN, context=[setup, TRAIN_NOTE],
                            hide_inputs=True, changed_by=_sgd_step_changes(student, weights, biases, lr))
    if not isinstance(got, (list, tuple)) or len(got) != 3:
        check.fail(f"should return (weights, biases, losses), got {describe(got)}")

    def full_loss(W, b):  # from z^L in torch's stable form: a separable problem may drive ŷ to exactly 0 or 1
        z_L = reference.mlp_forward(x, W, b, activation, output_activation)[0][-1]
        return float(_torch_loss_of_logits(_t(z_L), _t(y), output_activation, loss))

    before = full_loss(weights, biases)
    try:
        after = full_loss(list(got[0]), list(got[1]))
    except (ValueError, TypeError, IndexError) as exc:
        check.fail(f"the returned weights and biases cannot be used for a forward pass ({exc})")
    if not after < 0.75 * before:
        check.fail(f"the loss on the whole training set did not fall enough: {before:.4g} with the initial weights, "
                   f"{after:.4g} with the returned ones (it should fall by at least a quarter)",
                   "gradient DEScent: θ − lr·∇, with one step per minibatch using that minibatch's gradient")
    per_epoch = -(-TOY_M // batch_size)
    losses = np.asarray(got[2], dtype=np.float64) if isinstance(got[2], (list, tuple)) else None
    if losses is None or losses.shape != (TOY_EPOCHS * per_epoch,):
        count = f"{len(got[2])} losses" if isinstance(got[2], (list, tuple)) else describe(got[2])
        check.fail(f"losses should be a list of epochs · ⌈m / batch_size⌉ = {TOY_EPOCHS} · {per_epoch} = "
                   f"{TOY_EPOCHS * per_epoch} floats, one per minibatch; got {count}")
    if not np.isfinite(losses).all():
        first = int(np.argmin(np.isfinite(losses)))
        check.fail(f"the recorded losses are not all finite: the first non-finite one is losses[{first}]")
    if not losses[-per_epoch:].mean() < losses[:per_epoch].mean():
        check.fail("the recorded minibatch losses do not fall: the last epoch's mean is "
                   f"{losses[-per_epoch:].mean():.4g}, the first epoch's {losses[:per_epoch].mean():.4g}")
