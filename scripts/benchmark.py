#!/usr/bin/env python3
"""Every speed figure of nnhw from one run, side by side (not a test: it prints figures).

Per assignment:
- one submission as Gradescope grades it: the solution through the assignment's bundle (its
  run_autograder, in a fake /autograder; the bundle replays the solution's recorded examples) in
  Gradescope's default box (0.5 CPU, 768 MB, by `gradescope-box` where it exists and we are root;
  else pinned to one core, memory sampled as the sum of the process tree's resident sizes): wall
  and CPU seconds, peak memory of grader and worker together, examples per property, tests
  replayed (budget: 30 s, 600 MB); and the same for a weak submission, the solution with every
  instructor mutant in it (each failure shrunk into feedback, as a student's would be);
- `nnhw verify ID`: wall seconds on all cores, cold (the solution's examples drawn again, as after
  an edit to a property); then `nnhw verify` of all of them as one command: cold, with the examples
  recorded, and so again with workers started the plain way (no warm process);
- the worker's cost: grading through the worker against in-process (scripts/benchmark_worker.py);
then `nnhw grade-batch` throughput at --jobs 1 and 2 (scripts/bench_batch.py), and the load average
before and after: the machine may be shared, and figures taken under load are not comparable.

    .venv/bin/python scripts/benchmark.py [ID ...] [--skip verify,batch,worker,box] [--batch-count 40]
"""

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PAGE = os.sysconf("SC_PAGE_SIZE")
BOX = Path(os.environ.get("NNHW_GRADESCOPE_BOX", "/work/shared/tools/gradescope-box"))
BOX_LINE = re.compile(r"wall ([\d.]+) s, cpu ([\d.]+) s, peak (\d+) MB")


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


def bundle_containers(assignment_id, folder):
    """Gradescope's /autograder for two submissions of ``assignment_id``, in ``folder``, from one bundle as
    `nnhw build` makes it (with the solution's recorded examples): ``{"solution": ..., "every mutant": ...}``,
    each the command that grades it (run_autograder, as Gradescope runs it) and where its results go. "every
    mutant" is the solution with every instructor mutant in it: a weak student's many bugs, each failure
    shrunk into feedback."""
    sys.path.insert(0, str(ROOT / "tests"))
    from fake_gradescope import make_container

    from autograder.authoring.build import bundle_tree, deterministic_zip, recorded_examples
    from autograder.authoring.mutants import load_mutants, write_mutants_submission
    from autograder.course import Course

    assignment = Course(ROOT).assignment(assignment_id)
    bundle = deterministic_zip(folder / "bundle.zip", bundle_tree(assignment, recorded_examples(assignment)))
    submissions = {"solution": assignment.solution_dir,
                   "every mutant": write_mutants_submission(assignment, load_mutants(assignment), folder / "every-mutant")}
    containers = {}
    for name, submission in submissions.items():
        root = make_container(folder / name, bundle, submission)
        containers[name] = (["env", "-u", "NNHW_COURSE_ROOT", f"AUTOGRADER_ROOT={root}", f"NNHW_PYTHON={sys.executable}",
                             str(root / "run_autograder")], root / "results" / "results.json")
    return containers


def in_box(command):
    """Wall, CPU and peak memory (cgroup: shared pages once) of one grading in Gradescope's box."""
    done = subprocess.run([str(BOX), "--", *command], cwd=ROOT, capture_output=True, text=True)
    found = BOX_LINE.search(done.stderr)
    if done.returncode != 0 or not found:
        raise SystemExit(f"gradescope-box failed for {command}:\n{done.stderr[-2000:]}")
    wall, cpu, peak = found.groups()
    return {"box": "0.5 CPU, 768 MB", "wall_s": float(wall), "cpu_s": float(cpu), "peak_mb": int(peak)}


def on_one_core(command):
    started, usage = time.monotonic(), os.times()
    proc = subprocess.Popen(["taskset", "-c", "0", *command], cwd=ROOT)
    peak = 0
    while proc.poll() is None:
        peak = max(peak, tree_rss(proc.pid))
        time.sleep(0.02)
    after = os.times()
    cpu = after.children_user + after.children_system - usage.children_user - usage.children_system
    return {"box": "1 core (no cgroup)", "wall_s": round(time.monotonic() - started, 1), "cpu_s": round(cpu, 1),
            "peak_mb": round(peak / 2**20)}


def graded_in_box(command, out):
    """One grading (``command``, writing results to ``out``) in Gradescope's box: its figures and results."""
    use_box = BOX.is_file() and os.geteuid() == 0 and shutil.which("bash")
    row = in_box(command) if use_box else on_one_core(command)
    results = json.loads(out.read_text())
    counts = [n for n in results.get("extra_data", {}).get("examples", {}).values() if n]
    replayed = len(results.get("extra_data", {}).get("replayed", []))
    return {**row, "score": f"{results['score']:g}/{sum(t['max_score'] for t in results['tests']):g}",
            "examples": f"{min(counts, default=0)} / {statistics.median(counts) if counts else 0:g}",
            "replayed": f"{replayed}/{len(results['tests'])}"}


def box_rows(assignment_id):
    """The solution, and the solution with every mutant, graded by the assignment's Gradescope bundle (built
    once) as Gradescope runs it, in Gradescope's box: ``{"solution": row, "every mutant": row}``."""
    with tempfile.TemporaryDirectory() as temp:
        return {name: graded_in_box(*container) for name, container in bundle_containers(assignment_id, Path(temp)).items()}


def verify_wall(*ids, cold=True, env=None):
    """Wall seconds of one `nnhw verify IDS` on all cores. ``cold``: the solution's recorded examples
    are forgotten first (as after an edit to a property), so the solution's run draws them again."""
    if cold:
        for assignment_id in ids:
            for path in (ROOT / ".nnhw" / "examples").glob(f"{assignment_id}.*"):
                path.unlink()
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "autograder", "verify", *ids], cwd=ROOT,
                          capture_output=True, text=True, env={**os.environ, **(env or {})})
    return round(time.monotonic() - started, 1), done.returncode == 0


def worker_cost(assignment_id):
    done = subprocess.run([sys.executable, "scripts/benchmark_worker.py", assignment_id, "--json"], cwd=ROOT,
                          capture_output=True, text=True)
    if done.returncode != 0:
        return {"ratio": f"failed: {done.stderr.strip().splitlines()[-1:]}"}
    row = json.loads(done.stdout.splitlines()[-1])
    keys = ("drawn_ratio", "replayed_ratio", "round_trip_ms", "calls")
    return {k: row[k] for k in keys if k in row} or {"ratio": row.get("in_process")}


def batch(assignment_id, count):
    done = subprocess.run([sys.executable, "scripts/bench_batch.py", "--assignment", assignment_id, "--count",
                           str(count), "--jobs", "1", "2"], cwd=ROOT, capture_output=True, text=True)
    rates = dict(re.findall(r"--jobs (\d+): .*? = ([\d.]+) submissions/minute", done.stdout))
    return {f"jobs {jobs}": f"{float(rate):.1f}/min" for jobs, rate in rates.items()} or {"failed": done.stderr[-500:]}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("ids", nargs="*")
    parser.add_argument("--skip", default="", help="Comma-separated parts to leave out: box, verify, worker, batch.")
    parser.add_argument("--batch-count", type=int, default=40)
    parser.add_argument("--batch-assignment", default="a1_forward")
    args = parser.parse_args()
    skip = set(filter(None, args.skip.split(",")))
    sys.path.insert(0, str(ROOT))
    from autograder.course import Course

    ids = args.ids or Course(ROOT).ids()
    print(f"{os.cpu_count()} core(s); load average {os.getloadavg()[0]:.2f} at the start", flush=True)
    rows, verify_total = [], 0.0
    for assignment_id in ids:
        row = {"assignment": assignment_id}
        if "box" not in skip:
            graded = box_rows(assignment_id)
            row.update(graded["solution"])
            wrong = graded["every mutant"]
            row["every_mutant"] = f"{wrong['score']}: {wrong['wall_s']} s wall, {wrong['cpu_s']} s CPU, {wrong['peak_mb']} MB"
        if "verify" not in skip:
            row["verify_cold_s"], row["verified"] = verify_wall(assignment_id)
            verify_total += row["verify_cold_s"]
        if "worker" not in skip:
            row.update(worker_cost(assignment_id))
        print("  ".join(f"{k}={v}" for k, v in row.items()), flush=True)
        rows.append(row)
    if "verify" not in skip:
        print(f"verify, each assignment cold (its examples drawn again): {verify_total:.1f} s wall in all", flush=True)
        runs = {"cold (all examples drawn again)": {"cold": True},
                "the examples recorded": {"cold": False},
                "the examples recorded, no warm workers (NNHW_NO_WARM_WORKERS=1)":
                    {"cold": False, "env": {"NNHW_NO_WARM_WORKERS": "1"}}}
        for label, options in runs.items():
            seconds, verified = verify_wall(*ids, **options)
            print(f"nnhw verify {' '.join(ids)}, one command, {label}: {seconds:.1f} s wall"
                  + ("" if verified else " (NOT verified)"), flush=True)
    if "batch" not in skip:
        figures = batch(args.batch_assignment, args.batch_count)
        print(f"grade-batch {args.batch_assignment} ({args.batch_count} submissions): "
              + ", ".join(f"{k}: {v}" for k, v in figures.items()), flush=True)
    print(f"load average {os.getloadavg()[0]:.2f} at the end")
    columns = list(dict.fromkeys(k for row in rows for k in row))
    print("\n" + " | ".join(columns))
    for row in rows:
        print(" | ".join(str(row.get(c, "")) for c in columns))


if __name__ == "__main__":
    main()
