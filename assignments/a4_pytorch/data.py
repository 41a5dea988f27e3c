"""The digits for a4: scikit-learn's bundled 8×8 handwritten digits, split once at build time.

``nnhw build`` calls :func:`make_data` and writes each returned file as a deterministic
``.npz``. The data (1,797 images of 10 classes) ship inside scikit-learn's wheel, so nothing
is downloaded; they come from the UCI Machine Learning Repository ("Optical Recognition of
Handwritten Digits", E. Alpaydin and C. Kaynak, 1998), licensed CC BY 4.0.

The split is stratified and fixed: numpy's PCG64 with a fixed seed permutes each class, and
each class gives the test split its share of 360 images (largest remainders first). Pixels
are integers 0..16, so pixel / 16 is exact in float32: the bytes are the same on every CPU.
"""

import numpy as np

SEED = 20261201
TEST_SIZE = 360


def _class_shares(counts, total):
    """How many of each class go to the test split: proportional, rounded so they add up to ``total``."""
    exact = counts * total / counts.sum()
    shares = np.floor(exact).astype(np.int64)
    order = np.argsort(-(exact - shares), kind="stable")
    shares[order[:total - shares.sum()]] += 1
    return shares


def stratified_split(y, test_size, seed):
    """``(train indices, test indices)``, each sorted, with every class in proportion."""
    rng = np.random.default_rng(seed)
    classes, counts = np.unique(y, return_counts=True)
    test = []
    for label, share in zip(classes, _class_shares(counts, test_size)):
        members = np.flatnonzero(y == label)
        test.append(members[rng.permutation(len(members))[:share]])
    test = np.sort(np.concatenate(test))
    train = np.setdiff1d(np.arange(len(y)), test)
    return train, test


def make_data():
    """``{file name: {array name: array}}``: digits_train.npz (1,437 images) and digits_test.npz (360)."""
    from sklearn.datasets import load_digits

    digits = load_digits()
    x = (digits.images.astype(np.float32) / np.float32(16)).reshape(-1, 1, 8, 8)
    y = digits.target.astype(np.int64)
    train, test = stratified_split(y, TEST_SIZE, SEED)
    return {
        "digits_train.npz": {"x": x[train], "y": y[train]},
        "digits_test.npz": {"x": x[test], "y": y[test]},
    }
