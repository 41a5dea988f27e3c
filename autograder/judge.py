"""The one comparison most graded properties make: student vs reference (and vs torch).

    judge(student, reference, "sigmoid", z, formula="σ(z) = 1/(1 + e^(−z))",
          torch_judge=lambda z: torch.sigmoid(torch.from_numpy(z)).numpy())

calls the student's function in the worker, fails if it modified its inputs, then compares
its answer with the reference's (type, shape, dtype, finiteness, values) and, where given,
with torch's, so that a reference bug cannot silently become the standard.
"""

import copy

from .check import Check, describe
from .student import StudentCodeError, _named_inputs


def judge(student, reference, function, *args, formula=None, rtol=None, atol=None, torch_judge=None,
          hide_inputs=False, **kwargs):
    """Grade one call of ``function``; returns the student's answer for further checks."""
    reference_function = getattr(reference, function)
    check = Check(function, _named_inputs(reference_function, args, kwargs), formula, rtol, atol, hide_inputs)
    got = student.call(function, *args, **kwargs)
    if student.mutated:
        check.fail(f"modified its argument(s) {', '.join(student.mutated)} in place; functions must return new "
                   "arrays and leave their arguments unchanged")
    expected = reference_function(*copy.deepcopy(args), **copy.deepcopy(kwargs))
    check.matches(got, expected)
    if torch_judge is not None:
        check.matches(got, torch_judge(*args, **kwargs), what="the result (compared with torch)")
    return got


def judge_raises(student, function, *args, error="ValueError", why, inputs=None, rule=None, hide_inputs=False):
    """Grade a call that must raise ``error`` (a type name), e.g. for hyperparameters that make no sense.

    ``why`` finishes the sentence "should raise ValueError ..." in the feedback, and ``inputs``
    names the arguments shown to the student (positional ``arg0, arg1, ...`` when omitted).
    """
    shown = inputs if inputs is not None else {f"arg{i}": a for i, a in enumerate(args)}
    check = Check(function, shown, rule, hide_inputs=hide_inputs)
    try:
        got = student.call(function, *args)
    except StudentCodeError as exc:
        if exc.raised == error:
            return
        check.fail(f"should raise {error} {why}, but it failed differently", exc.brief)
    check.fail(f"should raise {error} {why}, but it returned a value instead", f"got: {describe(got)}")
