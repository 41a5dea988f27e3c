"""A student can follow each handout alone: it says near its top which files to upload and the exact command
for the public tests, and it names no file the starter folder lacks (a "course README" the zip does not hold)."""

import re

import pytest

from autograder.authoring.build import PUBLIC_TESTS_COMMAND, handout

#: "near its top": within this many lines of the title, before the first section
TOP_LINES = 8
FILE_NAME = re.compile(r"\b[\w-]+\.(?:py|npz|npy|png|jpg|json|md|ipynb|csv|txt|zip|toml)\b")


def first_lines(text):
    return "\n".join(text.splitlines()[:TOP_LINES])


def test_the_top_names_the_files_to_upload_and_the_public_tests_command(course):
    for assignment in course.assignments():
        top = first_lines(handout(assignment))
        assert "## " not in top.split("\n", 1)[1], f"{assignment.id}: a section starts before the essentials"
        assert "Gradescope" in top, f"{assignment.id}:\n{top}"
        for name in assignment.config.files:
            assert f"`{name}`" in top, f"{assignment.id}: {name} is not named at the top:\n{top}"
        assert f"`{PUBLIC_TESTS_COMMAND}`" in top, f"{assignment.id}:\n{top}"


def test_a_given_file_is_said_to_be_given(course):
    given = [a for a in course.assignments() if a.config.given]
    if not given:
        pytest.skip("no assignment hands out a file ready-made")
    for assignment in given:
        top = first_lines(handout(assignment))
        for g in assignment.config.given:
            assert f"`{g.name}` is given" in top, top


def test_every_file_a_handout_names_is_in_the_starter(course):
    for assignment in course.assignments():
        text = handout(assignment)
        have = {path.name for path in assignment.starter_dir.rglob("*") if path.is_file()}
        missing = sorted(set(FILE_NAME.findall(text)) - have)
        assert not missing, f"{assignment.id}: the handout names {missing}, which the starter lacks"
        if not any(name.upper().startswith("README") for name in have):
            assert not re.search(r"\bREADME\b", text, re.I), f"{assignment.id}: the handout sends students to a README"


def test_the_footer_says_what_the_public_tests_need_and_compare_with(course):
    """A starter whose public tests import torch names PyTorch; one without recorded cases does not claim them."""
    import json

    for assignment in course.assignments():
        text = (assignment.starter_dir / "handout.md").read_text(encoding="utf-8")
        footer = text[text.index("## Checking your work"):]
        tests = assignment.starter_dir / "tests"
        cases = (tests / "cases.json").read_text(encoding="utf-8")
        needs_torch = '"__tensor__"' in cases or any(re.search(r"^(import|from) torch\b", p.read_text(encoding="utf-8"),
                                                               re.M) for p in tests.glob("*.py"))
        assert ("PyTorch" in footer) == needs_torch, f"{assignment.id}:\n{footer}"
        recorded = bool(json.loads(cases)["cases"])
        assert ("recorded from the reference" in footer) == recorded, f"{assignment.id}:\n{footer}"
