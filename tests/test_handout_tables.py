"""Every handout's tables render as written: a Markdown parser finds as many cells in each row as in the
header, and the points table's cells hold what their columns say (a stray | in a title would shift them)."""

import re

from markdown_it import MarkdownIt

from autograder.authoring.build import cuda_points, handout

# a number, bold for the total; CUDA tests and the total may say what a grader without a GPU leaves out
POINTS = re.compile(r"^(\*\*)?\d+(\.\d+)?(\*\*)?( \(GPU grader only\)|, plus \d+(\.\d+)? on a grader with a GPU "
                    r"\(Gradescope has none: there those tests are not run\))?$")


def tables(text):
    """Each table as a list of rows, each row the text of its cells, as markdown-it renders them."""
    found, row, cell = [], None, None
    for token in MarkdownIt("commonmark").enable("table").parse(text):
        if token.type == "table_open":
            found.append([])
        elif token.type == "tr_open":
            row = []
        elif token.type in ("th_open", "td_open"):
            cell = ""
        elif token.type == "inline" and cell is not None:
            cell = token.content
        elif token.type in ("th_close", "td_close"):
            row.append(cell)
            cell = None
        elif token.type == "tr_close":
            found[-1].append(row)
    return found


def source_cells(line):
    """How many cells a table line in the Markdown source has (escaped pipes do not split)."""
    return len(re.split(r"(?<!\\)\|", line.strip().strip("|")))


def test_every_table_row_has_the_header_s_cells(course):
    for assignment in course.assignments():
        text = handout(assignment)
        lines = [line for line in text.splitlines() if line.lstrip().startswith("|")]
        assert lines, f"{assignment.id}: no table in the handout"
        blocks, current = [], []
        for line in text.splitlines() + [""]:
            if line.lstrip().startswith("|"):
                current.append(line)
            elif current:
                blocks.append(current)
                current = []
        for block in blocks:
            widths = {source_cells(line) for line in block}
            assert len(widths) == 1, f"{assignment.id}: a table's rows have {sorted(widths)} cells:\n" + "\n".join(block)
        for table in tables(text):
            assert len({len(row) for row in table}) == 1, f"{assignment.id}: {table}"


def test_points_table_cells_hold_their_columns(course):
    for assignment in course.assignments():
        points = [t for t in tables(handout(assignment)) if t[0][:3] == ["#", "test", "points"]]
        assert len(points) == 1, assignment.id
        titles = {spec.number: spec for spec in assignment.config.tests}
        for number, title, score, _ in points[0][1:]:
            assert POINTS.match(score), f"{assignment.id}: row {number!r} has {score!r} in the points column"
            if number:
                assert float(score.split()[0]) == titles[number].weight
                assert score.endswith("(GPU grader only)") == (titles[number].cuda and cuda_points(assignment) > 0)
                assert "|" not in title or "\\|" not in title


def test_a_pipe_in_a_title_is_escaped():
    rows = tables("| a | b |\n|---|---|\n| x \\|z\\| | 1 |\n")
    assert rows == [[["a", "b"], ["x |z|", "1"]]]
