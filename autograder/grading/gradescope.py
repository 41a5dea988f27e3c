"""Entry point of the Gradescope bundle's ``run_autograder``.

Reads the container layout from ``$AUTOGRADER_ROOT`` (default ``/autograder``), so tests can
lay out a fake container in a temporary folder. Always writes a valid results.json and exits 0.

Before any student code runs, the whole tree (sources with the reference solutions and hidden
tests, the submission, the results folder, run_autograder itself) is made root-only, so the
student's worker, which runs under a uid of its own, can neither read nor change any of it.
results.json is written last, by this process, once every student process is gone. The
solution's examples recorded at build time are replayed instead of drawn (see :mod:`.replay`):
the same grade in a third of the time, on Gradescope's half a core.
"""

import os
import sys
from pathlib import Path

from autograder.course import Course
from autograder.grading import results as results_json
from autograder.grading.grader import grade_safely
from autograder.sandbox import close_all_workers


def lock_down(root):
    """Only the grader (root) may read or change the sources, the submission and the results."""
    for folder in (root, root / "source", root / "results", root / "submission"):
        folder.mkdir(exist_ok=True)
        os.chmod(folder, 0o700)


def checked(results):
    """``results`` if they follow the schema, else a zero with the reason: Gradescope must get valid JSON."""
    try:
        problems = results_json.validate(results)
    except Exception as exc:  # noqa: BLE001 - no validator (jsonschema missing): trust the assembler
        print(f"nnhw: could not validate results.json ({exc})", file=sys.stderr)
        return results
    if not problems:
        return results
    return results_json.failure("The autograder produced invalid results; please tell your instructor.\n"
                                + "\n".join(problems[:20]), results.get("execution_time"))


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    os.umask(0o077)
    root = Path(os.environ.get("AUTOGRADER_ROOT", "/autograder"))
    out = root / "results" / "results.json"
    try:
        lock_down(root)
    except OSError as exc:
        print(f"nnhw: could not restrict permissions under {root}: {exc}", file=sys.stderr)
    course = Course(root / "source")
    try:
        assignment = course.assignment(argv[0])
        examples = assignment.bundled_examples if assignment.bundled_examples.is_file() else None
    except Exception:  # noqa: BLE001 - grade_safely reports a bad assignment id as results
        examples = None
    try:
        results = grade_safely(course, argv[0], root / "submission", replay_examples=examples)
    finally:
        close_all_workers()  # grading closes its workers; this makes sure, before anything is written
    results = checked(results)
    results_json.write(results, out)
    print(f"nnhw: score {results['score']:g}; results written to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
