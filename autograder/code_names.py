"""What the code that runs in the student's worker defines, refers to and imports, read from its syntax tree
(the solution's files, the given ones and the grader's helpers): which tests a mutant's change can reach
(``nnhw verify``), and which packages a warm worker should import before it forks (the zygote)."""

import ast
from pathlib import Path

from autograder import syntax
from autograder.regions import strip_markers


def _defined(statement):
    """The top-level names a statement binds, or None for a statement that does more than bind names."""
    if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return {statement.name}
    if isinstance(statement, (ast.Import, ast.ImportFrom)):
        return {(alias.asname or alias.name).split(".")[0] for alias in statement.names}
    if isinstance(statement, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
        targets = statement.targets if isinstance(statement, ast.Assign) else [statement.target]
        return {node.id for target in targets for node in ast.walk(target) if isinstance(node, ast.Name)}
    if isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Constant):
        return set()  # a docstring
    return None


def _imports(tree):
    """``{bound name: what is imported}`` for the import statements in ``tree`` (a module or one statement)."""
    found = {}
    for node in ast.walk(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            for alias in node.names:
                bound = (alias.asname or alias.name).split(".")[0]
                found[bound] = (getattr(node, "module", None), node.level if isinstance(node, ast.ImportFrom) else 0,
                                alias.name if alias.asname or isinstance(node, ast.ImportFrom) else bound)
    return found


def _globals_written(tree):
    return {name for node in ast.walk(tree) if isinstance(node, ast.Global) for name in node.names}


def _referred(node):
    """The names a piece of code refers to: as names, as attributes, and as strings (a helper of the
    grader's in the worker finds the student's functions by name: ``getattr(module, "fit")``)."""
    for child in ast.walk(node):
        if isinstance(child, ast.Name):
            yield child.id
        elif isinstance(child, ast.Attribute):
            yield child.attr
        elif isinstance(child, ast.Constant) and isinstance(child.value, str) and child.value.isidentifier():
            yield child.value


def _parsed(source):
    """The syntax tree of a file of the course, its solution markers stripped."""
    return syntax.parse(strip_markers(Path(source).read_text(encoding="utf-8"), str(source)))


def _worker_sources(assignment):
    """The files that run in the student's worker: the solution's, the given ones, the grader's helpers."""
    return [*assignment.solution_files().values(), *assignment.given_files().values(),
            *assignment.worker_module_files().values()]


def packages_imported(sources):
    """The top-level packages ``sources`` (files) import anywhere in them, e.g. ``{"numpy", "torch"}``."""
    packages = set()
    for source in sources:
        for module, level, name in _imports(_parsed(source)).values():
            if not level:
                packages.add((module or name).split(".")[0])
    return packages


def imported_packages(assignment):
    """The top-level packages the code that runs in the worker imports."""
    return packages_imported(_worker_sources(assignment))


def defined_functions(assignment):
    """The functions and classes the solution's files define at their top level: what a mutant's ``caught-by``
    may name."""
    return {node.name for path in assignment.solution_files().values() for node in _parsed(path).body
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))}


def references(assignment):
    """``{top-level name: the names its code refers to}`` over the solution's files, the given ones and
    the grader's helpers that run in the worker ([assignment] worker_modules). Its keys are the names
    :func:`affected_names` can speak for: a test that calls anything else may reach anything."""
    uses = {}
    for source in _worker_sources(assignment):
        for statement in _parsed(source).body:
            for name in _defined(statement) or ():
                uses.setdefault(name, set()).update(_referred(statement))
    return uses


def affected_names(assignment, mutant, uses=None):
    """The top-level names of the submission that may behave differently in ``mutant``: the names its code
    binds, and every function or class that refers to one of them, directly or through another (the
    files taken as one namespace: more than needed). A name it misses could only hide a failure from
    verify (a test not run keeps the solution's pass), never make a mutant look caught. None when the mutant's
    code does more than define names (it runs statements on import), and anything may differ.
    ``uses``: :func:`references` of the assignment, when the caller has it already."""
    try:
        code = syntax.parse(mutant.code)
    except SyntaxError:
        return None
    imported = _imports(_parsed(assignment.solution_files()[mutant.target]))
    changed = set()
    for statement in code.body:
        names = _defined(statement)
        if names is None:
            return None
        changed |= names - {name for name, what in _imports(statement).items() if imported.get(name) == what}
    changed |= _globals_written(code)
    uses = references(assignment) if uses is None else uses
    while True:
        more = {name for name, refers in uses.items() if name not in changed and refers & changed}
        if not more:
            return changed
        changed |= more
