# target: gpu_conv.py
# caught-by: Conv2dFunction
# The backward re-runs the forward with autograd on and asks torch.autograd.grad for the gradients.
import torch
import torch.nn.functional as F


def _conv_graph(x, weight, bias, stride, padding):
    N, C, H, W = x.shape
    K, _, FH, FW = weight.shape
    H_out = (H + 2 * padding[0] - FH) // stride[0] + 1
    W_out = (W + 2 * padding[1] - FW) // stride[1] + 1
    out = weight.reshape(K, -1) @ F.unfold(x, (FH, FW), padding=padding, stride=stride)
    if bias is not None:
        out = out + bias.reshape(1, K, 1)
    return out.reshape(N, K, H_out, W_out)


class Conv2dFunction(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, weight, bias, stride, padding):
        ctx.save_for_backward(x, weight, bias)
        ctx.stride, ctx.padding = stride, padding
        return _conv_graph(x, weight, bias, stride, padding)

    @staticmethod
    def backward(ctx, dout):
        x, weight, bias = ctx.saved_tensors
        with torch.enable_grad():
            leaves = [t.detach().requires_grad_() for t in (x, weight)]
            b = None if bias is None else bias.detach().requires_grad_()
            out = _conv_graph(leaves[0], leaves[1], b, ctx.stride, ctx.padding)
            grads = torch.autograd.grad(out, leaves + ([b] if b is not None else []), dout)
        db = grads[2] if b is not None else None
        return grads[0], grads[1], db, None, None
