"""A grader that starts once and forks a fresh copy of itself for each submission.

``python -m autograder.zygote [--torch]`` imports what every grading needs (numpy, hypothesis,
pytest, the grader, and torch with ``--torch``) once. Then, for each request on stdin (one JSON
line: ``assignment``, ``upload``, ``out``, ``timeout``, ``seed``, ``shrink``, ``record_examples``,
``replay_examples``, ``keyword``), it forks a child that grades that one submission on the path
``nnhw grade`` takes (:func:`grader.grade_safely`) and writes its results.json, and answers on
stdout with one JSON line: how the child ended and the end of what it wrote to stderr. One zygote
serves every assignment of the course that agrees with it on torch, each config read once.

The child is a copy of a process that has imported modules and nothing more: it has run no test,
drawn no example and started no worker, so a submission grades exactly as in a fresh process,
and nothing one submission does reaches the next. Each child starts its own worker for the
student's code, as ``nnhw grade`` does. Only start-up is shared: the grader's here, and the
worker's through a warm process (:mod:`.sandbox.warm`) from which each child's worker is forked.
"""

import json
import os
import signal
import sys
import tempfile
import time

#: how often the zygote looks whether its child has finished
POLL_S = 0.01
STDERR_TAIL = 3000


def preload(torch):
    """Import the heavy modules once, in the order ``nnhw grade`` imports them (the command line's
    packages, the grader, then torch where the assignment's config says it needs it): the order modules are imported
    in can change the examples hypothesis draws. Only assignments that agree on torch share a zygote."""
    import click  # noqa: F401 - what the command line imports first
    import rich.box  # noqa: F401
    import rich.console  # noqa: F401
    import rich.markup  # noqa: F401
    import rich.table  # noqa: F401

    from autograder.grading import grader  # noqa: F401 - pytest, hypothesis, numpy, the plugin, the sandbox, the protocol

    if torch:
        import torch  # noqa: F401
    # Not torch._dynamo (what building a torch.optim optimizer imports: 3 CPU s, 70 MB): graded tests build
    # no optimizer in the grader (an assignment's harness trains the reference without one), and a child
    # that did would pay it once, as `nnhw grade` does. The warm process imports it for workers that train.


def needs_torch(assignment):
    """Whether grading ``assignment`` imports torch (False for a broken config: each child reports it)."""
    try:
        return assignment.config.needs_torch
    except Exception:  # noqa: BLE001
        return False


class Assignments:
    """The course's assignments, each read once; the warm process for each one's workers."""

    def __init__(self):
        self._course, self._read, self._preload = None, {}, {}

    def get(self, assignment_id):
        if assignment_id not in self._read:
            from autograder.course import Course

            self._course = self._course or Course.find()
            self._read[assignment_id] = assignment = self._course.assignment(assignment_id)
            needs_torch(assignment)  # the config parsed here, not again in every child
            _read_versions(assignment)
        return self._read[assignment_id]

    def warm_up(self, assignment):
        """Have the next child's worker forked from a warm process that imported what this assignment's
        workers import (see :mod:`.sandbox.warm`)."""
        from autograder.sandbox import warm

        if assignment.id not in self._preload:
            self._preload[assignment.id] = worker_preload(assignment)
        warm.start(self._preload[assignment.id])


def _read_versions(assignment):
    """Read here, once for every child, the installed versions results.json records and compares with the
    course's lock (:func:`grader.graded_with`; each is cached for the process)."""
    from autograder.grading import grader

    try:
        grader.graded_with(assignment)
    except Exception:  # noqa: BLE001 - a speed-up only: a broken lock is each child's to report
        pass


def worker_preload(assignment):
    """What the warm process imports for this assignment's workers: numpy, torch where the worker's code
    imports it, and what torch imports at an optimizer's first step where that code uses ``optim``; never
    a package the worker blocks, nor one its code does not use (it would count against the worker's
    memory limit, about 70 MB for torch._dynamo)."""
    from autograder.code_names import imported_packages, references

    try:
        wanted = sorted(({"numpy"} | (imported_packages(assignment) & {"torch"}))
                        - set(assignment.config.forbidden.block_imports))
        if "torch" in wanted and "optim" in set().union(*references(assignment).values()):
            wanted.append("torch._dynamo")
        return wanted
    except Exception:  # noqa: BLE001 - a solution or config being edited: its workers start the plain way
        return []


def _grade_in_child(assignment, request, stderr_path):
    """In the forked child: grade one submission, write results.json, exit. Never returns."""
    code = 1
    try:
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        devnull = os.open(os.devnull, os.O_RDWR)
        os.dup2(devnull, 0)
        os.dup2(devnull, 1)  # stray output must never reach the zygote's answer channel
        err = os.open(stderr_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.dup2(err, 2)
        from autograder.grading import results as results_json
        from autograder.grading.grader import grade_safely

        results = grade_safely(assignment.course, assignment.id, request["upload"], seed=request.get("seed"),
                               shrink=request.get("shrink", True), record_examples=request.get("record_examples"),
                               replay_examples=request.get("replay_examples"), keyword=request.get("keyword"))
        results_json.write(results, request["out"])
        code = 0
    except BaseException:  # noqa: BLE001 - reported through the exit status and stderr
        import traceback

        traceback.print_exc()
    finally:
        try:
            sys.stderr.flush()
        finally:
            os._exit(code)


def _wait(pid, timeout):
    """Wait for the child, killing it first if it runs past ``timeout`` seconds;
    ``(wait status, timed out, its CPU seconds with its worker's)``."""
    deadline = None if timeout is None else time.monotonic() + timeout
    timed_out = False
    while True:
        done, status, usage = os.wait4(pid, 0 if timed_out else os.WNOHANG)
        if done:
            return status, timed_out, usage.ru_utime + usage.ru_stime
        if deadline is not None and time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)  # its worker sees the channel close and ends with it
            timed_out = True
            continue
        time.sleep(POLL_S)


def _tail(path):
    try:
        with open(path, "rb") as fh:
            fh.seek(0, os.SEEK_END)
            fh.seek(max(0, fh.tell() - STDERR_TAIL))
            return fh.read().decode("utf-8", "replace")
    except OSError:
        return ""


def grade_one(assignment, request):
    """Fork a child for ``request``; the answer line's content."""
    with tempfile.TemporaryDirectory(prefix="nnhw-zygote-") as temp:
        stderr_path = os.path.join(temp, "stderr")
        pid = os.fork()
        if pid == 0:
            _grade_in_child(assignment, request, stderr_path)
        status, timed_out, cpu_s = _wait(pid, request.get("timeout"))
        return {"returncode": os.waitstatus_to_exitcode(status), "timed_out": timed_out, "cpu_s": cpu_s,
                "stderr": _tail(stderr_path)}


def answer(assignments, request):
    """The answer line's content for one request: grade it, or say why not."""
    try:
        assignment = assignments.get(request["assignment"])
    except Exception as exc:  # noqa: BLE001 - an unknown id, a course gone: this request's failure
        return {"returncode": 1, "timed_out": False, "cpu_s": 0.0, "stderr": f"{type(exc).__name__}: {exc}"}
    try:
        assignments.warm_up(assignment)
    except Exception:  # noqa: BLE001 - a speed-up only: without it, the child's worker starts the plain way
        from autograder.sandbox import warm

        warm.stop()
    return grade_one(assignment, request)


def serve(requests, answers):
    assignments = Assignments()
    for line in requests:
        if line.strip():
            answers.write(json.dumps(answer(assignments, json.loads(line))) + "\n")
            answers.flush()


def main(argv):
    answers = os.fdopen(os.dup(1), "w")
    os.dup2(os.open(os.devnull, os.O_WRONLY), 1)  # only answers go to the runner, never a stray print
    try:
        preload(torch="--torch" in argv)
    except Exception as exc:  # noqa: BLE001 - the runner reports it for every submission
        answers.write(json.dumps({"ready": False, "error": f"{type(exc).__name__}: {exc}"}) + "\n")
        answers.flush()
        return 1
    answers.write(json.dumps({"ready": True}) + "\n")
    answers.flush()
    try:
        serve(sys.stdin, answers)
    finally:
        from autograder.sandbox import warm

        warm.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
