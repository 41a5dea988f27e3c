"""The gradebook of a batch: one row per student, one column per graded test, the total.

A row's test columns and total come from that student's results.json (the total is its
``score``; the ``results`` column says where it is), so the CSV and the per-student results
never disagree. A group submission gives
each of its students a row. Rows are sorted by student.

A test the grader could not run (a CUDA test without a GPU) has an empty cell, not a 0, and its
points are not in the row's ``max_score``. ``likely_causes`` keeps, per failed test, the cause its
feedback named (``5: forgot zero_grad; 7: ...``), so a spreadsheet filter finds who holds which
misconception.
"""

import csv
import io
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from autograder.batch.grade_all import RESULTS, STUDENTS
from autograder.check import likely_cause
from autograder.grading import extra as extra_data
from autograder.grading import results as results_json

FIRST_COLUMNS = ("student", "name", "sid", "email", "submission", "results")
LAST_COLUMNS = ("total", "max_score", "status", "likely_causes", "notes")


@dataclass
class Row:
    student: object          # collect.Student
    outcome: object          # batch.Outcome
    scores: dict             # config test name -> points earned
    passed: dict             # config test name -> True / False
    causes: dict             # config test name -> the likely cause its failure's feedback named
    not_graded: frozenset    # config test names the grader could not run (no GPU): no points either way
    max_score: float         # the points this row could earn: the config's, less those not graded

    @property
    def total(self):
        return self.outcome.score

    @property
    def has_tests(self):
        return bool(self.outcome.results.get("tests"))


def rows(config, outcomes):
    """Gradebook rows for ``outcomes`` (batch.Outcome), sorted by student id then submission."""
    by_number = {spec.number: spec.name for spec in config.tests}
    weights = {spec.name: spec.weight for spec in config.tests}
    graded = []
    for outcome in outcomes:
        scores = {spec.name: 0.0 for spec in config.tests}
        passed = {spec.name: False for spec in config.tests}
        causes = {}
        for test in outcome.results.get("tests", []):
            name = by_number.get(str(test.get("number", "")))
            if name is not None:
                scores[name] = float(test.get("score", 0.0))
                passed[name] = test.get("status") == "passed" and float(test.get("max_score", 0.0)) > 0
                cause = None if passed[name] else likely_cause(str(test.get("output", "")))
                if cause:
                    causes[name] = cause
        not_graded = {by_number[n] for n in extra_data.read(outcome.results).get("not_graded", {}) if n in by_number}
        graded.append((outcome, scores, passed, causes, not_graded))
    # a row without tests (nothing could be graded) is out of what the others could earn
    with_tests = [not_graded for outcome, *_, not_graded in graded if outcome.results.get("tests")]
    usual = set.intersection(*with_tests) if with_tests else set()
    table = []
    for outcome, scores, passed, causes, not_graded in graded:
        missing = frozenset(not_graded if outcome.results.get("tests") else usual)
        max_score = config.max_score - sum(weights[name] for name in missing)
        for student in outcome.submission.students:
            table.append(Row(student, outcome, scores, passed, causes, missing, max_score))
    return sorted(table, key=lambda r: (r.student.id.lower(), r.student.id, r.outcome.submission.key))


def gradable_max(config, table):
    """The most any row could earn: the config's maximum, less what this grader could not grade."""
    return max((row.max_score for row in table), default=config.max_score)


def number(value):
    """``2`` rather than ``2.0``; at most 6 decimals."""
    value = round(float(value), 6)
    return str(int(value)) if value == int(value) else f"{value:g}"


def status(row):
    if row.outcome.state == "error":
        return "error"
    return "graded" if row.has_tests else "not graded"


def notes(row):
    """The submission's top-level output in one line, less what the empty cells of tests not graded here say."""
    said = set(results_json.not_graded_notes(extra_data.read(row.outcome.results).get("not_graded", {})))
    lines = str(row.outcome.results.get("output", "")).splitlines()
    return " ".join(line.strip() for line in lines if line.strip() and line not in said)[:500]


def text_cell(text):
    """A text cell a spreadsheet shows as text: one that starts like a formula gets a leading quote."""
    text = str(text)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def causes_of(config, row):
    """``["5: forgot zero_grad", ...]``: each failed test's likely cause, in the tests' order."""
    return [f"{spec.number}: {row.causes[spec.name]}" for spec in config.tests if spec.name in row.causes]


def csv_text(config, table):
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([*FIRST_COLUMNS, *(spec.name for spec in config.tests), *LAST_COLUMNS])
    for row in table:
        s = row.student
        results = f"{STUDENTS}/{row.outcome.submission.key}/{RESULTS}"
        writer.writerow([*map(text_cell, (s.id, s.name, s.sid, s.email, row.outcome.submission.label, results)),
                         *("" if spec.name in row.not_graded else number(row.scores[spec.name]) for spec in config.tests),
                         number(row.total), number(row.max_score), status(row), text_cell("; ".join(causes_of(config, row))),
                         text_cell(notes(row))])
    return out.getvalue()


def write_text(path, text):
    """Write atomically, so an open spreadsheet or browser never reads half a file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(prefix=f".{path.name}-", dir=path.parent)
    with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
        fh.write(text)
    os.chmod(temp, 0o644)
    os.replace(temp, path)


def write_csv(path, config, table):
    write_text(path, csv_text(config, table))
