"""Static checks on a student's source: forbidden APIs named anywhere in the code.

The worker also poisons these at run time; reading the source catches what run time can
miss (a branch the tests never reach, a name assembled from strings still shows its parts).

A plain name (``convolution``) is looked for inside identifiers, attribute names, imported
names and string literals. A dotted name (``autograd.grad``, ``.conv2d``) is looked for in
dotted paths: attribute chains as written (``torch.autograd.grad``, ``F.conv2d``), imports
(``from torch.autograd import grad`` reads as ``torch.autograd.grad``) and string literals, so
``.conv2d`` finds ``F.conv2d`` but not a student's own function ``conv2d``. Docstrings are
documentation, not code, and are not read.
"""

import ast

from autograder import syntax


def _docstrings(tree):
    """The string constants that are docstrings (of the module, classes and functions)."""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and \
                    isinstance(first.value.value, str):
                found.add(id(first.value))
    return found


def _texts(node, parents):
    """``(identifier, dotted path, shown)`` of a node that can name an API, else None."""
    if isinstance(node, ast.Name):
        return node.id, node.id, node.id
    if isinstance(node, ast.Attribute):
        try:
            dotted = ast.unparse(node)
        except Exception:  # noqa: BLE001 - an odd expression is still checked by its attribute name
            dotted = node.attr
        return node.attr, dotted, dotted
    if isinstance(node, ast.alias):
        module = parents.get(id(node))
        dotted = f"{module}.{node.name}" if module else node.name
        return node.name, dotted, dotted
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value, node.value, node.value
    return None


def forbidden_uses(source, names, filename="<student>"):
    """``[(line, what)]`` for every identifier, attribute, import or string literal naming a forbidden name."""
    try:
        tree = syntax.parse(source, filename)
    except SyntaxError:
        return []  # the import fails with a clearer message
    docstrings = _docstrings(tree)
    modules = {id(alias): node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
               for alias in node.names if node.module}
    found = []
    for node in ast.walk(tree):
        if id(node) in docstrings:
            continue
        texts = _texts(node, modules)
        if texts is None:
            continue
        identifier, dotted, shown = texts
        for name in names:
            if name in (dotted if "." in name else identifier):
                found.append((getattr(node, "lineno", 0), shown if len(shown) < 80 else shown[:80] + "..."))
    return sorted(set(found))
