"""What ``nnhw grade`` prints: test titles verbatim (a title's ``[y log ŷ + …]`` is text, not console markup),
and a test not graded here neither as a row of the table nor in the maximum, but named with its reason."""

from dataclasses import replace

import pytest
from click.testing import CliRunner
from helpers import ROOT

from autograder.cli import main
from autograder.config import load_config
from autograder.grading import results as results_json
from autograder.grading.plugin import Outcome

A1 = "a1_forward"
BRACKETED = "binary_cross_entropy: −1/m Σ[y log ŷ + (1−y) log(1−ŷ)] matches the reference and torch"


@pytest.fixture()
def graded_as(monkeypatch):
    """``nnhw grade`` prints these results, whatever it is given."""
    def use(results):
        monkeypatch.setattr("autograder.grading.grader.grade_safely", lambda *args, **kwargs: results)
    return use


def run_grade(tmp_path, *options, columns=250):
    """``nnhw grade`` on a terminal ``columns`` wide (consoles made afresh: one made earlier in this process keeps
    the width it found then)."""
    from rich.console import Console

    from autograder import cli

    saved = cli.console, cli.err
    cli.console, cli.err = Console(width=columns), Console(stderr=True, width=columns)
    upload = tmp_path / "[final] submission"
    upload.mkdir(exist_ok=True)
    try:
        done = CliRunner().invoke(main, ["grade", A1, str(upload), *options], env={"NNHW_COURSE_ROOT": str(ROOT)})
    finally:
        cli.console, cli.err = saved
    assert done.exit_code == 0, done.output
    return done.output


def test_titles_and_paths_print_verbatim(graded_as, tmp_path):
    config = load_config(ROOT / "assignments" / A1 / "assignment.toml")
    spec = config.tests[0]
    graded_as(results_json.assemble(config, {spec.name: Outcome(spec.name, BRACKETED, False, "[b]wrong[/b] values")}))
    output = run_grade(tmp_path, "-k", spec.name, "--feedback")
    assert output.count(BRACKETED) == 2, output  # the table's row and the feedback's heading
    assert "[b]wrong[/b] values" in output
    assert "[final] submission" in output
    narrow = run_grade(tmp_path, "-k", spec.name, "--feedback", columns=60)
    assert f"{spec.number} {BRACKETED}" in narrow, narrow  # the heading whole, however narrow the terminal


def test_a_test_not_graded_here_is_named_not_counted(graded_as, tmp_path):
    config = load_config(ROOT / "assignments" / A1 / "assignment.toml")
    ran, skipped = config.tests[0], config.tests[1]
    graded_as(results_json.assemble(replace(config, tests=(ran, skipped)), {
        ran.name: Outcome(ran.name, "affine_forward: ran", True),
        skipped.name: Outcome(skipped.name, "sigmoid: needs a GPU", False, "not graded here: no GPU here", True)}))
    output = run_grade(tmp_path)
    assert "sigmoid: needs a GPU" not in output.split("score")[0], "no row for it in the table"
    assert f"score {ran.weight:g} / {ran.weight:g}" in output
    assert f'test {skipped.number} ("sigmoid: needs a GPU") was not run: no GPU here' in output
