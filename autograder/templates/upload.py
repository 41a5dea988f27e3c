"""Make the file to upload to Gradescope. From the assignment folder:  python tests/make_upload.py

It writes ``<assignment>-upload.zip`` beside the handout with your files only (the ones the handout's "To hand
in" line names: no notebook, no tests, no data), after checking that each one compiles and imports as the
autograder will import it, and prints the public tests' summary beside it. A file that does not compile or
import gets no zip: the autograder could not import it either, and every test would fail. The notebook's last
cell runs the same ``make_upload()``.

Standalone (the standard library only): copied into each starter's tests/ as make_upload.py by ``nnhw build``.
"""

import json
import subprocess
import sys
import zipfile
from pathlib import Path

TESTS = Path(__file__).resolve().parent
FOLDER = TESTS.parent
IMPORT_TIMEOUT_S = 120  # importing torch takes seconds on a slow laptop
TESTS_TIMEOUT_S = 900


def _recorded():
    """The assignment's id and the student's module names, from the public tests' cases.json."""
    recorded = json.loads((TESTS / "cases.json").read_text(encoding="utf-8"))
    return recorded.get("assignment") or FOLDER.name, recorded["modules"]


def _last_line(text):
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return lines[-1] if lines else ""


def problem(folder, module):
    """Why ``module``.py in ``folder`` cannot be uploaded (missing, does not compile, does not import), in one
    line with its file and line, or None. Imported in a fresh Python, as the autograder does, so a file already
    imported here (in a notebook's kernel) cannot hide an error."""
    path = folder / f"{module}.py"
    if not path.is_file():
        return f"{path.name} is missing from {folder}"
    try:
        compile(path.read_text(encoding="utf-8"), str(path), "exec")
    except SyntaxError as error:
        return f"{path.name} does not compile: line {error.lineno}: {error.msg}"
    except (UnicodeDecodeError, ValueError) as error:
        return f"{path.name} cannot be read as Python: {error}"
    probe = f"import sys; sys.path.insert(0, {str(folder)!r}); import {module}"
    try:
        done = subprocess.run([sys.executable, "-c", probe], cwd=folder, capture_output=True, text=True,
                              timeout=IMPORT_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        return f"importing {path.name} took more than {IMPORT_TIMEOUT_S} s (code at the top level of the file runs " \
               "on import: move it under  if __name__ == \"__main__\":)"
    if done.returncode != 0:
        return f"{path.name} does not import: {_last_line(done.stderr)}"
    return None


def public_tests_summary(folder):
    """pytest's summary line of the public tests (``21 passed in 3.2s``), run as ``python -m pytest tests``."""
    try:
        done = subprocess.run([sys.executable, "-m", "pytest", "tests", "-q", "-p", "no:cacheprovider"], cwd=folder,
                              capture_output=True, text=True, timeout=TESTS_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        return f"did not finish within {TESTS_TIMEOUT_S} s"
    summary = _last_line(done.stdout).strip("= ")
    if "No module named pytest" in done.stderr:
        return "not run: pytest is not installed (pip install pytest)"
    return summary or _last_line(done.stderr)


def make_upload(folder=FOLDER, public_tests=True):
    """Check your files, write the zip to upload and print what it holds; the zip's path, or None (and why)."""
    folder = Path(folder)
    assignment, modules = _recorded()
    files = [f"{module}.py" for module in modules]
    problems = {name: problem(folder, module) for name, module in zip(files, modules)}
    for name, broken in problems.items():
        print(f"✗ {broken}" if broken else f"✓ {name}: compiles and imports")
    if any(problems.values()):
        print("no upload made: fix the file above first (the autograder could not import it either)")
        return None
    if public_tests:
        summary = public_tests_summary(folder)
        passed = "passed" in summary and not any(word in summary for word in ("failed", "error"))
        print(f"{'✓' if passed else '✗'} public tests: {summary}" +
              ("" if passed else " (the autograder grades these and more: fix them first, or upload anyway)"))
    upload = folder / f"{assignment}-upload.zip"
    with zipfile.ZipFile(upload, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in files:
            archive.write(folder / name, name)
    print(f"→ upload {upload.name} ({', '.join(files)}, nothing else) on Gradescope's submission page")
    return upload


if __name__ == "__main__":
    sys.exit(0 if make_upload() else 1)
