"""The engine's layout is its architecture (docs/architecture.md): packages by who uses them, imports running
one way, down, and no import cycle, read from the sources with the standard library's ``ast``."""

import ast
from pathlib import Path

ENGINE = Path(__file__).resolve().parent.parent / "autograder"

#: bottom to top: a module may import its own floor and those below, never one above
FLOORS = [
    ("standalone files, copied into workers and starters", ["protocol", "check", "diagnosis", "syntax",
                                                              "lockinstall", "templates"]),
    ("where the student's code runs", ["sandbox"]),
    ("the course: its config, markers and sources", ["decorators", "config", "regions", "course", "code_names"]),
    ("grading one submission", ["grading"]),
    ("what graded tests import", ["kit"]),
    ("grading many", ["batch"]),
    ("authoring", ["authoring"]),
    ("the command", ["cli", "__main__"]),
]
MAX_LINES = 400


def module_name(path):
    parts = path.relative_to(ENGINE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def engine_modules():
    return {module_name(p): p for p in sorted(ENGINE.rglob("*.py"))}


def imports_of(name, path, known):
    """The engine modules ``name`` imports anywhere in its file (functions too), as dotted names."""
    found = set()
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([node.module] if node.module else []))
            for alias in node.names:  # `from autograder.grading import results` imports a module
                candidate = f"{base}.{alias.name}"
                found.add(candidate if candidate in known else base)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return {m for m in found if m in known and m != name}


def graph():
    modules = engine_modules()
    return {name: imports_of(name, path, modules) for name, path in modules.items()}


def floor_of(name):
    parts = name.split(".")[1:] or ["__init__"]
    for number, (_, members) in enumerate(FLOORS):
        if parts[0] in members:
            return number
    return None


def cycles(edges):
    """Every strongly connected component with more than one module (Tarjan), or a module importing itself."""
    index, low, stack, on_stack, found, counter = {}, {}, [], set(), [], [0]

    def visit(node):
        index[node] = low[node] = counter[0]
        counter[0] += 1
        stack.append(node)
        on_stack.add(node)
        for nxt in edges.get(node, ()):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return found


def test_the_cycle_finder_finds_a_cycle():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_cycle():
    assert cycles(graph()) == []


def test_every_module_has_a_floor():
    assert [name for name in engine_modules() if name != "autograder" and floor_of(name) is None] == []


def test_imports_run_down():
    upward = [f"{name} ({FLOORS[floor_of(name)][0]}) imports {target} ({FLOORS[floor_of(target)][0]})"
              for name, targets in graph().items() if name != "autograder"
              for target in sorted(targets) if target != "autograder" and floor_of(target) > floor_of(name)]
    assert upward == []


def test_standalone_files_import_nothing_of_the_engine():
    edges = graph()
    standalone = [m for m in edges if floor_of(m) == 0] + ["autograder.authoring.public_cases"]
    assert {m: sorted(edges[m]) for m in standalone if edges[m] - {"autograder.protocol"}} == {}


def test_no_module_is_over_400_lines():
    long = {name: n for name, path in engine_modules().items()
            if (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert long == {}


def test_no_engine_test_lists_the_course_by_hand():
    """A test that runs per assignment takes them from ``Course.ids()``: a list of ids written out would leave an
    assignment `nnhw new` adds untested (the notebook's execution test once listed a1–a4 by hand)."""
    from autograder.course import Course

    ids = set(Course(ENGINE.parent).ids())
    listed = []
    for path in sorted((ENGINE.parent / "tests").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, (ast.List, ast.Tuple, ast.Set)) and len(node.elts) > 1 and all(
                    isinstance(e, ast.Constant) and e.value in ids for e in node.elts):
                listed.append(f"{path.name}:{node.lineno}")
    assert listed == [], f"assignment ids listed by hand (use Course(ROOT).ids()): {listed}"
