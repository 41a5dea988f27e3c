# target: cnn.py
# caught-by: conv_output_shape
# P instead of 2P in the output-size formula.
import numpy as np


def conv_output_shape(H, W, F, S, P, K):
    if F < 1:
        raise ValueError(f"filter size F must be at least 1, got F={F}")
    if S < 1:
        raise ValueError(f"stride S must be at least 1, got S={S}")
    if P < 0:
        raise ValueError(f"padding P must be at least 0, got P={P}")
    if K < 1:
        raise ValueError(f"number of filters K must be at least 1, got K={K}")
    if F > H + 2 * P or F > W + 2 * P:
        raise ValueError(f"filter size F={F} does not fit the padded input")
    return (H - F + P) // S + 1, (W - F + P) // S + 1, K
