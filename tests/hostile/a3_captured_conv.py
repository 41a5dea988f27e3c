# Cheating (assignment 3): torch's own convolution captured at import time, under a name the static
# check cannot see ("con" + "v2d"), and used instead of unfold + matrix products. The worker poisons
# it before this file is imported, so what was captured is the poison.
_CAPTURED_CONV = getattr(torch.nn.functional, "con" + "v" + "2d")  # noqa: F821 - torch: imported above


def conv2d(x, weight, bias=None, stride=1, padding=0):
    return _CAPTURED_CONV(x, weight, bias, stride=stride, padding=padding)
