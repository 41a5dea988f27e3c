"""gradescope-utils' decorators on graded tests, read from the test files without running them.

A graded test may say its Gradescope metadata where it is written, as gradescope-utils'
JSONTestRunner reads it:

    from gradescope_utils.autograder_utils.decorators import weight, visibility

    @weight(2)
    @visibility("after_due_date")
    def test_mlp_forward_output_activations(student, reference, ...):

The values are read statically (the decorators' arguments must be literals), so that
`nnhw build` knows the points for the handout and the grader knows every weight before a
test runs; the runtime effects (``@partial_credit``'s ``set_score``, ``@leaderboard``'s value,
``@hide_errors``) are honoured by the grading plugin after each test.
"""

import ast
from dataclasses import dataclass, field
from pathlib import Path

from autograder import syntax

#: decorator name -> the TestSpec field it sets (None: a runtime effect only)
FIELDS = {"weight": "weight", "partial_credit": "weight", "visibility": "visibility", "number": "number",
          "tags": "tags", "leaderboard": None, "hide_errors": None}


@dataclass
class Decorated:
    """The gradescope-utils decorators on one test function."""
    file: Path
    line: int
    values: dict = field(default_factory=dict)   # TestSpec field -> value, e.g. {"weight": 2.0}
    names: dict = field(default_factory=dict)    # TestSpec field -> the decorator that set it
    leaderboard: tuple = None                    # (column name, sort order)
    hide_errors: str = None
    partial_credit: bool = False


class DecoratorError(ValueError):
    """A decorator whose arguments cannot be read without running the test file."""


def _name(node):
    target = node.func if isinstance(node, ast.Call) else node
    if isinstance(target, ast.Attribute):
        return target.attr
    return target.id if isinstance(target, ast.Name) else None


def _literals(path, node):
    try:
        args = [ast.literal_eval(a) for a in node.args] if isinstance(node, ast.Call) else []
        kwargs = {k.arg: ast.literal_eval(k.value) for k in node.keywords} if isinstance(node, ast.Call) else {}
    except ValueError:
        raise DecoratorError(f"{path}:{node.lineno}: @{_name(node)}(...) must be given literal values (numbers, "
                             "strings), so that the points are known without running the tests") from None
    return args, kwargs


def read(path):
    """``{test name: Decorated}`` for the test functions in ``path`` that carry gradescope-utils decorators."""
    path = Path(path)
    tree = syntax.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found = {}
    for node in ast.walk(tree):
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        decorated = Decorated(path, node.lineno)
        for decorator in node.decorator_list:
            name = _name(decorator)
            if name not in FIELDS:
                continue
            args, kwargs = _literals(path, decorator)
            if name == "tags":
                decorated.values["tags"], decorated.names["tags"] = tuple(str(a) for a in args), name
            elif name == "leaderboard":
                column = args[0] if args else kwargs.get("column_name")
                decorated.leaderboard = (str(column), str(args[1] if len(args) > 1 else
                                                          kwargs.get("sort_order", "desc")))
            elif name == "hide_errors":
                decorated.hide_errors = str(args[0] if args else kwargs.get("val", "Test failed"))
            else:
                value = args[0] if args else next(iter(kwargs.values()), None)
                if name == "partial_credit":
                    decorated.partial_credit = True
                decorated.values[FIELDS[name]] = str(value) if name == "number" else value
                decorated.names[FIELDS[name]] = name
        if decorated.values or decorated.leaderboard or decorated.hide_errors:
            found[node.name] = decorated
    return found


def read_folder(folder):
    """The decorators of every ``test_*.py`` in ``folder`` (none when it does not exist)."""
    found = {}
    for path in sorted(Path(folder).glob("test_*.py")) if Path(folder).is_dir() else ():
        found.update(read(path))
    return found
