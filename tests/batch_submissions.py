"""A class's worth of a1_forward submissions for batch grading (tests/test_batch.py, scripts/bench_batch.py).

Every kind a batch meets: the solution, the starter, instructor mutants, and broken or hostile
uploads (a syntax error, an empty folder, a zip, a wrong file name, a loose ``<student>.py``,
a nested folder, one that kills its own grader). ``expected`` says, per student, whether a
full score, a zero or something in between is right (the hostile one scores zero either way:
as a zero row from its own grader, or as a failed grader's zero row).
"""

import shutil
import zipfile
from pathlib import Path

from autograder.authoring.mutants import load_mutants, write_mutant_submission
from autograder.regions import strip_markers

HOSTILE = '''"""Tries to take down the grader that started this worker (it can when both run as one user;
as root the worker runs as another user and cannot), then dies without a word."""
import os
import signal

try:
    os.kill(os.getppid(), signal.SIGKILL)
except OSError:
    pass
os._exit(3)
'''


def _solution_code(assignment, name):
    path = assignment.solution_dir / name
    return strip_markers(path.read_text(encoding="utf-8"), str(path))


def _zip_folder(folder, archive):
    with zipfile.ZipFile(archive, "w") as zf:
        for path in sorted(Path(folder).rglob("*")):
            if path.is_file():
                zf.write(path, path.relative_to(folder).as_posix())
    shutil.rmtree(folder)


def make_submissions(assignment, folder, count=40, mutants=None):
    """Write ``count`` submissions into ``folder``; returns ``{student: "full" | "zero" | "partial"}``.

    The first ones are the interesting ones (broken, hostile, solution, starter, a few mutants);
    after those come the rest of the mutants, then copies of the solution with cosmetic edits.
    ``mutants`` limits which mutants are used (by name), in that order."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    name = assignment.config.files[0]
    solution = _solution_code(assignment, name)
    all_mutants = {m.name: m for m in load_mutants(assignment)}
    chosen = [all_mutants[n] for n in mutants] if mutants else list(all_mutants.values())
    expected = {}
    makers = []

    def folder_with(student, code, file_name=name):
        target = folder / student
        target.mkdir()
        (target / file_name).write_text(code, encoding="utf-8")
        return target

    def add(student, outcome, make):
        makers.append((student, outcome, make))

    add("s01-solution", "full", lambda s: folder_with(s, solution))
    add("s02-starter", "zero", lambda s: shutil.copytree(assignment.starter_dir, folder / s,
                                                          ignore=shutil.ignore_patterns("tests", "*.md")))
    add("s03-syntax-error", "zero", lambda s: folder_with(s, solution + "\n\ndef broken(:\n    pass\n"))
    add("s04-empty", "zero", lambda s: (folder / s).mkdir())
    add("s05-wrong-name", "zero", lambda s: folder_with(s, solution, "forwards.py"))
    add("s06-hostile", "zero", lambda s: folder_with(s, HOSTILE))
    add("s07-zipped", "full", lambda s: _zip_folder(folder_with(s, solution), folder / f"{s}.zip"))
    add("s08-loose-file", "full", lambda s: (folder / f"{s}.py").write_text(solution, encoding="utf-8"))
    rest = list(chosen)
    for i, mutant in enumerate(rest, start=9):
        def make(s, mutant=mutant, zipped=(i % 5 == 0)):
            target = write_mutant_submission(assignment, mutant, folder / s)
            if zipped:
                _zip_folder(target, folder / f"{s}.zip")
        add(f"s{i:02d}-{mutant.name.replace('_', '-')}", "partial", make)
    n = 9 + len(rest)
    while len(makers) < count:
        def copy(s, n=n):
            target = folder / s / "hw1"
            target.mkdir(parents=True)
            (target / name).write_text(f"# student {n}: my own work\n" + solution, encoding="utf-8")
        add(f"s{n:02d}-solution-copy", "full", copy)
        n += 1
    for student, outcome, make in makers[:count]:
        make(student)
        expected[student] = outcome
    return expected
