"""results.json's ``extra_data``: what nnhw records beside the score, each key named once.

Written and read only through :func:`read` and :func:`write`, so a key is spelled in one place and a reader
never trips over a results.json whose ``extra_data`` is missing or not an object (Gradescope does not
require one, and a grader that failed may not have written one).
"""

from typing import TypedDict


class ExtraData(TypedDict, total=False):
    assignment: str      # the assignment id
    examples: dict       # {test: examples run}
    confinement: str     # how the student's code was confined
    seed: int            # the hypothesis seed, when not the fixed examples
    replayed: list       # tests whose examples were replayed from the solution's recording
    aborted: bool        # one test's doing reached later ones (a crash, a spent budget, a failed import)
    versions: dict       # {package: version} it was graded with
    lock_drift: list     # how those differ from requirements.lock
    misconfigured: bool  # the assignment, not the submission, is broken
    grader_error: bool   # the grader itself failed: grade it again
    selected: str        # verify: the -k expression that chose the tests run
    not_graded: dict     # {test number: {name, why}}: tests that could not run on this grader, left out of tests


def read(results) -> ExtraData:
    """``results``' extra_data, or an empty one."""
    extra = results.get("extra_data") if isinstance(results, dict) else None
    return extra if isinstance(extra, dict) else {}


def write(results, keep=True, **fields) -> dict:
    """A copy of ``results`` whose extra_data holds ``fields``, after what it held already (``keep``) or alone."""
    unknown = set(fields) - set(ExtraData.__annotations__)
    if unknown:
        raise KeyError(f"not an extra_data key: {', '.join(sorted(unknown))}")
    return {**results, "extra_data": {**(read(results) if keep else {}), **fields}}
