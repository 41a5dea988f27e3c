# target: forward.py
# caught-by: sigmoid
# A missing minus sign: 1 / (1 + e^z), which is σ(−z).
import numpy as np


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(np.clip(z, -700, 700)))
