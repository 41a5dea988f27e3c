# target: cnn.py
# caught-by: conv_output_shape
# Forgets the + 1: ⌊(H − F + 2P) / S⌋ counts the steps between windows, not the windows (the checks stay right).
_conv_output_shape_with_checks = conv_output_shape  # noqa: F821 - the solution's, defined above this mutant


def conv_output_shape(H, W, F, S, P, K):
    H_out, W_out, K = _conv_output_shape_with_checks(H, W, F, S, P, K)
    return H_out - 1, W_out - 1, K
