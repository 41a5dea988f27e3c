"""The student's notebook: generated from the handout and the assignment's cells, checked like the public tests,
and executed with a real kernel (nbclient + ipykernel), with the starter and then with the solution."""

import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import pytest
from packaging.requirements import Requirement

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

from autograder import lockinstall, protocol
from autograder.authoring import notebook
from autograder.authoring.build import stale_files
from autograder.authoring.mutants import load_mutant, write_mutant_submission, write_mutants_submission
from autograder.course import Course

pytestmark = pytest.mark.needs_torch  # the starters' public cases and a3/a4's code import torch

ROOT = Path(__file__).resolve().parent.parent
IDS = Course(ROOT).ids()  # every assignment in assignments/, one `nnhw new` added included
VERDICTS = ("✓", "·", "✗")


# -- what the build writes ---------------------------------------------------------------------------------
def cells(assignment):
    import nbformat

    text = (assignment.starter_dir / notebook.notebook_path(assignment)).read_text(encoding="utf-8")
    document = nbformat.reads(text, as_version=4)
    nbformat.validate(document)
    assert nbformat.writes(document) + "\n" == text  # Jupyter's own layout: saving it unchanged changes nothing
    return document.cells


def checked(cell):
    return [name.strip("'") for name in cell.source[len("check("):-1].split(", ")]


def tagged(cell, tag):
    return tag in cell.metadata.get("tags", [])


@pytest.mark.parametrize("assignment_id", IDS)
def test_the_notebook_is_the_handout_with_a_check_for_each_function(course, assignment_id):
    assignment = course.assignment(assignment_id)
    found = cells(assignment)
    handout = (assignment.starter_dir / "handout.md").read_text(encoding="utf-8")
    sections = [text.strip("\n") for _, text in notebook.sections(handout)]
    markdown = [cell.source for cell in found if cell.cell_type == "markdown"]
    assert [text for text in markdown if text in sections] == sections  # every section, in order, whole
    assert re.sub(r"\n+", "\n", "\n".join(sections)) == re.sub(r"\n+", "\n", handout.strip())  # nothing lost
    code = [cell for cell in found if cell.cell_type == "code"]
    assert all(cell.outputs == [] and cell.execution_count is None for cell in code)  # stored without outputs
    assert tagged(code[0], "setup") and "\nautoreload()" in code[0].source and found[1] is code[0]
    cases = json.loads((assignment.starter_dir / "tests" / "cases.json").read_text(encoding="utf-8"))
    functions = notebook.public_functions(assignment, protocol.from_json_data(cases["cases"]))
    names = [name for cell in code if tagged(cell, "check") for name in checked(cell)]
    assert sorted(names) == sorted(functions) and len(names) == len(set(names))  # each function checked once
    assert any(tagged(cell, "plot") for cell in code)


@pytest.mark.parametrize("assignment_id", IDS)
def test_each_check_names_a_function_or_class_the_student_writes(course, assignment_id):
    """a3's stub said "· conv2d: not implemented yet" where the student writes Conv2dFunction (conv2d is given)."""
    assignment = course.assignment(assignment_id)
    names = {name for cell in cells(assignment) if tagged(cell, "check") for name in checked(cell)}
    assert names and names <= notebook.students_own(assignment), names - notebook.students_own(assignment)


def test_a_notebook_that_differs_from_the_build_is_stale(course, tmp_path):
    """`nnhw build --check` reports it: here a student's run left outputs in the notebook."""
    assignment = course.assignment("a2_backprop")
    assignment.starter_dir = Path(shutil.copytree(assignment.starter_dir, tmp_path / "starter"))
    path = assignment.starter_dir / "a2_backprop.ipynb"
    document = json.loads(path.read_text(encoding="utf-8"))
    document["cells"][1]["outputs"] = [{"name": "stdout", "output_type": "stream", "text": ["hello\n"]}]
    path.write_text(json.dumps(document, indent=1, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8")
    assert stale_files(assignment) == ["a2_backprop.ipynb"]


# -- the generator on a toy assignment -------------------------------------------------------------------------
HANDOUT = """# Toy

Intro.

## Doubling

Write `double(x)`.

```
## not a heading: inside a code block
```

## Halving

Write `half(x)`.
"""


def toy(tmp_path, content=None):
    folder = tmp_path / "toy"
    folder.mkdir(exist_ok=True)
    solution = tmp_path / "toy.py"
    solution.write_text("def double(x):\n    # BEGIN SOLUTION\n    return 2 * x\n    # END SOLUTION\n\n\n"
                        "def half(x):\n    # BEGIN SOLUTION\n    return x / 2\n    # END SOLUTION\n")
    if content is not None:
        (folder / notebook.CONTENT).write_text(content)
    assignment = SimpleNamespace(id="toy", dir=folder, public_tests_dir=folder / "public_tests",
                                 solution_files=lambda: {"toy.py": solution})
    cases = [{"name": f"{f}: 2", "function": f, "args": [2.0], "kwargs": {}} for f in ("double", "half")]
    return assignment, {"modules": ["toy"], "cases": protocol.to_json_data(cases)}  # cases.json, read


def sources(assignment, cases):
    document = json.loads(notebook.notebook(assignment, HANDOUT, cases))
    return [(cell["cell_type"], "".join(cell["source"])) for cell in document["cells"]]


def test_without_cells_of_its_own_each_check_follows_the_section_that_names_the_function(tmp_path):
    found = sources(*toy(tmp_path))
    assert [kind for kind, _ in found] == ["markdown", "code", "markdown", "code", "markdown", "code", "markdown",
                                           "code"]
    assert found[2][1].startswith("## Doubling") and "## not a heading" in found[2][1]  # no split inside a fence
    assert found[3][1] == "check('double')" and found[5][1] == "check('half')"
    assert found[-2][1].startswith("## Your upload") and found[-1] == ("code", "from make_upload import make_upload\n\n"
                                                                               "make_upload()")  # always last


def test_the_assignments_cells_go_where_they_say(tmp_path):
    content = ("# about this file\n\n# %%\nimport toy\n# %% [section] Halving\n# %% [markdown]\n# ### See it\n#\n"
               "# halving 4\n# %% [plot]\nprint(toy.half(4))\n# %% [check] half double\n")
    found = sources(*toy(tmp_path, content))
    assert found[2] == ("code", "import toy")  # before any [section]: after the opening, and its setup cell
    assert found[-5:-2] == [("markdown", "### See it\n\nhalving 4"), ("code", "print(toy.half(4))"),
                            ("code", "check('half', 'double')")]  # and then the upload cells


@pytest.mark.parametrize("content, error", [
    ("# %% [section] Tripling\n# %%\nx = 1\n", r"notebook.py:1: no section '## Tripling' in the handout; it has: "
                                               r"Doubling; Halving"),
    ("# %% [check] triple\n", r"notebook.py:1: \[check\] names triple; the functions with public tests are: double, half"),
    ("# %% [check] double\n# %% [check] double\n", r"notebook.py: double checked more than once"),
    ("# %% [chek] double\n", r"notebook.py:1: unknown cell kind \[chek\]"),
    ("x = 1\n", r"notebook.py:1: code before the first '# %%' line"),
])
def test_cells_that_do_not_fit_the_handout_are_refused_with_where(tmp_path, content, error):
    with pytest.raises(notebook.NotebookError, match=error):
        sources(*toy(tmp_path, content))


def test_a_public_case_of_a_given_function_is_refused(tmp_path):
    """Its check would read "· twice: not implemented yet" for code the student never touches."""
    assignment, cases = toy(tmp_path)
    solution = assignment.solution_files()["toy.py"]
    solution.write_text(solution.read_text() + "\n\ndef twice(x):\n    return double(x)\n")
    given = {"name": "twice: 2", "function": "twice", "args": [2.0], "kwargs": {}}
    cases["cases"] = protocol.to_json_data([*protocol.from_json_data(cases["cases"]), given])
    with pytest.raises(notebook.NotebookError, match=r"public_cases.py: public cases of twice, which students do "
                                                     r"not write \(no solution region\)"):
        sources(assignment, cases)


# -- the check cells' helper, as the student's kernel runs it ---------------------------------------------------
def student_folder(course, assignment_id, tmp_path, mutants=None):
    """A copy of the starter; with ``mutants`` (a list, maybe empty) the solution with those bugs in place."""
    assignment = course.assignment(assignment_id)
    folder = Path(shutil.copytree(assignment.starter_dir, tmp_path / assignment_id))
    if mutants is not None:
        write_mutants_submission(assignment, [load_mutant(assignment.mutants_dir / f"{m}.py") for m in mutants], folder)
    return folder


def run_helper(folder, code):
    """``code`` after the notebook's own imports, in a fresh interpreter in the student's folder."""
    script = f"import sys\nsys.path.insert(0, 'tests')\nfrom _nnhw_notebook import check, your_code\n{code}"
    done = subprocess.run([sys.executable, "-c", script], cwd=folder, capture_output=True, text=True, timeout=300,
                          check=False)
    assert "Traceback" not in done.stdout + done.stderr and done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def test_a_check_prints_the_public_tests_feedback_and_never_a_traceback(course, tmp_path):
    folder = student_folder(course, "a1_forward", tmp_path, ["sigmoid_overflow"])
    out = run_helper(folder, "check('sigmoid', 'relu')")
    assert out.startswith("✗ sigmoid: fails 1 of its 2 public tests:\n· 'sigmoid: extreme values stay finite':"
                          "\nsigmoid: the result is NaN at index (0, 5), where the expected value is finite"
                          "\nlikely cause: e^x leaves float64's range"), out
    assert out.endswith("✓ relu: passes its 1 public test\n")
    (folder / "forward.py").write_text("def sigmoid(z):\n    return (\n")
    assert run_helper(folder, "check('sigmoid')") == \
        "✗ sigmoid: forward.py does not import: SyntaxError: '(' was never closed (line 2); fix that first\n"
    (folder / "forward.py").write_text("def relu(z):\n    return z[5]\n")
    assert run_helper(folder, "import numpy as np, forward\nwith your_code():\n    forward.relu(np.zeros(2))") == \
        ("✗ your code raised IndexError: index 5 is out of bounds for axis 0 with size 2\n"
         "  forward.py, line 2, in relu: return z[5]\n")


def test_a_check_of_a_function_with_test_files_of_its_own(course, tmp_path):
    """a4's public tests are pytest functions named after the function they check: their assertion is the feedback."""
    folder = student_folder(course, "a4_pytorch", tmp_path, ["train_no_zero_grad"])
    out = run_helper(folder, "check('make_loader', 'train_epoch')")
    assert out.startswith("✓ make_loader: passes its 2 public tests\n✗ train_epoch: fails 1 of its 2 public tests:\n"
                          "· 'train_epoch: one SGD step per minibatch, and the mean loss per sample (10 digits)':\n"
                          "train_epoch: wrong values in the weights after one epoch, parameter 1.weight\n"), out
    assert "\nlikely cause: optimizer.zero_grad() is not called for every minibatch" in out, out


# -- executed with a real kernel -------------------------------------------------------------------------------------
class Kernel:
    """One kernel in the student's folder that runs the notebook's cells, as Jupyter does."""

    def __init__(self, folder, name):
        import nbformat
        from nbclient import NotebookClient

        self.document = nbformat.read(folder / name, as_version=4)
        self.client = NotebookClient(self.document, timeout=300, kernel_name="python3",
                                     resources={"metadata": {"path": str(folder)}})

    def run(self, indices=None):
        for index, cell in enumerate(self.document.cells):
            if indices is None or index in indices:
                cell.outputs = []
                self.client.execute_cell(cell, index)


def text_of(cell):
    assert not [o for o in cell.outputs if o.output_type == "error"], cell.source  # no cell ends in a traceback
    return "".join(o.get("text", "") for o in cell.outputs if o.output_type == "stream")


def verdicts(cell):
    return [line for line in text_of(cell).splitlines() if line.startswith(VERDICTS)]


def has_image(cell):
    return any("image/png" in o.get("data", {}) for o in cell.outputs)


def put_in_place(course, assignment_id, folder, mutants=()):
    """Write the solution (with ``mutants``) over the student's files, dated later, as a save in an editor would."""
    assignment = course.assignment(assignment_id)
    write_mutants_submission(assignment, [load_mutant(assignment.mutants_dir / f"{m}.py") for m in mutants], folder)
    later = time.time() + 2
    for name in assignment.config.files:
        os.utime(folder / name, (later, later))


@pytest.mark.e2e
@pytest.mark.parametrize("assignment_id", IDS)
def test_the_notebook_runs_with_the_starter_then_with_the_solution(course, tmp_path, assignment_id):
    """One kernel, as a student works: the starter's notebook runs to its last cell and every check says
    "not implemented yet"; then the solution is saved over the stubs and, without a restart, every check
    passes and every plot cell draws. (How long it takes is scripts/bench_notebooks.py's to measure.)"""
    folder = student_folder(course, assignment_id, tmp_path)
    kernel = Kernel(folder, f"{assignment_id}.ipynb")
    with kernel.client.setup_kernel():
        kernel.run()
        code = [cell for cell in kernel.document.cells if cell.cell_type == "code"]
        assert all(cell.execution_count is not None for cell in code)  # it ran to its last cell
        for cell in code:
            if tagged(cell, "check"):
                assert verdicts(cell) == [f"· {name}: not implemented yet" for name in checked(cell)]
            elif tagged(cell, "plot") and not has_image(cell):  # a plot of the student's code: what to write first
                assert "not implemented yet" in text_of(cell) or "did not finish" in text_of(cell), cell.source
        put_in_place(course, assignment_id, folder)
        kernel.run()
        for cell in code:
            assert "Traceback" not in text_of(cell) and "✗" not in text_of(cell) and "·" not in text_of(cell)
            if tagged(cell, "check"):
                assert verdicts(cell) == [v for v in verdicts(cell) if v.startswith("✓")] and \
                    len(verdicts(cell)) == len(checked(cell))
            if tagged(cell, "plot"):
                assert has_image(cell), cell.source


@pytest.mark.e2e
def test_a_saved_file_that_does_not_load_is_one_line_and_the_last_version_stays(course, tmp_path):
    folder = student_folder(course, "a1_forward", tmp_path, mutants=[])
    kernel = Kernel(folder, "a1_forward.ipynb")
    with kernel.client.setup_kernel():
        kernel.run()
        (folder / "forward.py").write_text((folder / "forward.py").read_text() + "\ndef broken(:\n")
        first_check = next(i for i, cell in enumerate(kernel.document.cells) if tagged(cell, "check"))
        kernel.run({first_check})
    text = text_of(kernel.document.cells[first_check])
    assert text.startswith("✗ forward.py changed but does not load: SyntaxError: invalid syntax (line ")
    assert "(the cells use its last version that did)\n✗ affine_forward: forward.py does not import: SyntaxError" in text
    assert "Traceback" not in text


@pytest.mark.e2e
def test_the_gradient_check_cell_finds_a_wrong_backward_pass(course, tmp_path):
    """a2's numerical gradient check, on a backward pass that forgets f′(z): the hidden layers' errors are large."""
    folder = student_folder(course, "a2_backprop", tmp_path, ["backprop_deltas_no_derivative"])
    kernel = Kernel(folder, "a2_backprop.ipynb")
    with kernel.client.setup_kernel():
        kernel.run()
    (gradient_check,) = [cell for cell in kernel.document.cells if "def gradient_check(" in cell.source]
    lines = text_of(gradient_check).splitlines()
    assert len(lines) == 3 and all(line.endswith("✗ a gradient is wrong") for line in lines), lines
    assert has_image(gradient_check)


def load_module(path):
    spec = importlib.util.spec_from_file_location(f"nnhw_notebook_{path.parent.name}_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_a4s_reference_curve_is_the_reference_solutions_run_and_a_bug_leaves_it(course, tmp_path):
    """The notebook draws the student's training run beside REFERENCE: it must be the reference's run of that
    very cell (recomputed here), and a training loop that forgets zero_grad must land visibly off it."""
    import numpy as np

    recording = load_module(ROOT / "assignments" / "a4_pytorch" / "notebook_reference.py")
    recorded, recomputed = recording.training_run(recording.reference_module())
    assert np.allclose(recomputed, recorded, atol=0.02), (recomputed, recorded)
    assignment = course.assignment("a4_pytorch")
    mutant = write_mutant_submission(assignment, load_mutant(assignment.mutants_dir / "train_no_zero_grad.py"),
                                     tmp_path)
    _, wrong = recording.training_run(load_module(mutant / "digits_cnn.py"))
    assert np.abs(np.array(wrong) - np.array(recorded)).max() > 0.1


# -- what students install ---------------------------------------------------------------------------------------------
def test_the_handout_names_one_install_command_and_the_lock_pins_it_apart_from_the_grader(course):
    locked = lockinstall.read_lock(ROOT / "requirements.lock")
    pinned = {pin.split("==")[0].lower() for pin in locked["notebook"]}
    assert {"notebook", "matplotlib", "nbclient", "ipykernel", "nbformat"} <= pinned
    assert not pinned & {pin.split("==")[0].lower() for pin in locked["runtime"]}  # the grader needs none of them
    for assignment in course.assignments():
        handout = (assignment.starter_dir / "handout.md").read_text(encoding="utf-8")
        assert f"pip install {' '.join(notebook.STUDENT_PACKAGES)}\njupyter notebook {assignment.id}.ipynb" in handout
    assert set(notebook.STUDENT_PACKAGES) <= pinned
    versions = {pin.split("==")[0].lower(): pin.split("==")[1] for pin in locked["notebook"]}
    for line in tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]["notebook"]:
        requirement = Requirement(line)
        assert requirement.specifier.contains(versions[requirement.name.lower()]), line
    assert 'LOCK_GROUPS="${NNHW_LOCK_GROUPS:-runtime course test notebook}"' in (ROOT / "scripts" / "bootstrap").read_text()
