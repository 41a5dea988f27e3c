"""Shared fixtures for the engine's own tests."""

import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))

import once_per_session  # noqa: E402

from autograder.course import Course  # noqa: E402

try:
    import torch  # noqa: F401
    HAVE_TORCH = True
except ImportError:  # the Python 3.10 run in CI has no torch (its CPU build cannot be fetched there)
    HAVE_TORCH = False


UNGUARD = pytest.StashKey()


def others_can_run(path):
    """Whether a user other than root could run ``path``: the worker runs the grader's interpreter as one."""
    import os
    import stat

    real = Path(os.path.realpath(path))
    folders_open = all(folder.stat().st_mode & stat.S_IXOTH for folder in real.parents)
    return folders_open and real.stat().st_mode & stat.S_IXOTH


def pytest_configure(config):
    once_per_session.configure(config)
    config.stash[UNGUARD] = guard_end_to_end()


@pytest.hookimpl(optionalhook=True)  # a pytest-xdist hook: absent with -p no:xdist
def pytest_configure_node(node):
    """The controller tells each worker where the session's shared results are kept."""
    once_per_session.configure_node(node)


def pytest_unconfigure(config):
    once_per_session.unconfigure(config)
    config.stash[UNGUARD]()


def pytest_collection_modifyitems(config, items):
    """Tests marked ``needs_torch`` (grading imports torch for every assignment) skip where it is missing, and
    tests marked ``needs_worker`` where, as root, the worker's uid could not run this interpreter (e.g. a
    pyenv Python under /root); CI's run under Python 3.10 deselects both with ``-m``."""
    import os

    reasons = {}
    if not HAVE_TORCH:
        reasons["needs_torch"] = "needs torch, which is not installed here"
    if os.geteuid() == 0 and not others_can_run(sys.executable):
        reasons["needs_worker"] = f"the worker's uid cannot run {sys.executable}"
    for item in items:
        if (END_TO_END_FIXTURES | set(getattr(item.module, "GRADING_FIXTURES", ()))) & set(item.fixturenames):
            item.add_marker(pytest.mark.e2e)
        for marker, reason in reasons.items():
            if item.get_closest_marker(marker):
                item.add_marker(pytest.mark.skip(reason=reason))


#: fixtures that grade (a built bundle records the solution's examples by grading it): a test using one is e2e,
#: and so is one using a fixture its module names in ``GRADING_FIXTURES``
END_TO_END_FIXTURES = {"bundle_dir", "a1_recorded"}
#: commands that grade: `nnhw grade|verify|grade-batch|build` (build records the solution's examples), the
#: zygote that grades for them, and Gradescope's entry point
GRADING_SUBCOMMANDS = {"grade", "verify", "grade-batch", "build"}
GRADING_MODULES = {"autograder.batch.zygote", "autograder.grading.gradescope"}


def grades(command):
    """Whether ``command`` (a Popen argument) grades end to end."""
    argv = [str(a) for a in ([command] if isinstance(command, (str, Path)) else command)]
    if any(a.endswith("run_autograder") for a in argv):
        return True
    for i, arg in enumerate(argv[:-1]):
        if arg == "-m" and argv[i + 1] in GRADING_MODULES:
            return True
        if arg == "-m" and argv[i + 1] in ("autograder", "autograder.cli"):
            rest = argv[i + 2:]
            return bool(rest) and rest[0] in GRADING_SUBCOMMANDS and "--check" not in rest
    return False


_running = None  # the test whose setup, call or teardown runs now (its session fixtures' setup included)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item, nextitem):
    global _running
    _running = item
    try:
        yield
    finally:
        _running = None


def _refuse_unmarked_grading(what):
    if _running is not None and not _running.get_closest_marker("e2e"):
        raise AssertionError(f"{_running.nodeid} grades end to end ({what}): mark it @pytest.mark.e2e")


def guard_end_to_end():
    """The fast tier (``pytest -m "not e2e"``) is every test that does not grade end to end, so a test that grades
    must say so: a grading in a test without ``@pytest.mark.e2e`` fails it, whether it runs in this process (every
    grading builds its pytest arguments, just before the graded tests run) or in a command the test or one of its
    fixtures starts. Returns the undo."""
    from autograder.grading import grader

    pytest_args, popen_init = grader._pytest_args, subprocess.Popen.__init__

    def checked_pytest_args(*args, **kwargs):  # built once by every grading, just before its tests run
        _refuse_unmarked_grading("a grading in this process")
        return pytest_args(*args, **kwargs)

    def checked_popen(self, args, *rest, **kwargs):
        if grades(args):
            _refuse_unmarked_grading(" ".join(map(str, args))[:120])
        popen_init(self, args, *rest, **kwargs)

    grader._pytest_args, subprocess.Popen.__init__ = checked_pytest_args, checked_popen

    def undo():
        grader._pytest_args, subprocess.Popen.__init__ = pytest_args, popen_init
    return undo


@pytest.fixture(scope="session")
def course():
    return Course(ROOT)


@pytest.fixture(scope="session")
def a1_recorded(request, course):
    """a1's solution examples recorded in the course's cache (.nnhw/), as `nnhw verify` or `nnhw build` leave
    them, once per test session: `nnhw grade` and `grade-batch` then replay them, as Gradescope does."""
    from autograder.authoring.build import recorded_examples

    assert once_per_session.once(request.config, "a1-recorded",
                                 lambda: recorded_examples(course.assignment("a1_forward")) is not None)


@pytest.fixture(scope="session")
def bundle_dir(request, a1_recorded):
    """The built bundles (dist/), built once per test session (whichever xdist worker asks first) into a
    temporary folder. a1's carries the solution's recorded examples, as `nnhw build` makes it (the session's
    one recording: ``a1_recorded``); the others draw theirs, as a bundle without a recording does."""
    def build():
        from autograder.authoring.build import bundle_tree, deterministic_zip, recorded_examples

        dist = Path(tempfile.mkdtemp(prefix="nnhw-dist-"))
        once_per_session.remove_at_end(request.config, dist)
        for assignment in Course(ROOT).assignments():
            examples = recorded_examples(assignment) if assignment.id == "a1_forward" else None
            deterministic_zip(dist / f"{assignment.id}-autograder.zip", bundle_tree(assignment, examples))
        return dist

    return once_per_session.once(request.config, "bundle-dir", build)
