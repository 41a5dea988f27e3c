"""Grade a batch of submissions of one assignment into ``students/<key>/results.json``.

The grading itself goes through :class:`runner.Runner` (several at a time, start-up paid once
per job), on the path a student's submission takes; a submission that takes its grader down
(a crash, a kill, a hang past the timeout) costs only its own row. A submission whose
results.json is newer than what it handed in is not graded again (unless ``regrade``); a
submission whose grader failed (``extra_data.grader_error``) is always tried again. Walking
folders and writing the gradebook and report is :mod:`.grade_folder`'s job.

Each submission replays the reference solution's recorded examples instead of drawing them again
(see :mod:`.replay`): the same verdicts and feedback, for about a third of the CPU time. The recording
is the course's (under .nnhw/, kept by `nnhw verify` and `nnhw build`); where there is none yet, the
solution is graded once first to make it, and the next batch finds it.
"""

import json
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from autograder.batch.runner import Runner, grader_failure
from autograder.grading import extra as extra_data
from autograder.grading import results as results_json

RESULTS = "results.json"
STUDENTS = "students"
DEFAULT_TIMEOUT_S = 1800.0
#: recording the solution's examples costs one grading: worth it from this many submissions on
RECORD_FROM = 3


class BatchError(RuntimeError):
    """The batch cannot go on (the assignment is broken for every submission alike)."""


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
    extra = extra_data.read(results)
    if extra.get("assignment") != assignment_id or extra.get("grader_error"):
        return None
    return results


def grade_batch(assignment, submissions, out_dir, jobs=None, regrade=False, timeout=DEFAULT_TIMEOUT_S,
                on_start=None, on_done=None, grade=None, seed=None):
    """Grade every submission (``collect.Submission``) into ``out_dir``; returns their :class:`Outcome`
    in the submissions' order. ``on_start(to_grade, skipped)`` and ``on_done(outcome)`` report progress
    (``on_done`` is called from one thread at a time). Raises :class:`BatchError` when the assignment
    turns out to be misconfigured (the grader says so for the first two submissions), after the
    running graders finish. ``grade`` stands in for the real grader (see :class:`runner.Runner`)."""
    out_dir = Path(out_dir)
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

    lock, broken, tally = threading.Lock(), [], {"ok": 0, "misconfigured": 0}

    def run(submission, runner):
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
                results = runner.grade(submission.source, partial, timeout=timeout, seed=seed, examples=examples)
            except Exception as exc:  # noqa: BLE001 - one submission never stops the batch
                results = grader_failure(f"nnhw grade could not be run: {exc!r}")
            finally:
                partial.unlink(missing_ok=True)
            if extra_data.read(results).get("misconfigured"):
                # the same for everyone: stop, unless one submission alone trips the grader this way
                with lock:
                    tally["misconfigured"] += 1
                    if not tally["ok"] and tally["misconfigured"] >= min(2, len(pending)):
                        broken.append(results["output"])
                        return None
                results = extra_data.write(results, keep=False, grader_error=True)
            elif results.get("tests"):
                with lock:
                    tally["ok"] += 1
            if submission.note:
                results = {**results, "output": (submission.note + "\n" + results.get("output", "")).strip()}
        results = extra_data.write(results, assignment=assignment.id)
        results_json.write(results, path)
        state = "error" if extra_data.read(results).get("grader_error") else "graded"
        return Outcome(submission, results, path, state, time.monotonic() - started)

    def done(outcome):
        if outcome is not None:
            outcomes[outcome.submission.key] = outcome
            if on_done:
                on_done(outcome)

    with Runner(assignment, jobs, grade) as runner:
        examples = None
        if grade is None and pending:  # a stand-in grader draws no examples
            recording = runner.cached_examples(seed, timeout, record=len(pending) >= RECORD_FROM)
            examples = recording and {"replay_examples": recording}
        try:
            runner.each(pending, lambda submission: run(submission, runner), done, stopped=lambda: bool(broken))
        except BaseException:  # Ctrl-C: start nothing new; what was graded stays for the next run
            broken.append("interrupted")
            raise
    if broken:
        first = broken[0].split("\n", 1)[-1].strip()
        raise BatchError(f"{assignment.id}: grading stopped, the assignment is misconfigured: "
                         f"{first.splitlines()[0] if first else broken[0]}")
    return [outcomes[s.key] for s in submissions]
