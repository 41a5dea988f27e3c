"""Assignment 3, part 2: a convolution layer for the GPU, built from im2col and one matrix product.

The same code runs on the CPU and on a CUDA GPU: never name a device, create every new
tensor from the ones you are given (so it lands on their device, in their dtype).

im2col in one picture, for x of shape (N, C, H, W) and filters of shape (K, C, FH, FW):

    torch.nn.functional.unfold(x, ...)  ->  cols   (N, C·FH·FW, L)    one column per window,
                                                                      L = H_out · W_out windows
    weight.reshape(K, C·FH·FW) @ cols   ->  out    (N, K, L)          all filters × all windows
    + bias, reshape                     ->  out    (N, K, H_out, W_out)

torch.nn.functional.fold goes the other way: it adds the columns back into an image,
summing where windows overlap. That is exactly what the backward pass needs for dx (each
input pixel gets the gradient of every window it was copied into).

Not allowed in this file: torch's own convolution in any spelling (F.conv2d, torch.conv2d,
torch.convolution, nn.Conv2d's forward, torch.ops.aten.*convolution*, torch.nn.grad, cuDNN)
and autograd inside the backward pass (no .backward(), no torch.autograd.grad there).
"""

import math

import torch
import torch.nn as nn
import torch.nn.functional as F


def _pair(value):
    """2 -> (2, 2); (2, 3) -> (2, 3)."""
    if isinstance(value, int):
        return (value, value)
    pair = tuple(int(v) for v in value)
    if len(pair) != 2:
        raise ValueError(f"expected an int or a pair of ints, got {value!r}")
    return pair


class Conv2dFunction(torch.autograd.Function):
    """A 2-D convolution (cross-correlation, as in PyTorch) with a hand-written backward pass.

    Use it through conv2d(...), which calls Conv2dFunction.apply(x, weight, bias, stride, padding).
    """

    @staticmethod
    def forward(ctx, x, weight, bias, stride, padding):
        """out[n, k, i, j] = bias[k] + Σ_{c,u,v} x_pad[n, c, i·sh + u, j·sw + v] · weight[k, c, u, v].

        x is (N, C, H, W), weight (K, C, FH, FW), bias (K,) or None; stride = (sh, sw) and
        padding = (ph, pw) are pairs of ints (zero-padding on both sides of each axis).
        Returns (N, K, H_out, W_out) with H_out = ⌊(H + 2ph − FH) / sh⌋ + 1 (likewise W_out),
        on x's device and in x's dtype. Save on ctx whatever backward needs.
        """
        # BEGIN SOLUTION: unfold x into one column per window, multiply by the flattened filters, add the bias, reshape to (N, K, H_out, W_out); keep what backward needs
        N, C, H, W = x.shape
        K, _, FH, FW = weight.shape
        H_out = (H + 2 * padding[0] - FH) // stride[0] + 1
        W_out = (W + 2 * padding[1] - FW) // stride[1] + 1

        cols = F.unfold(x, (FH, FW), padding=padding, stride=stride)    # (N, C·FH·FW, L)
        out = weight.reshape(K, -1) @ cols                                # (N, K, L)
        if bias is not None:
            out = out + bias.reshape(1, K, 1)

        ctx.save_for_backward(cols, weight)
        ctx.has_bias = bias is not None
        ctx.input_size = (H, W)
        ctx.stride, ctx.padding = stride, padding
        return out.reshape(N, K, H_out, W_out)
        # END SOLUTION

    @staticmethod
    def backward(ctx, dout):
        """Given dout = ∂L/∂out (N, K, H_out, W_out), return (dx, dw, db, None, None).

        dx, dw and db have the shapes of x, weight and bias (db is None when there is no
        bias); stride and padding get None. Matrix products, sums and fold only: no autograd.
        """
        # BEGIN SOLUTION: dx = fold(flattened filtersᵀ · dout columns), dw = dout columns · colsᵀ summed over the batch, db = dout summed over batch and positions
        cols, weight = ctx.saved_tensors
        N, K = dout.shape[:2]
        FH, FW = weight.shape[2:]
        dout_cols = dout.reshape(N, K, -1)                                # (N, K, L)

        dx = dw = db = None
        if ctx.needs_input_grad[0]:
            dcols = weight.reshape(K, -1).t() @ dout_cols                 # (N, C·FH·FW, L)
            dx = F.fold(dcols, ctx.input_size, (FH, FW), padding=ctx.padding, stride=ctx.stride)
        if ctx.needs_input_grad[1]:
            dw = (dout_cols @ cols.transpose(1, 2)).sum(dim=0).reshape(weight.shape)
        if ctx.has_bias and ctx.needs_input_grad[2]:
            db = dout.sum(dim=(0, 2, 3))
        return dx, dw, db, None, None
        # END SOLUTION


def conv2d(x, weight, bias=None, stride=1, padding=0):
    """Drop-in for torch.nn.functional.conv2d (no dilation, no groups), via Conv2dFunction.

    x is (N, C, H, W) or a single image (C, H, W); weight (K, C, FH, FW); bias (K,) or None;
    stride and padding are ints or (height, width) pairs. x, weight and bias share a dtype
    and a device; the result has them too. Gradients flow through Conv2dFunction.backward.
    """
    if x.dim() == 3:
        return conv2d(x.unsqueeze(0), weight, bias, stride, padding).squeeze(0)
    if x.dim() != 4 or weight.dim() != 4:
        raise ValueError(f"expected x (N, C, H, W) and weight (K, C, FH, FW), got {tuple(x.shape)} and "
                         f"{tuple(weight.shape)}")
    if x.shape[1] != weight.shape[1]:
        raise ValueError(f"x has {x.shape[1]} channels but the filters expect {weight.shape[1]}")
    return Conv2dFunction.apply(x, weight, bias, _pair(stride), _pair(padding))


class Conv2d(nn.Module):
    """A conv layer interchangeable with torch.nn.Conv2d (no dilation, no groups, zero padding only).

    Parameters `weight` (out_channels, in_channels, kh, kw) and `bias` (out_channels,) or None,
    initialised as nn.Conv2d does, so state_dicts load both ways.
    """

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, bias=True,
                 *, device=None, dtype=None):
        super().__init__()
        self.in_channels, self.out_channels = in_channels, out_channels
        self.kernel_size, self.stride, self.padding = _pair(kernel_size), _pair(stride), _pair(padding)
        factory = {"device": device, "dtype": dtype}
        self.weight = nn.Parameter(torch.empty(out_channels, in_channels, *self.kernel_size, **factory))
        if bias:
            self.bias = nn.Parameter(torch.empty(out_channels, **factory))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self):
        """nn.Conv2d's default: weight and bias uniform in ±1/√fan_in, fan_in = in_channels·kh·kw
        (kaiming_uniform_ with a = √5 works out to exactly that bound for the weight)."""
        nn.init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in = self.in_channels * self.kernel_size[0] * self.kernel_size[1]
            bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0
            nn.init.uniform_(self.bias, -bound, bound)

    def forward(self, x):
        """This layer applied to x (N, in_channels, H, W) -> (N, out_channels, H_out, W_out)."""
        # BEGIN SOLUTION: apply conv2d with this layer's weight, bias, stride and padding
        return conv2d(x, self.weight, self.bias, self.stride, self.padding)
        # END SOLUTION

    def extra_repr(self):
        s = f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}"
        if self.padding != (0, 0):
            s += f", padding={self.padding}"
        if self.bias is None:
            s += ", bias=False"
        return s
