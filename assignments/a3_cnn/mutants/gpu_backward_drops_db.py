# target: gpu_conv.py
# caught-by: Conv2dFunction
# The backward returns None for the bias gradient, so bias.grad is never filled in.
import torch
import torch.nn.functional as F


class Conv2dFunction(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, weight, bias, stride, padding):
        N, C, H, W = x.shape
        K, _, FH, FW = weight.shape
        H_out = (H + 2 * padding[0] - FH) // stride[0] + 1
        W_out = (W + 2 * padding[1] - FW) // stride[1] + 1
        cols = F.unfold(x, (FH, FW), padding=padding, stride=stride)
        out = weight.reshape(K, -1) @ cols
        if bias is not None:
            out = out + bias.reshape(1, K, 1)
        ctx.save_for_backward(cols, weight)
        ctx.input_size = (H, W)
        ctx.stride, ctx.padding = stride, padding
        return out.reshape(N, K, H_out, W_out)

    @staticmethod
    def backward(ctx, dout):
        cols, weight = ctx.saved_tensors
        N, K = dout.shape[:2]
        FH, FW = weight.shape[2:]
        dout_cols = dout.reshape(N, K, -1)
        dcols = weight.reshape(K, -1).t() @ dout_cols
        dx = F.fold(dcols, ctx.input_size, (FH, FW), padding=ctx.padding, stride=ctx.stride)
        dw = (dout_cols @ cols.transpose(1, 2)).sum(dim=0).reshape(weight.shape)
        return dx, dw, None, None, None
