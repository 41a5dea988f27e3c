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
# scaled up 4 × to 32 × 32 (linear interpolation), and three filters set by hand: Sobel's edge detectors, which respond where the
# brightness changes left to right or top to bottom (red one way, blue the other), and a 5 × 5 blur.
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


def show_maps(title, maps):
    fig, axes = plt.subplots(1, len(maps) + 1, figsize=(12, 3.2))
    axes[0].imshow(DIGIT, cmap="gray_r")
    axes[0].set_title(f"the digit {DIGIT.shape}")
    for ax, name, image in zip(axes[1:], FILTERS, maps):
        limit = np.abs(image).max() or 1.0
        ax.imshow(image, cmap="RdBu_r" if name != "blur" else "gray_r", vmin=-limit if name != "blur" else 0, vmax=limit)
        ax.set_title(f"{name} {image.shape}")
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
# 2 × 2 windows, stride 2: each map shrinks to a quarter, and each edge survives as its strongest response.
# %% [plot]
with your_code():
    show_maps("your max_pool_forward(maps, 2, 2)", cnn.max_pool_forward(feature_maps()[None], 2, 2)[0])

# %% [section] 5. A fully connected layer is a convolution
# %% [check] fc_as_conv

# %% [section] 6. gpu_conv.py: convolution as one matrix product (im2col)
# %% [check] conv2d Conv2dFunction Conv2d
# %% [markdown]
# ### Your layer against `torch.nn.functional.conv2d`
#
# A batch of 16 RGB images of 32 × 32 and 32 filters of 3 × 3, on the GPU if this machine has one: the
# largest difference from torch's own convolution, relative to the largest value (forward, and the
# gradients your backward computes: float64 agrees to about 1e-15, float32 to about 1e-6), and the time of one
# forward pass of each (the median of a few).
# %%
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
