"""Unpacking a student's zip: only plain files inside the unpack folder, whatever the zip says."""

import tempfile
import zipfile
from pathlib import Path

import pytest

from autograder.grading import results as results_json
from autograder.grading.grader import grade_safely
from autograder.grading.submission import locate, safe_zip_parts


def _zip(path, entries, links=()):
    with zipfile.ZipFile(path, "w") as zf:
        for name, text in entries.items():
            zf.writestr(name, text)
        for name, target in links:
            info = zipfile.ZipInfo(name)
            info.external_attr = 0o120777 << 16  # a symlink, as `zip -y` stores it
            zf.writestr(info, target)
    return path


def test_only_plain_files_inside_the_folder_are_unpacked(tmp_path):
    escapee = f"nnhw_escaped_{tmp_path.name}.py"  # a name no other test uses
    upload = _zip(tmp_path / "upload.zip",
                  {f"../{escapee}": "escaped = 1\n", f"/tmp/{escapee}": "escaped = 2\n",
                   "src\\forward.py": "kept = 1\n", "src/": ""},
                  links=[("forward.py", "/autograder/source/solutions/a1_forward/forward.py")])
    # a `..` entry would land beside the unpack folder (in the temp dir), an absolute one in /tmp
    outside = [Path(tempfile.gettempdir()) / escapee, Path("/tmp") / escapee]
    located = locate(upload, ["forward.py"])
    try:
        chosen = located.files["forward.py"]
        assert chosen is not None and chosen.read_text() == "kept = 1\n"  # not the link, not the escapee
        chosen_root = chosen.parent.parent
        unpacked = sorted(p.relative_to(chosen_root).as_posix() for p in chosen_root.rglob("*"))
        assert unpacked == ["src", "src/forward.py"]
        assert not any(p.exists() for p in outside), outside
    finally:
        located.cleanup()
        for p in outside:
            p.unlink(missing_ok=True)


def test_safe_zip_parts_refuses_each_unsafe_kind(tmp_path):
    upload = _zip(tmp_path / "kinds.zip", {"a/../../b.py": "", "/abs.py": "", "dir/": "", "win\\b.py": ""},
                  links=[("link.py", "elsewhere")])
    parts = {e.filename: safe_zip_parts(e) for e in zipfile.ZipFile(upload).infolist()}
    assert parts == {"a/../../b.py": None, "/abs.py": None, "dir/": None, "win\\b.py": ("win", "b.py"),
                     "link.py": None}


NOTEBOOK = '{"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}\n'


@pytest.mark.parametrize("upload", ["forward.ipynb", "a1_forward.ipynb", "a1_forward.zip"])
def test_a_notebook_instead_of_the_code_scores_zero_and_names_the_file(course, tmp_path, upload):
    """The student uploaded their notebook (alone, or zipped): nothing is graded, and they read what to upload."""
    path = tmp_path / upload
    if path.suffix == ".zip":
        _zip(path, {"a1_forward/a1_forward.ipynb": NOTEBOOK, "a1_forward/tests/cases.json": "{}"})
    else:
        path.write_text(NOTEBOOK)
    results = grade_safely(course, "a1_forward", path)
    assert results_json.validate(results) == []
    assert results["score"] == 0 and results["tests"] == [] and "extra_data" not in results  # no test, no worker
    notebook = "a1_forward.ipynb" if path.suffix == ".zip" else upload
    assert f"{notebook} is a Jupyter notebook, and the autograder grades forward.py only" in results["output"]
    assert "Upload forward.py (the file you edit)" in results["output"]


def test_a_notebook_beside_part_of_the_code_costs_only_the_missing_file(tmp_path):
    """cnn.py is there, gpu_conv.py is not: cnn.py is graded, and the note says the notebook does not count."""
    (tmp_path / "cnn.py").write_text("x = 1\n")
    (tmp_path / "a3_cnn.ipynb").write_text(NOTEBOOK)
    located = locate(tmp_path, ["cnn.py", "gpu_conv.py"])
    assert located.files["cnn.py"] == tmp_path / "cnn.py" and located.files["gpu_conv.py"] is None
    assert located.notes == ["gpu_conv.py was not found in your submission (a notebook is never graded: upload gpu_conv.py itself). The tests of the functions "
                             "in gpu_conv.py score zero."]
