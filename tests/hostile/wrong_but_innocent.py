# Wrong but innocent: None, a list, an object array, NaN, the wrong shape or dtype, and an
# input modified in place. affine_forward and mlp_forward stay correct.
import numpy as _np

_reference_tanh, _reference_softmax = tanh, softmax  # noqa: F821
_reference_mse_loss, _reference_bce, _reference_ce = mse_loss, binary_cross_entropy, cross_entropy  # noqa: F821


def sigmoid(z):
    1 / (1 + _np.exp(-z))  # forgot the return


def tanh(z):
    return _reference_tanh(z).astype(_np.float32)


def relu(z):
    return _np.array([max(v, 0) for v in _np.ravel(z)] + [None], dtype=object)


def softmax(z):
    return _np.full(_np.shape(z), _np.nan)


def mse_loss(y_hat, y):
    return _np.array([_reference_mse_loss(y_hat, y)])


def binary_cross_entropy(y_hat, y):
    return [_reference_bce(y_hat, y)]


def cross_entropy(y_hat, y):
    answer = _reference_ce(y_hat, y)
    y_hat[...] = 0.0
    return answer
