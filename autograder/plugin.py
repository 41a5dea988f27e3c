"""The pytest plugin that runs an assignment's graded tests against one submission.

It hands tests the ``student`` proxy and the ``reference`` solution, applies the grading
hypothesis settings (derandomised, no database, no deadline, the config's example budget),
and records one outcome per test with the feedback text a student will read.
"""

import functools
import traceback
from dataclasses import dataclass

try:
    from builtins import BaseExceptionGroup
except ImportError:  # Python 3.10: hypothesis depends on the backport
    from exceptiongroup import BaseExceptionGroup

import pytest
from hypothesis import HealthCheck, Phase, seed as hypothesis_seed, settings

from .check import Mismatch
from .student import Student, StudentCodeAbort, StudentCodeError

GRADING_PROFILE = "nnhw-grading"
RANDOM_PROFILE = "nnhw-random"
MAX_OUTPUT = 8000

_COMMON = dict(deadline=None, print_blob=False, report_multiple_bugs=False,
               suppress_health_check=list(HealthCheck))
settings.register_profile(GRADING_PROFILE, derandomize=True, database=None, **_COMMON)
settings.register_profile(RANDOM_PROFILE, derandomize=False, database=None, **_COMMON)
#: the phases that decide pass or fail; shrinking and explaining only make a failure's feedback readable
VERDICT_PHASES = tuple(p for p in Phase if p not in (Phase.shrink, Phase.explain))


@dataclass
class Outcome:
    name: str        # the test function, e.g. test_sigmoid_matches_reference
    title: str       # what the student reads, e.g. "sigmoid: matches the reference on random arrays"
    passed: bool
    output: str = ""
    skipped: bool = False   # not graded here (e.g. needs CUDA recordings): counts neither way


def _title(item):
    doc = (getattr(item.obj, "__doc__", None) or "").strip().splitlines()
    return doc[0].strip() if doc else item.name


def feedback(exc):
    """The text a student reads for a failed test: our own messages as they are, anything else briefly."""
    if isinstance(exc, (Mismatch, StudentCodeError, StudentCodeAbort)):
        return str(exc)
    if isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        return feedback(exc.exceptions[0])
    notes = "\n".join(getattr(exc, "__notes__", []))
    last = traceback.extract_tb(exc.__traceback__)[-1:] if exc.__traceback__ else []
    where = f" (in the test at line {last[0].lineno})" if last else ""
    return f"the test could not check your answer{where}: {type(exc).__name__}: {exc}\n{notes}".strip()


def without_inputs(text):
    """Feedback for a test whose inputs stay secret: drop every ``inputs:`` block (and its indented lines)."""
    kept, hiding = [], False
    for line in text.splitlines():
        if line.rstrip().endswith("inputs:"):
            hiding = True
            kept.append(line.rstrip() + " (hidden for this test)")
            continue
        if hiding and line.startswith(" "):
            continue
        hiding = False
        kept.append(line)
    return "\n".join(kept)


class GradingPlugin:
    def __init__(self, session, reference, config, random_examples=False, seed=None, shrink=True):
        """``seed``: draw every property's examples from this hypothesis seed instead of the fixed,
        derandomized ones (``nnhw verify --seed``: does catching a bug depend on luck?).
        ``shrink=False``: report a failure with the first failing example, unshrunk. The same tests
        pass and fail (the examples are drawn the same way); only the feedback is rougher. For
        ``nnhw verify``, which reads verdicts only: shrinking is most of a mutant's grading time."""
        self.session, self.reference_modules, self.config = session, reference, config
        self.profile = RANDOM_PROFILE if random_examples else GRADING_PROFILE
        self.seed, self.shrink = seed, shrink
        self.outcomes, self.leaderboard_entries, self.examples = {}, [], {}

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

    # -- hooks -------------------------------------------------------------------------
    def pytest_configure(self, config):
        settings.load_profile(self.profile)

    def pytest_collection_modifyitems(self, session, config, items):
        for item in items:
            spec = self.config.test(item.name)
            test = getattr(item, "obj", None)
            if spec is not None and getattr(test, "is_hypothesis_test", False):
                test._hypothesis_internal_use_settings = settings(
                    settings.get_profile(self.profile), max_examples=spec.max_examples,
                    **({} if self.shrink else {"phases": VERDICT_PHASES}))
                test.hypothesis.inner_test = self._counting(item.name, test.hypothesis.inner_test)
                if self.seed is not None:
                    hypothesis_seed(self.seed)(test)

    def _counting(self, name, inner):
        """Count the examples hypothesis runs (the documented, reassignable ``inner_test`` hook)."""
        self.examples.setdefault(name, 0)

        @functools.wraps(inner)
        def counted(*args, **kwargs):
            self.examples[name] += 1
            return inner(*args, **kwargs)

        return counted

    def pytest_runtest_setup(self, item):
        self.session.start_test()

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(self, item, call):
        outcome = yield
        report = outcome.get_result()
        previous = self.outcomes.get(item.name)
        if report.skipped and previous is None:
            reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
            reason = reason.removeprefix("Skipped: ")
            self.outcomes[item.name] = Outcome(item.name, _title(item), False, f"not graded here: {reason}", True)
        elif report.when == "call" or (report.failed and previous is None):
            output = "" if report.passed else feedback(call.excinfo.value)[:MAX_OUTPUT]
            spec = self.config.test(item.name)
            if spec is not None and spec.hide_inputs:
                output = without_inputs(output)
            self.outcomes[item.name] = Outcome(item.name, _title(item), report.passed, output)
        elif report.failed and previous is not None and previous.passed:  # teardown failed after a pass
            self.outcomes[item.name] = Outcome(item.name, previous.title, False, feedback(call.excinfo.value))
