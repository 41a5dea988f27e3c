"""Grade one submission: locate its files, run the graded tests through the worker, build results.

This is the one path behind ``nnhw grade``, ``nnhw verify``, batch grading and Gradescope's
``run_autograder``, so a submission scores the same everywhere.
"""

import contextlib
import hashlib
import io
import sys
import time
import traceback
from pathlib import Path

import pytest

from autograder.config import ConfigError
from autograder.grading import replay, versions
from autograder.grading import results as results_json
from autograder.grading.extra import ExtraData
from autograder.grading.plugin import GradingPlugin
from autograder.grading.student import Session
from autograder.grading.submission import SubmissionError, locate


class TestListMismatch(ConfigError):
    """The graded tests and the config's [tests] disagree (an instructor's mistake)."""


#: the one installed pytest plugin the graded tests run with: hypothesis's own. Any other installed on the
#: machine (pytest-randomly on a TA's laptop, a plugin that reruns failures) could change a grade.
HYPOTHESIS_PYTEST_PLUGIN = "_hypothesis_pytestplugin"


def _pytest_args(assignment, keyword=None):
    args = [str(assignment.tests_dir), "--disable-plugin-autoload", "-p", HYPOTHESIS_PYTEST_PLUGIN,
            "-p", "no:cacheprovider", "-p", "no:terminal", "-p", "no:stepwise", "-p", "no:unraisableexception",
            "--import-mode=importlib", "--rootdir", str(assignment.dir), "-o", "python_files=test_*.py",
            "-o", "addopts=", "-W", "ignore::DeprecationWarning"]
    if keyword:
        args += ["-k", keyword]
    return args


#: the engine's modules that decide what hypothesis draws: the strategies, the settings, the recording
ENGINE = Path(__file__).resolve().parent.parent
DRAWING_MODULES = ("kit/strategies.py", "grading/plugin.py", "grading/replay.py")


def examples_key(assignment, seed=None):
    """What the examples drawn depend on: the graded tests and the engine's :data:`DRAWING_MODULES` (their
    source), the example budgets, the seed and the versions of hypothesis, numpy and torch. Not the
    solution: what hypothesis draws for a test that passes does not depend on the code under test. A
    recording made under another key is not replayed."""
    digest = hashlib.sha256()
    sources = sorted(assignment.tests_dir.rglob("*.py")) + [ENGINE / name for name in DRAWING_MODULES]
    for path in sources:
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    budgets = sorted((t.name, t.max_examples) for t in assignment.config.tests)
    deciding = ("hypothesis", "numpy", *(("torch",) if assignment.config.needs_torch else ()))
    digest.update(repr((budgets, seed, [versions.installed(name) for name in deciding])).encode())
    return digest.hexdigest()


def grade(assignment, upload, random_examples=False, keyword=None, seed=None, shrink=True,
          record_examples=None, replay_examples=None, replay_cached=False):
    """Grade ``upload`` (folder, zip or file) for ``assignment``; returns results.json content.

    ``seed``: hypothesis seed for every property, instead of the fixed derandomized examples.
    ``shrink=False``: verdicts only, failures unshrunk (see :class:`plugin.GradingPlugin`).
    ``record_examples``: a path to write the examples drawn to (grading the solution);
    ``replay_examples``: a path such a run wrote: its examples are replayed, not drawn (see :mod:`.replay`);
    ``replay_cached``: replay the course's recording for this seed where there is one (see
    :func:`cached_examples`), as the bundle replays the copy `nnhw build` put in it."""
    started = time.monotonic()
    drawn_as_recorded = not random_examples and (record_examples or replay_examples or replay_cached)
    key = examples_key(assignment, seed) if drawn_as_recorded else None  # computed once per grading
    if replay_cached and not (random_examples or record_examples or replay_examples):
        cached = assignment.examples_path(key, seed)
        replay_examples = cached if cached.is_file() else None
    config = assignment.config
    try:
        located = locate(upload, config.files)
    except SubmissionError as exc:
        return results_json.failure(f"Your submission could not be read: {exc}", time.monotonic() - started)
    if config.needs_torch:  # one thread: tiny judge computations, and Gradescope gives half a core
        import torch

        torch.set_num_threads(1)
    try:
        reference = assignment.load_reference()
        session = Session(located.files, assignment.given_files(), reference, config,
                          assignment.worker_module_files())
        replaying = not random_examples and (record_examples or replay_examples)
        recorder = replay.Recorder() if replaying and record_examples else None
        recorded = replay.load(replay_examples, key) if replaying and replay_examples else None
        plugin = GradingPlugin(session, reference, config, random_examples, seed, shrink, recorder, recorded)
        try:
            with contextlib.redirect_stdout(io.StringIO()) as log, contextlib.redirect_stderr(log), \
                    _imported_afresh(assignment):
                code = pytest.main(_pytest_args(assignment, keyword), plugins=[plugin])
        finally:
            session.close()  # every student process is gone before results are written
        if code not in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED):
            raise TestListMismatch(f"{assignment.tests_dir}: pytest could not run the graded tests (exit {code!r}):\n{log.getvalue()[-3000:]}")
        _check_test_list(assignment, plugin.outcomes, keyword)
        outcomes = plugin.outcomes
        if recorder is not None:
            recorder.save(record_examples, key, plugin.calls)
        if keyword:
            config = _only(config, outcomes)
        return results_json.assemble(config, outcomes, located.notes, plugin.leaderboard_entries,
                                     time.monotonic() - started,
                                     ExtraData(assignment=assignment.id, examples=plugin.examples,
                                               confinement=session.confinement or "none (no student code ran)",
                                               **({"seed": seed} if seed is not None else {}),
                                               **({"replayed": sorted(plugin.replayed)} if recorded else {}),
                                               # one test's doing reached later ones (a crash, a spent budget, an
                                               # import that failed): verify must not take any test's verdict from
                                               # the solution
                                               **({"aborted": True} if session.broken or session.restarts > 1 else {}),
                                               **graded_with(assignment)))
    finally:
        located.cleanup()


@contextlib.contextmanager
def _imported_afresh(assignment):
    """Forget, after a grading, the modules of the assignment's folder it imported (its tests, their
    conftest and helpers), so that the next grading in this process imports them anew, as a fresh
    process does. pytest keeps them in ``sys.modules``, and the plugin wraps each test function and
    sets its seed: a second grading would otherwise count its examples through the first one's
    wrappers (changing results already returned) and draw them under the first one's seed."""
    before = set(sys.modules)
    try:
        yield
    finally:
        folder = assignment.dir.resolve()
        for name in set(sys.modules) - before:
            file = getattr(sys.modules.get(name), "__file__", None)
            if file and Path(file).resolve().is_relative_to(folder):
                del sys.modules[name]


def examples_cache(assignment, seed=None):
    """Where the course keeps the recording of the solution's examples for ``seed`` under the current
    :func:`examples_key` (made by `nnhw verify`, `nnhw build` or `nnhw grade-batch`, under .nnhw/)."""
    return assignment.examples_path(examples_key(assignment, seed), seed)


def cached_examples(assignment, seed=None):
    """The course's recording for ``seed`` (see :func:`examples_cache`), or None if there is none."""
    path = examples_cache(assignment, seed)
    return path if path.is_file() else None


def graded_with(assignment):
    """The versions behind this grade, and how they differ from the course's lock (if it has one)."""
    drift = versions.lock_drift(assignment.course.root / versions.LOCK_NAME)
    return {"versions": versions.graded_with(), **({"lock_drift": drift} if drift else {})}


def _check_test_list(assignment, outcomes, keyword):
    configured = {t.name for t in assignment.config.tests}
    unknown = sorted(set(outcomes) - configured)
    missing = sorted(configured - set(outcomes)) if not keyword else []
    if unknown or missing:
        raise TestListMismatch(
            f"{assignment.dir / 'assignment.toml'}: [tests] does not match the tests in {assignment.tests_dir}: "
            + "; ".join(filter(None, [unknown and f"not in the config: {', '.join(unknown)}",
                                      missing and f"in the config but not found: {', '.join(missing)}"])))


def _only(config, outcomes):
    from dataclasses import replace

    return replace(config, tests=tuple(t for t in config.tests if t.name in outcomes))


def grade_safely(course, assignment_id, upload, **options):
    """Like :func:`grade` for ``course``'s assignment ``assignment_id``, but any failure of the grader itself
    (an unknown id, a broken config, a bug) still yields valid results."""
    started, misconfigured = time.monotonic(), False
    try:
        return grade(course.assignment(assignment_id), upload, **options)
    except (ConfigError, FileNotFoundError, LookupError) as exc:
        message, misconfigured = f"The autograder is misconfigured; please tell your instructor.\n{exc}", True
    except Exception:  # noqa: BLE001 - results.json must be written whatever happened
        message = "The autograder failed; please tell your instructor.\n" + traceback.format_exc(limit=8)
    return results_json.failure(message, time.monotonic() - started, misconfigured)
