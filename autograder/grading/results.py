"""Gradescope's results.json: assemble it from test outcomes, check it, write it atomically.

The grader writes this file itself, after every student process is gone, and always writes
one: when grading cannot run at all the file still says why, with a score of zero.
"""

import json
import os
import tempfile
from pathlib import Path

from autograder.grading import extra as extra_data

SCHEMA = Path(__file__).resolve().parent / "results.schema.json"
MAX_OUTPUT = 100_000  # Gradescope cuts each output here; we cut first so the end is ours
#: how the plugin words a test that skipped itself; the reason alone follows it in the top-level output
NOT_GRADED_PREFIX = "not graded here: "


def assemble(config, outcomes, notes=(), leaderboard=(), execution_time=None, extra=None):
    """results.json's content: config order, config weights, our feedback as each test's output.

    A test that could not run on this grader (it skipped itself: no GPU and no recorded CUDA results) is
    left out of ``tests``: Gradescope paints a 0/0 entry green, which reads as a pass for code that may not
    even exist. The top-level output says which tests were not run and why, and ``extra_data.not_graded``
    keeps them for machines (``{number: {"name": title, "why": reason}}``)."""
    tests, score, not_graded = [], 0.0, {}
    for spec in config.tests:
        if spec.leaderboard is not None:  # a leaderboard column, not a graded test (as gradescope-utils does)
            continue
        outcome = outcomes.get(spec.name)
        if outcome is not None and outcome.skipped:
            not_graded[spec.number] = {"name": outcome.title, "why": outcome.output.removeprefix(NOT_GRADED_PREFIX)}
            continue
        points = _points(spec, outcome)
        passed = bool(outcome and outcome.passed) and points >= spec.weight
        score += points
        output = outcome.output if outcome else "this test did not run (an error in the autograder's test files)"
        entry = {
            "name": outcome.title if outcome else spec.name,
            "number": spec.number,
            "score": points,
            "max_score": spec.weight,
            "status": "passed" if passed else "failed",
            "visibility": spec.visibility,
            "output": output[:MAX_OUTPUT],
        }
        if spec.tags:
            entry["tags"] = list(spec.tags)
        tests.append(entry)
    results = {
        "score": round(min(score, config.max_score), 6),
        "output": "\n".join([*notes, *not_graded_notes(not_graded)])[:MAX_OUTPUT],
        "output_format": "text",
        "test_output_format": "text",
        "visibility": "visible",
        "tests": tests,
    }
    if execution_time is not None:
        results["execution_time"] = round(execution_time, 3)
    if leaderboard:
        results["leaderboard"] = list(leaderboard)
    if extra:
        results["extra_data"] = dict(extra)
    if not_graded:
        results = extra_data.write(results, not_graded=not_graded)
    return results


def not_graded_notes(not_graded):
    """One line per test that was not run here (``extra_data.not_graded``), for the top of a submission's feedback."""
    return [f'test {number} ("{test["name"]}") was not run: {test["why"]}' for number, test in not_graded.items()]


def _points(spec, outcome):
    """Full weight for a pass and 0 for a failure, unless the test set its own score (clamped to [0, weight])."""
    if outcome is None:
        return 0.0
    if outcome.score is not None:
        return min(max(outcome.score, 0.0), spec.weight)
    return spec.weight if outcome.passed else 0.0


def failure(message, execution_time=None, misconfigured=False):
    """The results of a run that could not grade anything: zero, and why.

    ``misconfigured`` marks the assignment (not the submission) as the cause, for machines to read:
    ``extra_data["misconfigured"]`` is true, so a batch can stop without matching any wording.
    """
    results = {"score": 0.0, "output": message[:MAX_OUTPUT], "output_format": "text", "tests": []}
    if misconfigured:
        results = extra_data.write(results, misconfigured=True)
    if execution_time is not None:
        results["execution_time"] = round(execution_time, 3)
    return results


def validate(results):
    """Check against the results.json schema; returns a list of problems (empty when valid)."""
    import jsonschema

    schema = json.loads(SCHEMA.read_text())
    validator = jsonschema.Draft202012Validator(schema)
    return [f"{'/'.join(map(str, e.absolute_path)) or '(top)'}: {e.message}" for e in validator.iter_errors(results)]


def write(results, path):
    """Write atomically (temp file + rename) so no reader ever sees half a results.json."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(prefix=".results-", dir=path.parent)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(results, fh, indent=2, ensure_ascii=False)
        fh.write("\n")
    os.chmod(temp, 0o644)
    os.replace(temp, path)
