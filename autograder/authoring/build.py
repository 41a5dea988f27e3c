"""``nnhw build``: regenerate starter code, handouts, public tests, student archives and bundles.

Everything is computed in memory first as ``{relative path: bytes}``, then written, so the
same function also answers "is starter/ current?" and the zips are byte-identical for
identical input (sorted entries, fixed timestamps and permissions).
"""

import ast
import copy
import importlib.util
import json
import re
import zipfile
from pathlib import Path

from autograder import protocol, syntax
from autograder.authoring import given, notebook
from autograder.authoring.names import check_test_names
from autograder.authoring.recording import recorded_cases, recorded_diagnoses
from autograder.code_names import packages_imported
from autograder.config import ConfigError, typo_hint
from autograder.grading.versions import LOCK_NAME
from autograder.kit import data
from autograder.regions import make_stub

ENGINE = Path(__file__).resolve().parent.parent  # autograder/
TEMPLATES = ENGINE / "templates"
IMAGE_LINK = re.compile(r"!\[[^\]]*\]\(([^)\s]+)\)")
EXECUTABLE = {"setup.sh", "run_autograder"}
SKIP_PARTS = {"__pycache__", ".pytest_cache", ".hypothesis"}


class StaleStarter(RuntimeError):
    pass


# -- starter ----------------------------------------------------------------------------
def test_titles(assignment):
    """``{test function: first docstring line}`` read from the test files without importing them."""
    titles = {}
    for path in sorted(assignment.tests_dir.glob("test_*.py")):
        for node in syntax.parse(path.read_text(encoding="utf-8")).body:
            if isinstance(node, ast.FunctionDef) and node.name.startswith("test"):
                doc = (ast.get_docstring(node) or node.name).strip().splitlines()[0]
                titles[node.name] = doc
    return titles


def cuda_points(assignment):
    """Points of the tests that only a GPU grader, or recorded CUDA results, can grade; 0 once recorded."""
    from autograder.authoring.record_cuda import instructor_warnings

    recorded = _has_cuda_cases(assignment) and not instructor_warnings(assignment.dir)
    return 0.0 if recorded else sum(spec.weight for spec in assignment.config.tests if spec.cuda)


def _has_cuda_cases(assignment):
    from autograder.kit.cuda import CASES_FILE

    return (assignment.dir / CASES_FILE).is_file()


def build_warnings(assignment):
    """What the instructor should know before uploading the bundle (printed by ``nnhw build``)."""
    from autograder.authoring.record_cuda import instructor_warnings

    pending = cuda_points(assignment)
    if not pending:
        return given.notes(assignment)
    total = assignment.config.max_score
    return given.notes(assignment) + \
        [f"{assignment.id}: {pending:g} of {total:g} points need CUDA; on a grader without a GPU (Gradescope) they "
         f"carry no points, so set the assignment's total there to {total - pending:g}"] + \
        [f"{assignment.id}: {warning}" for warning in instructor_warnings(assignment.dir)]


def check_tests_listed(assignment, titles):
    """Every graded test has its ``[tests.<name>]`` table and every table a test: the points table lists the
    tables, so a test without one would be left out of it silently (and the grader refuses to grade either)."""
    listed = [spec.name for spec in assignment.config.tests]
    unlisted = [name for name in titles if name not in listed]
    problems = [f"[tests.{name}] names no test function" + typo_hint(name, unlisted, found=False)
                for name in listed if name not in titles]
    if unlisted:
        problems.insert(0, f"no table for the graded test{'s' * (len(unlisted) > 1)} {', '.join(unlisted)}: add "
                           f"[tests.{unlisted[0]}] with its weight (without one a test carries no points and is "
                           "missing from the handout's points table)")
    if problems:
        raise ConfigError(f"{assignment.dir / 'assignment.toml'}: [tests] does not match the tests in "
                          f"{assignment.tests_dir}: " + "; ".join(problems))


def points_table(assignment):
    titles = test_titles(assignment)
    check_tests_listed(assignment, titles)
    visibility = {"visible": "right away", "after_due_date": "after the due date",
                  "after_published": "when grades are published", "hidden": "never (hidden test)"}
    pending = cuda_points(assignment)
    rows = ["| # | test | points | you see the result |", "|---|---|---|---|"]
    for spec in assignment.config.tests:
        if spec.leaderboard is not None:
            continue
        points = f"{spec.weight:g}" + (" (GPU grader only)" if spec.cuda and pending else "")
        title = titles.get(spec.name, spec.name).replace("|", "\\|")  # a | in a title would split the cell
        rows.append(f"| {spec.number} | {title} | {points} | {visibility[spec.visibility]} |")
    total = assignment.config.max_score
    if pending:
        rows.append(f"| | **total** | **{total - pending:g}**, plus {pending:g} on a grader with a GPU (Gradescope has "
                    "none: there those tests are not run) | |")
    else:
        rows.append(f"| | **total** | **{total:g}** | |")
    return "\n".join(rows)


#: what students install for the public tests; torch only where the recorded cases hold tensors
PACKAGES = "numpy and pytest"
PACKAGES_WITH_TORCH = ("numpy, pytest and PyTorch. Its CPU build is all the public tests need (a few hundred MB,\n"
                       "not the several GB of the default build): "
                       "`pip install torch --index-url https://download.pytorch.org/whl/cpu`")


#: how a student runs the public tests, from the starter folder
PUBLIC_TESTS_COMMAND = "python -m pytest tests"


#: what the public tests compare with: outputs the build recorded, or the assignment's own checks
PUBLIC_TESTS_RECORDED = "They compare your functions with outputs recorded from the reference solution on a few\nfixed examples"
PUBLIC_TESTS_OWN = "They run your code on a few fixed examples and check what this handout asks of\nit"


def public_tests_need_torch(assignment, cases):
    """Whether a student needs torch for the public tests: recorded tensors, or the assignment's own public test
    files importing it."""
    return b'"__tensor__"' in cases or "torch" in packages_imported(sorted(assignment.public_tests_dir.glob("*.py")))


def handout(assignment, needs_torch=False, recorded=True):
    """The handout students read: the instructor's text, with what to upload and how to run the public tests
    under its title (from the config, so a student never looks for them elsewhere), the points table and
    the footer (what the public tests need, and what they compare with: ``recorded`` outputs or not)."""
    text = assignment.handout.read_text(encoding="utf-8")
    if "{{POINTS_TABLE}}" not in text:
        raise ValueError(f"{assignment.handout}: put a line {{{{POINTS_TABLE}}}} where the points table goes")
    header = _template("handout_header.md", FILES=_listed(assignment.config.files), COMMAND=PUBLIC_TESTS_COMMAND,
                       GIVEN=given.header_note(assignment))
    footer = _template("handout_footer.md", COMMAND=PUBLIC_TESTS_COMMAND,
                       PACKAGES=PACKAGES_WITH_TORCH if needs_torch else PACKAGES,
                       COMPARED=PUBLIC_TESTS_RECORDED if recorded else PUBLIC_TESTS_OWN)
    title, newline, body = text.partition("\n") if text.startswith("# ") else ("", "", text)
    return title + newline + ("\n" if title else "") + header + "\n" + \
        body.lstrip("\n").replace("{{POINTS_TABLE}}", points_table(assignment)) + footer + \
        notebook.handout_note(assignment)  # the notebook, and the one command that installs what it needs


def _template(name, **fields):
    text = (TEMPLATES / name).read_text(encoding="utf-8")
    for key, value in fields.items():
        text = text.replace("{{" + key + "}}", value or "")
    return text


def _listed(names):
    """```a.py`` and ``b.py``` as a sentence names them."""
    quoted = [f"`{name}`" for name in names]
    return quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " and " + quoted[-1]


def starter_tree(assignment, data_files=None):
    """The starter folder students download, as ``{relative path: bytes}``.

    ``data_files`` are the assignment's made data files when the caller has them already."""
    check_test_names(assignment)
    tree = {}
    for name, path in assignment.solution_files().items():
        tree[name] = make_stub(path.read_text(encoding="utf-8"), str(path)).encode()
    tree.update(given.starter_files(assignment))  # another assignment's solution, or the loader of the student's own
    cases = recorded_cases(assignment)
    recorded = json.loads(cases)
    tree["handout.md"] = handout(assignment, needs_torch=public_tests_need_torch(assignment, cases),
                                 recorded=bool(recorded["cases"])).encode()
    tree["tests/_nnhw_check.py"] = (ENGINE / "check.py").read_bytes()
    tree["tests/_nnhw_feedback.py"] = (TEMPLATES / "public_feedback.py").read_bytes()
    tree["tests/cases.json"] = cases  # also names the student's modules, for the notebook's checks
    if recorded["cases"]:
        tree["tests/causes.json"] = recorded_diagnoses(assignment)
    tree.update(recorded_case_files(recorded))
    for path in sorted(assignment.public_tests_dir.glob("*.py")):  # the assignment's own tests and helpers, if any
        tree[f"tests/{path.name}"] = path.read_bytes()
    tree.update(handout_images(assignment))
    tree.update(notebook.starter_files(assignment, tree["handout.md"].decode(), recorded))  # <id>.ipynb and its helper
    tree.update(data.starter_files(assignment, data.make_files(assignment) if data_files is None else data_files))
    return tree


def recorded_case_files(recorded):
    """``tests/test_public.py`` and the modules it runs on, where the assignment records public cases (``recorded``,
    cases.json read). None where it records none: a test module without cases only shows as skipped."""
    if not recorded["cases"]:
        return {}
    return {"tests/test_public.py": (TEMPLATES / "test_public.py").read_bytes(),
            "tests/_nnhw_protocol.py": (ENGINE / "protocol.py").read_bytes(),
            "tests/_nnhw_cases.py": (ENGINE / "authoring" / "public_cases.py").read_bytes(),
            "tests/_nnhw_diagnosis.py": (ENGINE / "diagnosis.py").read_bytes()}


def handout_images(assignment):
    """The local pictures the handout shows (``![...](name.png)``), to sit next to it in the starter."""
    text = assignment.handout.read_text(encoding="utf-8")
    images = {}
    for target in IMAGE_LINK.findall(text):
        path = assignment.dir / target
        if "://" in target or not path.is_file() or assignment.dir not in path.resolve().parents:
            raise ValueError(f"{assignment.handout}: the picture {target!r} is not a file in {assignment.dir}")
        images[target] = path.read_bytes()
    return images


def _on_disk(folder):
    if not folder.is_dir():
        return {}
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file() and not SKIP_PARTS & set(p.parts)}


def _differing(expected, folder):
    actual = _on_disk(folder)
    return sorted(p for p in set(expected) | set(actual) if expected.get(p) != actual.get(p))


def stale_files(assignment, data_files=None):
    """Paths under starter/<id>/ that differ from what the build would write (empty when current)."""
    return _differing(starter_tree(assignment, data_files), assignment.starter_dir)


def stale_data(assignment, data_files=None):
    """Files under assignments/<id>/data/ that differ from what the build would write (empty when current)."""
    return _differing(data.make_files(assignment) if data_files is None else data_files, assignment.data_dir)


def write_tree(folder, tree):
    folder = Path(folder)
    for path in set(_on_disk(folder)) - set(tree):
        (folder / path).unlink()
    for path, content in sorted(tree.items()):
        target = folder / path
        target.parent.mkdir(parents=True, exist_ok=True)
        if not target.exists() or target.read_bytes() != content:
            target.write_bytes(content)


# -- archives ------------------------------------------------------------------------------
def deterministic_zip(path, tree, prefix=""):
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        for name in sorted(tree):
            mode = 0o755 if Path(name).name in EXECUTABLE else 0o644
            zf.writestr(data.fixed_zip_entry(prefix + name, mode), tree[name])
    return path


def _files_under(root, folder, exclude=()):
    base = root / folder
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(base.rglob("*"))
            if p.is_file() and not SKIP_PARTS & set(p.parts) and not set(exclude) & set(p.relative_to(base).parts)
            and p.suffix not in (".pyc",)}


def recorded_examples(assignment):
    """The solution's examples, recorded for the bundle (see :mod:`.replay`): from the course's cache when
    the tests, engine and libraries are unchanged since the last verify or build, else by grading the
    solution once now. None when the solution cannot be graded here (the bundle then draws them)."""
    from autograder.batch.runner import Runner

    with Runner(assignment, 1) as runner:
        path = runner.cached_examples()
    return path.read_bytes() if path is not None else None


def bundle_tree(assignment, examples=None):
    """The Gradescope autograder zip: setup.sh and run_autograder at the root, then the sources, and the
    solution's recorded ``examples`` (bytes) when given."""
    root = assignment.course.root
    tree = {}
    if examples is not None:
        tree[assignment.bundled_examples.relative_to(root).as_posix()] = examples
    tree.update(_files_under(ENGINE.parent, "autograder"))
    tree["pyproject.toml"] = (ENGINE.parent / "pyproject.toml").read_bytes()
    lock = root / LOCK_NAME if (root / LOCK_NAME).is_file() else ENGINE.parent / LOCK_NAME  # the course's own first
    tree[LOCK_NAME] = lock.read_bytes()
    tree.update(_files_under(root, f"assignments/{assignment.id}", exclude=("mutants", "alternatives")))
    tree.update(_files_under(root, f"solutions/{assignment.id}"))
    for file in assignment.config.given:
        tree[f"solutions/{file.source}"] = (root / "solutions" / file.source).read_bytes()
    no_torch = "" if assignment.config.needs_torch else " --no-torch"
    tree["setup.sh"] = (TEMPLATES / "setup.sh").read_text().replace("@NO_TORCH@", no_torch).encode()
    tree["run_autograder"] = (TEMPLATES / "run_autograder").read_text().replace("@ASSIGNMENT@", assignment.id).encode()
    return tree


def build(assignment, dist):
    """Regenerate everything for one assignment; returns the paths written."""
    data_files = data.make_files(assignment)
    if data_files:
        write_tree(assignment.data_dir, data_files)  # before the bundle, which carries them
    tree = starter_tree(assignment, data_files)
    write_tree(assignment.starter_dir, tree)
    dist = Path(dist)
    return [
        *([assignment.data_dir] if data_files else []),
        assignment.starter_dir,
        deterministic_zip(dist / f"{assignment.id}-starter.zip", tree, prefix=f"{assignment.id}/"),
        deterministic_zip(dist / f"{assignment.id}-autograder.zip", bundle_tree(assignment, recorded_examples(assignment))),
    ]
