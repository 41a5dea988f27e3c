"""fit, checked before you submit, by the rule that grades it. From the assignment folder:  python tests/fit_check.py

The autograder trains your ``fit`` on all the training digits and counts how many of 360 test digits you do not
have the model reads right: 95% earns every point of fit's test, 90% none, linearly in between, and fit must finish
within 60 s of CPU time. Here your ``fit`` trains on the training digits minus a held-back slice (every fifth digit,
288 of them) and the model is measured on that slice, which it never saw; the same rule applied to that accuracy is
the grade to expect. Two differences: the slice is a sample, so the figure can be a point or so off either way, and
the grade's fit trains on a fifth more digits, which usually helps a little.

The public test ``test_fit_on_held_back_digits`` and the notebook's fit cell run this check; the graded test takes
its rule (FULL, NONE, CPU_S) from here, so the two cannot drift apart. torch and numpy only.
"""

import time
from pathlib import Path
from typing import NamedTuple

import numpy as np
import torch

FULL, NONE = 0.95, 0.90  # accuracy on new digits that earns every point of fit's test, and that earns none
CPU_S = 60  # fit's CPU seconds at most, on one thread
POINTS = 5  # fit's test's weight (assignment.toml's; a test of the autograder keeps the two equal)
HOLD_BACK = 5  # every HOLD_BACK-th training digit is held back
DATA = Path(__file__).resolve().parent.parent / "digits_train.npz"


def share(accuracy):
    """The share of fit's points an accuracy on new digits earns: 0 up to NONE, 1 from FULL, linear in between."""
    return min(max((accuracy - NONE) / (FULL - NONE), 0.0), 1.0)


class FitReport(NamedTuple):
    """What one check of fit measured."""

    accuracy: float  # on the held-back digits
    held_back: int  # how many
    cpu_s: float  # fit's CPU seconds, on one thread
    seen: float = float("nan")  # on the digits fit trained on: under-trained, or learnt by heart?

    @property
    def cause(self):
        return cause(self.seen, self.accuracy)

    @property
    def points(self):
        """The points the grade's rule gives this run: none when fit took too long."""
        return 0.0 if self.cpu_s > CPU_S else share(self.accuracy) * POINTS

    def lines(self):
        """The report, one fact a line, each against the grade's line (indented: the check's own ✓ or ✗ line, which
        follows it in the notebook, is the verdict)."""
        right = round(self.accuracy * self.held_back)
        return [f"  accuracy on {self.held_back} held-back digits: {self.accuracy:.1%} ({right} right); the grade's line "
                f"is {FULL:.0%} for every point, {NONE:.0%} for none",
                f"  fit took {self.cpu_s:.1f} CPU s on one thread; the limit is {CPU_S} CPU s. Gradescope gives each "
                f"submission half a CPU core, so there it takes about twice as long on the clock, on a core that may "
                f"be slower than yours: stay well below {CPU_S // 2} s here",
                f"  the same rule gives {self.points:.2f} of fit's {POINTS} points"]


def cause(seen, accuracy):
    """Why a model falls short, from its accuracy on the digits it trained on (``seen``) and on new ones: under-trained,
    or learning its training digits by heart (the graded test and this check say it alike)."""
    if seen < FULL:
        return (f"the model reads only {seen:.1%} of its own training digits too: it is under-trained (more epochs, "
                "a larger learning rate), or its training does not work (train_epoch, DigitsCNN)")
    if seen - accuracy > FULL - NONE:
        return (f"the model reads {seen:.1%} of its training digits but {accuracy:.1%} of new ones: it learns the "
                "training digits rather than digits in general (fewer epochs, a smaller model)")
    return None


def held_back(n):
    """The training digits fit trains on (a boolean mask over n digits); the others are held back."""
    return torch.arange(n) % HOLD_BACK != 0


def measure(fit, x, y):
    """Train ``fit`` on x, y minus the held-back slice, on one thread as the autograder runs it; its model's
    accuracy on the slice (evaluation mode, no gradients) and fit's CPU seconds."""
    keep = held_back(len(y))
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        started = time.process_time()
        model = fit(x[keep], y[keep], seed=0)
        cpu_s = time.process_time() - started
    finally:
        torch.set_num_threads(threads)
    if not isinstance(model, torch.nn.Module):
        raise TypeError(f"fit should return the trained DigitsCNN (an nn.Module), got a {type(model).__name__}")
    model.eval()
    with torch.no_grad():
        predicted, trained_on = model(x[~keep]).argmax(dim=1), model(x[keep]).argmax(dim=1)
    return FitReport(float((predicted == y[~keep]).double().mean()), int((~keep).sum()), cpu_s,
                     float((trained_on == y[keep]).double().mean()))


def training_digits(path=DATA):
    """x (N, 1, 8, 8) float32 and y (N,) int64 from digits_train.npz."""
    data = np.load(path)
    return torch.from_numpy(data["x"]), torch.from_numpy(data["y"])


if __name__ == "__main__":
    import sys

    sys.path.insert(0, str(DATA.parent))
    import digits_cnn

    report = measure(digits_cnn.fit, *training_digits())
    print("your fit, trained on the training digits minus every fifth, by the grade's rule:")
    print("\n".join(report.lines()))
    print("✓ every point of fit's test" if report.points == POINTS else "✗ not every point of fit's test yet")
