"""The names an assignment's content uses, checked against what the solution defines before anything is built:
a typo in a graded test (``"batchnorm_fowrard"``) or its title, or in a mutant's ``def``, would otherwise be
read as a fault of the code graded (the solution "scores 10 of 11", a mutant "is not caught"), or told to a
student as a rename to make.

What a graded test asks the student's code for is read from its syntax tree: the function named in the kit's
calls (``judge(student, reference, "fn", ...)``, ``call(student, check, "fn")``, ``judge_raises(student,
"fn")``) and the proxy's (``student.call("fn")``, ``student.new("Class")``), an attribute of ``student`` or
``reference`` (``student.fn(...)``, ``reference.fn``) and ``getattr(reference, "fn")``. A name a test's own
helper computes is not seen here; the grader refuses it when asked (it never tells a student to rename).
"""

import ast

from autograder import syntax
from autograder.code_names import defined_functions, references
from autograder.config import ConfigError, typo_hint
from autograder.grading.plugin import function_of

#: the ``student`` proxy's own API (docs/architecture.md, "Writing graded tests"), not names of the student's code
PROXY = {"call", "call_with_grad", "new", "time", "mutated"}
#: the fixtures that stand for the student's code and for the reference solution
STUDENT, REFERENCE = "student", "reference"


#: the kit's calls that name the student's function, and where: ``judge(student, reference, "fn", ...)``
KIT_CALLS = {"judge": 2, "call": 2, "judge_raises": 1}


def _string_at(call, index):
    arg = call.args[index] if len(call.args) > index else None
    return arg.value if isinstance(arg, ast.Constant) and isinstance(arg.value, str) else None


def _is_name(node, name):
    return isinstance(node, ast.Name) and node.id == name


def _callee(call):
    return call.func.id if isinstance(call.func, ast.Name) else getattr(call.func, "attr", None)


def _named(call):
    """The name a call asks the student's code (or the reference) for, or None."""
    if isinstance(call.func, ast.Attribute) and _is_name(call.func.value, STUDENT) and call.func.attr in PROXY:
        return _string_at(call, 0)
    if _callee(call) in KIT_CALLS and call.args and _is_name(call.args[0], STUDENT):
        return _string_at(call, KIT_CALLS[_callee(call)])
    if _is_name(call.func, "getattr") and call.args and _is_name(call.args[0], REFERENCE):
        return _string_at(call, 1)
    return None


def names_called(tree):
    """``[(line, name)]``: the names of the student's code (or the reference's) that ``tree`` asks for."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and (_is_name(node.value, REFERENCE) or
                                                _is_name(node.value, STUDENT) and node.attr not in PROXY):
            found.append((node.lineno, node.attr))
        elif isinstance(node, ast.Call):
            name = _named(node)
            if name and name.split(".")[0].isidentifier():
                found.append((node.lineno, name.split(".")[0]))
    return found


def known_names(assignment):
    """What a graded test may ask the worker for: the top-level names of the solution's files, the given files
    and the grader's helpers that run in the worker."""
    return set(references(assignment))


def test_name_problems(assignment):
    """Each graded test's call or title that names something the solution does not define, with the closest name."""
    known, functions = known_names(assignment), defined_functions(assignment)
    problems = []
    for path in sorted(assignment.tests_dir.glob("test_*.py")):
        tree = syntax.parse(path.read_text(encoding="utf-8"))
        for line, name in sorted(set(names_called(tree))):
            if name not in known:
                problems.append(f"{path}:{line}: calls {name!r}, which the solution does not define"
                                + typo_hint(name, known, found=False))
        for node in tree.body:
            if isinstance(node, ast.FunctionDef) and node.name.startswith("test") and ast.get_docstring(node):
                title = ast.get_docstring(node).strip().splitlines()[0]
                graded = function_of(title) if ":" in title else None
                if graded is not None and graded.split()[0] not in functions:
                    problems.append(f"{path}:{node.lineno}: {node.name}'s title {title!r} names {graded!r}, which "
                                    "is not a function of the solution" + typo_hint(graded, functions, found=False))
    return problems


def mutant_problems(assignment, mutant):
    """A mutant that defines a function the solution lacks and that nothing in it calls: it replaces nothing, so
    it breaks nothing (a misspelt ``def``), and verify would send the author to strengthen tests that are fine."""
    try:
        tree = syntax.parse(mutant.code)
    except SyntaxError as exc:
        return [f"{mutant.path}: its code does not parse ({exc.msg}, line {exc.lineno})"]
    functions = defined_functions(assignment)
    used = {name for node in tree.body for name in _names_in(node)}
    return [f"{mutant.path}: defines {node.name!r}, which the solution does not define, so it replaces nothing"
            + typo_hint(node.name, functions, found=False)
            for node in tree.body if isinstance(node, (ast.FunctionDef, ast.ClassDef))
            and node.name not in functions and node.name not in used]


def _names_in(node):
    """The names a top-level statement refers to, its own name left out (a recursive helper calls itself)."""
    own = getattr(node, "name", None)
    return {child.id for child in ast.walk(node) if isinstance(child, ast.Name) and child.id != own}


def check_test_names(assignment):
    """Refuse, before building or grading, graded tests that ask for names the solution lacks."""
    problems = test_name_problems(assignment)
    if problems:
        raise ConfigError(f"{assignment.id}: the graded tests name what the solution does not define: "
                          + "; ".join(problems))
