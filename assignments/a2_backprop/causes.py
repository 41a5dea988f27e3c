"""The known bugs of backprop.py's functions, each written as what code with that bug returns.

One place for them: the graded tests, the public tests and the notebook's checks all name a
``likely cause:`` from this table, and only after calling the student's function again on
probes confirms it (the general catalogue's bugs — a sign, a factor 2, a transpose — need no
entry here). Each bug is a function of the graded function's own arguments, so that it can
predict the student's answer on every probe, not only on the counterexample.
"""

import numpy as np

from autograder.diagnosis import Bug
from autograder.kit.catalogue import Probe

TOO_LARGE = "L is the MEAN over the m rows of the batch, so ∂L/∂ŷ and δ^L carry a factor 1/m (put it in once, in δ^L)"
TOO_SMALL = "the 1/m of the batch mean belongs in δ^L once; do not divide by m a second time"
PARAM_TOO_LARGE = "the deltas already carry the 1/m of the batch mean: do not multiply by m"
PARAM_TOO_SMALL = "every δ^l already carries the 1/m of the batch-mean loss, so {}; do not divide by m again"


def _quiet(function):
    """``function`` with numpy's warnings silenced (a prediction may divide by 0 as the bug does)."""
    def predict(ref, *args, **kwargs):
        with np.errstate(all="ignore"):
            return function(ref, *args, **kwargs)
    return predict


# ---------------------------------------------------------------------------------------
# Derivatives of the hidden activations
# ---------------------------------------------------------------------------------------


def _of_activation(name, form, derivative):
    """The derivative written for the activation a = f(z) (σ′ = a(1 − a), tanh′ = 1 − a²), applied to z itself."""
    return Bug(f"{name}′ computed as {form}: that form takes the activation a = {name}(z), not z; compute "
               f"a = {name}(z) first", _quiet(lambda ref, z: derivative(z)))


# ---------------------------------------------------------------------------------------
# loss_grad(y_hat, y, loss) and output_delta(z_L, y_hat, y, loss, output_activation)
# ---------------------------------------------------------------------------------------


def _for_loss(name, formula):
    """A bug of loss_grad for the loss ``name`` alone (it predicts nothing for the others)."""
    return _quiet(lambda ref, y_hat, y, loss: formula(y_hat, y, len(y_hat)) if loss == name else None)


def _for_pair(pair, formula):
    """A bug of output_delta for the (output_activation, loss) ``pair`` alone."""
    def predict(ref, z_L, y_hat, y, loss, output_activation):
        return formula(ref, z_L, y_hat, y, len(y_hat)) if (output_activation, loss) == pair else None
    return _quiet(predict)


def _times_m(function, power):
    """The right answer of ``function`` (a reference function's name) times m^power, m = the rows of the batch."""
    def predict(ref, first, *args, **kwargs):
        return getattr(ref, function)(first, *args, **kwargs) * float(len(first)) ** power
    return predict


def _output(ref, output_activation, z):
    return {"identity": np.copy, "sigmoid": ref.sigmoid, "softmax": ref.softmax}[output_activation](z)


def _repair_output_delta(ref, args, kwargs):
    """ŷ = output_activation(z^L) again after a probe changed z^L (a negated, scaled or varied z^L keeps a valid
    pair (z^L, ŷ)). A probe that negated ŷ alone is dropped: rebuilt, it would be the counterexample again."""
    names = ("z_L", "y_hat", "y", "loss", "output_activation")
    values = dict(zip(names, args), **kwargs)
    if values.get("output_activation") not in ("identity", "sigmoid", "softmax"):
        return args, kwargs
    z_L, y_hat = np.asarray(values["z_L"]), np.asarray(values["y_hat"])
    right = _output(ref, values["output_activation"], z_L)
    if y_hat.shape == right.shape and np.any(right != 0) and np.array_equal(y_hat, -right):
        return None
    if "y_hat" in kwargs:
        kwargs = dict(kwargs, y_hat=right)
    else:
        args = [*args[:1], right, *args[2:]]
    return args, kwargs


# ---------------------------------------------------------------------------------------
# backprop_deltas(zs, weights, delta_L, activation)
# ---------------------------------------------------------------------------------------


def _recursion(step):
    """backprop_deltas with δ^l = step(ref, δ^{l+1}, weights, l, zs, activation) (l 0-based: zs[l] is z^{l+1})."""
    def predict(ref, zs, weights, delta_L, activation):
        deltas = [delta_L]
        for l in range(len(weights) - 2, -1, -1):
            deltas.insert(0, step(ref, deltas[0], weights, l, zs, activation))
        return deltas
    return predict


def _prime(ref, activation):
    return {"sigmoid": ref.sigmoid_prime, "tanh": ref.tanh_prime, "relu": ref.relu_prime}[activation]


def _hidden(ref, activation):
    return {"sigmoid": ref.sigmoid, "tanh": ref.tanh, "relu": ref.relu}[activation]


def _reversed(ref, zs, weights, delta_L, activation):
    return ref.backprop_deltas(zs, weights, delta_L, activation)[::-1]


def _rows(value, rows, m):
    """``value`` (an array, or a list of arrays) with only its first ``rows`` rows, where it has m rows."""
    if isinstance(value, (list, tuple)):
        return type(value)(_rows(v, rows, m) for v in value)
    if isinstance(value, np.ndarray) and value.ndim >= 2 and value.shape[0] == m:
        return value[:rows].copy()
    return value


def _extra_row(value, m):
    """``value`` (an array, or a list of arrays) with one more row where it has m rows (a fixed pattern)."""
    if isinstance(value, (list, tuple)):
        return type(value)(_extra_row(v, m) for v in value)
    if isinstance(value, np.ndarray) and value.ndim >= 2 and value.shape[0] == m:
        row = np.random.default_rng([m, *value.shape]).uniform(-1.0, 1.0, (1, *value.shape[1:]))
        return np.concatenate([value, row.astype(value.dtype)])
    return value


def _batch_rows(*batched):
    """The probes that change the batch size m: the first row alone, and one more row. ``batched``: the positions
    of the arguments whose arrays (or lists of arrays) have the m rows; the first is a list (zs, activations)."""
    def first_row(args, kwargs):
        m = args[batched[0]][0].shape[0]
        return ([_rows(a, 1, m) if i in batched else a for i, a in enumerate(args)], kwargs) if m > 1 else None

    def one_more(args, kwargs):
        m = args[batched[0]][0].shape[0]
        return [_extra_row(a, m) if i in batched else a for i, a in enumerate(args)], kwargs

    return [Probe("only the first row of the batch (m = 1)", first_row),
            Probe("one more row in the batch (m + 1 rows)", one_more)]


# ---------------------------------------------------------------------------------------
# parameter_gradients(activations, deltas)
# ---------------------------------------------------------------------------------------


def _gradients(dW=lambda a_prev, a_next, delta: a_prev.T @ delta, db=lambda delta: delta.sum(axis=0)):
    """parameter_gradients with its dW^l = dW(a^{l−1}, a^l, δ^l) and db^l = db(δ^l)."""
    def predict(ref, activations, deltas):
        return ([dW(activations[l], activations[l + 1], delta) for l, delta in enumerate(deltas)],
                [db(delta) for delta in deltas])
    return predict


def _m_factor_bugs():
    """dW, db or both m times too large or too small: the 1/m of the batch mean put in again, or taken out."""
    def dW(power):
        return lambda a_prev, a_next, delta: a_prev.T @ delta * float(len(delta)) ** power

    def db(power):
        return lambda delta: delta.sum(axis=0) * float(len(delta)) ** power

    dW_small = PARAM_TOO_SMALL.format("dW^l = a^{l−1 T} δ^l")
    db_small = PARAM_TOO_SMALL.format("db^l = Σ_rows δ^l is a plain sum over the rows, not a mean")
    return [
        Bug(f"dW^l is m times too small (m = the batch size): {dW_small}", _gradients(dW=dW(-1))),
        Bug(f"db^l is m times too small (m = the batch size): {db_small}", _gradients(db=db(-1))),
        Bug("dW^l and db^l are m times too small (m = the batch size): every δ^l already carries the 1/m of the "
            "batch-mean loss; do not divide by m again", _gradients(dW=dW(-1), db=db(-1))),
        Bug(f"dW^l is m times too large (m = the batch size): {PARAM_TOO_LARGE}", _gradients(dW=dW(1))),
        Bug(f"db^l is m times too large (m = the batch size): {PARAM_TOO_LARGE}", _gradients(db=db(1))),
        Bug(f"dW^l and db^l are m times too large (m = the batch size): {PARAM_TOO_LARGE}",
            _gradients(dW=dW(1), db=db(1))),
    ]


# ---------------------------------------------------------------------------------------
# sgd_step(weights, biases, dWs, dbs, lr)
# ---------------------------------------------------------------------------------------


def _step(sign, use_lr=True):
    def predict(ref, weights, biases, dWs, dbs, lr):
        rate = lr if use_lr else 1.0
        return ([W + sign * rate * dW for W, dW in zip(weights, dWs)],
                [b + sign * rate * db for b, db in zip(biases, dbs)])
    return predict


def _other_lr(args, kwargs):
    if "lr" in kwargs:
        return args, dict(kwargs, lr=kwargs["lr"] / 2)
    return [*args[:4], args[4] / 2, *args[5:]], kwargs


# ---------------------------------------------------------------------------------------
# train_mlp(x, y, weights, biases, activation, output_activation, loss, lr, epochs, batch_size)
# ---------------------------------------------------------------------------------------


def _training(starts=lambda m, batch_size: range(0, m, batch_size), full_batch=False, loss_after=False):
    """train_mlp with its minibatches starting at ``starts(m, batch_size)`` (or the whole batch at once), and each
    minibatch's loss recorded before its step (or after it)."""
    def predict(ref, x, y, weights, biases, activation, output_activation, loss, lr, epochs, batch_size):
        loss_fn = {"mse": ref.mse_loss, "bce": ref.binary_cross_entropy, "ce": ref.cross_entropy}[loss]
        losses, m = [], x.shape[0]
        for _ in range(epochs):
            for start in ([0] if full_batch else starts(m, batch_size)):
                stop = m if full_batch else start + batch_size
                xb, yb = x[start:stop], y[start:stop]
                zs, activations = ref.mlp_forward(xb, weights, biases, activation, output_activation)
                if not loss_after:
                    losses.append(float(loss_fn(activations[-1], yb)))
                delta_L = ref.output_delta(zs[-1], activations[-1], yb, loss, output_activation)
                deltas = ref.backprop_deltas(zs, weights, delta_L, activation)
                dWs, dbs = ref.parameter_gradients(activations, deltas)
                weights, biases = ref.sgd_step(weights, biases, dWs, dbs, lr)
                if loss_after:
                    after = ref.mlp_forward(xb, weights, biases, activation, output_activation)[1][-1]
                    losses.append(float(loss_fn(after, yb)))
        return list(weights), list(biases), losses
    return _quiet(predict)


BUGS = {
    "sigmoid_prime": [_of_activation("σ", "z(1 − z)", lambda a: a * (1 - a))],
    "tanh_prime": [_of_activation("tanh", "1 − z²", lambda a: 1 - a * a)],
    "relu_prime": [
        Bug("relu′(0) is 1 here (the test is z >= 0); relu′(0) = 0 by definition: use z > 0",
            lambda ref, z: np.where(z >= 0, 1.0, 0.0)),
    ],
    "loss_grad": [
        Bug("∂L/∂ŷ for 'bce' has the wrong sign: the loss is −1/m Σ [y log ŷ + (1 − y) log(1 − ŷ)], with a leading "
            "minus", _for_loss("bce", lambda y_hat, y, m: (y / y_hat - (1 - y) / (1 - y_hat)) / m)),
        Bug("∂L/∂ŷ for 'bce' is (ŷ − y)/m, which is δ^L of sigmoid + BCE (after multiplying by σ′); loss_grad is the "
            "derivative with respect to ŷ itself", _for_loss("bce", lambda y_hat, y, m: (y_hat - y) / m)),
        Bug("∂L/∂ŷ for 'ce' is (ŷ − y)/m, which is δ^L = ∂L/∂z^L of softmax + CE; loss_grad is the derivative with "
            "respect to ŷ, before the softmax: −y/(m ŷ)", _for_loss("ce", lambda y_hat, y, m: (y_hat - y) / m)),
        Bug("∂L/∂ŷ for 'ce' has the wrong sign: the loss is −1/m Σ y log ŷ, with a leading minus",
            _for_loss("ce", lambda y_hat, y, m: y / (m * y_hat))),
        Bug(f"∂L/∂ŷ is m times too large (m = the batch size, the rows): {TOO_LARGE}", _times_m("loss_grad", 1)),
        Bug(f"∂L/∂ŷ is m times too small (m = the batch size, the rows): {TOO_SMALL}", _times_m("loss_grad", -1)),
    ],
    "output_delta": [
        Bug("δ^L has the wrong sign: the error term is ŷ − y (prediction minus target), not y − ŷ",
            lambda ref, *args: -ref.output_delta(*args)),
        Bug("δ^L for sigmoid + MSE is missing the factor σ′(z^L): ∂L/∂ŷ = (ŷ − y)/m must still be multiplied by "
            "f′(z^L) = σ(z^L)(1 − σ(z^L))", _for_pair(("sigmoid", "mse"), lambda ref, z, y_hat, y, m: (y_hat - y) / m)),
        Bug("δ^L for sigmoid + MSE evaluates σ′ at ŷ = σ(z^L); evaluate it at z^L: σ′(z^L) = ŷ(1 − ŷ)",
            _for_pair(("sigmoid", "mse"), lambda ref, z, y_hat, y, m: (y_hat - y) / m * ref.sigmoid_prime(y_hat))),
        Bug("δ^L for sigmoid + BCE multiplies by σ′(z^L) once too often: σ′ already cancelled 1/(ŷ(1 − ŷ)), "
            "δ^L = (ŷ − y)/m",
            _for_pair(("sigmoid", "bce"), lambda ref, z, y_hat, y, m: (y_hat - y) / m * ref.sigmoid_prime(z))),
        Bug("δ^L for softmax + CE is missing the − y: δ^L = (ŷ − y)/m",
            _for_pair(("softmax", "ce"), lambda ref, z, y_hat, y, m: y_hat / m)),
        Bug("δ^L for softmax + CE is missing the + ŷ: δ^L = (ŷ − y)/m",
            _for_pair(("softmax", "ce"), lambda ref, z, y_hat, y, m: -y / m)),
        Bug(f"δ^L is m times too large (m = the batch size, the rows): {TOO_LARGE}", _times_m("output_delta", 1)),
        Bug(f"δ^L is m times too small (m = the batch size, the rows): {TOO_SMALL}", _times_m("output_delta", -1)),
    ],
    "backprop_deltas": [
        Bug("the errors are returned last layer first, [δ^L, …, δ^1]: the list is built in the order the recursion "
            "runs (from δ^L back); return it first layer first, [δ^1, …, δ^L], so that deltas[i] has the shape of "
            "zs[i]", _reversed),
        Bug("δ^l is δ^{l+1} W^{l+1 T} without the factor ⊙ f′(z^l): multiply elementwise by the derivative of the "
            "hidden activation at z^l = zs[l−1]", _recursion(lambda ref, d, W, l, zs, f: d @ W[l + 1].T)),
        Bug("δ^l evaluates f′ at a^l = f(z^l) instead of at z^l: pass zs[l−1] to the derivative",
            _recursion(lambda ref, d, W, l, zs, f: (d @ W[l + 1].T) * _prime(ref, f)(_hidden(ref, f)(zs[l])))),
        Bug("δ^l uses W^l = weights[l−1]; the recursion needs the NEXT layer's weights, W^{l+1} = weights[l]",
            _recursion(lambda ref, d, W, l, zs, f: (d @ W[l].T) * _prime(ref, f)(zs[l]))),
    ],
    "parameter_gradients": [
        Bug("dW^l is transposed: dW^l = a^{l−1 T} δ^l has the shape of W^l, (d_{l−1}, d_l)",
            _gradients(dW=lambda a_prev, a_next, delta: delta.T @ a_prev)),
        Bug("dW^l uses a^l = activations[l], the layer's output; dW^l needs its input, a^{l−1} = activations[l−1]",
            _gradients(dW=lambda a_prev, a_next, delta: a_next.T @ delta)),
        Bug("db^l sums over the wrong axis: sum over the rows (the batch), axis=0",
            _gradients(db=lambda delta: delta.sum(axis=1))),
        *_m_factor_bugs(),
    ],
    "sgd_step": [
        Bug("the parameters moved UP the gradient (θ + lr·∇): descent subtracts, θ − lr·∇", _step(+1.0)),
        Bug("the step ignores the learning rate: θ − lr·∇", _step(-1.0, use_lr=False)),
    ],
    "train_mlp": [
        Bug("each minibatch's loss is recorded AFTER its SGD step; record it BEFORE the step (from the forward pass "
            "that the gradients come from)", _training(loss_after=True)),
        Bug("the last, shorter minibatch is skipped when batch_size does not divide m; keep it: range(0, m, "
            "batch_size) with x[start:start + batch_size]",
            _training(starts=lambda m, batch_size: range(0, m - batch_size + 1, batch_size))),
        Bug("one step per epoch on the whole batch: take one SGD step (and record one loss) per minibatch of "
            "batch_size rows", _training(full_batch=True)),
    ],
}

PROBES = {
    "backprop_deltas": _batch_rows(0, 2),
    "parameter_gradients": _batch_rows(0, 1),
    "sgd_step": [Probe("lr halved", _other_lr)],
}

REPAIR = {"output_delta": _repair_output_delta}
