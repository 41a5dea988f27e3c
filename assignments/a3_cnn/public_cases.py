"""Small fixed inputs for the public tests of a3_cnn: cnn.py (numpy) and gpu_conv.py (torch, CPU).

cases() returns a list of {"name", "function", "args", "kwargs"} (gpu_conv.py's also backward and
module cases: see autograder/cases.py); the expected answers come from the reference solution.
Every input is drawn from a seeded generator, so the list is the same on every machine and every run.
"""

import numpy as np
import torch

#: how the contract names the items these functions return (the feedback says dx, not result[0])
OUTPUTS = {"conv_backward": ("dx", "dw", "db"), "fc_as_conv": ("w_conv", "b_conv")}

SEED = 20240303


def cases():
    rng = np.random.default_rng(SEED)
    out = []

    def add(name, function, *args, **kwargs):
        out.append({"name": name, "function": function, "args": list(args), "kwargs": kwargs})

    # --- conv_output_shape(H, W, F, S, P, K) -------------------------------------------
    add("conv_output_shape: 32x32 input, 5x5 filters, stride 1, pad 2 keeps the size", "conv_output_shape", 32, 32, 5, 1, 2, 10)
    add("conv_output_shape: 7x7 input, 3x3 filters, stride 2, no padding", "conv_output_shape", 7, 7, 3, 2, 0, 1)
    add("conv_output_shape: stride that does not divide evenly rounds down", "conv_output_shape", 8, 6, 3, 2, 1, 4)
    add("conv_output_shape: filter as large as the padded input", "conv_output_shape", 4, 5, 6, 1, 1, 2)

    # --- conv_forward / conv_backward -----------------------------------------------------
    conv_inputs = [
        ("3x3 filters, stride 1, pad 1", (2, 3, 5, 5), (4, 3, 3, 3), 1, 1),
        ("non-square 3x2 filters on a 6x5 image, stride 2, no padding", (1, 2, 6, 5), (3, 2, 3, 2), 2, 0),
        ("stride 3 larger than the 2x2 filter, pad 1", (1, 1, 7, 7), (2, 1, 2, 2), 3, 1),
        ("one filter as large as the padded input", (2, 2, 3, 4), (1, 2, 5, 6), 1, 1),
    ]
    for what, x_shape, w_shape, stride, pad in conv_inputs:
        x = rng.standard_normal(x_shape)
        w = rng.standard_normal(w_shape)
        b = rng.standard_normal(w_shape[0])
        H_out = (x_shape[2] + 2 * pad - w_shape[2]) // stride + 1
        W_out = (x_shape[3] + 2 * pad - w_shape[3]) // stride + 1
        dout = rng.standard_normal((x_shape[0], w_shape[0], H_out, W_out))
        add(f"conv_forward: {what}", "conv_forward", x, w, b, stride=stride, pad=pad)
        add(f"conv_backward: {what}", "conv_backward", dout, x, w, b, stride=stride, pad=pad)

    # --- pooling ------------------------------------------------------------------------
    pool_inputs = [
        ("2x2 windows, stride 2", rng.standard_normal((2, 2, 4, 4)), 2, 2),
        ("overlapping 3x3 windows, stride 1", rng.standard_normal((1, 2, 5, 4)), 3, 1),
        # small integers: ties inside windows, and maxima shared by overlapping windows
        ("ties and overlapping 3x3 windows, stride 2", rng.integers(0, 3, (1, 2, 5, 5)).astype(np.float64), 3, 2),
        ("a constant image, 2x2 windows, stride 1", np.ones((1, 1, 3, 3)), 2, 1),
    ]
    for what, x, size, stride in pool_inputs:
        H_out = (x.shape[2] - size) // stride + 1
        W_out = (x.shape[3] - size) // stride + 1
        dout = rng.standard_normal((x.shape[0], x.shape[1], H_out, W_out))
        add(f"max_pool_forward: {what}", "max_pool_forward", x, size, stride)
        add(f"max_pool_backward: {what}", "max_pool_backward", dout, x, size, stride)
        add(f"avg_pool_forward: {what}", "avg_pool_forward", x, size, stride)
        add(f"avg_pool_backward: {what}", "avg_pool_backward", dout, x, size, stride)

    # --- fc_as_conv -------------------------------------------------------------------------
    for C, H, W, D in [(2, 3, 3, 4), (3, 2, 1, 1)]:
        add(f"fc_as_conv: a ({C}, {H}, {W}) volume to {D} output{'s' if D > 1 else ''}", "fc_as_conv",
            rng.standard_normal((C * H * W, D)), rng.standard_normal(D), (C, H, W))

    # --- gpu_conv.py on the CPU: Conv2dFunction's forward and backward, the Conv2d module -----------------
    def tensor(shape, dtype):
        return torch.from_numpy(rng.standard_normal(shape)).to(dtype)

    gpu_inputs = [
        ("float64, 3x3 filters, stride 1, padding 1", torch.float64, (2, 3, 5, 5), (4, 3, 3, 3), True, 1, 1),
        ("float32, non-square 3x2 filters, stride 2, no padding", torch.float32, (1, 2, 6, 5), (3, 2, 3, 2), True, 2, 0),
        ("float64, no bias, stride 3 larger than the 2x2 filter, padding 1", torch.float64, (1, 1, 7, 7), (2, 1, 2, 2),
         False, 3, 1),
        ("float32, (stride, padding) as pairs", torch.float32, (2, 2, 6, 7), (2, 2, 3, 3), True, (2, 1), (1, 0)),
    ]
    for what, dtype, x_shape, w_shape, has_bias, stride, padding in gpu_inputs:
        x, w = tensor(x_shape, dtype), tensor(w_shape, dtype)
        b = tensor(w_shape[0], dtype) if has_bias else None
        s, p = (stride, stride) if isinstance(stride, int) else stride, (padding, padding) if isinstance(padding, int) else padding
        add(f"Conv2dFunction: forward, {what}", "Conv2dFunction.apply", x, w, b, s, p)
        out_shape = (x_shape[0], w_shape[0], (x_shape[2] + 2 * p[0] - w_shape[2]) // s[0] + 1,
                     (x_shape[3] + 2 * p[1] - w_shape[3]) // s[1] + 1)
        add(f"Conv2dFunction: backward, {what}", "Conv2dFunction.apply", x, w, b, s, p)
        out[-1].update(grad_output=tensor(out_shape, dtype), wrt=[0, 1, 2] if has_bias else [0, 1])

    for what, dtype, args, kwargs, x_shape in [
        ("float32, 3 → 4 channels, 3x3, padding 1", torch.float32, (3, 4, 3), {"padding": 1}, (2, 3, 5, 5)),
        ("float64, no bias, (3, 2) kernel, stride 2", torch.float64, (2, 3, (3, 2)), {"stride": 2, "bias": False},
         (1, 2, 6, 5)),
    ]:
        reference = torch.nn.Conv2d(*args, **kwargs)  # the layer whose parameters Conv2d must share
        state = {name: tensor(tuple(value.shape), dtype) for name, value in reference.state_dict().items()}
        add(f"Conv2d: parameters and forward, {what}", "Conv2d", *args, **kwargs)
        out[-1].update(module=True, state_dict=state, inputs=[tensor(x_shape, dtype)])

    return out
