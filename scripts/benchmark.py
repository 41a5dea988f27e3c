#!/usr/bin/env python3
"""Benchmark grading the reference solutions as Gradescope would (not a test: it prints figures).

For each assignment: wall time of `nnhw grade ID solutions/ID` pinned to one core (Gradescope's
default machine has 0.5 vCPU), the peak memory of the grader plus its worker (the sum of the
resident sizes of the whole process tree, sampled every 20 ms), and the examples hypothesis ran
per property. Budgets from the issues: a1 and a2 under 30 s and 600 MB, a3 under 60 s and 700 MB,
at least 100 examples per property.

    .venv/bin/python scripts/benchmark.py [ID ...] [--cores 0]
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PAGE = os.sysconf("SC_PAGE_SIZE")


def tree_rss(pid):
    """Resident bytes of ``pid`` and all its descendants right now."""
    children = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as fh:
                    ppid = int(fh.read().rsplit(")", 1)[1].split()[1])
                children.setdefault(ppid, []).append(int(entry))
            except (OSError, ValueError, IndexError):
                continue
    total, stack = 0, [pid]
    while stack:
        current = stack.pop()
        try:
            with open(f"/proc/{current}/statm") as fh:
                total += int(fh.read().split()[1]) * PAGE
        except OSError:
            pass
        stack.extend(children.get(current, []))
    return total


def measure(assignment_id, cores):
    with tempfile.TemporaryDirectory() as temp:
        out = Path(temp) / "results.json"
        command = ["taskset", "-c", cores, sys.executable, "-m", "autograder", "grade", assignment_id,
                   f"solutions/{assignment_id}", "--out", str(out), "--quiet"]
        started = time.monotonic()
        proc = subprocess.Popen(command, cwd=ROOT)
        peak = 0
        while proc.poll() is None:
            peak = max(peak, tree_rss(proc.pid))
            time.sleep(0.02)
        wall = time.monotonic() - started
        results = json.loads(out.read_text())
    examples = results.get("extra_data", {}).get("examples", {})
    counts = [n for n in examples.values() if n]
    return {
        "assignment": assignment_id,
        "score": f"{results['score']:g}/{sum(t['max_score'] for t in results['tests']):g}",
        "wall_s": round(wall, 1),
        "peak_mb_grader_plus_worker": round(peak / 2**20),
        "properties": len(counts),
        "examples_min": min(counts, default=0),
        "examples_median": statistics.median(counts) if counts else 0,
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("ids", nargs="*")
    parser.add_argument("--cores", default="0", help="taskset CPU list (default: one core, 0)")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    from autograder.course import Course

    ids = args.ids or Course(ROOT).ids()
    for assignment_id in ids:
        row = measure(assignment_id, args.cores)
        print("  ".join(f"{k}={v}" for k, v in row.items()), flush=True)


if __name__ == "__main__":
    main()
