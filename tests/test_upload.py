"""The upload made for the student (issue 31, point 9): ``python tests/make_upload.py`` and the notebook's last cell
write ``<id>-upload.zip`` with the assignment's files only, each checked to compile and import in a fresh Python,
and print the public tests' summary; a file that does not compile or import gets no zip, in one line."""

import shutil
import zipfile

import pytest
from helpers import ROOT

from autograder.course import load_modules

STARTER = ROOT / "starter"


def student_folder(tmp_path, assignment, solved=True):
    """The starter of ``assignment`` in ``tmp_path``, with the reference solution saved over the stubs."""
    folder = shutil.copytree(STARTER / assignment, tmp_path / assignment)
    if solved:
        for path in (ROOT / "solutions" / assignment).glob("*.py"):
            if (folder / path.name).is_file():
                shutil.copy(path, folder / path.name)
    return folder


def upload_module(folder):
    return load_modules({"make_upload.py": folder / "tests" / "make_upload.py"}, prefix=f"nnhw_upload_{folder.name}")


@pytest.mark.parametrize("assignment, files", [
    ("a2_backprop", ["backprop.py"]),
    pytest.param("a3_cnn", ["cnn.py", "gpu_conv.py"], marks=pytest.mark.needs_torch),  # gpu_conv.py imports torch
])
def test_the_zip_holds_the_assignment_s_files_only(tmp_path, capsys, assignment, files):
    folder = student_folder(tmp_path, assignment)
    (folder / "notes.txt").write_text("mine")
    zipped = upload_module(folder).make_upload(folder, public_tests=False)
    assert zipped == folder / f"{assignment}-upload.zip"
    assert sorted(zipfile.ZipFile(zipped).namelist()) == files  # not forward.py (given), the notebook or tests
    out = capsys.readouterr().out
    assert all(f"✓ {name}: compiles and imports" in out for name in files), out


def test_a_file_that_does_not_compile_or_import_gets_no_zip_and_one_line(tmp_path, capsys):
    folder = student_folder(tmp_path, "a2_backprop")
    upload = upload_module(folder)
    source = (folder / "backprop.py").read_text(encoding="utf-8")
    (folder / "backprop.py").write_text(source + "\nx = (1, 2))\n", encoding="utf-8")
    assert upload.make_upload(folder, public_tests=False) is None
    out = capsys.readouterr().out
    assert "✗ backprop.py does not compile: line" in out and "unmatched ')'" in out, out
    assert not (folder / "a2_backprop-upload.zip").exists()
    (folder / "backprop.py").write_text("import forwardd\n" + source, encoding="utf-8")
    assert upload.make_upload(folder, public_tests=False) is None
    assert "✗ backprop.py does not import: ModuleNotFoundError: No module named 'forwardd'" in capsys.readouterr().out


@pytest.mark.e2e
def test_the_public_tests_summary_is_printed_beside_the_zip(tmp_path, capsys):
    """A student's public-test run: the solution's summary says passed; the starter's says failed."""
    solved = student_folder(tmp_path / "solved", "a1_forward")
    assert upload_module(solved).make_upload(solved).is_file()
    out = capsys.readouterr().out
    assert "✓ public tests: " in out and " passed in " in out and "failed" not in out, out
    stubs = student_folder(tmp_path / "stubs", "a1_forward", solved=False)
    assert upload_module(stubs).make_upload(stubs).is_file()
    assert "✗ public tests: " in capsys.readouterr().out
