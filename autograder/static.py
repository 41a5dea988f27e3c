"""Static checks on a student's source: forbidden APIs named anywhere in the code.

The worker also poisons these at run time; reading the source catches what run time can
miss (a branch the tests never reach, a name assembled from strings still shows its parts).
"""

import ast


def forbidden_uses(source, names, filename="<student>"):
    """``[(line, what)]`` for every identifier, attribute or string literal containing a forbidden name."""
    try:
        tree = ast.parse(source, filename)
    except SyntaxError:
        return []  # the import fails with a clearer message
    found = []
    for node in ast.walk(tree):
        text = None
        if isinstance(node, ast.Name):
            text = node.id
        elif isinstance(node, ast.Attribute):
            text = node.attr
        elif isinstance(node, ast.alias):
            text = node.name
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            text = node.value
        if text is None:
            continue
        for name in names:
            if name in text:
                found.append((getattr(node, "lineno", 0), text if len(text) < 80 else text[:80] + "..."))
    return sorted(set(found))
