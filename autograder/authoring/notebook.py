"""The student's notebook, ``starter/<id>/<id>.ipynb``: the handout walked through with the student's own code.

The notebook is generated, like the rest of the starter: the handout's ``##`` sections become
Markdown cells, in order, and each is followed by the code cells of that part. A first code cell
reloads the student's ``.py`` files whenever they are saved (they stay what the student edits and uploads);
a check cell runs one function's public tests where the handout teaches it
(:mod:`autograder.templates.notebook_checks`, copied as ``tests/_nnhw_notebook.py``).

What else a notebook shows is the assignment's own: ``assignments/<id>/notebook.py`` (optional),
a file of cells::

    # %% [section] 2. Output size          the cells below follow this handout section
    # %% [check] conv_output_shape         a check cell for these functions
    # %% [markdown]                        a Markdown cell: the comment lines below, "# " taken off
    # %% [plot]                            a code cell that must draw (tests execute it)
    # %%                                   a code cell

Cells before the first ``[section]`` follow the handout's opening. A function with public tests
that no ``[check]`` names gets its check cell after the first section that names it in backticks.
The file is stored without outputs and in nbformat's own layout, so the bytes depend only on the
sources and Jupyter's save of an untouched notebook changes nothing.
"""

import json
import re
from pathlib import Path

from autograder import protocol
from autograder.regions import solution_functions

CONTENT = "notebook.py"
HELPER = "tests/_nnhw_notebook.py"
UPLOAD = "tests/make_upload.py"  # the upload the last cell makes (templates/upload.py), also a student's command
UPLOAD_CELLS = [("markdown", "## Your upload\n\nThe cell below checks that each of your files compiles and imports, "
                 "runs the public tests, and writes the zip to upload to Gradescope with your files only "
                 "(`python tests/make_upload.py` does the same in a terminal).", ()),
                ("code", "from make_upload import make_upload\n\nmake_upload()", ("upload",))]
HELPER_SOURCE = Path(__file__).resolve().parent.parent / "templates" / "notebook_checks.py"
UPLOAD_SOURCE = HELPER_SOURCE.parent / "upload.py"
HEADER = re.compile(r"^# %%(?:\s*\[(?P<kind>[a-z]+)\])?(?P<rest>.*)$")
KINDS = {"section", "check", "markdown", "plot", None}
FENCE = re.compile(r"^\s*(```|~~~)")
#: what a student installs besides the public tests' packages (the lock's notebook group pins them)
STUDENT_PACKAGES = ("notebook", "matplotlib")


class NotebookError(ValueError):
    """The assignment's notebook cells do not fit its handout or its public tests (which file, which line)."""


def notebook_path(assignment):
    return f"{assignment.id}.ipynb"


def handout_note(assignment):
    """The handout's section on the notebook: what it is, the one install command, how to open it."""
    return (f"\n## Working in the notebook\n\n"
            f"`{notebook_path(assignment)}` walks through this handout with your own code: it runs the public\n"
            f"tests of each function where the handout teaches it, and plots what your code does. It imports\n"
            f"your `.py` files and picks up every change you save, so keep writing your code there; those files\n"
            f"are what you submit, never the notebook. It needs Jupyter and matplotlib as well:\n\n"
            f"```\npip install {' '.join(STUDENT_PACKAGES)}\njupyter notebook {notebook_path(assignment)}\n```\n\n"
            f"Run its cells from the top (the first one loads your files and the checks).\n")


def sections(markdown):
    """``[(heading or None, text)]``: the handout split before each ``## `` heading outside code fences."""
    found, heading, lines, fenced = [], None, [], False
    for line in markdown.splitlines(keepends=True):
        if FENCE.match(line):
            fenced = not fenced
        if not fenced and line.startswith("## "):
            found.append((heading, "".join(lines)))
            heading, lines = line[3:].strip(), []
        lines.append(line)
    found.append((heading, "".join(lines)))
    return [(h, text.strip("\n") + "\n") for h, text in found if text.strip()]


def public_functions(assignment, cases):
    """The functions that have public tests, in the order the tests list them: recorded cases first, then the
    assignment's own public test files (``test_<function>_...``, for the functions students write)."""
    names = [case["function"].split(".")[0] for case in cases]
    written = students_own(assignment)
    for path in sorted(assignment.public_tests_dir.glob("test_*.py")):
        for test in re.findall(r"^def (test_\w+)", path.read_text(encoding="utf-8"), re.MULTILINE):
            named = [f for f in written if test == f"test_{f}" or test.startswith(f"test_{f}_")]
            names += [max(named, key=len)] if named else []
    return list(dict.fromkeys(names))


def students_own(assignment):
    """The functions and classes students write: those that hold a solution region (a method's, its class)."""
    return {name.split(".")[0] for path in assignment.solution_files().values()
            for name in solution_functions(path.read_text(encoding="utf-8"), str(path))}


def _refuse_given(assignment, functions):
    """A check's heading names what the student writes: a public case of a given function (one without a solution
    region) would print "· conv2d: not implemented yet" for code the student never touches."""
    given = [name for name in functions if name not in students_own(assignment)]
    if given:
        raise NotebookError(f"{assignment.dir / 'public_cases.py'}: public cases of {', '.join(given)}, which "
                            "students do not write (no solution region); call the function or class they write")


def content_cells(assignment):
    """``{section heading or None: [(kind, text, line)]}`` from ``assignments/<id>/notebook.py`` (empty without);
    a section's list starts with its own ``("section", heading, line)``."""
    path = assignment.dir / CONTENT
    if not path.is_file():
        return {}
    cells, section, current = {}, None, None
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        header = HEADER.match(line)
        if header is None:
            if current is None:  # comments about the file, before its first cell
                if line.strip() and not line.startswith("#"):
                    raise NotebookError(f"{path}:{number}: code before the first '# %%' line")
                continue
            current[1].append(line)
            continue
        kind, rest = header.group("kind"), header.group("rest").strip()
        if kind not in KINDS:
            raise NotebookError(f"{path}:{number}: unknown cell kind [{kind}]; "
                                f"use [section], [check], [markdown], [plot] or none")
        section = rest if kind == "section" else section
        current = (kind, [rest] if kind in ("check", "section") else [], number)
        cells.setdefault(section, []).append(current)
    return {s: [(kind, _text(kind, lines), number) for kind, lines, number in found] for s, found in cells.items()}


def _text(kind, lines):
    if kind == "markdown":
        lines = [line[2:] if line.startswith("# ") else line.lstrip("#") for line in lines]
    return "\n".join(lines).strip("\n")


def setup_cell(modules):
    """The first code cell: the checks, reloading the student's files when saved, inline plots."""
    files = ", ".join(f"{m}.py" for m in modules) or "your .py files"
    return (f"# Run this cell first. Your code lives in {files}: edit it there and save; the cells you run\n"
            "# afterwards use what you saved (autoreload() loads a changed file again), with no kernel restart.\n"
            "%matplotlib inline\n"
            "import sys\n\n"
            "sys.path.insert(0, \"tests\")  # the public tests, which the check cells run\n"
            "from _nnhw_notebook import autoreload, check, your_code\n\n"
            "autoreload()")


def notebook(assignment, handout, recorded):
    """The notebook's bytes: ``handout`` (its Markdown as students read it) interleaved with the cells;
    ``recorded`` is the starter's cases.json, read."""
    functions = public_functions(assignment, protocol.from_json_data(recorded["cases"]))
    _refuse_given(assignment, functions)
    parts = sections(handout)
    content = content_cells(assignment)
    checked = _checked(assignment.dir / CONTENT, content, [heading for heading, _ in parts], functions)
    placed = _auto_checks([f for f in functions if f not in checked], parts)
    cells = []
    for index, (heading, text) in enumerate(parts):
        cells.append(("markdown", text, ()))
        if index == 0:
            cells.append(("code", setup_cell(recorded["modules"]), ("setup",)))
        cells += [_cell_of(kind, source) for kind, source, _ in content.get(heading, []) if kind != "section"]
        if placed.get(heading):
            cells.append(_cell_of("check", " ".join(placed[heading])))
    return _dumps(cells + UPLOAD_CELLS)


def _checked(path, content, headings, functions):
    """The functions the assignment's cells check, once each; every section they name is the handout's."""
    checked = []
    for found in content.values():
        for kind, text, number in found:
            if kind == "section" and text not in headings:
                raise NotebookError(f"{path}:{number}: no section '## {text}' in the handout; it has: "
                                    + "; ".join(h for h in headings if h))
            unknown = [name for name in text.split() if name not in functions] if kind == "check" else []
            if unknown or (kind == "check" and not text.split()):
                raise NotebookError(f"{path}:{number}: [check] names {' '.join(unknown) or 'nothing'}; the functions "
                                    f"with public tests are: {', '.join(functions) or 'none'}")
            checked += text.split() if kind == "check" else []
    twice = sorted({name for name in checked if checked.count(name) > 1})
    if twice:
        raise NotebookError(f"{path}: {', '.join(twice)} checked more than once")
    return checked


def _auto_checks(functions, parts):
    """``{heading: [function]}``: each function after the first section that names it in backticks (else the last)."""
    placed = {}
    for function in functions:
        named = re.compile(rf"`{re.escape(function)}[`(.]")
        heading = next((h for h, text in parts if named.search(text)), parts[-1][0])
        placed.setdefault(heading, []).append(function)
    return placed


def _cell_of(kind, source):
    if kind == "markdown":
        return "markdown", source, ()
    if kind == "check":
        return "code", f"check({', '.join(repr(name) for name in source.split())})", ("check",)
    return "code", source, ("plot",) if kind == "plot" else ()


def _dumps(cells):
    """nbformat 4.5 as Jupyter writes it (sorted keys, one space of indent), no outputs, ids by position."""
    def cell(index, kind, source, tags):
        entry = {"cell_type": kind, "id": f"cell-{index:03d}", "metadata": {"tags": list(tags)} if tags else {},
                 "source": source.rstrip("\n").splitlines(keepends=True)}
        if kind == "code":
            entry.update(execution_count=None, outputs=[])
        return entry

    document = {"cells": [cell(i, *c) for i, c in enumerate(cells)],
                "metadata": {"kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
                             "language_info": {"name": "python"}},
                "nbformat": 4, "nbformat_minor": 5}
    return (json.dumps(document, indent=1, sort_keys=True, ensure_ascii=False) + "\n").encode()


def starter_files(assignment, handout, recorded):
    """The notebook and the helper its cells call, for the starter tree (``recorded``: cases.json, read)."""
    return {notebook_path(assignment): notebook(assignment, handout, recorded), HELPER: HELPER_SOURCE.read_bytes(),
            UPLOAD: UPLOAD_SOURCE.read_bytes()}
