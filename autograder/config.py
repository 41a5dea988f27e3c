"""Read and validate ``assignments/<id>/assignment.toml``.

Every mistake names the file, the key and what was expected, so an instructor fixes a
config in one go instead of reading a traceback from the middle of a grading run.
"""

import difflib
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Gradescope's Python 3.10
    import tomli as tomllib

from autograder import decorators

VISIBILITIES = ("hidden", "after_due_date", "after_published", "visible")


class ConfigError(ValueError):
    """A malformed assignment config (which file, which key, what was expected)."""


@dataclass(frozen=True)
class Limits:
    """What one submission's code may use (``[limits]``; docs/architecture.md explains each)."""

    call_timeout_s: float = 10.0
    startup_timeout_s: float = 60.0
    memory_mb: int = 1024          # heap (RLIMIT_DATA) of each process, and anonymous memory of all together
    cpu_s: int = 600
    max_processes: int = 64        # per worker uid (root only: it is a per-uid count)
    max_file_mb: int = 16
    output_tail_bytes: int = 4000
    max_answer_mb: int = 64        # the arrays of one answer; the grader reads no more
    max_open_files: int = 256
    test_budget_s: Optional[float] = None  # time in the student's code per test; None: 6 x call_timeout_s
    total_budget_s: float = 480.0  # time in the student's code per submission (Gradescope's default timeout is 600)

    @property
    def test_budget(self):
        return self.test_budget_s if self.test_budget_s is not None else 6 * self.call_timeout_s


@dataclass(frozen=True)
class TestSpec:
    name: str
    weight: float
    visibility: str
    number: str
    max_examples: int
    tags: tuple = ()
    hide_inputs: bool = False
    cuda: bool = False           # graded only on a GPU grader, or from recorded CUDA results
    requires: tuple = ()         # tests of the building blocks this test relies on ("fix them first")
    leaderboard: tuple = None    # (column, order) from @leaderboard: a leaderboard entry, not a graded test
    hide_errors: str = None      # from @hide_errors: the only output a failure shows
    partial_credit: bool = False  # from @partial_credit: the test sets its own score


@dataclass(frozen=True)
class Given:
    source: str  # path relative to solutions/, e.g. "a1_forward/forward.py"
    name: str    # file name the student's code imports it as
    ship: bool = True  # in the starter; false holds the solution back (authoring/given.py: the student's own)


@dataclass(frozen=True)
class Forbidden:
    block_imports: tuple = ()
    attributes: tuple = ()
    names: tuple = ()
    reason: str = ""

    def poison(self):
        return {"block_imports": list(self.block_imports), "attributes": list(self.attributes), "reason": self.reason}


@dataclass(frozen=True)
class DataSpec:
    script: str            # assignments/<id>/<script> defines make_data() -> {file name: {array name: array}}
    starter: tuple = ()    # the made files students get too (every file goes to the grader)
    requires: tuple = ()   # packages the script needs (instructors only), named when they are missing


@dataclass(frozen=True)
class AssignmentConfig:
    id: str
    title: str
    files: tuple
    given: tuple
    needs_torch: bool
    limits: Limits
    max_examples: int
    tests: tuple
    forbidden: Forbidden = field(default_factory=Forbidden)
    data: Optional[DataSpec] = None
    worker_modules: tuple = ()   # grader-written helpers in assignments/<id>/, imported in the worker after the student's

    @property
    def max_score(self):
        return sum(t.weight for t in self.tests if t.leaderboard is None)

    def test(self, name):
        return next((t for t in self.tests if t.name == name), None)


class _Table:
    """A TOML table being read: remembers where it came from and which keys were used."""

    def __init__(self, path, section, data):
        if not isinstance(data, dict):
            raise ConfigError(f"{path}: [{section}] should be a table, got {_toml(data)}")
        self.path, self.section, self.data, self.used = path, section, data, set()

    def get(self, key, kind, default=..., check=None, expected=None):
        self.used.add(key)
        kinds = kind if isinstance(kind, tuple) else (kind,)
        want = expected or ("a number" if set(kinds) == {int, float} else
                            " or ".join(_KIND_NAMES.get(k, k.__name__) for k in kinds))
        if key not in self.data:
            if default is ...:
                raise ConfigError(f"{self.path}: [{self.section}] is missing the key '{key}' ({want})"
                                  + typo_hint(key, [k for k in self.data if k not in self.used]))
            return default
        value = self.data[key]
        ok = isinstance(value, kinds) and not (isinstance(value, bool) and bool not in kinds)
        if ok and check is not None:
            ok = check(value)
        if not ok:
            raise ConfigError(f"{self.path}: [{self.section}] {key} should be {want}, got {_toml(value)}")
        return value

    def table(self, key):
        self.used.add(key)
        return _Table(self.path, f"{self.section}.{key}" if self.section else key, self.data.get(key, {}))

    def done(self):
        unknown = sorted(set(self.data) - self.used)
        if unknown:
            where = f"[{self.section}]" if self.section else "the top level"
            hints = [f"'{k}'{typo_hint(k, self.used, found=False)}" for k in unknown]
            raise ConfigError(f"{self.path}: unknown key(s) {', '.join(hints)} in {where}; "
                              f"known: {', '.join(sorted(self.used))}")


_KIND_NAMES = {bool: "true or false", int: "an integer", float: "a number", str: "a string", list: "a list"}


def _toml(value):
    """A value as it was written in the TOML file (``true``, ``"two"``), for messages."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list):
        return "[" + ", ".join(map(_toml, value)) + "]"
    return repr(value)


def typo_hint(key, candidates, found=True):
    """The closest of ``candidates`` to a ``key`` that matched none, as a message's tail ("" if none is close):
    ``found`` words it as the key found in its place, else as the one meant."""
    close = difflib.get_close_matches(key, list(candidates), n=1, cutoff=0.75)
    if not close:
        return ""
    return f"; found '{close[0]}', a typo?" if found else f" (did you mean '{close[0]}'?)"


def _strings(value):
    return isinstance(value, list) and all(isinstance(v, str) for v in value)


def _test_spec(path, spec, name, number, max_examples, decorated):
    """One [tests.NAME] table, merged with the gradescope-utils decorators on the test itself; a key set
    in both places is an error, so that nobody edits the one that does not count."""
    in_code = decorated.values if decorated else {}
    for key in in_code:
        if key in spec.data:
            raise ConfigError(f"{path}: [tests.{name}] sets {key}, and so does @{decorated.names[key]}(...) on the "
                              f"test ({decorated.file.name}, line {decorated.line}); set it in one place")
    leaderboard = decorated.leaderboard if decorated else None
    checks = {
        "weight": dict(kind=(int, float), check=lambda v: v >= 0, expected="a number >= 0",
                       default=0.0 if leaderboard else ...),
        "visibility": dict(kind=str, default="visible", check=lambda v: v in VISIBILITIES,
                           expected="one of " + ", ".join(f'"{v}"' for v in VISIBILITIES)),
        "number": dict(kind=str, default=number),
        "tags": dict(kind=list, default=[], check=_strings, expected="a list of strings"),
    }
    values = {}
    for key, rule in checks.items():
        if key in in_code:
            value, check = in_code[key], rule.get("check")
            ok = (isinstance(value, rule["kind"]) or key == "tags") and not isinstance(value, bool) and \
                (check is None or check(list(value) if key == "tags" else value))
            if not ok:
                raise ConfigError(f"{decorated.file}, line {decorated.line}: @{decorated.names[key]}(...) on {name} "
                                  f"should be given {rule.get('expected', 'a string')}, got {_toml(value)}")
            values[key] = value
        else:
            values[key] = spec.get(key, rule["kind"], rule["default"], check=rule.get("check"),
                                   expected=rule.get("expected"))
    if leaderboard and values["weight"]:
        raise ConfigError(f"{path}: [tests.{name}] is a @leaderboard test ({decorated.file.name}, line "
                          f"{decorated.line}), which carries no points; drop its weight")
    result = TestSpec(
        name=name,
        weight=float(values["weight"]),
        visibility=values["visibility"],
        number=values["number"],
        max_examples=spec.get("max_examples", int, max_examples, check=lambda v: v > 0,
                              expected="a positive integer"),
        tags=tuple(values["tags"]),
        hide_inputs=spec.get("hide_inputs", bool, False),
        cuda=spec.get("cuda", bool, False),
        requires=tuple(spec.get("requires", list, [], check=_strings, expected="a list of test names")),
        leaderboard=leaderboard,
        hide_errors=decorated.hide_errors if decorated else None,
        partial_credit=bool(decorated and decorated.partial_credit),
    )
    spec.done()
    return result


def _check_requires(path, tests):
    """Each test a test requires exists and is graded before it (so its result is known in time)."""
    seen = []
    for spec in tests:
        for required in spec.requires:
            if required == spec.name:
                raise ConfigError(f"{path}: [tests.{spec.name}] requires itself")
            if required not in seen:
                later = required in {t.name for t in tests}
                why = ("is listed after it; list the building block's test first" if later else
                       "is not a test in this file" + typo_hint(required, [t.name for t in tests], found=False))
                raise ConfigError(f"{path}: [tests.{spec.name}] requires '{required}', which {why}")
        seen.append(spec.name)


def load_config(path):
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"{path}: the assignment config is missing")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc})") from None
    top = _Table(path, "", data)
    meta = top.table("assignment")
    files = meta.get("files", list, check=lambda v: v and _strings(v) and all(f.endswith(".py") for f in v),
                     expected="a non-empty list of .py file names")
    given = []
    for i, item in enumerate(meta.get("given", list, default=[])):
        entry = _Table(path, f"assignment.given[{i}]", item)
        given.append(Given(entry.get("source", str), entry.get("name", str, check=lambda v: v.endswith(".py"),
                                                                 expected="a .py file name"),
                           entry.get("ship", bool, default=True)))
        entry.done()
    config_id = meta.get("id", str)
    if config_id != path.parent.name:
        raise ConfigError(f"{path}: [assignment] id is {config_id!r} but the folder is {path.parent.name!r}")
    title = meta.get("title", str)
    needs_torch = meta.get("needs_torch", bool, default=False)
    worker_modules = meta.get("worker_modules", list, [], expected="a list of .py file names in the assignment's folder",
                              check=lambda v: _strings(v) and all(f.endswith(".py") and "/" not in f for f in v))
    clash = sorted(set(worker_modules) & set(files))
    if clash:
        raise ConfigError(f"{path}: [assignment] worker_modules and files both name {', '.join(clash)}")
    meta.done()

    lim = top.table("limits")
    positive = dict(check=lambda v: v > 0, expected="a positive number")
    whole = dict(check=lambda v: v > 0, expected="a positive integer")
    test_budget_s = lim.get("test_budget_s", (int, float), None, **positive)
    limits = Limits(
        call_timeout_s=float(lim.get("call_timeout_s", (int, float), Limits.call_timeout_s, **positive)),
        startup_timeout_s=float(lim.get("startup_timeout_s", (int, float), Limits.startup_timeout_s, **positive)),
        memory_mb=lim.get("memory_mb", int, Limits.memory_mb, **whole),
        cpu_s=lim.get("cpu_s", int, Limits.cpu_s, **whole),
        max_processes=lim.get("max_processes", int, Limits.max_processes, **whole),
        max_file_mb=lim.get("max_file_mb", int, Limits.max_file_mb, **whole),
        max_answer_mb=lim.get("max_answer_mb", int, Limits.max_answer_mb, **whole),
        max_open_files=lim.get("max_open_files", int, Limits.max_open_files, **whole),
        test_budget_s=None if test_budget_s is None else float(test_budget_s),
        total_budget_s=float(lim.get("total_budget_s", (int, float), Limits.total_budget_s, **positive)),
    )
    lim.done()

    hyp = top.table("hypothesis")
    max_examples = hyp.get("max_examples", int, 100, **whole)
    hyp.done()

    forb = top.table("forbidden")
    forbidden = Forbidden(
        block_imports=tuple(forb.get("block_imports", list, [], check=_strings, expected="a list of strings")),
        attributes=tuple(forb.get("attributes", list, [], check=_strings, expected="a list of strings")),
        names=tuple(forb.get("names", list, [], check=_strings, expected="a list of strings")),
        reason=forb.get("reason", str, ""),
    )
    forb.done()

    try:
        decorated = decorators.read_folder(path.parent / "tests")
    except (decorators.DecoratorError, SyntaxError) as exc:
        raise ConfigError(str(exc)) from None
    data = None
    if "data" in top.data:
        table = top.table("data")
        data = DataSpec(
            script=table.get("script", str, check=lambda v: v.endswith(".py") and "/" not in v,
                             expected="a .py file name in the assignment's folder"),
            starter=tuple(table.get("starter", list, [], check=_strings, expected="a list of file names")),
            requires=tuple(table.get("requires", list, [], check=_strings, expected="a list of package names")),
        )
        table.done()

    tests_table = top.table("tests")
    tests = []
    for number, name in enumerate(tests_table.data, start=1):
        tests.append(_test_spec(path, tests_table.table(name), name, str(number), max_examples, decorated.get(name)))
    _check_requires(path, tests)
    if not tests:
        raise ConfigError(f"{path}: [tests] lists no tests")
    top.done()
    return AssignmentConfig(config_id, title, tuple(files), tuple(given), needs_torch, limits, max_examples,
                            tuple(tests), forbidden, data, tuple(worker_modules))
