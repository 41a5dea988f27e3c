"""The pytest plugin that runs an assignment's graded tests against one submission.

It hands tests the ``student`` proxy and the ``reference`` solution, applies the grading
hypothesis settings (derandomised, no database, no deadline, the config's example budget),
and records one outcome per test with the feedback text a student will read.
"""

import functools
import inspect
import traceback
from dataclasses import dataclass

try:
    from builtins import BaseExceptionGroup
except ImportError:  # Python 3.10: hypothesis depends on the backport
    from exceptiongroup import BaseExceptionGroup

import pytest
from hypothesis import HealthCheck, Phase, settings
from hypothesis import seed as hypothesis_seed

from autograder.check import Formula, Mismatch, same_cause
from autograder.grading import replay
from autograder.grading.results import NOT_GRADED_PREFIX
from autograder.grading.student import Student, StudentCodeAbort, StudentCodeError

GRADING_PROFILE = "nnhw-grading"
RANDOM_PROFILE = "nnhw-random"
MAX_OUTPUT = 8000

#: every phase but hypothesis's "explain": after shrinking, it varies each part of the failing example a
#: hundred times or more (tracing every line) to annotate hypothesis's own report, which the student never
#: reads (the feedback is ours, see :func:`feedback`). On a1's wrong-but-innocent submission it was 34 of
#: 38 CPU s. Without it every mutant scores the same and reads the same feedback, or a smaller counterexample
#: (docs/benchmarks.md); tests/test_plugin.py checks that it is skipped
FEEDBACK_PHASES = tuple(p for p in Phase if p is not Phase.explain)
#: the phases that decide pass or fail; shrinking only makes a failure's feedback readable
VERDICT_PHASES = tuple(p for p in FEEDBACK_PHASES if p is not Phase.shrink)
_COMMON = dict(deadline=None, print_blob=False, report_multiple_bugs=False, phases=FEEDBACK_PHASES,
               suppress_health_check=list(HealthCheck))
settings.register_profile(GRADING_PROFILE, derandomize=True, database=None, **_COMMON)
settings.register_profile(RANDOM_PROFILE, derandomize=False, database=None, **_COMMON)


@dataclass
class Outcome:
    name: str        # the test function, e.g. test_sigmoid_matches_reference
    title: str       # what the student reads, e.g. "sigmoid: matches the reference on random arrays"
    passed: bool
    output: str = ""
    skipped: bool = False   # not graded here (e.g. needs CUDA recordings): counts neither way
    score: float | None = None  # points earned when the test set its own (partial credit); None: all or nothing


def _title(item):
    doc = (getattr(item.obj, "__doc__", None) or "").strip().splitlines()
    return doc[0].strip() if doc else item.name


def function_of(title):
    """The graded function a test's title names, before its colon (``tanh: ...`` -> ``tanh``)."""
    return title.split(":", 1)[0].strip()


def _feedback_value(exc):
    """The structured feedback a failure carries (the first of a group's), or None."""
    if isinstance(exc, (Mismatch, StudentCodeError)):
        return exc.feedback
    if isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        return _feedback_value(exc.exceptions[0])
    return None


def name_source(value, source):
    """A test file's ``FORMULA_SOURCE = "slides"`` names where its formulas come from, unless one names its own."""
    if value is not None and source and value.formula and getattr(value.formula, "source", None) is None:
        value.formula = Formula(value.formula, source)


def feedback(exc, hide_inputs=False):
    """The text a student reads for a failed test: our own feedback rendered (without the inputs when
    the test hides them), anything else briefly."""
    if isinstance(exc, (Mismatch, StudentCodeError)):
        return exc.feedback.render(hide_inputs)
    if isinstance(exc, StudentCodeAbort):
        return str(exc)
    if isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        return feedback(exc.exceptions[0], hide_inputs)
    notes = "\n".join(getattr(exc, "__notes__", []))
    last = traceback.extract_tb(exc.__traceback__)[-1:] if exc.__traceback__ else []
    where = f" (in the test at line {last[0].lineno})" if last else ""
    return f"the test could not check your answer{where}: {type(exc).__name__}: {exc}\n{notes}".strip()


class GradingPlugin:
    def __init__(self, session, reference, config, random_examples=False, seed=None, shrink=True,
                 recorder=None, recorded=None):
        """``seed``: draw every property's examples from this hypothesis seed instead of the fixed,
        derandomized ones (``nnhw verify --seed``: does catching a bug depend on luck?).
        ``shrink=False``: report a failure with the first failing example, unshrunk. The same tests
        pass and fail (the examples are drawn the same way); only the feedback is rougher. For
        ``nnhw verify``, which reads verdicts only: shrinking is most of a mutant's grading time.
        ``recorder``: a :class:`replay.Recorder` that keeps the examples drawn (the solution's run);
        ``recorded``: ``{test name: examples}`` to replay instead of drawing them (see :mod:`.replay`)."""
        self.session, self.reference_modules, self.config = session, reference, config
        self.profile = RANDOM_PROFILE if random_examples else GRADING_PROFILE
        self.seed, self.shrink = seed, shrink
        self.recorder, self.recorded = recorder, recorded or {}
        self.replayed = set()  # the tests whose verdict came from replaying the recorded examples
        self.calls = {}  # test name -> the student's functions and classes it called (see verify's selection)
        self.outcomes, self.leaderboard_entries, self.examples = {}, [], {}
        self.leaderboard_values = {}
        self.scores = {}  # test name -> points it gave itself with set_score
        self.causes = {}  # graded function -> (test number, visibility, cause): its first failure that named one
        self.running = None

    # -- fixtures the graded tests use -----------------------------------------------
    @pytest.fixture(scope="session")
    def student(self):
        return Student(self.session)

    @pytest.fixture(scope="session")
    def reference(self):
        return self.reference_modules

    @pytest.fixture(scope="session")
    def student_sources(self):
        """``{file name: source text}`` of the submission, for static checks (read, never run)."""
        return {name: path.read_text(encoding="utf-8", errors="replace")
                for name, path in self.session.files.items()}

    @pytest.fixture(scope="session")
    def leaderboard(self):
        """``leaderboard(name, value, order="desc")`` adds a Gradescope leaderboard entry (no points)."""
        def record(name, value, order="desc"):
            self.leaderboard_entries.append({"name": str(name), "value": value, "order": order})
        return record

    @pytest.fixture(scope="session")
    def set_score(self):
        """``set_score(points)`` gives the running test a partial score (clamped to [0, its weight])."""
        def record(points):
            self.scores[self.running] = float(points)
        return record

    @pytest.fixture(scope="session")
    def set_leaderboard_value(self):
        """What ``@leaderboard`` tests receive when the decorator does not replace it: records the value."""
        def record(value):
            self.leaderboard_values[self.running] = value
        return record

    # -- hooks -------------------------------------------------------------------------
    def pytest_configure(self, config):
        settings.load_profile(self.profile)
        # the plugin writes each failure's feedback itself: pytest's long tracebacks (a third of the time
        # of a submission that fails every test) would go unread
        config.option.tbstyle = "native"

    def pytest_collection_modifyitems(self, session, config, items):
        for item in items:
            spec = self.config.test(item.name)
            test = getattr(item, "obj", None)
            if spec is not None and getattr(test, "is_hypothesis_test", False):
                test._hypothesis_internal_use_settings = settings(
                    settings.get_profile(self.profile), max_examples=spec.max_examples,
                    **({} if self.shrink else {"phases": VERDICT_PHASES}))
                inner = test.hypothesis.inner_test
                if self.recorder is not None:
                    inner = self.recorder.wrap(item.name, set(item.fixturenames), inner)
                test.hypothesis.inner_test = self._counting(item.name, inner)
                if self.seed is not None:
                    hypothesis_seed(self.seed)(test)

    @pytest.hookimpl(tryfirst=True)
    def pytest_pyfunc_call(self, pyfuncitem):
        """Replay the recorded examples of a hypothesis test instead of drawing them; hypothesis runs the
        test itself when there is no recording, when the test no longer matches it, or when a failure is
        to be shrunk into feedback."""
        examples = self.recorded.get(pyfuncitem.name)
        if not examples:
            return None
        test = pyfuncitem.obj
        fixtures = {name: pyfuncitem.funcargs[name] for name in inspect.signature(test).parameters}
        try:
            replay.replay(examples, test.hypothesis.inner_test, fixtures)
            self.replayed.add(pyfuncitem.name)
            return True
        except replay.ReplayDiverged:
            pass
        except Exception:
            if not self.shrink:
                self.replayed.add(pyfuncitem.name)
                raise
        self.examples[pyfuncitem.name] = 0  # hypothesis counts its own run
        return None

    def _counting(self, name, inner):
        """Count the examples hypothesis runs (the documented, reassignable ``inner_test`` hook)."""
        self.examples.setdefault(name, 0)

        @functools.wraps(inner)
        def counted(*args, **kwargs):
            self.examples[name] += 1
            return inner(*args, **kwargs)

        return counted

    def _output(self, spec, exc, function):
        """A failed test's output: its feedback (inputs hidden where the config says so), or @hide_errors'
        message alone; first, which building blocks it relies on fail their own tests."""
        if spec is not None and spec.hide_errors is not None:
            return spec.hide_errors
        self._same_cause(spec, _feedback_value(exc), function, isinstance(exc, Mismatch))
        text = feedback(exc, spec is not None and spec.hide_inputs)
        return (self._prerequisites(spec) + text)[:MAX_OUTPUT]

    def _same_cause(self, spec, value, function, wrong_answer):
        """One bug, one explanation: a wrong answer that names no cause of its own, from a function whose earlier
        test named one, gets that cause as "same cause as test N" (where that test is as visible as this one, so
        no hidden feedback shows through), and so does one that names the very same cause again. A crash
        explains itself and is left alone."""
        if spec is None or value is None:
            return
        number, visibility, cause = self.causes.get(function, (None, None, None))
        shown = cause and visibility in ("visible", spec.visibility)
        if value.diagnosis:
            if shown and value.diagnosis == cause:  # the same bug, explained again: say it is the same
                value.diagnosis = same_cause(number, cause)
            else:
                self.causes.setdefault(function, (spec.number, spec.visibility, value.diagnosis))
            return
        if wrong_answer and shown:
            value.diagnosis = same_cause(number, cause)

    def _prerequisites(self, spec):
        lines = []
        for required in spec.requires if spec is not None else ():
            outcome = self.outcomes.get(required)
            if outcome is not None and not outcome.passed and not outcome.skipped:
                number = self.config.test(required).number
                function = function_of(outcome.title)
                lines.append(f"{function} fails test {number} (\"{outcome.title}\"): fix it first, this test "
                             "relies on it\n")
        return "".join(lines)

    def _leaderboard(self, spec, value):
        """A @leaderboard test adds an entry, as gradescope-utils' runner does (when it set a value)."""
        if value is not None:
            column, order = spec.leaderboard
            self.leaderboard_entries.append({"name": column, "value": value, "order": order})

    def pytest_runtest_setup(self, item):
        self.running = item.name
        self.scores.pop(item.name, None)
        self.session.start_test()
        self.running = item.name
        for attribute in ("__score__", "__leaderboard_value__"):  # gradescope-utils' wrappers leave these behind
            if attribute in getattr(item.obj, "__dict__", {}):
                delattr(item.obj, attribute)

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(self, item, call):
        outcome = yield
        report = outcome.get_result()
        previous = self.outcomes.get(item.name)
        if report.skipped and previous is None:
            reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
            reason = reason.removeprefix("Skipped: ")
            self.outcomes[item.name] = Outcome(item.name, _title(item), False, NOT_GRADED_PREFIX + reason, True)
        elif report.when == "call" or (report.failed and previous is None):
            self.calls[item.name] = sorted(self.session.called)
            spec = self.config.test(item.name)
            if not report.passed:
                name_source(_feedback_value(call.excinfo.value), getattr(item.module, "FORMULA_SOURCE", None))
            output = "" if report.passed else self._output(spec, call.excinfo.value, function_of(_title(item)))
            score = getattr(item.obj, "__score__", self.scores.get(item.name))
            self.outcomes[item.name] = Outcome(item.name, _title(item), report.passed, output,
                                               score=None if score is None else float(score))
            if spec is not None and spec.leaderboard and report.when == "call":
                self._leaderboard(spec, getattr(item.obj, "__leaderboard_value__",
                                                self.leaderboard_values.get(item.name)))
        elif report.failed and previous is not None and previous.passed:  # teardown failed after a pass
            self.outcomes[item.name] = Outcome(item.name, previous.title, False, feedback(call.excinfo.value))
