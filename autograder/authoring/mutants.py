"""Instructor mutants: plausible wrong implementations that the graded tests must catch.

A mutant is a small file in ``assignments/<id>/mutants/`` holding only the wrong function(s):

    # target: forward.py
    # caught-by: tanh
    # The slide's tanh formula typed in directly: inf / inf = NaN once |z| > 710.
    import numpy as np

    def tanh(z): ...

Its submission is the reference solution with the mutant's code appended, so the later
definitions win and every caller inside the file uses the wrong version too. An accepted variant
(``alternatives/``) is the same, without ``caught-by``: code written differently that must keep every mark.
"""

import re
from dataclasses import dataclass
from pathlib import Path

from autograder.regions import strip_markers

HEADER = re.compile(r"^#\s*(target|caught-by):\s*(.*?)\s*$")


class MutantError(ValueError):
    pass


@dataclass(frozen=True)
class Mutant:
    name: str
    path: Path
    target: str
    caught_by: tuple
    description: str
    code: str


def load_mutant(path, required=("target", "caught-by")):
    lines = Path(path).read_text(encoding="utf-8").splitlines(keepends=True)
    fields, description, body_start = {}, "", 0
    for number, line in enumerate(lines):
        match = HEADER.match(line)
        if match:
            fields[match.group(1)] = match.group(2)
        elif line.startswith("#") and not description:
            description = line.lstrip("# ").strip()
        else:
            body_start = number
            break
    missing = [key for key in required if not fields.get(key)]
    if missing:
        raise MutantError(f"{path}: the header lacks '# {missing[0]}: ...'")
    return Mutant(Path(path).stem, Path(path), fields["target"], tuple(fields.get("caught-by", "").split()),
                  description, "".join(lines[body_start:]))


def load_mutants(assignment):
    return [load_mutant(p) for p in sorted(assignment.mutants_dir.glob("*.py"))]


def load_alternatives(assignment):
    """Accepted variants (``alternatives/``): other correct solutions, in the mutants' format without
    ``caught-by``; verify requires full marks and passed public tests of each."""
    return [load_mutant(p, required=("target",)) for p in sorted(assignment.alternatives_dir.glob("*.py"))]


def write_mutant_submission(assignment, mutant, folder):
    """Lay out the mutant as a student's submission in ``folder``."""
    return write_mutants_submission(assignment, [mutant], folder)


def write_mutants_submission(assignment, mutants, folder):
    """The solution with every one of ``mutants`` appended to its target file, in order (where two redefine
    one function, the later wins): a submission with that many bugs, laid out in ``folder``."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for mutant in mutants:
        if mutant.target not in assignment.config.files:
            raise MutantError(f"{mutant.path}: target {mutant.target} is not one of {', '.join(assignment.config.files)}")
    for name, source in assignment.solution_files().items():
        code = strip_markers(source.read_text(encoding="utf-8"), str(source))
        for mutant in (m for m in mutants if m.target == name):
            code += f"\n\n# ---- mutant {mutant.name}: {mutant.description}\n" + mutant.code
        (folder / name).write_text(code, encoding="utf-8")
    return folder
