#!/usr/bin/env python3
"""Throughput of ``nnhw grade-batch``: submissions graded per minute at each --jobs.

    .venv/bin/python scripts/bench_batch.py                 # 40 a1_forward submissions, --jobs 1 and 2
    .venv/bin/python scripts/bench_batch.py --count 12 --jobs 1 2 4

Generates a class (solution, starter, every mutant, broken and hostile uploads, copies of the
solution; see tests/batch_submissions.py), grades it once per --jobs value into its own output
folder through the real command, checks each gradebook's totals against the students'
results.json, and prints the table. The machine's load average is printed too: other work on
the machine slows grading down, so compare figures taken under the same load.
"""

import argparse
import csv
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from batch_submissions import make_submissions  # noqa: E402

from autograder.batch.runner import cores  # noqa: E402
from autograder.course import Course  # noqa: E402


def check(out):
    """The gradebook's totals are the students' results.json scores; returns the row count."""
    with open(out / "gradebook.csv", newline="", encoding="utf-8") as fh:
        table = list(csv.DictReader(fh))
    for row in table:
        score = json.loads((out / row["results"]).read_text())["score"]
        if abs(float(row["total"]) - score) > 1e-9:
            raise SystemExit(f"{row['student']}: gradebook total {row['total']} but results.json says {score}")
    return len(table)


def _children_cpu():
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--assignment", default="a1_forward")
    parser.add_argument("--count", type=int, default=40)
    parser.add_argument("--jobs", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--keep", type=Path, help="Keep the submissions and outputs in this folder.")
    args = parser.parse_args()

    assignment = Course(ROOT).assignment(args.assignment)
    with tempfile.TemporaryDirectory(prefix="nnhw-bench-") as temp:
        base = args.keep or Path(temp)
        submissions = base / "submissions"
        expected = make_submissions(assignment, submissions, count=args.count)
        print(f"{len(expected)} {args.assignment} submissions in {submissions}; {cores()} core(s); "
              f"load average {os.getloadavg()[0]:.2f}", flush=True)
        figures = []
        for jobs in args.jobs:
            out = base / f"graded-jobs{jobs}"
            started, cpu_before = time.monotonic(), _children_cpu()
            done = subprocess.run([sys.executable, "-m", "autograder", "grade-batch", args.assignment, str(submissions),
                                   "--out", str(out), "--jobs", str(jobs), "--regrade"],
                                  cwd=ROOT, capture_output=True, text=True, env={**os.environ, "COLUMNS": "200"})
            seconds, cpu = time.monotonic() - started, _children_cpu() - cpu_before
            if done.returncode != 0:
                raise SystemExit(f"grade-batch --jobs {jobs} failed:\n{done.stdout}\n{done.stderr}")
            rows = check(out)
            per_minute = len(expected) * 60 / seconds
            figures.append((jobs, seconds, per_minute, cpu))
            print(f"--jobs {jobs}: {len(expected)} submissions ({rows} rows) in {seconds:.1f} s = "
                  f"{per_minute:.1f} submissions/minute; {cpu / len(expected):.1f} CPU s per submission, "
                  f"{cpu / seconds:.2f} cores busy on average (load average {os.getloadavg()[0]:.2f})", flush=True)
        print()
        print(f"{'jobs':>4}  {'seconds':>8}  {'per minute':>10}  {'speed-up':>8}  {'CPU s/sub':>9}  {'cores used':>10}")
        for jobs, seconds, per_minute, cpu in figures:
            print(f"{jobs:>4}  {seconds:>8.1f}  {per_minute:>10.1f}  {per_minute / figures[0][2]:>7.2f}x  "
                  f"{cpu / len(expected):>9.1f}  {cpu / seconds:>10.2f}")
        print("(cores used = CPU time of the graders / wall time; well under --jobs means other work had the cores)")


if __name__ == "__main__":
    main()
