"""Grade many submissions, each in its own ``nnhw grade`` process, several at a time.

``nnhw grade-batch`` and ``nnhw verify`` both come through :func:`grade_in_subprocess`: a
submission is graded on exactly the path a student's is, and a submission that takes its
grader down (a crash, a kill, a hang past the timeout) costs only its own row.

Output, under the batch's folder: ``students/<key>/results.json`` for every submission.
A submission whose results.json is newer than what it handed in is not graded again
(unless ``regrade``); a submission whose grader failed (``extra_data.grader_error``) is
always tried again.
"""

import json
import os
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path

from . import results as results_json

RESULTS = "results.json"
STUDENTS = "students"
DEFAULT_TIMEOUT_S = 1800.0
#: how grader.grade_safely starts its message when the assignment itself is broken
MISCONFIGURED = "The autograder is misconfigured"


class BatchError(RuntimeError):
    """The batch cannot go on (the assignment is broken for every submission alike)."""


def cores():
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def grade_in_subprocess(assignment, upload, out, timeout=None, env=None):
    """Grade ``upload`` with ``nnhw grade ... --out OUT --quiet`` in a fresh process; its results.

    Whatever happens to that process, the answer is results.json content: when it fails, a score
    of zero and why (its exit status and the end of its stderr)."""
    env = {**os.environ, **(env or {}), "NNHW_COURSE_ROOT": str(assignment.course.root)}
    command = [sys.executable, "-m", "autograder", "grade", assignment.id, str(upload), "--out", str(out), "--quiet"]
    # same process group as ours: Ctrl-C stops the graders too (their workers clean up after themselves)
    process = subprocess.Popen(command, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, errors="replace")
    try:
        _, stderr = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()  # the grader's sandbox kills its worker when the pipe to it closes
        process.communicate()
        return grader_failure(f"nnhw grade took longer than {timeout:g} s and was stopped")
    if process.returncode != 0 or not Path(out).is_file():
        how = f"killed by signal {-process.returncode}" if process.returncode < 0 else f"exit {process.returncode}"
        return grader_failure(f"nnhw grade failed ({how}):\n{stderr[-3000:]}".rstrip())
    try:
        return json.loads(Path(out).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        return grader_failure(f"nnhw grade wrote an unreadable results.json ({exc})")


def grader_failure(message):
    """Results for a grader process that did not finish: zero, why, and a mark to try it again."""
    results = results_json.failure(message)
    results["extra_data"] = {"grader_error": True}
    return results


@dataclass
class Outcome:
    submission: object          # collect.Submission
    results: dict
    path: Path                  # the student's results.json
    state: str                  # "graded", "skipped" (graded before) or "error" (the grader failed)
    seconds: float = 0.0

    @property
    def score(self):
        return float(self.results.get("score", 0.0))

    @property
    def reason(self):
        """Why this row has no test results, in one line (empty when it has some)."""
        if self.results.get("tests"):
            return ""
        lines = [line.strip() for line in str(self.results.get("output", "")).splitlines() if line.strip()]
        return " ".join(lines[:2])[:300]


def results_path(out_dir, submission):
    return Path(out_dir) / STUDENTS / submission.key / RESULTS


def previous_results(path, submission, assignment_id):
    """The results of an earlier run worth keeping: newer than the submission, for this assignment,
    and not a failure of the grader; else None."""
    try:
        if path.stat().st_mtime <= submission.mtime:
            return None
        results = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(results, dict):
        return None
    extra = results.get("extra_data") if isinstance(results.get("extra_data"), dict) else {}
    if extra.get("assignment") != assignment_id or extra.get("grader_error"):
        return None
    return results


def thread_env(jobs):
    """Keep N graders from each starting a thread per core for torch / BLAS (N² threads on N cores)."""
    per_job = str(max(1, cores() // max(1, jobs)))
    names = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")
    return {name: per_job for name in names if name not in os.environ}


def grade_batch(assignment, submissions, out_dir, jobs=None, regrade=False, timeout=DEFAULT_TIMEOUT_S,
                on_start=None, on_done=None, grade=grade_in_subprocess):
    """Grade every submission (``collect.Submission``) into ``out_dir``; returns their :class:`Outcome`
    in the submissions' order. ``on_start(to_grade, skipped)`` and ``on_done(outcome)`` report progress
    (``on_done`` is called from one thread at a time). Raises :class:`BatchError` when the assignment
    turns out to be misconfigured (the grader says so for the first two submissions), after the
    running graders finish."""
    out_dir = Path(out_dir)
    jobs = max(1, jobs or cores())
    outcomes, pending = {}, []
    for submission in submissions:
        path = results_path(out_dir, submission)
        kept = None if regrade else previous_results(path, submission, assignment.id)
        if kept is not None:
            outcomes[submission.key] = Outcome(submission, kept, path, "skipped")
        else:
            pending.append(submission)
    if on_start:
        on_start(len(pending), len(outcomes))
    for outcome in outcomes.values():
        if on_done:
            on_done(outcome)

    env = thread_env(jobs)
    lock, broken, tally = threading.Lock(), [], {"ok": 0, "misconfigured": 0}

    def run(submission):
        path = results_path(out_dir, submission)
        path.parent.mkdir(parents=True, exist_ok=True)
        started = time.monotonic()
        if broken:
            return None
        if submission.source is None:
            results = grader_failure(f"Not graded: {submission.problem}")
        else:
            partial = path.with_name(f".{RESULTS}.partial")
            try:
                results = grade(assignment, submission.source, partial, timeout=timeout, env=env)
            except Exception as exc:  # noqa: BLE001 - one submission never stops the batch
                results = grader_failure(f"nnhw grade could not be run: {exc!r}")
            finally:
                partial.unlink(missing_ok=True)
            if (results.get("extra_data") or {}).get("misconfigured"):
                # the same for everyone: stop, unless one submission alone trips the grader this way
                with lock:
                    tally["misconfigured"] += 1
                    if not tally["ok"] and tally["misconfigured"] >= min(2, len(pending)):
                        broken.append(results["output"])
                        return None
                results = {**results, "extra_data": {"grader_error": True}}
            elif results.get("tests"):
                with lock:
                    tally["ok"] += 1
            if submission.note:
                results = {**results, "output": (submission.note + "\n" + results.get("output", "")).strip()}
        extra = results.get("extra_data") if isinstance(results.get("extra_data"), dict) else {}
        results = {**results, "extra_data": {**extra, "assignment": assignment.id}}
        results_json.write(results, path)
        state = "error" if extra.get("grader_error") else "graded"
        return Outcome(submission, results, path, state, time.monotonic() - started)

    if pending:
        with ThreadPoolExecutor(max_workers=min(jobs, len(pending))) as pool:
            futures = [pool.submit(run, s) for s in pending]
            try:
                for future in as_completed(futures):
                    outcome = future.result()
                    if outcome is None:
                        continue
                    outcomes[outcome.submission.key] = outcome
                    if on_done and not broken:
                        with lock:
                            on_done(outcome)
            except BaseException:  # Ctrl-C: start nothing new; what was graded stays for the next run
                broken.append("interrupted")
                pool.shutdown(wait=False, cancel_futures=True)
                raise
    if broken:
        first = broken[0].split("\n", 1)[-1].strip()
        raise BatchError(f"{assignment.id}: grading stopped, the assignment is misconfigured: "
                         f"{first.splitlines()[0] if first else broken[0]}")
    return [outcomes[s.key] for s in submissions]


@dataclass
class Summary:
    outcomes: list
    rows: list
    gradebook: Path
    report: Path
    layout: str
    ignored: list
    warnings: list

    def count(self, state):
        return sum(1 for o in self.outcomes if o.state == state)


GRADEBOOK = "gradebook.csv"
REPORT = "report.html"


def default_out(submissions):
    """``subs/`` → ``subs-graded/`` next to it; ``export.zip`` → ``export-graded/``."""
    submissions = Path(submissions).resolve()
    name = submissions.stem if submissions.is_file() else submissions.name
    return submissions.parent / f"{name}-graded"


def grade_folder(assignment, submissions, out_dir=None, jobs=None, regrade=False, timeout=DEFAULT_TIMEOUT_S,
                 on_start=None, on_done=None, grade=grade_in_subprocess):
    """``nnhw grade-batch``: collect the submissions in ``submissions`` (folder, zip or Gradescope
    export), grade them, write ``gradebook.csv``, ``report.html`` and ``students/<key>/results.json``."""
    from .collect import collect
    from .gradebook import rows, write_csv
    from .report import write_report

    config = assignment.config  # a broken config fails here, before anything is graded
    out_dir = Path(out_dir) if out_dir else default_out(submissions)
    with collect(submissions, config.files, exclude=[out_dir]) as found:
        outcomes = grade_batch(assignment, found.submissions, out_dir, jobs, regrade, timeout, on_start, on_done,
                               grade)
        table = rows(config, outcomes)
        write_csv(out_dir / GRADEBOOK, config, table)
        write_report(out_dir / REPORT, assignment.id, config.title, config, table)
        return Summary(outcomes, table, out_dir / GRADEBOOK, out_dir / REPORT, found.layout, found.ignored,
                       found.warnings)
