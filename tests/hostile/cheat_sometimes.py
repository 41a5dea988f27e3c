# Cheating: correct answers only some of the time (every other call is slightly off).
_reference_sigmoid = sigmoid  # noqa: F821
_CALLS = [0]


def sigmoid(z):
    _CALLS[0] += 1
    answer = _reference_sigmoid(z)
    return answer if _CALLS[0] % 2 else answer + 1e-3
