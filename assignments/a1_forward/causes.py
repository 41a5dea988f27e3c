"""The known bugs of forward.py's functions, each written as what code with that bug returns.

One place for them: the graded tests, the public tests and the notebook's checks all name a
``likely cause:`` from this table, and only after calling the student's function again on
probes confirms it (the general catalogue's bugs — a sign, a factor m, a transpose — need no
entry here).
"""

import numpy as np

from autograder.diagnosis import Bug


def _mean_loss_bugs(terms, log_likelihood=False, half=False):
    """Bugs of a batch-mean loss L = 1/m Σ terms(ŷ, y), where ``terms`` gives each entry's term."""
    def total(y_hat, y):
        with np.errstate(all="ignore"):
            return float(np.sum(terms(y_hat, y)))

    bugs = [Bug("the 1/m is missing: L is the mean over the m rows of the batch, not the sum",
                lambda ref, y_hat, y: total(y_hat, y)),
            Bug("averaged over all m·d entries (np.mean); L sums over a row's output units and averages over the "
                "m rows only", lambda ref, y_hat, y: total(y_hat, y) / np.size(y))]
    if log_likelihood:
        bugs.append(Bug("the sign is flipped: the loss is the NEGATIVE log-likelihood, with a leading minus",
                        lambda ref, y_hat, y: -total(y_hat, y) / len(y)))
    if half:
        bugs.append(Bug("the ½ of 1/(2m) is missing", lambda ref, y_hat, y: 2 * total(y_hat, y) / len(y)))
    return bugs


def _bce_terms(y_hat, y):
    return -(y * np.log(y_hat) + (1 - y) * np.log(1 - y_hat))


def _ce_terms(y_hat, y):
    return -(y * np.log(np.where(y > 0, y_hat, 1.0)))


def _naive_ce(ref, y_hat, y):
    with np.errstate(all="ignore"):
        return float(-np.sum(y * np.log(y_hat)) / len(y))


def _zs_are_activations(ref, x, weights, biases, activation, output_activation="identity"):
    zs, activations = ref.mlp_forward(x, weights, biases, activation, output_activation)
    return list(activations[1:]), activations


def _hidden_activation_last(ref, x, weights, biases, activation, output_activation="identity"):
    zs, activations = ref.mlp_forward(x, weights, biases, activation, output_activation)
    return zs, [*activations[:-1], getattr(ref, activation)(zs[-1])]


BUGS = {
    "affine_forward": [
        Bug("the bias b is never added: z = h W + b, with b added to every row", lambda ref, h, W, b: h @ W),
    ],
    "sigmoid": [
        Bug("the result is σ(−z) = 1 / (1 + e^z): the minus in e^(−z) is missing", lambda ref, z: ref.sigmoid(-z)),
    ],
    "tanh": [
        Bug("the result is 2σ(z) − 1 = tanh(z/2); the identity is tanh(z) = 2σ(2z) − 1",
            lambda ref, z: 2 * ref.sigmoid(z) - 1),
        Bug("the result is σ(z), the sigmoid, not tanh", lambda ref, z: ref.sigmoid(z)),
    ],
    "relu": [
        Bug("a leaky ReLU (0.01·z for z < 0); ReLU is 0 for every negative z: max(0, z)",
            lambda ref, z: np.where(z > 0, z, 0.01 * z)),
    ],
    "mlp_forward": [
        Bug("zs holds the activations a^l = f(z^l); zs[l] is the pre-activation z^l = a^(l−1) W^l + b^l, before f",
            _zs_are_activations),
        Bug("the last layer applies the hidden activation; it must apply output_activation: a^L = "
            "output_activation(z^L)", _hidden_activation_last),
    ],
    "mse_loss": _mean_loss_bugs(lambda y_hat, y: (y - y_hat) ** 2 / 2, half=True),
    "binary_cross_entropy": [
        *_mean_loss_bugs(_bce_terms, log_likelihood=True),
        Bug("only the y log ŷ term: the (1 − y) log(1 − ŷ) term, for the targets y = 0, is missing",
            lambda ref, y_hat, y: float(-np.sum(y * np.log(y_hat)) / len(y))),
    ],
    "cross_entropy": [
        *_mean_loss_bugs(_ce_terms, log_likelihood=True),
        Bug("0 · log 0 gives NaN: where ŷ = 0 for a class the one-hot y rules out, the term y log ŷ must count as 0 "
            "(sum only where y = 1, or take the log of ŷ where y > 0 only)", _naive_ce),
    ],
}
