"""The reference solution's short training run, which a4's notebook draws beside the student's (run by hand).

    .venv/bin/python assignments/a4_pytorch/notebook_reference.py [--write]

It runs notebook.py's own ``training_run`` cell with the reference solution's code on digits_train.npz and
prints its REFERENCE line; ``--write`` puts that line into notebook.py. Torch's CPU kernels round alike
run after run but not on every CPU, so the numbers are kept rather than recomputed by each build;
tests/test_notebooks.py recomputes them and checks they are still the reference's run.
"""

import math
import re
import sys
from pathlib import Path

import numpy as np
import torch
import torch.nn as nn

HERE = Path(__file__).resolve().parent
CONTENT = HERE / "notebook.py"
LINE = re.compile(r"^REFERENCE = .*$", re.MULTILINE)


def training_run_cell():
    """The notebook's code cell that defines ``training_run`` (and REFERENCE), as source."""
    from autograder.authoring import notebook
    from autograder.course import Course

    assignment = Course(HERE.parent.parent).assignment(HERE.name)
    cells = [text for found in notebook.content_cells(assignment).values() for kind, text, _ in found if kind is None]
    return next(text for text in cells if "def training_run(" in text)


def training_run(module):
    """``(REFERENCE as notebook.py has it, the history of the notebook's training_run with module's code now)``."""
    from autograder.kit import data

    arrays = data.load(HERE, "digits_train.npz")
    namespace = {"math": math, "np": np, "torch": torch, "nn": nn}
    exec(training_run_cell(), namespace)  # noqa: S102 - the course's own cell, run as the notebook runs it
    torch.set_num_threads(1)  # as the notebook does
    _, history = namespace["training_run"](module, torch.from_numpy(arrays["x"]), torch.from_numpy(arrays["y"]))
    return namespace["REFERENCE"], [tuple(round(value, 4) for value in epoch) for epoch in history]


def reference_module():
    from autograder.course import Course

    return Course(HERE.parent.parent).assignment(HERE.name).load_reference()


if __name__ == "__main__":
    _, history = training_run(reference_module())
    line = f"REFERENCE = {history}"
    print(line)
    if "--write" in sys.argv[1:]:
        CONTENT.write_text(LINE.sub(line, CONTENT.read_text(encoding="utf-8"), count=1), encoding="utf-8")
