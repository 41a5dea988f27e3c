"""How a public test reports a failure: the autograder's feedback alone, not pytest's traceback.

Copied into every starter's tests/ as ``_nnhw_feedback.py``, next to ``_nnhw_check.py``; the recorded cases'
``test_public.py`` and an assignment's own public tests both fail through it, so a student reads one style.
"""

import functools
import traceback
from pathlib import Path

import pytest
from _nnhw_check import Feedback, Mismatch

HERE = Path(__file__).resolve().parent
MAX_LINES = 20  # a failure reads in one screen: larger inputs are summarised by their shapes


def fail(feedback):
    """Fail with the feedback text alone, as the autograder shows it: no test source, no traceback."""
    text = feedback.render(max_lines=MAX_LINES) if isinstance(feedback, Feedback) else str(feedback)
    pytest.fail(text, pytrace=False)


def crash(function, exc, inputs=None, details=(), diagnosis=None):
    """What the autograder says when your code raises: the error, where in your code (the last frames of your
    files; the library's own, where yours are none), and ``details`` such as what was expected."""
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if Path(f.filename).parent != HERE]
    yours = [f for f in frames if Path(f.filename).parent == HERE.parent]
    where = "".join(traceback.format_list((yours or frames)[-3:])).rstrip()
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
