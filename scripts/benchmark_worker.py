#!/usr/bin/env python3
"""What the worker costs: grade the reference solution through the worker, then in-process, and compare.

    .venv/bin/python scripts/benchmark_worker.py [ID ...] [--json]

In-process mode exists only here, for this measurement: the graded tests' calls go straight to
the reference module imported into this process (arguments deep-copied, as the channel would),
so the difference between the two runs is the worker's channel and process. Both runs draw the
same examples (derandomized) and must give the same score. Prints, per assignment, both wall
times, their ratio, the number of calls and the round trip per call.
"""

import argparse
import copy
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from autograder import grader, sandbox  # noqa: E402
from autograder.course import Course  # noqa: E402
from autograder.student import Session, StudentCodeError  # noqa: E402


class _Timed:
    """Counts and times Worker.request (the whole round trip: encode, write, the call, read, decode)."""

    def __init__(self):
        self.calls, self.seconds = 0, 0.0
        self.original = sandbox.Worker.request

    def __enter__(self):
        timed = self

        def request(worker, *args, **kwargs):
            started = time.perf_counter()
            try:
                return timed.original(worker, *args, **kwargs)
            finally:
                timed.calls += 1
                timed.seconds += time.perf_counter() - started

        sandbox.Worker.request = request
        return self

    def __exit__(self, *exc):
        sandbox.Worker.request = self.original


class _InProcess:
    """Session.request answered by the reference in this process (plain calls only)."""

    def __init__(self):
        self.original, self.calls, self.seconds = Session.request, 0, 0.0

    def __enter__(self):
        timed = self

        def request(session, target, args=(), kwargs=None, **extra):
            if extra.get("op", "call") != "call" or set(extra) - {"op"}:
                raise NotImplementedError(f"in-process mode handles plain calls only, not {extra}")
            function = session._reference_function(target)
            args, kwargs = copy.deepcopy((tuple(args), kwargs or {}))
            started = time.perf_counter()
            try:
                result = function(*args, **kwargs)
            except Exception as exc:  # noqa: BLE001 - as the worker would report it
                raise StudentCodeError(f"{target} raised {type(exc).__name__}: {exc}", raised=type(exc).__name__)
            finally:
                timed.calls += 1
                timed.seconds += time.perf_counter() - started
            return {"result": result, "mutated": []}

        Session.request = request
        return self

    def __exit__(self, *exc):
        Session.request = self.original


def measure(assignment):
    # a first grading warms the imports and the file cache, so neither timed run pays them
    grader.grade(assignment, assignment.solution_dir, keyword=assignment.config.tests[0].name)
    with _Timed() as channel:
        started = time.perf_counter()
        through_worker = grader.grade(assignment, assignment.solution_dir)
        worker_s = time.perf_counter() - started
    try:
        with _InProcess() as local:
            started = time.perf_counter()
            in_process = grader.grade(assignment, assignment.solution_dir)
            local_s = time.perf_counter() - started
    except NotImplementedError as exc:
        return {"assignment": assignment.id, "worker_s": round(worker_s, 2), "in_process": f"n/a ({exc})"}
    if in_process["score"] != through_worker["score"]:
        raise SystemExit(f"{assignment.id}: in-process score {in_process['score']} != worker's "
                         f"{through_worker['score']}:\n{json.dumps(in_process, indent=1)[:3000]}")
    return {
        "assignment": assignment.id,
        "worker_s": round(worker_s, 2),
        "in_process_s": round(local_s, 2),
        "ratio": round(worker_s / local_s, 2),
        "calls": channel.calls,
        "round_trip_ms": round(1000 * (channel.seconds - local.seconds) / max(channel.calls, 1), 3),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("ids", nargs="*")
    parser.add_argument("--json", action="store_true", help="One JSON object per line.")
    args = parser.parse_args()
    course = Course(ROOT)
    for assignment_id in args.ids or ["a1_forward"]:
        row = measure(course.assignment(assignment_id))
        print(json.dumps(row) if args.json else "  ".join(f"{k}={v}" for k, v in row.items()), flush=True)


if __name__ == "__main__":
    main()
