"""docs/authoring.md's worked example is run from the page's own text, so the page cannot go stale: each file
it shows in full (a ``<!-- file: PATH -->`` line above a fenced block) is written into a fresh course, which must
build and verify; and it is what `nnhw new ID --cache` writes, so the scaffold and the page say the same."""

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from autograder.authoring.scaffold import files, start_course
from autograder.cli import main

DOC = Path(__file__).resolve().parent.parent / "docs" / "authoring.md"
FILE_BLOCK = re.compile(r"^<!-- file: (\S+) -->\n```\w*\n(.*?)^```$", re.MULTILINE | re.DOTALL)


def doc_files():
    found = dict(FILE_BLOCK.findall(DOC.read_text(encoding="utf-8")))
    assert found, f"{DOC} shows no file in full"
    return found


def test_the_worked_example_is_what_nnhw_new_cache_writes():
    assert doc_files() == files("layers", "Layers with a cache", cache=True)


def test_a_file_block_is_found_only_whole():
    """The reader the tests rely on: a block is the text between its fences, nothing around it."""
    text = "<!-- file: a/b.py -->\n```python\nx = 1\n```\nafter\n"
    assert dict(FILE_BLOCK.findall(text)) == {"a/b.py": "x = 1\n"}


@pytest.mark.e2e
@pytest.mark.needs_worker
@pytest.mark.needs_torch
def test_the_worked_example_builds_and_verifies_from_the_docs_text(tmp_path):
    course = tmp_path / "course"
    course.mkdir()
    start_course(course)
    for relative, text in doc_files().items():
        (course / relative).parent.mkdir(parents=True, exist_ok=True)
        (course / relative).write_text(text, encoding="utf-8")
    env = {"NNHW_COURSE_ROOT": str(course)}
    built = CliRunner().invoke(main, ["build", "layers"], env=env)
    assert built.exit_code == 0, built.output
    verified = CliRunner().invoke(main, ["verify", "layers"], env=env)
    assert verified.exit_code == 0 and "✓ verified" in verified.output, verified.output
    rows = {line.split()[0]: line.split()[1:3] for line in verified.output.splitlines()
            if re.match(r"(solution|starter|affine_\w+) ", line)}
    assert rows == {"solution": ["3", "··"], "starter": ["0", "✗✗"], "affine_backward_mean_db": ["1", "·✗"],
                    "affine_forward_no_bias": ["2", "✗·"]}, verified.output
