# target: gpu_conv.py
# caught-by: conv2d Conv2dFunction
# Does the im2col in numpy float64 and wraps the result with torch.from_numpy: float64 for float32 input, and on the CPU for a CUDA input.
import numpy as np
import torch
import torch.nn.functional as F


class Conv2dFunction(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, weight, bias, stride, padding):
        N, C, H, W = x.shape
        K, _, FH, FW = weight.shape
        H_out = (H + 2 * padding[0] - FH) // stride[0] + 1
        W_out = (W + 2 * padding[1] - FW) // stride[1] + 1
        cols_t = F.unfold(x, (FH, FW), padding=padding, stride=stride)
        cols = cols_t.detach().cpu().numpy().astype(np.float64)
        w = weight.detach().cpu().numpy().astype(np.float64).reshape(K, -1)
        out = w @ cols
        if bias is not None:
            out = out + bias.detach().cpu().numpy().astype(np.float64).reshape(1, K, 1)
        ctx.save_for_backward(cols_t, weight)
        ctx.has_bias = bias is not None
        ctx.input_size = (H, W)
        ctx.stride, ctx.padding = stride, padding
        return torch.from_numpy(out.reshape(N, K, H_out, W_out))

    @staticmethod
    def backward(ctx, dout):
        cols, weight = ctx.saved_tensors
        dout = dout.to(cols.device, cols.dtype)
        N, K = dout.shape[:2]
        FH, FW = weight.shape[2:]
        dout_cols = dout.reshape(N, K, -1)
        dcols = weight.reshape(K, -1).t() @ dout_cols
        dx = F.fold(dcols, ctx.input_size, (FH, FW), padding=ctx.padding, stride=ctx.stride)
        dw = (dout_cols @ cols.transpose(1, 2)).sum(dim=0).reshape(weight.shape)
        db = dout.sum(dim=(0, 2, 3)) if ctx.has_bias else None
        return dx, dw, db, None, None
