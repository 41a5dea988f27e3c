"""How a public test reports a failure: the autograder's feedback alone, not pytest's traceback.

Copied into every starter's tests/ as ``_nnhw_feedback.py``, next to ``_nnhw_check.py``; the recorded cases'
``test_public.py`` and an assignment's own public tests both fail through it, so a student reads one style.
"""

import functools
import importlib
import json
import traceback
from pathlib import Path

import pytest
from _nnhw_check import Feedback, Mismatch

HERE = Path(__file__).resolve().parent
MAX_LINES = 20  # a failure reads in one screen: larger inputs are summarised by their shapes


def your_modules():
    """Your files' module names, as the recorded cases name them (``["forward", "backprop"]``)."""
    path = HERE / "cases.json"
    return json.loads(path.read_text(encoding="utf-8"))["modules"] if path.is_file() else []


def unloadable(modules=None, libraries=True):
    """Why one of your files cannot be imported, in one line with its file and line (its first problem), or None.
    With ``libraries=False`` a library that is not installed (torch) does not count: the tests that need it say
    how to install it, and the others run."""
    modules = your_modules() if modules is None else modules
    for module in modules:
        path = HERE.parent / f"{module}.py"
        try:
            compile(path.read_text(encoding="utf-8"), str(path), "exec")
            importlib.import_module(module)
        except Exception as error:  # noqa: BLE001 - what is wrong with the file is the feedback
            if libraries or not isinstance(error, ModuleNotFoundError) or error.name in modules:
                return f"{path.name} does not import: {one_line(error)}"
    return None


def one_line(error):
    """``SyntaxError: unmatched ')' (line 143)``: the error and the line of your file it points at."""
    lines = [f.lineno for f in traceback.extract_tb(error.__traceback__) if Path(f.filename).parent == HERE.parent]
    line = error.lineno if isinstance(error, SyntaxError) else lines[-1] if lines else None
    return f"{type(error).__name__}: {getattr(error, 'msg', None) or error}" + (f" (line {line})" if line else "")


_reported = set()  # what stop_unless_importable said already in this run: the next test file skips quietly


def stop_unless_importable():
    """Called by each public test file as it loads: a file of yours that does not compile or import fails the first
    test file with one line saying where, and skips the others, instead of the same import error in every test."""
    problem = unloadable(libraries=False)
    if problem in _reported:
        pytest.skip(problem, allow_module_level=True)
    if problem:
        _reported.add(problem)
        pytest.fail(f"✗ {problem}; fix that first: no public test runs until it imports", pytrace=False)


def fail(feedback):
    """Fail with the feedback text alone, as the autograder shows it: no test source, no traceback."""
    text = feedback.render(max_lines=MAX_LINES) if isinstance(feedback, Feedback) else str(feedback)
    pytest.fail(text, pytrace=False)


def crash(function, exc, inputs=None, details=(), diagnosis=None):
    """What the autograder says when your code raises: the error, where in your code (the last frames of your
    files; the library's own, where yours are none and no likely cause says more), and ``details`` such as what was
    expected."""
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if Path(f.filename).parent != HERE]
    yours = [f for f in frames if Path(f.filename).parent == HERE.parent]
    where = "".join(traceback.format_list((yours or ([] if diagnosis else frames))[-3:])).rstrip()
    return Feedback(function, f"raised {type(exc).__name__}: {exc}", [where, *details], inputs, diagnosis=diagnosis)


def answer(function, call, inputs=None, details=(), explain=None):
    """``call()``'s result; where your code raises, the test fails with :func:`crash`'s feedback (and the
    likely cause ``explain(exception)`` names, where given)."""
    try:
        return call()
    except NotImplementedError:
        problem = f"{function}: not implemented yet"
    except Exception as exc:  # noqa: BLE001 - your code's error becomes feedback, as in the autograder
        problem = crash(function, exc, inputs, details, explain and explain(exc))
    fail(problem)  # outside the except block, which would chain the tracebacks


def feedback_only(test):
    """A test whose checks raise :class:`Mismatch` fails with that feedback alone."""
    @functools.wraps(test)
    def reported(*args, **kwargs):
        try:
            return test(*args, **kwargs)
        except Mismatch as exc:
            problem = exc.feedback
        fail(problem)
    return reported
