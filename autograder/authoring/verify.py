"""``nnhw verify``: the autograder gives the solution full marks, the starter zero, each mutant less, and each
accepted variant (``alternatives/``: right code written differently) full marks; the solution and the
variants pass the public tests too.

Every submission is graded on the path students get (see :class:`runner.Runner`), several at a
time, and the outcome is a table of which test caught which mutant. Failures are not shrunk:
verify reads only which tests fail, which shrinking never changes, and shrinking is most of
a mutant's grading time. Nor are the mutants' examples drawn: the solution's run records the
examples hypothesis draws and each mutant replays them, which fails the same tests on the same
examples (see :mod:`.replay`) for a quarter of the CPU time. The recording is kept under the
course's ``.nnhw/`` for as long as the tests, the engine and the pinned libraries are unchanged,
so the next run replays from the start, the solution too. With seeds, each one is
graded once per hypothesis seed, and a mutant that some seed lets through is reported with the
seeds that miss it: a bug caught only by luck is not caught.
"""

import contextlib
import functools
import tempfile
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from autograder.authoring.mutants import MutantError, load_alternatives, load_mutants, write_mutant_submission
from autograder.authoring.names import check_test_names, mutant_problems
from autograder.authoring.selfcheck import public_test_failure
from autograder.batch.runner import Runner, Zygotes, cores
from autograder.check import likely_cause
from autograder.code_names import affected_names, defined_functions, references
from autograder.config import ConfigError, typo_hint
from autograder.grading import extra as extra_data
from autograder.grading.grader import examples_key
from autograder.grading.plugin import function_of
from autograder.grading.replay import load_calls


@dataclass
class Graded:
    name: str
    kind: str                 # "solution", "starter", "mutant" or "alternative" (an accepted variant)
    runs: dict                # {seed (None: the fixed examples): results.json content}
    mutant: object = None
    problems: list = field(default_factory=list)
    public_failure: str = None  # the public tests' report, where they fail code that must pass them

    @property
    def results(self):
        """The results under the first seed."""
        return next(iter(self.runs.values()))

    @property
    def score(self):
        return self.results.get("score", 0.0)

    @property
    def scores(self):
        return sorted({r.get("score", 0.0) for r in self.runs.values()})

    def failed_tests(self, results=None):
        results = self.results if results is None else results
        return [t for t in results.get("tests", []) if t.get("status") != "passed"]

    def first_failure(self):
        """``(test number, the likely cause its feedback names, or None)`` of the first test this submission
        fails (under the first seed), or None when it fails none: what a student reads first."""
        failed = self.failed_tests()
        return (failed[0].get("number"), likely_cause(failed[0].get("output"))) if failed else None

    def failed_numbers(self):
        """``(failed under every seed, failed under some seed)``: sets of test numbers."""
        each = [{t.get("number") for t in self.failed_tests(r)} for r in self.runs.values()]
        return set.intersection(*each), set.union(*each)


#: the share of mutants whose first failure should name a likely cause (below it, verify shows the share in yellow)
CAUSE_TARGET = 0.9


def cause_share(graded):
    """``(mutants whose first failure names a likely cause, mutants that fail a test)``."""
    firsts = [g.first_failure() for g in graded if g.kind == "mutant"]
    firsts = [first for first in firsts if first]
    return sum(1 for _, cause in firsts if cause), len(firsts)


def _problems(graded, results, max_score):
    """``{key: (message with a {seeds} slot)}``: what is wrong with one grading of ``graded``."""
    score = results.get("score", 0.0)
    failed = graded.failed_tests(results)
    if graded.kind == "solution" and score != max_score:
        return {"solution": f"the solution scores {score:g} of {max_score:g}{{seeds}}: " + _reason(results, failed)}
    if graded.kind == "alternative" and score != max_score:
        return {"alternative": f"an unfair test: this accepted variant scores {score:g} of {max_score:g}{{seeds}}: "
                               + _reason(results, failed)}
    if graded.kind == "starter" and score != 0:
        return {"starter": f"the starter scores {score:g}, not 0{{seeds}}"}
    problems = {}
    if graded.kind == "mutant":
        if score >= max_score:
            problems["uncaught"] = "not caught{seeds}"
        caught = {function_of(t["name"]) for t in failed}
        for function in graded.mutant.caught_by:
            if function not in caught:
                problems[f"function {function}"] = f"no test of {function} fails{{seeds}}, though the mutant breaks it"
    return problems


#: lines of the solution's own failure verify prints (the reason it loses marks, as a student would read it)
REASON_LINES = 25


def _first_lines(text, count=REASON_LINES):
    lines = (text or "").strip("\n").splitlines()
    return "\n".join(lines[:count] + ([f"... ({len(lines) - count} more lines)"] if len(lines) > count else []))


def _reason(results, failed):
    """The failed tests' names, then the first one's feedback (or the grader's output where no test ran): what
    the code that must keep its marks read, so the author sees why without `nnhw grade --feedback`."""
    reason = _first_lines(failed[0].get("output", "") if failed else results.get("output", ""))
    head = f"\n{failed[0]['name']} fails with:\n" if failed else "\n"
    return _escaped("; ".join(t["name"] for t in failed)[:800] + (head + reason if reason else ""))


def _escaped(text):
    """``text`` inside a message that is ``format``-ted later (feedback holds braces: ``{'a': 1}``)."""
    return text.replace("{", "{{").replace("}", "}}")


def _seed_note(seeds):
    if seeds == [None]:
        return ""
    return f" with seed{'s' if len(seeds) > 1 else ''} {', '.join(map(str, seeds))}"


def judge(graded, max_score):
    """Fill ``graded.problems``: each problem once, naming the seeds under which it shows."""
    found = {}  # key -> (message, [seeds])
    for seed, results in graded.runs.items():
        for key, message in _problems(graded, results, max_score).items():
            found.setdefault(key, (message, []))[1].append(seed)
    for key, (message, seeds) in found.items():
        if key == "uncaught" and seeds == [None]:
            graded.problems.append("no test catches this mutant")
        else:
            graded.problems.append(message.format(seeds=_seed_note(seeds)))


class _Selection:
    """Which tests verify grades each mutant on. What it reads (the solution's files, each recording's
    calls) it reads once, not once per mutant and seed."""

    def __init__(self, assignment):
        self.assignment, self.uses = assignment, references(assignment)
        self.known = set(self.uses)
        self.tests = [spec.name for spec in assignment.config.tests]
        self._calls = {}  # recording -> {test name: [names]}

    def keyword(self, mutant, examples, key):
        """A pytest ``-k`` expression for the tests that may fail for ``mutant``: those that called, in the
        solution's run recorded at ``examples`` under ``key``, a function the mutant may change (see
        :func:`mutants.affected_names`), anything that analysis cannot speak for (the grader's helpers in
        the worker), or nothing. A test that calls only unchanged functions gets the same answers from
        them as from the solution, so it passes as the solution's run did. "" for all tests."""
        if examples not in self._calls:
            self._calls[examples] = load_calls(examples, key)
        calls = self._calls[examples]
        affected = affected_names(self.assignment, mutant, self.uses)
        if not calls or affected is None:
            return ""
        selected = [name for name in self.tests
                    if not calls.get(name) or set(calls[name]) - self.known or set(calls[name]) & affected]
        return "" if len(selected) == len(self.tests) else " or ".join(selected)  # none selected: all, to be safe


def _with_solution_verdicts(results, solution):
    """A mutant graded on some tests only, completed with the solution's entries for the others."""
    if not results.get("tests") or not extra_data.read(results).get("selected"):
        return results
    ran = {t.get("number"): t for t in results["tests"]}
    tests = [ran.pop(t.get("number"), t) for t in solution.get("tests", [])] + list(ran.values())
    return {**results, "tests": tests, "score": sum(t.get("score", 0) for t in tests)}


def check_caught_by(assignment, mutants):
    """Refuse, before grading anything, a mutant whose ``caught-by`` names no function of the solution, or whose
    code defines one the solution lacks (a typo would otherwise show as "no test of ... fails" after every
    grading), and graded tests that ask for a name the solution lacks."""
    check_test_names(assignment)
    known = defined_functions(assignment)
    for mutant in mutants:
        problems = mutant_problems(assignment, mutant)
        if problems:
            raise MutantError("; ".join(problems))
        for name in mutant.caught_by:
            if name not in known:
                raise MutantError(f"{mutant.path}: caught-by names {name!r}, which is not a function of the solution"
                                  + typo_hint(name, known, found=False) + f"; {', '.join(assignment.config.files)} "
                                  f"define{'s' * (len(assignment.config.files) == 1)}: {', '.join(sorted(known))}")


def stop_if_misconfigured(assignment, subject, results):
    """Raise when the solution's grading found the assignment itself broken (its tests and [tests] disagree, a
    test file does not import): every other submission would fail alike, one misleading row each."""
    if subject.kind == "solution" and extra_data.read(results).get("misconfigured"):
        reason = results.get("output", "").split("\n", 1)[-1].strip()  # after the line meant for students
        raise ConfigError(f"{assignment.id}: verify stopped, the solution could not be graded: {reason}")


def verify(assignment, jobs=None, seeds=(None,), on_start=None, on_done=None, grade=None, slots=None, zygotes=None):
    """Grade solution, starter and mutants, each under every seed (None: the fixed examples); returns
    the list of :class:`Graded` with problems filled in. ``on_start(count)`` and ``on_done()`` report
    progress; ``grade`` stands in for the real grader (see :class:`runner.Runner`); ``slots``, a
    semaphore, bounds the gradings at once when several assignments are verified together, and they then
    share their graders through ``zygotes`` (a :class:`runner.Zygotes`)."""
    seeds = list(dict.fromkeys(seeds)) or [None]
    with tempfile.TemporaryDirectory(prefix=f"nnhw-verify-{assignment.id}-") as temp:
        temp = Path(temp)
        subjects = [Graded("solution", "solution", {}), Graded("starter", "starter", {})]
        uploads = {"solution": assignment.solution_dir, "starter": assignment.starter_dir}
        mutants, alternatives = load_mutants(assignment), load_alternatives(assignment)
        check_caught_by(assignment, mutants + alternatives)
        for kind, variants in (("mutant", mutants), ("alternative", alternatives)):
            for mutant in variants:
                uploads[mutant.name] = write_mutant_submission(assignment, mutant, temp / f"{kind}s" / mutant.name)
                subjects.append(Graded(mutant.name, kind, {}, mutant))
        runs = [(subject, seed) for subject in subjects for seed in seeds]
        if on_start:
            on_start(len(runs))
        keys = {seed: examples_key(assignment, seed) for seed in seeds}
        examples = {seed: assignment.examples_path(keys[seed], seed) for seed in seeds}
        recorded = {seed for seed, path in examples.items() if path.is_file()}
        selection = _Selection(assignment)

        with Runner(assignment, jobs, grade, zygotes) as runner:
            def run(item):
                with slots or contextlib.nullcontext():
                    grade_one(*item)

            def grade_one(subject, seed):
                variant = subject.kind in ("mutant", "alternative")
                replaying = seed in recorded or variant
                option = "replay_examples" if replaying else "record_examples" if subject.kind == "solution" else None
                grade_it = functools.partial(runner.grade, uploads[subject.name], temp / f"{subject.name}.{seed}.json",
                                             seed=seed, shrink=False, examples=option and {option: examples[seed]})
                keyword = variant and selection.keyword(subject.mutant, examples[seed], keys[seed])
                results = grade_it(keyword=keyword or None)
                if keyword and extra_data.read(results).get("aborted"):
                    results = grade_it()  # what went wrong in one test may have reached the others
                elif keyword and "extra_data" in results:
                    results = extra_data.write(results, selected=keyword)
                stop_if_misconfigured(assignment, subject, results)
                subject.runs[seed] = results

            # the solution's run records the examples drawn, unless an earlier run did; the mutants replay them
            first = [seed not in recorded and subject.kind in ("solution", "starter") for subject, seed in runs]
            for phase in (True, False):
                runner.each([r for r, f in zip(runs, first) if f == phase], run, on_done and (lambda _: on_done()))
            for subject in subjects:  # what must pass the public tests does, as a student would run them
                if subject.kind in ("solution", "alternative"):
                    with slots or contextlib.nullcontext():
                        subject.public_failure = public_test_failure(assignment, uploads[subject.name])
    for subject in subjects[2:]:
        for seed in seeds:
            subject.runs[seed] = _with_solution_verdicts(subject.runs[seed], subjects[0].runs[seed])
    for subject in subjects:
        subject.runs = {seed: subject.runs[seed] for seed in seeds}
    max_score = sum(t.get("max_score", 0) for t in subjects[0].results.get("tests", [])) or assignment.config.max_score
    for subject in subjects:
        judge(subject, max_score)
        if subject.public_failure:
            subject.problems.append(f"fails its own public tests (python -m pytest tests in the starter, with the "
                                    f"{subject.kind}'s files in place):\n{subject.public_failure}")
    return subjects


def verify_many(assignments, jobs=None, seeds=(None,), progress=None):
    """Verify every assignment at once, as ``nnhw verify`` does: ``jobs`` gradings at a time in all (while
    one assignment grades its solution, and the others wait for the examples it records, the other cores
    grade the other assignments' mutants), through the same graders (an idle one takes the next grading,
    whichever assignment it is for). ``progress(assignment_id)``: its ``(on_start, on_done)``.
    Returns ``{assignment id: [Graded]}``."""
    slots = threading.Semaphore(jobs or cores())
    with ThreadPoolExecutor(max(1, len(assignments))) as pool, Zygotes() as zygotes:
        runs = {assignment.id: pool.submit(verify, assignment, jobs, seeds,
                                           *(progress(assignment.id) if progress else (None, None)),
                                           slots=slots, zygotes=zygotes)
                for assignment in assignments}
        return {assignment_id: run.result() for assignment_id, run in runs.items()}
