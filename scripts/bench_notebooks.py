#!/usr/bin/env python3
"""How long each assignment's notebook takes with the solution in place, on one core: wall and CPU seconds of
a run of every cell by a real kernel (nbclient + ipykernel), kernel start-up included. The issue's bound is
60 s per notebook on one CPU core.

    .venv/bin/python scripts/bench_notebooks.py [ID ...] [--core 0]
"""

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from autograder.authoring.mutants import write_mutants_submission  # noqa: E402
from autograder.course import Course  # noqa: E402

RUN_ALL = """
import sys, nbformat
from nbclient import NotebookClient
document = nbformat.read(sys.argv[1], as_version=4)
NotebookClient(document, timeout=600, kernel_name="python3", resources={"metadata": {"path": sys.argv[2]}}).execute()
errors = [o for c in document.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
sys.exit(f"{len(errors)} cell(s) ended in an error" if errors else 0)
"""


def children_cpu():
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def measure(assignment, core):
    """(wall s, CPU s) of one run of the notebook, the solution written over the starter's stubs."""
    with tempfile.TemporaryDirectory(prefix=f"nnhw-bench-{assignment.id}-") as temp:
        folder = Path(temp) / assignment.id
        shutil.copytree(assignment.starter_dir, folder)
        write_mutants_submission(assignment, [], folder)
        notebook = folder / f"{assignment.id}.ipynb"
        command = ["taskset", "-c", str(core), sys.executable, "-c", RUN_ALL, str(notebook), str(folder)]
        cpu, started = children_cpu(), time.monotonic()
        done = subprocess.run(command, cwd=folder, capture_output=True, text=True)
        wall, cpu = time.monotonic() - started, children_cpu() - cpu
        if done.returncode:
            raise SystemExit(f"{assignment.id}: the notebook did not run through:\n{done.stderr[-2000:]}")
        return wall, cpu


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("ids", nargs="*")
    parser.add_argument("--core", type=int, default=0, help="the one core the kernel runs on")
    args = parser.parse_args()
    course = Course(ROOT)
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}; one core (taskset -c {args.core})")
    print(f"{'notebook':<24} {'wall s':>8} {'CPU s':>8}")
    for assignment in course.assignments(args.ids or None):
        if not (assignment.starter_dir / f"{assignment.id}.ipynb").is_file():
            continue
        wall, cpu = measure(assignment, args.core)
        print(f"{assignment.id + '.ipynb':<24} {wall:8.1f} {cpu:8.1f}")
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
