"""Grade many submissions of one assignment at once: the one runner behind ``grade-batch`` and ``verify``.

A :class:`Runner` keeps ``jobs`` graders busy. Each grader is a zygote (see :mod:`.zygote`)
that imports torch, hypothesis and pytest once and forks a fresh child per submission, so a
class of 300 pays the start-up twice instead of 300 times (and runners that share their
:class:`Zygotes` pay it together), while each submission is still
graded alone, on the path ``nnhw grade`` takes, with its own worker. Whatever happens to a
child (a crash, a kill, a hang past the timeout), the answer is results.json content: a zero
with the reason and a mark to try again.
"""

import json
import os
import subprocess
import sys
import tempfile
import threading
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path

from autograder.grading import extra as extra_data
from autograder.grading import results as results_json


def cores():
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def thread_env(jobs):
    """Keep N graders from each starting a thread per core for torch / BLAS (N² threads on N cores)."""
    per_job = str(max(1, cores() // max(1, jobs)))
    names = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")
    return {name: per_job for name in names if name not in os.environ}


def grader_failure(message):
    """Results for a grader process that did not finish: zero, why, and a mark to try it again."""
    return extra_data.write(results_json.failure(message), grader_error=True)


def _grader_env(course_root, env):
    return {**os.environ, **(env or {}), "NNHW_COURSE_ROOT": str(course_root)}


def _results_of(out, returncode, stderr, timed_out, timeout):
    """What a grader process that ended so left behind, as results.json content."""
    if timed_out:
        return grader_failure(f"nnhw grade took longer than {timeout:g} s and was stopped")
    if returncode != 0 or not Path(out).is_file():
        how = f"killed by signal {-returncode}" if returncode < 0 else f"exit {returncode}"
        return grader_failure(f"nnhw grade failed ({how}):\n{stderr[-3000:]}".rstrip())
    try:
        return json.loads(Path(out).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        return grader_failure(f"nnhw grade wrote an unreadable results.json ({exc})")


def grade_in_subprocess(assignment, upload, out, timeout=None, env=None, seed=None, examples=None, keyword=None):
    """Grade ``upload`` with ``nnhw grade ... --out OUT --quiet`` in a fresh process; its results.

    The slow, simple way (start-up paid every time); :class:`Runner` grades the same, faster. Without
    ``examples`` they are drawn, as the Runner's are, not replayed from the course's recording."""
    command = [sys.executable, "-m", "autograder", "grade", assignment.id, str(upload), "--out", str(out), "--quiet"]
    if not examples:
        command.append("--no-replay")
    if seed is not None:
        command += ["--seed", str(seed)]
    for option, path in (examples or {}).items():
        command += [f"--{option.replace('_', '-')}", str(path)]
    if keyword:
        command += ["-k", keyword]
    # same process group as ours: Ctrl-C stops the graders too (their workers clean up after themselves)
    process = subprocess.Popen(command, env=_grader_env(assignment.course.root, env), stdin=subprocess.DEVNULL,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, errors="replace")
    try:
        _, stderr = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()  # the grader's sandbox kills its worker when the pipe to it closes
        process.communicate()
        return _results_of(out, -9, "", True, timeout)
    return _results_of(out, process.returncode, stderr, False, timeout)


class ZygoteFailure(RuntimeError):
    """The zygote itself is gone or never started (not any one submission's doing)."""


class Zygote:
    """One ``python -m autograder.zygote`` process and its request/answer pipes."""

    def __init__(self, course_root, torch, env):
        self.key = self.key_of(course_root, torch, env)
        self.errors = tempfile.TemporaryFile()
        command = [sys.executable, "-m", "autograder.batch.zygote", *(["--torch"] if torch else [])]
        self.process = subprocess.Popen(command, env=_grader_env(course_root, env), stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE, stderr=self.errors, text=True, errors="replace")
        ready = self._answer()
        if not ready.get("ready"):
            self.close()
            raise ZygoteFailure(f"the grader could not start: {ready.get('error', '')}".rstrip())

    @staticmethod
    def key_of(course_root, torch, env):
        """What makes two zygotes interchangeable: the same course, torch or not, the same environment."""
        return str(course_root), torch, tuple(sorted(env.items()))

    def _answer(self):
        line = self.process.stdout.readline()
        if not line:
            self.errors.seek(0)
            tail = self.errors.read()[-3000:].decode("utf-8", "replace")
            raise ZygoteFailure(f"the grader process ended (exit {self.process.poll()}):\n{tail}".rstrip())
        return json.loads(line)

    def grade(self, assignment, upload, out, timeout=None, seed=None, shrink=True, examples=None, keyword=None):
        request = {"assignment": assignment.id, "upload": str(upload), "out": str(out), "timeout": timeout,
                   "seed": seed, "shrink": shrink, "keyword": keyword,
                   **{option: str(path) for option, path in (examples or {}).items()}}
        try:
            self.process.stdin.write(json.dumps(request) + "\n")
            self.process.stdin.flush()
        except OSError as exc:
            raise ZygoteFailure(f"the grader process is gone ({exc})") from None
        answer = self._answer()
        return _results_of(out, answer["returncode"], answer["stderr"], answer["timed_out"], timeout)

    def close(self):
        try:
            self.process.stdin.close()
        except OSError:
            pass
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.errors.close()


class Zygotes:
    """Idle zygotes, shared by the runners of one command (``verify`` of every assignment at once): one
    zygote grades any assignment of its course that agrees with it on torch, so verifying four
    assignments starts as many graders as grade at once, not four times as many. A context manager."""

    def __init__(self):
        self._idle, self._lock = [], threading.Lock()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def take(self, assignment, env):
        """An idle zygote that can grade ``assignment``, or a new one (may raise :class:`ZygoteFailure`)."""
        from autograder.batch.zygote import needs_torch

        root, torch = assignment.course.root, needs_torch(assignment)
        key = Zygote.key_of(root, torch, env)
        with self._lock:
            for zygote in self._idle:
                if zygote.key == key:
                    self._idle.remove(zygote)
                    return zygote
        return Zygote(root, torch, env)

    def give_back(self, zygote):
        with self._lock:
            self._idle.append(zygote)

    def close(self):
        with self._lock:
            idle, self._idle = self._idle, []
        for zygote in idle:
            zygote.close()


class Runner:
    """Grades submissions of ``assignment``, ``jobs`` at a time; a context manager (closes its graders,
    unless they come from ``zygotes`` that others share, which the caller closes).

    ``grade`` replaces the zygotes with a function of the signature of :func:`grade_in_subprocess`
    (tests use a stand-in that grades nothing)."""

    def __init__(self, assignment, jobs=None, grade=None, zygotes=None):
        self.assignment, self.jobs = assignment, max(1, jobs or cores())
        self.env = thread_env(self.jobs)
        self._grade, self._own = grade, zygotes is None
        self.zygotes = Zygotes() if zygotes is None else zygotes

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        if self._own:
            self.zygotes.close()

    def grade(self, upload, out, timeout=None, seed=None, shrink=True, examples=None, keyword=None):
        """Grade one submission into ``out`` (results.json); returns its content. Thread-safe.
        ``shrink=False`` for verdicts only (see :class:`plugin.GradingPlugin`). ``examples``:
        ``{"record_examples": path}`` or ``{"replay_examples": path}`` (see :mod:`.replay`).
        ``keyword``: only the tests it matches (pytest's ``-k``)."""
        if self._grade is not None:
            options = {"examples": examples, "keyword": keyword}
            return self._grade(self.assignment, upload, out, timeout=timeout, env=self.env, seed=seed,
                               **{name: value for name, value in options.items() if value})
        zygote = None
        try:
            zygote = self.zygotes.take(self.assignment, self.env)
            results = zygote.grade(self.assignment, upload, out, timeout, seed, shrink, examples, keyword)
        except ZygoteFailure as exc:
            if zygote is not None:
                zygote.close()
            return grader_failure(f"nnhw grade could not be run: {exc}")
        self.zygotes.give_back(zygote)
        return results

    def record_examples(self, path, seed=None, timeout=None):
        """Grade the reference solution, recording the examples hypothesis draws to ``path`` (see
        :mod:`.replay`); whether they are there now (not when there is no solution here, or its grading
        failed: the examples are then drawn as usual)."""
        if not self.assignment.solution_dir.is_dir():
            return False
        with tempfile.TemporaryDirectory(prefix="nnhw-record-") as temp:
            self.grade(self.assignment.solution_dir, Path(temp) / "results.json", timeout=timeout, seed=seed,
                       shrink=False, examples={"record_examples": path})
        return Path(path).is_file()

    def cached_examples(self, seed=None, timeout=None, record=True):
        """The course's recording of the solution's examples for ``seed`` (see :func:`grader.examples_cache`),
        made now by grading the solution if there is none and ``record``; None if there is none after all."""
        from autograder.grading.grader import examples_cache

        path = examples_cache(self.assignment, seed)
        return path if path.is_file() or (record and self.record_examples(path, seed, timeout)) else None

    def each(self, items, work, on_done=None, stopped=lambda: False):
        """``work(item)`` for every item, ``jobs`` at a time; the results in the items' order.

        ``on_done(result)`` is called as each finishes, from one thread at a time, unless
        ``stopped()``. On Ctrl-C nothing new starts, and the interrupt goes on up."""
        if not items:
            return []
        lock, results = threading.Lock(), {}
        with ThreadPoolExecutor(max_workers=min(self.jobs, len(items))) as pool:
            futures = {pool.submit(work, item): index for index, item in enumerate(items)}
            try:
                for future in as_completed(futures):
                    results[futures[future]] = result = future.result()
                    if on_done and not stopped():
                        with lock:
                            on_done(result)
            except BaseException:
                pool.shutdown(wait=False, cancel_futures=True)
                raise
        return [results[i] for i in range(len(items))]
