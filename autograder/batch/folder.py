"""``nnhw grade-batch`` on a folder: find the submissions in it, grade them, write the gradebook and report.

Folder and export layouts are :mod:`.collect`'s job, the grading :mod:`.batch`'s, the CSV
:mod:`.gradebook`'s and the HTML :mod:`.report`'s; this module only decides where each goes.
"""

from dataclasses import dataclass
from pathlib import Path

from autograder.batch.grade_all import DEFAULT_TIMEOUT_S, grade_batch

GRADEBOOK = "gradebook.csv"
REPORT = "report.html"


@dataclass
class Summary:
    outcomes: list
    rows: list
    gradebook: Path
    report: Path
    layout: str
    ignored: list
    warnings: list

    def count(self, state):
        return sum(1 for o in self.outcomes if o.state == state)


def default_out(submissions):
    """``subs/`` → ``subs-graded/`` next to it; ``export.zip`` → ``export-graded/``."""
    submissions = Path(submissions).resolve()
    name = submissions.stem if submissions.is_file() else submissions.name
    return submissions.parent / f"{name}-graded"


def grade_folder(assignment, submissions, out_dir=None, jobs=None, regrade=False, timeout=DEFAULT_TIMEOUT_S,
                 on_start=None, on_done=None, grade=None, seed=None):
    """Collect the submissions in ``submissions`` (folder, zip or Gradescope export), grade them, write
    ``gradebook.csv``, ``report.html`` and ``students/<key>/results.json``; returns a :class:`Summary`."""
    from autograder.batch.collect import collect
    from autograder.batch.gradebook import rows, write_csv
    from autograder.batch.report import write_report

    config = assignment.config  # a broken config fails here, before anything is graded
    out_dir = Path(out_dir) if out_dir else default_out(submissions)
    with collect(submissions, config.files, exclude=[out_dir]) as found:
        outcomes = grade_batch(assignment, found.submissions, out_dir, jobs, regrade, timeout, on_start, on_done,
                               grade, seed)
        table = rows(config, outcomes)
        write_csv(out_dir / GRADEBOOK, config, table)
        write_report(out_dir / REPORT, assignment.id, config.title, config, table)
        return Summary(outcomes, table, out_dir / GRADEBOOK, out_dir / REPORT, found.layout, found.ignored,
                       found.warnings)
