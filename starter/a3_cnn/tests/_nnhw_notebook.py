"""What the notebook's cells call: a function's public tests, a guard around cells that run your code, a reload.

Copied into the starter as tests/_nnhw_notebook.py; the notebook's first code cell imports it.

- ``check("sigmoid", "tanh")`` runs the public tests of each function (the very tests that
  ``python -m pytest tests`` runs, through pytest, in this kernel) and prints one verdict per
  function: it passes, it is not implemented yet, or its first failure as the public tests word it.
  Never a traceback: a check is feedback, not a crash.
- ``with your_code(): ...`` around a cell that plots what your code does: an error in your code
  becomes one line that says where in your file it happened (or that a function is not written yet),
  and the notebook goes on to the next cell.
- ``autoreload()``: from then on, before each cell runs, every one of your files that you saved since it
  was loaded is loaded again, so ``forward.sigmoid`` is always what the file says now (names taken with
  ``from forward import sigmoid`` keep the old function: write ``forward.sigmoid``). A plain reload, not
  IPython's ``%autoreload``, whose patching of old classes recurses forever on a ``torch.autograd.Function``.

Standalone (pytest, the standard library and the public tests' ``_nnhw_feedback``, which says why a file does not
import in the same words) because it runs on the student's machine.
"""

import contextlib
import importlib
import os
import sys
import traceback
from pathlib import Path

import pytest
from _nnhw_feedback import one_line, unloadable, your_modules

TESTS = Path(__file__).resolve().parent
FOLDER = TESTS.parent
MAX_LINES = 20  # as the public tests: a failure reads in one screen
SHOWN = 3  # distinct failures listed per function
PASSED, NOT_YET, FAILED = "✓", "·", "✗"
NOT_IMPLEMENTED = "not implemented yet"


def check(*functions):
    """Print whether each of ``functions`` passes its public tests (see the module docstring)."""
    broken = unloadable()
    found = {} if broken else _run(functions)
    for function in functions:
        print(f"{FAILED} {function}: {broken}; fix that first" if broken else _verdict(function, found[function]))


class _Outcomes:
    """A pytest plugin that runs only the tests of the functions asked for and keeps what each test found."""

    def __init__(self, functions):
        self.functions = self.known = set(functions)
        self.items, self.failed, self.called, self.errors, self.unloadable = [], {}, {}, {}, []

    def function_of(self, item):
        """The function a test checks, and what to call the test in the feedback."""
        case = _case_of(item)
        if case is not None:  # a recorded case (tests/test_public.py)
            return case["function"].split(".")[0], case.get("name", item.name)
        name = getattr(item, "originalname", item.name)  # a test named after its function: test_fit_...
        named = [f for f in self.known if name == f"test_{f}" or name.startswith(f"test_{f}_")]
        return (max(named, key=len), _title(item)) if named else (None, item.name)

    def pytest_collection_modifyitems(self, config, items):
        recorded = {case["function"].split(".")[0] for case in map(_case_of, items) if case is not None}
        self.known = self.functions | recorded  # the longest name wins: sigmoid_prime's tests are not sigmoid's
        self.items = [item for item in items if self.function_of(item)[0] in self.functions]
        config.hook.pytest_deselected(items=[item for item in items if item not in self.items])
        items[:] = self.items

    def pytest_collectreport(self, report):
        if report.failed:
            self.unloadable.append(f"{Path(str(report.fspath)).name} could not be loaded: "
                                   f"{_last_line(report.longreprtext)}")

    def pytest_runtest_logreport(self, report):
        if report.failed:
            self.failed.setdefault(report.nodeid, report)
        elif report.when == "call":
            self.called[report.nodeid] = report

    def pytest_exception_interact(self, node, call, report):
        if call.excinfo is not None:
            self.errors.setdefault(node.nodeid, call.excinfo.value)

    def found(self):
        """``{function: [(test, problem or None)]}`` for the tests that ran (a skipped one counts neither way)."""
        found = {function: [] for function in self.functions}
        for item in self.items:
            report = self.failed.get(item.nodeid) or self.called.get(item.nodeid)
            if report is None or report.skipped:
                continue
            function, label = self.function_of(item)
            found[function].append((label, None if report.passed else _problem(self.errors.get(item.nodeid), report)))
        for function, tests in found.items():
            if not tests and self.unloadable:
                tests.append(("loading the tests", self.unloadable[0]))
        return found


def _title(item):
    """A test's title, as graded tests have theirs: its docstring's first line (with its parameters, where it has
    them), else its pytest id."""
    doc = (getattr(getattr(item, "obj", None), "__doc__", None) or "").strip()
    if not doc:
        return item.name
    callspec = getattr(item, "callspec", None)
    return doc.splitlines()[0] + (f" ({callspec.id})" if callspec is not None else "")


def _case_of(item):
    case = getattr(getattr(item, "callspec", None), "params", {}).get("case")
    return case if isinstance(case, dict) and "function" in case else None


def _run(functions):
    """``{function: [(test, problem or None)]}`` from one in-process pytest run of the public tests."""
    outcomes = _Outcomes(functions)
    files = [str(path) for path in sorted(TESTS.glob("test_*.py"))]
    args = [*files, "--rootdir", str(FOLDER), "--noconftest", "-s", "-o", "addopts=", "-o", "python_files=test_*.py",
            "-p", "no:cacheprovider", "-p", "no:terminal", "-p", "no:stepwise", "-W", "ignore::DeprecationWarning"]
    before = os.environ.get("PYTEST_DISABLE_PLUGIN_AUTOLOAD")
    os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"  # a plugin installed on this machine has no say here
    try:
        code = pytest.main(args, plugins=[outcomes])
    finally:
        if before is None:
            del os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"]
        else:
            os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = before
    if code == pytest.ExitCode.INTERRUPTED:
        raise KeyboardInterrupt
    return outcomes.found()


def _problem(error, report):
    """What a failed test says, without the traceback: the public tests' own feedback where they give one."""
    if isinstance(error, NotImplementedError) or str(error).endswith(NOT_IMPLEMENTED):
        return NOT_IMPLEMENTED
    if isinstance(error, (pytest.fail.Exception, AssertionError)):
        return str(error).strip() or f"{type(error).__name__} (no message)"
    if error is None:
        return _last_line(report.longreprtext)
    return f"raised {type(error).__name__}: {error}" + "".join(f"\n{line}" for line in _where(error))


def _verdict(function, found):
    if not found:
        return f"{FAILED} {function}: no public test found for it (is the name right?)"
    failures = [(label, problem) for label, problem in found if problem is not None]
    if not failures:
        return f"{PASSED} {function}: passes its {_count(len(found))}"
    if all(problem == NOT_IMPLEMENTED for _, problem in failures):
        return f"{NOT_YET} {function}: {NOT_IMPLEMENTED}"
    distinct, seen = [], set()
    for label, problem in failures:  # each distinct failure once: a bug that fails three cases alike reads once
        key = problem.splitlines()[0] if problem else problem
        if problem != NOT_IMPLEMENTED and key not in seen:
            seen.add(key)
            distinct.append((label, problem))
    shown = [f"· {label!r}:\n{_shortened(problem)}" for label, problem in distinct[:SHOWN]]
    more = len(distinct) - len(shown)
    return (f"{FAILED} {function}: fails {len(failures)} of its {_count(len(found))}:\n" + "\n".join(shown)
            + (f"\n(and {more} more alike in kind; python -m pytest tests shows every one)" if more > 0 else ""))


def _shortened(problem):
    """The failure in at most :data:`MAX_LINES` lines: the headline, the cause and its evidence kept whole
    (they come first), long arrays cut instead."""
    lines = problem.splitlines()
    return "\n".join(lines[:MAX_LINES] + (["  ..."] if len(lines) > MAX_LINES else []))


def _count(n):
    return f"{n} public test{'s' if n != 1 else ''}"


def _where(error):
    """The last lines of your own files the error went through: file, line, function and its source."""
    frames = [frame for frame in traceback.extract_tb(error.__traceback__) if _is_yours(frame.filename)]
    return [f"  {Path(f.filename).name}, line {f.lineno}, in {f.name}: {(f.line or '').strip()}" for f in frames[-3:]]


def _is_yours(filename):
    path = Path(filename).resolve()
    return path.parent == FOLDER and path.suffix == ".py"


def _last_line(text):
    lines = [line for line in str(text).splitlines() if line.strip()]
    return lines[-1].lstrip("E ").strip() if lines else "an error"


_loaded = {}  # module name -> the bytes of its file when it was last loaded


def autoreload():
    """Reload your changed files before each cell from now on (see the module docstring)."""
    from IPython import get_ipython

    shell = get_ipython()
    if shell is not None and _reload_changed not in shell.events.callbacks["pre_run_cell"]:
        shell.events.register("pre_run_cell", _reload_changed)


def _reload_changed(*_):
    for module in your_modules():
        loaded, path = sys.modules.get(module), FOLDER / f"{module}.py"
        if loaded is None or not path.is_file():
            continue
        now = path.read_bytes()
        if _loaded.setdefault(module, now) == now:
            continue
        try:
            importlib.reload(loaded)
            _loaded[module] = now
        except Exception as error:  # noqa: BLE001 - the cell runs on with the last version that loaded
            print(f"{FAILED} {path.name} changed but does not load: {one_line(error)}"
                  + "".join(f"\n{line}" for line in _where(error)) + "\n  (the cells use its last version that did)")


@contextlib.contextmanager
def your_code():
    """Run a cell's code; an error becomes one line instead of a traceback, and the notebook goes on."""
    try:
        yield
    except Exception as error:  # noqa: BLE001 - the student reads what went wrong, in one place
        if "matplotlib.pyplot" in sys.modules:
            sys.modules["matplotlib.pyplot"].close("all")  # no half-drawn figure
        print(_explain(error))


def _explain(error):
    if isinstance(error, NotImplementedError) and NOT_IMPLEMENTED in str(error):
        return f"{NOT_YET} {error}: this cell shows your code at work once it is."
    where = _where(error)
    if isinstance(error, NameError) and not where:  # a name an earlier cell defines: that cell did not run
        return (f"{NOT_YET} this cell stopped: {error}: it is defined in an earlier cell of this notebook that has not "
                "run; run the cells above first (Run > Run All Above Selected Cell), then this one")
    if where:
        return f"{FAILED} your code raised {type(error).__name__}: {error}\n" + "\n".join(where)
    return (f"{FAILED} this cell stopped: {type(error).__name__}: {error}\n"
            "  (the checks above find most causes: a wrong shape or type from one of your functions)")
