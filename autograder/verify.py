"""``nnhw verify``: the autograder gives the solution full marks, the starter zero, and each mutant less.

Each submission is graded in its own ``nnhw grade`` process (exactly the path students get),
several at a time, and the outcome is a table of which test caught which mutant.
"""

import os
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from .batch import grade_in_subprocess
from .mutants import load_mutants, write_mutant_submission


@dataclass
class Graded:
    name: str
    kind: str                 # "solution", "starter" or "mutant"
    results: dict
    mutant: object = None
    problems: list = field(default_factory=list)

    @property
    def score(self):
        return self.results.get("score", 0.0)

    def failed_tests(self):
        return [t for t in self.results.get("tests", []) if t.get("status") != "passed"]


def function_of(title):
    """The student function a test grades: its title starts with ``function:``."""
    return title.split(":", 1)[0].strip()


def verify(assignment, jobs=None):
    """Grade solution, starter and mutants; returns the list of :class:`Graded` with problems filled in."""
    with tempfile.TemporaryDirectory(prefix=f"nnhw-verify-{assignment.id}-") as temp:
        temp = Path(temp)
        subjects = [("solution", "solution", assignment.solution_dir, None),
                    ("starter", "starter", assignment.starter_dir, None)]
        for mutant in load_mutants(assignment):
            folder = write_mutant_submission(assignment, mutant, temp / "mutants" / mutant.name)
            subjects.append((mutant.name, "mutant", folder, mutant))

        def run(subject):
            name, kind, upload, mutant = subject
            return Graded(name, kind, grade_in_subprocess(assignment, upload, temp / f"{name}.json"), mutant)

        with ThreadPoolExecutor(max_workers=jobs or os.cpu_count() or 1) as pool:
            graded = list(pool.map(run, subjects))
    max_score = sum(t.get("max_score", 0) for t in graded[0].results.get("tests", [])) or assignment.config.max_score
    for g in graded:
        if g.kind == "solution" and g.score != max_score:
            g.problems.append(f"the solution scores {g.score:g} of {max_score:g}: "
                              + "; ".join(t["name"] for t in g.failed_tests())[:800]
                              + ("\n" + g.results.get("output", "") if not g.results.get("tests") else ""))
        elif g.kind == "starter" and g.score != 0:
            g.problems.append(f"the starter scores {g.score:g}, not 0")
        elif g.kind == "mutant":
            if g.score >= max_score:
                g.problems.append("no test catches this mutant")
            caught = {function_of(t["name"]) for t in g.failed_tests()}
            for function in g.mutant.caught_by:
                if function not in caught:
                    g.problems.append(f"no test of {function} fails, though the mutant breaks it")
    return graded
