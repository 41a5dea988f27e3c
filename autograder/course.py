"""Where a course's content lives, and loading its reference solutions into the grader.

A course is a folder with ``assignments/<id>/`` (config, handout, tests, mutants) and
``solutions/<id>/`` (reference code). The engine learns assignment ids only from there.
"""

import importlib.util
import os
import sys
from functools import cached_property
from pathlib import Path

from autograder.config import load_config

#: where an assignment keeps the data files ``nnhw build`` makes (``[data]`` in assignment.toml)
DATA_FOLDER = "data"


def data_dir(assignment_dir):
    return Path(assignment_dir) / DATA_FOLDER


class UnknownAssignment(LookupError):
    pass


class Course:
    def __init__(self, root):
        self.root = Path(root).resolve()
        self._assignments = {}  # id -> Assignment: each one's config is read once per course object

    @classmethod
    def find(cls, start=None):
        """The course around ``start`` (default: the working folder), or ``$NNHW_COURSE_ROOT``."""
        if os.environ.get("NNHW_COURSE_ROOT"):
            return cls(os.environ["NNHW_COURSE_ROOT"])
        here = Path(start or Path.cwd()).resolve()
        for folder in [here, *here.parents]:
            if (folder / "assignments").is_dir() and (folder / "solutions").is_dir():
                return cls(folder)
        raise FileNotFoundError(f"no course found at or above {here} (a folder with assignments/ and solutions/); "
                                "run nnhw from the course folder or set NNHW_COURSE_ROOT")

    def ids(self):
        return sorted(p.parent.name for p in (self.root / "assignments").glob("*/assignment.toml"))

    def assignment(self, assignment_id):
        if assignment_id not in self.ids():
            raise UnknownAssignment(f"unknown assignment {assignment_id!r}; this course has: {', '.join(self.ids())}")
        if assignment_id not in self._assignments:
            self._assignments[assignment_id] = Assignment(self, assignment_id)
        return self._assignments[assignment_id]

    def assignments(self, ids=None):
        return [self.assignment(i) for i in (ids or self.ids())]


class Assignment:
    def __init__(self, course, assignment_id):
        self.course, self.id = course, assignment_id
        self.dir = course.root / "assignments" / assignment_id
        self.solution_dir = course.root / "solutions" / assignment_id
        self.tests_dir = self.dir / "tests"
        self.mutants_dir = self.dir / "mutants"
        self.alternatives_dir = self.dir / "alternatives"  # other correct solutions, in the mutants' format
        self.handout = self.dir / "handout.md"
        self.public_cases = self.dir / "public_cases.py"
        self.public_tests_dir = self.dir / "public_tests"   # optional test files copied into the starter's tests/
        self.starter_dir = course.root / "starter" / assignment_id
        self.data_dir = data_dir(self.dir)
        self.bundled_examples = self.dir / "examples.pickle"  # in a Gradescope bundle only (see build.py)

    @cached_property
    def config(self):
        return load_config(self.dir / "assignment.toml")

    def examples_path(self, key, seed=None):
        """Where the solution's recorded examples for ``key`` and ``seed`` are kept between runs (see
        :mod:`.replay`): a cache under the course's ``.nnhw/``, never committed; the key is in the name."""
        seeded = "fixed" if seed is None else f"seed{seed}"
        return self.course.root / ".nnhw" / "examples" / f"{self.id}.{seeded}.{key[:16]}.pickle"

    def solution_files(self):
        return {name: self.solution_dir / name for name in self.config.files}

    def given_files(self):
        """Files handed to students ready-made (e.g. an earlier assignment's solution)."""
        return {g.name: self.course.root / "solutions" / g.source for g in self.config.given}

    def worker_module_files(self):
        """Grader-written helpers imported into the worker (never given to students): ``{file name: path}``."""
        return {name: self.dir / name for name in self.config.worker_modules}

    def load_reference(self):
        """The solution's modules as one namespace, with the assignment's ``causes.py`` (its graded functions'
        known bugs, which the feedback's experiments test) as ``causes_module`` where there is one."""
        reference = load_modules({**self.given_files(), **self.solution_files()}, prefix=f"nnhw_reference.{self.id}")
        causes = self.dir / "causes.py"
        if causes.is_file():
            reference.causes_module = load_modules({"causes.py": causes}, prefix=f"nnhw_causes.{self.id}").module("causes")
        return reference


class ModuleSet:
    """Several modules seen as one namespace: ``ref.sigmoid`` finds ``sigmoid`` in whichever file has it."""

    def __init__(self, modules):
        self._modules = modules
        self.causes_module = None

    def module(self, stem):
        return self._modules[stem]

    def __getattr__(self, name):
        for module in self._modules.values():
            if hasattr(module, name):
                return getattr(module, name)
        raise AttributeError(name)

    def module_of(self, name):
        """The file stem that defines ``name`` (a top-level name, or the head of a dotted one)."""
        head = name.split(".")[0]
        return next((stem for stem, module in self._modules.items() if head in vars(module)), None)


def load_modules(files, prefix):
    """Import ``{file name: path}`` in order under private names, letting later files import earlier ones
    by their plain names (``from forward import sigmoid``) without leaving those names in ``sys.modules``."""
    modules, saved = {}, {}
    try:
        for name, path in files.items():
            stem = Path(name).stem
            spec = importlib.util.spec_from_file_location(f"{prefix}.{stem}", path)
            module = importlib.util.module_from_spec(spec)
            saved.setdefault(stem, sys.modules.get(stem))
            sys.modules[stem] = module
            spec.loader.exec_module(module)
            modules[stem] = module
    finally:
        for stem, previous in saved.items():
            if previous is None:
                sys.modules.pop(stem, None)
            else:
                sys.modules[stem] = previous
    return ModuleSet(modules)
