"""Entry point of the Gradescope bundle's ``run_autograder``.

Reads the container layout from ``$AUTOGRADER_ROOT`` (default ``/autograder``), so tests can
lay out a fake container in a temporary folder. Always writes results.json and exits 0.
"""

import os
import sys
from pathlib import Path

from . import results as results_json
from .course import Course
from .grader import grade_safely


def lock_down(root):
    """Only the grader (root) may read the sources, the submission and the results."""
    for folder in (root, root / "source", root / "results"):
        folder.mkdir(exist_ok=True)
        os.chmod(folder, 0o700)


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    root = Path(os.environ.get("AUTOGRADER_ROOT", "/autograder"))
    out = root / "results" / "results.json"
    try:
        lock_down(root)
    except OSError as exc:
        print(f"nnhw: could not restrict permissions under {root}: {exc}", file=sys.stderr)
    course = Course(root / "source")
    results = grade_safely(lambda: course.assignment(argv[0]), root / "submission")
    results_json.write(results, out)
    print(f"nnhw: score {results['score']:g}; results written to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
