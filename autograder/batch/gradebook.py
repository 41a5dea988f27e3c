"""The gradebook of a batch: one row per student, one column per graded test, the total.

A row's test columns and total come from that student's results.json (the total is its
``score``; the ``results`` column says where it is), so the CSV and the per-student results
never disagree. A group submission gives
each of its students a row. Rows are sorted by student.
"""

import csv
import io
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from autograder.batch.grade_all import RESULTS, STUDENTS

FIRST_COLUMNS = ("student", "name", "sid", "email", "submission", "results")
LAST_COLUMNS = ("total", "max_score", "status", "notes")


@dataclass
class Row:
    student: object          # collect.Student
    outcome: object          # batch.Outcome
    scores: dict             # config test name -> points earned
    passed: dict             # config test name -> True / False

    @property
    def total(self):
        return self.outcome.score

    @property
    def has_tests(self):
        return bool(self.outcome.results.get("tests"))


def rows(config, outcomes):
    """Gradebook rows for ``outcomes`` (batch.Outcome), sorted by student id then submission."""
    by_number = {spec.number: spec.name for spec in config.tests}
    table = []
    for outcome in outcomes:
        scores = {spec.name: 0.0 for spec in config.tests}
        passed = {spec.name: False for spec in config.tests}
        for test in outcome.results.get("tests", []):
            name = by_number.get(str(test.get("number", "")))
            if name is not None:
                scores[name] = float(test.get("score", 0.0))
                passed[name] = test.get("status") == "passed" and float(test.get("max_score", 0.0)) > 0
        for student in outcome.submission.students:
            table.append(Row(student, outcome, scores, passed))
    return sorted(table, key=lambda r: (r.student.id.lower(), r.student.id, r.outcome.submission.key))


def number(value):
    """``2`` rather than ``2.0``; at most 6 decimals."""
    value = round(float(value), 6)
    return str(int(value)) if value == int(value) else f"{value:g}"


def status(row):
    if row.outcome.state == "error":
        return "error"
    return "graded" if row.has_tests else "not graded"


def notes(row):
    text = " ".join(line.strip() for line in str(row.outcome.results.get("output", "")).splitlines() if line.strip())
    return text[:500]


def text_cell(text):
    """A text cell a spreadsheet shows as text: one that starts like a formula gets a leading quote."""
    text = str(text)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def csv_text(config, table):
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([*FIRST_COLUMNS, *(spec.name for spec in config.tests), *LAST_COLUMNS])
    for row in table:
        s = row.student
        results = f"{STUDENTS}/{row.outcome.submission.key}/{RESULTS}"
        writer.writerow([*map(text_cell, (s.id, s.name, s.sid, s.email, row.outcome.submission.label, results)),
                         *(number(row.scores[spec.name]) for spec in config.tests),
                         number(row.total), number(config.max_score), status(row), text_cell(notes(row))])
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
