#!/usr/bin/env python3
"""What Landlock costs: grading time of each reference solution with and without confinement, side by side.

Each round grades every assignment's reference solution twice, confined and not (NNHW_NO_LANDLOCK=1),
in alternating order so that a warm cache or a busy neighbour favours neither; each grade is its own
`nnhw grade` process pinned to one core, as scripts/benchmark.py does. Prints the median wall time and
CPU time (grader and workers together: less disturbed than wall time on a busy machine) of each, the
difference, and the worker start-up alone (confinement is applied once per worker).

    .venv/bin/python scripts/bench_confinement.py [ID ...] [--rounds 3] [--cores 0]
"""

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from autograder.config import Limits  # noqa: E402
from autograder.course import Course  # noqa: E402
from autograder.sandbox import Worker  # noqa: E402
from autograder.sandbox.confine import probe  # noqa: E402

MODES = {"confined": {}, "unconfined": {"NNHW_NO_LANDLOCK": "1"}}


def grade_seconds(assignment_id, extra_env, cores):
    """Wall and CPU seconds of one `nnhw grade` of the reference solution, and the confinement it reported."""
    with tempfile.TemporaryDirectory() as temp:
        out = Path(temp) / "results.json"
        command = ["taskset", "-c", cores, sys.executable, "-m", "autograder", "grade", assignment_id,
                   f"solutions/{assignment_id}", "--out", str(out), "--quiet"]
        env = {**{k: v for k, v in os.environ.items() if k != "NNHW_NO_LANDLOCK"}, **extra_env}
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.monotonic()
        subprocess.run(command, cwd=ROOT, env=env, check=True)
        seconds = time.monotonic() - started
        after = resource.getrusage(resource.RUSAGE_CHILDREN)  # workers are reaped by the grader: counted too
        cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
        results = json.loads(out.read_text())
    maximum = sum(t["max_score"] for t in results["tests"])
    assert results["score"] == maximum > 0, f"{assignment_id}: the reference scored {results['score']}/{maximum}"
    return seconds, cpu, results["extra_data"]["confinement"]


def startup_seconds(extra_env, repeat=10):
    """Median time to start a worker holding a trivial module (confinement happens in its start-up)."""
    with tempfile.TemporaryDirectory() as temp:
        Path(temp).chmod(0o755)
        module = Path(temp) / "trivial.py"
        module.write_text("def f():\n    return 1\n")
        saved = os.environ.get("NNHW_NO_LANDLOCK")
        os.environ.pop("NNHW_NO_LANDLOCK", None)
        os.environ.update(extra_env)
        try:
            times = []
            for _ in range(repeat):
                started = time.monotonic()
                worker = Worker({"trivial.py": module}, ["trivial"], Limits())
                times.append(time.monotonic() - started)
                worker.close()
        finally:
            os.environ.pop("NNHW_NO_LANDLOCK", None)
            if saved is not None:
                os.environ["NNHW_NO_LANDLOCK"] = saved
    return statistics.median(times)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("ids", nargs="*")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--cores", default="0", help="taskset core list for each grade (default: one core)")
    args = parser.parse_args()
    abi, why_not = probe()
    if not abi:
        sys.exit(f"no Landlock on this machine ({why_not}): nothing to compare")
    ids = args.ids or [a.id for a in Course(ROOT).assignments()]
    times = {(i, m): [] for i in ids for m in MODES}
    cpus = {(i, m): [] for i in ids for m in MODES}
    seen = {}
    for round_ in range(args.rounds):
        for assignment_id in ids:
            order = list(MODES) if round_ % 2 == 0 else list(reversed(MODES))
            for mode in order:
                seconds, cpu, confinement = grade_seconds(assignment_id, MODES[mode], args.cores)
                times[assignment_id, mode].append(seconds)
                cpus[assignment_id, mode].append(cpu)
                seen[mode] = confinement
                print(f"  round {round_ + 1} {assignment_id:12} {mode:10} {seconds:6.1f} s wall {cpu:6.1f} s CPU "
                      f"({confinement})", file=sys.stderr)
    print(f"Landlock ABI {abi}; {args.rounds} rounds, medians of `nnhw grade` on core(s) {args.cores}; "
          f"load average {os.getloadavg()[0]:.1f} at the end")
    print(f"confined: {seen['confined']}; unconfined: {seen['unconfined']}\n")
    print("| assignment | wall, confined | wall, unconfined | CPU, confined | CPU, unconfined | CPU difference |")
    print("|---|---|---|---|---|---|")
    for assignment_id in ids:
        wall = [statistics.median(times[assignment_id, mode]) for mode in MODES]
        cpu = [statistics.median(cpus[assignment_id, mode]) for mode in MODES]
        print(f"| {assignment_id} | {wall[0]:.1f} s | {wall[1]:.1f} s | {cpu[0]:.1f} s | {cpu[1]:.1f} s | "
              f"{cpu[0] - cpu[1]:+.1f} s ({(cpu[0] / cpu[1] - 1) * 100:+.0f}%) |")
    starts = {mode: startup_seconds(env) for mode, env in MODES.items()}
    print(f"\nworker start-up (median of 10): confined {starts['confined'] * 1000:.0f} ms, "
          f"unconfined {starts['unconfined'] * 1000:.0f} ms")


if __name__ == "__main__":
    main()
