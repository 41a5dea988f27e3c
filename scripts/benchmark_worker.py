#!/usr/bin/env python3
"""What the worker costs: grade the reference solution through the worker, then in-process, and compare.

    .venv/bin/python scripts/benchmark_worker.py [ID ...] [--json]

In-process mode exists only here, for this measurement: the graded tests' calls go straight to
the reference module imported into this process (arguments deep-copied, as the channel would),
so the difference between the two runs is the worker's channel and process. Both runs draw the
same examples (derandomized) and must give the same score; then both again, replaying the
solution's recorded examples as the bundle does. Prints, per assignment, the wall times, their
ratios (drawn and replayed), the number of calls and the round trip per call.
"""

import argparse
import copy
import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from autograder import sandbox  # noqa: E402
from autograder.course import Course  # noqa: E402
from autograder.grading import grader
from autograder.grading.student import Session, StudentCodeError  # noqa: E402
from autograder.protocol import Answer  # noqa: E402


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
            return Answer(result=result)

        Session.request = request
        return self

    def __exit__(self, *exc):
        Session.request = self.original


def _timed_grades(assignment, **options):
    """Grade the solution through the worker, then in-process; ``(through worker, in process, seconds of
    each, the worker's channel, the in-process calls)``."""
    with _Timed() as channel:
        started = time.perf_counter()
        through_worker = grader.grade(assignment, assignment.solution_dir, **options)
        worker_s = time.perf_counter() - started
    with _InProcess() as local:
        started = time.perf_counter()
        in_process = grader.grade(assignment, assignment.solution_dir, **options)
        local_s = time.perf_counter() - started
    if in_process["score"] != through_worker["score"]:  # a test that needs the worker itself (e.g. its device)
        differ = [t.get("name", "?") for t, w in zip(in_process["tests"], through_worker["tests"])
                  if t.get("score") != w.get("score")]
        raise NotImplementedError(f"in process it scores {in_process['score']:g}, through the worker "
                                  f"{through_worker['score']:g}; they differ on {'; '.join(differ)[:300]}")
    return worker_s, local_s, channel, local


def measure(assignment):
    """Both ways with the examples drawn (nnhw grade), then both replaying the solution's recorded
    examples (Gradescope's bundle, grade-batch, verify): without hypothesis's drawing, the channel is
    a larger share of what is left."""
    with tempfile.TemporaryDirectory() as temp:
        recording = Path(temp) / "examples.pickle"
        # a first grading warms the imports and the file cache, and records the examples
        grader.grade(assignment, assignment.solution_dir, record_examples=recording)
        try:
            drawn = _timed_grades(assignment)
            replayed = _timed_grades(assignment, replay_examples=recording)
        except NotImplementedError as exc:
            return {"assignment": assignment.id, "in_process": f"n/a ({exc})"}
    row = {"assignment": assignment.id}
    for label, (worker_s, local_s, channel, local) in (("drawn", drawn), ("replayed", replayed)):
        row.update({f"{label}_worker_s": round(worker_s, 2), f"{label}_in_process_s": round(local_s, 2),
                    f"{label}_ratio": round(worker_s / local_s, 2)})
    worker_s, local_s, channel, local = replayed
    row.update({"ratio": row["drawn_ratio"], "calls": channel.calls,
                "round_trip_ms": round(1000 * (channel.seconds - local.seconds) / max(channel.calls, 1), 3)})
    return row


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
