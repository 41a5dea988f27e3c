# The notebook's own cells for a3_cnn (nnhw build interleaves them with the handout's sections;
# docs/notebooks.md describes the format). Each cell runs the student's cnn.py or gpu_conv.py.
# ruff: noqa: F821, I001 - check and your_code come from the notebook's first cell; the student's module is imported last

# %%
import time

import matplotlib.pyplot as plt
import numpy as np

import cnn

# %% [section] 2. Output size
# %% [check] conv_output_shape
# %% [markdown]
# ### Your `conv_output_shape` on a few layers
# %%
with your_code():
    layers = [  # (H, W, F, S, P, K, what)
        (32, 32, 5, 1, 2, 10, "'same' padding keeps the size"),
        (32, 32, 3, 2, 1, 16, "stride 2 halves it"),
        (8, 8, 3, 2, 1, 4, "the last column is never covered"),
        (227, 227, 11, 4, 0, 96, "AlexNet's first layer"),
        (7, 7, 7, 1, 0, 32, "a filter as large as the input"),
    ]
    print(f"{'H × W':>9} {'F':>3} {'S':>2} {'P':>2} {'K':>3}   your (H_out, W_out, K)")
    for H, W, F, S, P, K, what in layers:
        print(f"{H:>4} × {W:<4}{F:>3} {S:>2} {P:>2} {K:>3}   {cnn.conv_output_shape(H, W, F, S, P, K)!s:<16} {what}")
    try:
        cnn.conv_output_shape(4, 4, 9, 1, 1, 2)
        print("a 9 × 9 filter on a 4 × 4 input padded by 1: no error ✗ (it does not fit: expected ValueError)")
    except ValueError as error:
        print(f"a 9 × 9 filter on a 4 × 4 input padded by 1: ValueError ✓ ({error})")

# %% [section] 3. Convolution is cross-correlation
# %% [check] conv_forward conv_backward
# %% [markdown]
# ### Your `conv_forward` on a handwritten digit
#
# A 3 from the 8 × 8 digits of assignment 4 (UCI's "Optical Recognition of Handwritten Digits", CC BY 4.0),
# scaled up 4 × to 32 × 32 (linear interpolation; dark is ink), and three filters set by hand. Two are Sobel's edge
# detectors, which respond where the ink changes: the left-right one is red (positive) where the ink ends going right,
# a stroke's right edge, and blue (negative) where it starts, its left edge; the top-bottom one is red at a stroke's
# lower edge and blue at its upper edge. The third is a 5 × 5 blur. Each colour bar gives the response's value; the
# colour scale is set by the map's inside, since the 2 pixels of zero padding add false edges along the border.
# %% [plot]
def upscale(image, factor=4):
    """``image`` enlarged ``factor`` times by linear interpolation along each axis."""
    old = np.arange(image.shape[0])
    new = np.linspace(0, image.shape[0] - 1, image.shape[0] * factor)
    rows = np.array([np.interp(new, old, row) for row in image])
    return np.array([np.interp(new, old, column) for column in rows.T]).T


DIGIT = upscale(np.array([
    [0, 0, 7, 15, 13, 1, 0, 0], [0, 8, 13, 6, 15, 4, 0, 0], [0, 2, 1, 13, 13, 0, 0, 0], [0, 0, 2, 15, 11, 1, 0, 0],
    [0, 0, 0, 1, 12, 12, 1, 0], [0, 0, 0, 0, 1, 10, 8, 0], [0, 0, 8, 4, 5, 14, 9, 0], [0, 0, 7, 13, 13, 9, 0, 0],
]) / 16.0)
SOBEL = np.array([[1.0, 0.0, -1.0], [2.0, 0.0, -2.0], [1.0, 0.0, -1.0]])
FILTERS = {"left-right edges": np.pad(SOBEL, 1), "top-bottom edges": np.pad(SOBEL.T, 1),
           "blur": np.full((5, 5), 1 / 25)}


def feature_maps():
    """Your conv_forward of the digit with each filter (stride 1, padding 2: the maps keep the digit's size)."""
    w = np.stack(list(FILTERS.values()))[:, None]  # (K, C, FH, FW) = (3, 1, 5, 5)
    return cnn.conv_forward(DIGIT[None, None], w, np.zeros(len(FILTERS)), stride=1, pad=2)[0]


def inside(image, border):
    """``image`` without ``border`` pixels on each side (all of it where that would leave nothing)."""
    return image[border:-border, border:-border] if border and min(image.shape) > 2 * border else image


def show_maps(title, maps, border=2):
    """The digit and one map per filter, each with its colour bar; the colour scale comes from the map without
    ``border`` pixels along its edges, where the zero padding makes edges of its own."""
    fig, axes = plt.subplots(1, len(maps) + 1, figsize=(13, 3.4))
    shown = axes[0].imshow(DIGIT, cmap="gray_r", vmin=0, vmax=1)
    axes[0].set_title(f"the digit {DIGIT.shape}")
    fig.colorbar(shown, ax=axes[0], shrink=0.8, label="ink")
    for ax, name, image in zip(axes[1:], FILTERS, maps):
        limit = np.abs(inside(image, border)).max() or 1.0
        signed = name != "blur"
        shown = ax.imshow(image, cmap="RdBu_r" if signed else "gray_r", vmin=-limit if signed else 0, vmax=limit)
        ax.set_title(f"{name} {image.shape}")
        fig.colorbar(shown, ax=ax, shrink=0.8, extend="both" if signed else "max",
                     label="response (red +, blue −)" if signed else "response")
    for ax in axes:
        ax.set_xticks([])
        ax.set_yticks([])
    fig.suptitle(title)
    fig.tight_layout()
    plt.show()


with your_code():
    show_maps("your conv_forward: one feature map per filter", feature_maps())

# %% [section] 4. Pooling
# %% [check] max_pool_forward max_pool_backward avg_pool_forward avg_pool_backward
# %% [markdown]
# ### Your `max_pool_forward` on those feature maps
#
# 2 × 2 windows, stride 2: each map shrinks to a quarter, and each window keeps its largest value. A red edge
# (positive) survives as its strongest response; a blue edge (negative) mostly does not, since a window that also
# holds a weaker or zero response keeps that instead. That is one reason a CNN applies ReLU before pooling and learns
# filters of both signs: each edge then has a filter for which it is positive.
# %% [plot]
with your_code():
    show_maps("your max_pool_forward(maps, 2, 2)", cnn.max_pool_forward(feature_maps()[None], 2, 2)[0], border=1)
# %% [markdown]
# ### Your backward passes: where each gradient goes
#
# Left: an upstream gradient `dout` that is 1 at three positions of the left-right edge map and 0 elsewhere. Middle:
# your `conv_backward`'s `dx` for it, the gradient with respect to the digit: each 1 sends the filter's weights back
# onto the window it came from (the Sobel filter: a column 1, 2, 1 on the left, −1, −2, −1 on the right). The two
# upper 1s are neighbours, one row apart, so their windows overlap and add: their columns read 1, 3, 3, 1. Right: your
# `max_pool_backward` with `dout` all ones, on the left-right edge map: each 2 × 2 window sends its gradient to its
# largest value only (the dots), one pixel in four; the others get none.
# %% [plot]
with your_code():
    w = np.stack(list(FILTERS.values()))[:1, None]  # the left-right filter alone: (1, 1, 5, 5)
    dout = np.zeros((1, 1) + DIGIT.shape)
    for i, j in ((8, 8), (9, 8), (22, 20)):  # two windows that overlap, one on its own
        dout[0, 0, i, j] = 1.0
    dx, dw, db = cnn.conv_backward(dout, DIGIT[None, None], w, np.zeros(1), stride=1, pad=2)
    edges = feature_maps()[None, :1]
    pooled_dx = cnn.max_pool_backward(np.ones((1, 1, 16, 16)), edges, 2, 2)
    fig, axes = plt.subplots(1, 3, figsize=(14, 4))
    limit = np.abs(dx).max() or 1.0
    panels = [(dout[0, 0], "dout: 1 at three positions", "Greys", (0, 1), "upstream gradient"),
              (dx[0, 0], "your conv_backward's dx (the digit's gradient)", "RdBu_r", (-limit, limit),
               "∂L/∂pixel (red +, blue −)"),
              (edges[0, 0], "your max_pool_backward: where dout = 1 goes", "RdBu_r", (-1.5, 1.5),
               "left-right edge response")]
    for ax, (image, title, cmap, (low, high), label) in zip(axes, panels):
        shown = ax.imshow(image, cmap=cmap, vmin=low, vmax=high)
        fig.colorbar(shown, ax=ax, shrink=0.8, label=label, extend="both" if cmap == "RdBu_r" else "neither")
        ax.set(title=title, xticks=[], yticks=[])
    rows, columns = np.nonzero(pooled_dx[0, 0])
    axes[2].scatter(columns, rows, s=5, color="k", label="gets the window's gradient")
    axes[2].legend(fontsize=8, loc="lower left", framealpha=0.9)
    fig.tight_layout()
    plt.show()

# %% [section] 5. A fully connected layer is a convolution
# %% [check] fc_as_conv

# %% [section] 6. gpu_conv.py: convolution as one matrix product (im2col)
# %% [check] Conv2dFunction Conv2d
# %% [markdown]
# ### Your layer against `torch.nn.functional.conv2d`
#
# A batch of 16 RGB images of 32 × 32 and 32 filters of 3 × 3, on the GPU if this machine has one: the
# largest difference from torch's own convolution, relative to the largest value (forward, and the
# gradients your backward computes: float64 agrees to about 1e-15, float32 to about 1e-6), and the time of one
# forward pass of each (the median of a few). Left in the plot: each of your float32 outputs against torch's (on
# the diagonal when they agree); right: the differences, on a log scale.
# %% [plot]
import torch
import torch.nn.functional as F

import gpu_conv


def median_time(function, *args, repeats=5, **kwargs):
    """The median wall time of ``function(*args, **kwargs)``, waiting for the GPU where there is one."""
    times = []
    for _ in range(repeats):
        synchronize = torch.cuda.synchronize if device.type == "cuda" else (lambda: None)
        synchronize()
        started = time.perf_counter()
        function(*args, **kwargs)
        synchronize()
        times.append(time.perf_counter() - started)
    return sorted(times)[len(times) // 2]


def relative_difference(got, expected):
    return ((got - expected).abs().max() / expected.abs().max()).item()


device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
differences = {}
with your_code():
    generator = torch.Generator().manual_seed(0)
    for dtype in (torch.float64, torch.float32):
        x, w, b = (torch.randn(shape, generator=generator, dtype=dtype).to(device) for shape in
                   [(16, 3, 32, 32), (32, 3, 3, 3), (32,)])
        ours = [t.clone().requires_grad_() for t in (x, w, b)]
        torchs = [t.clone().requires_grad_() for t in (x, w, b)]
        out, expected = gpu_conv.conv2d(*ours, stride=1, padding=1), F.conv2d(*torchs, stride=1, padding=1)
        grad = torch.randn(expected.shape, generator=generator, dtype=dtype).to(device)
        out.backward(grad)
        expected.backward(grad)
        errors = [relative_difference(out, expected)] + [relative_difference(a.grad, e.grad) for a, e in zip(ours, torchs)]
        with torch.no_grad():
            yours_s = median_time(gpu_conv.conv2d, x, w, b, stride=1, padding=1)
            torch_s = median_time(F.conv2d, x, w, b, stride=1, padding=1)
        print(f"{dtype!s:<14} on {device.type}: largest difference / largest value: output {errors[0]:.1e}, dx {errors[1]:.1e}, "
              f"dw {errors[2]:.1e}, db {errors[3]:.1e};  one forward: yours {yours_s * 1e3:.2f} ms, "
              f"torch's {torch_s * 1e3:.2f} ms")
        differences[str(dtype).replace("torch.", "")] = errors
    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4))
    every = slice(None, None, 7)  # a seventh of the outputs, so the points stay apart
    left.scatter(expected.detach().cpu().flatten()[every], out.detach().cpu().flatten()[every], s=2, alpha=0.4)
    low, high = expected.min().item(), expected.max().item()
    left.plot([low, high], [low, high], color="k", linewidth=0.8, label="yours = torch's")
    left.set(xlabel="torch.nn.functional.conv2d's output (float32)", ylabel="your conv2d's output",
             title=f"outputs on {device.type}")
    left.legend(fontsize=8)
    for offset, (name, errors) in enumerate(differences.items()):
        right.bar(np.arange(4) + 0.4 * offset, np.maximum(errors, 1e-18), width=0.4, label=name)
        for position, error in enumerate(errors):
            if error == 0:
                right.annotate("0: exact", (position + 0.4 * offset, 2e-18), ha="center", fontsize=8)
    right.set_xticks(np.arange(4) + 0.2, ["output", "dx", "dw", "db"])
    right.set(yscale="log", ylim=(1e-18, 1), xlabel="what is compared with torch's",
              ylabel="largest difference / largest value", title="your layer against torch (smaller is closer)")
    right.legend(fontsize=8)
    fig.tight_layout()
    plt.show()
