"""The one comparison most graded properties make: student vs reference (and vs torch).

    judge(student, reference, "sigmoid", z, formula="σ(z) = 1/(1 + e^(−z))",
          torch_judge=lambda z: torch.sigmoid(torch.from_numpy(z)).numpy())

calls the student's function in the worker, fails if it modified its inputs, then compares
its answer with the reference's (type, shape, dtype, finiteness, values) and, where given,
with torch's, so that a reference bug cannot silently become the standard.
"""

import copy

from .check import Check
from .student import _named_inputs


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
