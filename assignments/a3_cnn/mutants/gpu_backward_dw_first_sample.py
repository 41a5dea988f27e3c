# target: gpu_conv.py
# caught-by: Conv2dFunction
# dw uses only the first image of the batch instead of summing over all N.
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
        ctx.has_bias = bias is not None
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
        dw = (dout_cols[0] @ cols[0].t()).reshape(weight.shape)
        db = dout.sum(dim=(0, 2, 3)) if ctx.has_bias else None
        return dx, dw, db, None, None
