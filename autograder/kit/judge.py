"""The one comparison most graded properties make: student vs reference (and vs torch).

    judge(student, reference, "sigmoid", z, formula="σ(z) = 1/(1 + e^(−z))",
          torch_judge=lambda z: torch.sigmoid(torch.from_numpy(z)).numpy())

calls the student's function in the worker, fails if it modified its inputs, then compares
its answer with the reference's (type, shape, dtype, finiteness, values) and, where given,
with torch's, so that a reference bug cannot silently become the standard. A difference gets a
``likely cause:`` line only where an experiment confirms it: the function's known bugs (its
assignment's ``causes.py``) and the general catalogue's are tested by calling the student's
function again on probes (see :mod:`autograder.diagnosis`, :mod:`autograder.kit.experiment`).
"""

import copy

import numpy as np

from autograder.check import IN_PLACE, Check, Feedback, describe
from autograder.diagnosis import Diagnoser, crash_relation, unchecked
from autograder.grading.student import StudentCodeError, _named_inputs
from autograder.kit.experiment import LiveLab, causes_of

def expected_shape(expected):
    """'float64 array of shape (3, 4)', or a tuple of those: what a crash should have returned."""
    if isinstance(expected, (list, tuple)):
        return f"{'a list' if isinstance(expected, list) else 'a tuple'} of {len(expected)}: " + \
            ", ".join(expected_shape(e) for e in expected)
    if isinstance(expected, np.ndarray):
        return f"{expected.dtype} array of shape {expected.shape}"
    return type(expected).__name__


def call(student, check, function, *args, expected=None, names=None, changed_by=None, **kwargs):
    """Call the student's ``function``; a crash comes back with the check's context, formula and (where
    ``expected`` is given, a value or a callable) the expected answer's shape and dtype; a modified
    argument fails the check by name (and by the function that changes it: see :func:`modified_in_place`)."""
    try:
        got = student.call(function, *args, **kwargs)
    except StudentCodeError as exc:
        details = list(check.context)
        if expected is not None:
            try:
                details.insert(0, "expected: " + expected_shape(expected() if callable(expected) else expected))
            except Exception:  # noqa: BLE001 - the crash is the news; the shape is a bonus
                pass
        old = exc.feedback
        raise StudentCodeError(exc.brief, raised=exc.raised, feedback=Feedback(
            old.function, old.problem, [*old.details, *details], old.inputs, check.formula,
            crash_relation(exc.raised, exc.brief), (), check.hide_inputs)) from None
    if student.mutated:
        modified_in_place(check, student.mutated, names or list(check.inputs), changed_by)
    return got


def modified_in_place(check, mutated, names=(), changed_by=None):
    """Fail ``check``: the student's code changed the arguments ``mutated`` (names, or positions in ``names``).

    ``changed_by``: an experiment that returns the name of another of the student's functions that ``check``'s
    function calls, where that one is seen changing its own arguments (called on copies), or None; the cause then
    names it. It runs only on a failure, and a crash of it leaves the plain cause.
    """
    which = [names[int(i)] if i.isdigit() and int(i) < len(names) else i for i in mutated]
    try:
        culprit = changed_by() if changed_by is not None else None
    except Exception:  # noqa: BLE001 - the experiment is a bonus; the changed argument is the news
        culprit = None
    cause = (f"{check.function}'s arguments are changed by your {culprit}, which updates them in place: {IN_PLACE}"
             if culprit else IN_PLACE)
    check.fail(f"modified its argument{'s' if len(which) > 1 else ''} {' and '.join(which)} in place; functions "
               "must return new arrays and leave their arguments unchanged", diagnosis=cause)


def prepare(student, reference, function, *args, formula=None, rtol=None, atol=None, hide_inputs=False, outputs=None,
            context=(), changed_by=None, **kwargs):
    """``(check, got, expected)``: the student's answer to ``function(*args, **kwargs)``, the reference's, and
    the check to compare them with, whose likely causes come from experiments on the student's function
    (``changed_by``: which of the student's functions changes a modified argument, see :func:`modified_in_place`).

    For tests that compare more than :func:`judge` does (several items, against several judges):
    ``check.matches(got, expected, what=...)`` names a cause where the probes confirm one.
    """
    reference_function = getattr(reference, function)
    inputs = _named_inputs(reference_function, args, kwargs)
    names = list(inputs)
    causes = causes_of(reference)

    def run_reference():
        return reference_function(*copy.deepcopy(args), **copy.deepcopy(kwargs))

    def make_lab():
        return LiveLab(lambda *a, **k: student.call(function, *a, **k), reference, function, args, kwargs, names,
                       causes.bugs(function), causes.probes(function), causes.repair(function))

    check = Check(function, inputs, formula, rtol, atol, hide_inputs, context, outputs, Diagnoser(make_lab))
    got = call(student, check, function, *args, expected=run_reference, names=names, changed_by=changed_by, **kwargs)
    return check, got, run_reference()


def judge(student, reference, function, *args, formula=None, rtol=None, atol=None, torch_judge=None,
          hide_inputs=False, outputs=None, context=(), **kwargs):
    """Grade one call of ``function``; returns the student's answer for further checks.

    ``outputs`` names the items of a tuple answer as the contract does (``("dx", "dw", "db")``);
    ``context`` adds lines to every failure.
    """
    check, got, expected = prepare(student, reference, function, *args, formula=formula, rtol=rtol, atol=atol,
                                   hide_inputs=hide_inputs, outputs=outputs, context=context, **kwargs)
    check.matches(got, expected)
    if torch_judge is not None:
        torch_check = Check(function, check.inputs, formula, rtol, atol, hide_inputs, context, outputs)
        torch_check.matches(got, torch_judge(*args, **kwargs), what="the result (compared with torch)")
    return got


def compare(check, got, expected, what=None):
    """``check.matches(got, expected, what)``: for answers that are not one call's whole result (an item of a
    tuple, a cache's part); the likely cause is what ``check``'s own experiment confirms, if it has one."""
    check.matches(got, expected, what)


def judge_raises(student, function, *args, error="ValueError", why, inputs=None, rule=None, hide_inputs=False,
                 rejects=None):
    """Grade a call that must raise ``error`` (a type name), e.g. for hyperparameters that make no sense.

    ``why`` finishes the sentence "should raise ValueError ..." in the feedback, and ``inputs``
    names the arguments shown to the student (positional ``arg0, arg1, ...`` when omitted).
    ``rejects`` names the one condition these arguments break (``"F > W + 2P"``): where the code
    does not raise ``error``, no check of it ran, and the feedback says so.
    """
    shown = inputs if inputs is not None else {f"arg{i}": a for i, a in enumerate(args)}
    check = Check(function, shown, rule, hide_inputs=hide_inputs)
    cause = rejects and unchecked(rejects, error)
    try:
        got = student.call(function, *args)
    except StudentCodeError as exc:
        if exc.raised == error:
            return
        check.fail(f"should raise {error} {why}, but it failed differently", exc.brief, cause)
    check.fail(f"should raise {error} {why}, but it returned a value instead", f"got: {describe(got)}", cause)
