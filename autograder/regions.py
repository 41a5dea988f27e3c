"""Solution regions: the marked parts of a reference solution that students write themselves.

    def sigmoid(z):
        \"\"\"Docstring stays in the starter.\"\"\"
        # BEGIN SOLUTION: return σ(z) = 1 / (1 + e^(−z)) without overflow
        ...
        # END SOLUTION

becomes, in the starter, a ``# TODO`` line and a ``NotImplementedError`` naming the function.
"""

import ast
import re

from autograder import syntax

BEGIN = re.compile(r"^(?P<indent>[ \t]*)# BEGIN SOLUTION(?::\s*(?P<todo>.*?))?\s*$")
END = re.compile(r"^[ \t]*# END SOLUTION\s*$")


class MarkerError(ValueError):
    """Unbalanced or misplaced solution markers (which file, which line)."""


def _regions(source, filename):
    """Yield ``(begin_line, end_line, indent, todo)`` with 0-based line numbers."""
    open_at = None
    for number, line in enumerate(source.splitlines()):
        begin, end = BEGIN.match(line), END.match(line)
        if begin:
            if open_at is not None:
                raise MarkerError(f"{filename}:{number + 1}: BEGIN SOLUTION inside the region opened at line "
                                  f"{open_at[0] + 1} (missing END SOLUTION)")
            open_at = (number, begin.group("indent"), begin.group("todo") or "")
        elif end:
            if open_at is None:
                raise MarkerError(f"{filename}:{number + 1}: END SOLUTION without a BEGIN SOLUTION")
            yield open_at[0], number, open_at[1], open_at[2]
            open_at = None
    if open_at is not None:
        raise MarkerError(f"{filename}:{open_at[0] + 1}: BEGIN SOLUTION is never closed by END SOLUTION")


def _enclosing_function(tree, line):
    """Name of the innermost function (or Class.method) around 1-based ``line``."""
    best = None

    def visit(node, prefix):
        nonlocal best
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                name = prefix + child.name
                if child.lineno <= line <= child.end_lineno:
                    if not isinstance(child, ast.ClassDef):
                        best = name
                    visit(child, name + ".")

    visit(tree, "")
    return best


def strip_markers(source, filename="<solution>"):
    """The solution as students of a later assignment (or mutants) see it: markers removed."""
    drop = set()
    for begin, end, _, _ in _regions(source, filename):
        drop.update((begin, end))
    return "".join(line for i, line in enumerate(source.splitlines(keepends=True)) if i not in drop)


def make_stub(source, filename="<solution>"):
    """Replace every solution region by a TODO and a ``NotImplementedError``."""
    tree = syntax.parse(source, filename)
    lines = source.splitlines(keepends=True)
    out, cursor = [], 0
    for begin, end, indent, todo in list(_regions(source, filename)):
        function = _enclosing_function(tree, begin + 1)
        if function is None:
            raise MarkerError(f"{filename}:{begin + 1}: a solution region must lie inside a function")
        out += lines[cursor:begin]
        if todo:
            out.append(f"{indent}# TODO: {todo}\n")
        message = f"{function}: not implemented yet"
        out.append(f"{indent}raise NotImplementedError({message!r})\n")
        cursor = end + 1
    out += lines[cursor:]
    stub = "".join(out)
    syntax.parse(stub, filename)  # a region that swallowed half a statement must not reach students
    return stub


def solution_functions(source, filename="<solution>"):
    """Names of the functions that hold a solution region (what the starter asks for)."""
    tree = syntax.parse(source, filename)
    return [_enclosing_function(tree, begin + 1) for begin, _, _, _ in _regions(source, filename)]
