"""The CUDA judge's cases for gpu_conv.py: torch's own convolution (cuDNN on a GPU) in float32.

`nnhw record-cuda a3_cnn`, run once on a GPU machine, applies torch.nn.functional.conv2d to
each case's inputs as float32 CUDA tensors with TF32 off, and stores inputs, outputs and the
gradients (dx, dw, db for grad_output) in recordings/. Graders with CUDA run the cases live
(the student's code on CUDA against cuDNN); graders without compare the student's float32
CPU result on the recorded inputs with the recorded cuDNN results. Change a case, record again.

Shapes follow the layers of a small ResNet (block, stem, shortcut, downsampling) plus the
awkward ones the numpy tests also try: non-square filters and inputs, stride larger than the
filter, a filter as large as the padded input. They stay small so the recordings do too.
Every value comes from a seeded generator: weights uniform in ±1/√(C·FH·FW) as nn.Conv2d
initialises them, inputs and grad_output standard normal, so outputs are O(1).
"""

import numpy as np

SEED = 20240917


def _pair(value):
    return (value, value) if isinstance(value, int) else tuple(value)


def _case(rng, name, N, C, H, W, K, FH, FW, stride=1, padding=0, bias=True):
    bound = 1 / np.sqrt(C * FH * FW)
    x = rng.standard_normal((N, C, H, W))
    weight = rng.uniform(-bound, bound, (K, C, FH, FW))
    b = rng.uniform(-bound, bound, K) if bias else None
    (sh, sw), (ph, pw) = _pair(stride), _pair(padding)
    H_out, W_out = (H + 2 * ph - FH) // sh + 1, (W + 2 * pw - FW) // sw + 1
    return {
        "name": name,
        "function": "torch.nn.functional.conv2d",
        "args": [x, weight, b],
        "kwargs": {"stride": stride, "padding": padding},
        "wrt": [0, 1, 2] if bias else [0, 1],
        "grad_output": rng.standard_normal((N, K, H_out, W_out)),
        "tags": ["conv2d", "Conv2dFunction"],
    }


def cases():
    rng = np.random.default_rng(SEED)
    return [
        _case(rng, "3x3 filters, stride 1, pad 1 (a ResNet block), 16 channels, 12x12", 2, 16, 12, 12, 16, 3, 3, 1, 1),
        _case(rng, "7x7 filters, stride 2, pad 3 (a ResNet stem), 3 -> 16 channels, 20x18", 2, 3, 20, 18, 16, 7, 7, 2, 3),
        _case(rng, "1x1 filters, stride 2, no bias (a ResNet shortcut), 16 -> 32 channels", 2, 16, 10, 10, 32, 1, 1, 2, 0,
              bias=False),
        _case(rng, "3x3 filters, stride 2, pad 1, 16 -> 24 channels, non-square 11x13", 2, 16, 11, 13, 24, 3, 3, 2, 1),
        _case(rng, "non-square 3x5 filters, stride (1, 2), padding (1, 2)", 3, 8, 9, 10, 6, 3, 5, (1, 2), (1, 2)),
        _case(rng, "5x5 filters over 64 channels (1600-term sums), pad 2", 1, 64, 8, 8, 8, 5, 5, 1, 2),
        _case(rng, "stride 3 larger than the 2x2 filter, pad 1", 2, 4, 13, 13, 5, 2, 2, 3, 1),
        _case(rng, "filters as large as the input (a fully connected layer), 16 channels 6x6 -> 10", 4, 16, 6, 6, 10,
              6, 6),
    ]
