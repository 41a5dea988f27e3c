# target: forward.py
# caught-by: affine_forward mlp_forward
# The bias is forgotten: z = h W.
import numpy as np


def affine_forward(h, W, b):
    return h @ W
