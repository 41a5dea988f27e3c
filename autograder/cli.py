"""The ``nnhw`` command: build, grade, verify (and batch-grade) a course's assignments."""

import json
import sys
from pathlib import Path

import click
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from . import results as results_json
from .config import ConfigError
from .course import Course, UnknownAssignment
from .mutants import MutantError
from .regions import MarkerError

console = Console()
err = Console(stderr=True)


def _course():
    try:
        return Course.find()
    except FileNotFoundError as exc:
        raise click.ClickException(str(exc)) from None


def _assignments(ids):
    try:
        return _course().assignments(list(ids) or None)
    except UnknownAssignment as exc:
        raise click.ClickException(str(exc)) from None


class _Errors(click.Group):
    """Instructor-facing errors (bad config, unbalanced markers, unknown id) as one clear line."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except (ConfigError, MarkerError, MutantError, UnknownAssignment) as exc:
            raise click.ClickException(str(exc)) from None
        except FileNotFoundError as exc:
            raise click.ClickException(f"missing file: {exc.filename or exc}") from None


@click.group(cls=_Errors)
@click.version_option(package_name="nnhw")
def main():
    """nnhw: build, grade and verify auto-graded neural-network homework."""


@main.command()
@click.argument("ids", nargs=-1)
@click.option("--dist", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Where the zips go (default: dist/ in the course folder).")
@click.option("--check", is_flag=True, help="Write nothing; fail if starter/ is not what the build would write.")
def build(ids, dist, check):
    """Regenerate starter code, handouts, public tests, student archives and Gradescope bundles."""
    from .build import build as build_one, stale_files

    for assignment in _assignments(ids):
        if check:
            stale = stale_files(assignment)
            if stale:
                raise click.ClickException(f"starter/{assignment.id} is out of date ({', '.join(stale)}); "
                                           "run `nnhw build` and commit the result")
            console.print(f"[green]✓[/] starter/{assignment.id} is current")
            continue
        written = build_one(assignment, dist or assignment.course.root / "dist")
        console.print(f"[green]✓[/] {assignment.id}: " + ", ".join(str(p.relative_to(assignment.course.root))
                                                             if p.is_relative_to(assignment.course.root) else str(p)
                                                             for p in written))


def print_results(results, title):
    table = Table(title=title, title_justify="left")
    for column, justify in (("#", "right"), ("test", "left"), ("points", "right"), ("", "left")):
        table.add_column(column, justify=justify)
    for test in results.get("tests", []):
        passed = test["status"] == "passed"
        table.add_row(test.get("number", ""), escape(test["name"]), f"{test['score']:g}/{test['max_score']:g}",
                      "[green]passed[/]" if passed else "[red]failed[/]")
    console.print(table)
    maximum = sum(t["max_score"] for t in results.get("tests", []))
    console.print(f"[bold]score {results['score']:g} / {maximum:g}[/]")
    if results.get("output"):
        console.print(results["output"], markup=False, highlight=False)


@main.command()
@click.argument("assignment_id")
@click.argument("submission", type=click.Path(exists=True, path_type=Path))
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="Write results.json here.")
@click.option("--random", "random_examples", is_flag=True, help="Fresh random examples (not reproducible).")
@click.option("-k", "keyword", help="Only the tests matching this pytest -k expression.")
@click.option("--quiet", is_flag=True, help="Print nothing; just write --out.")
@click.option("--feedback", is_flag=True, help="Also print each failed test's feedback.")
def grade(assignment_id, submission, out, random_examples, keyword, quiet, feedback):
    """Grade a submission (folder, zip or file) exactly as Gradescope would."""
    from .grader import grade_safely

    course = _course()
    results = grade_safely(lambda: course.assignment(assignment_id), submission,
                           random_examples=random_examples, keyword=keyword)
    if out:
        results_json.write(results, out)
    if quiet:
        return
    print_results(results, f"{assignment_id}: {submission}")
    if feedback:
        for test in results.get("tests", []):
            if test["status"] != "passed":
                console.rule(f"{test.get('number', '')} {test['name']}")
                console.print(test["output"], markup=False, highlight=False)


@main.command()
@click.argument("ids", nargs=-1)
@click.option("--jobs", "-j", type=int, default=None, help="Submissions graded at once (default: all cores).")
def verify(ids, jobs):
    """Check the solution gets full marks, the starter zero and every mutant less; show who catches what."""
    from .verify import verify as verify_one

    failures = 0
    for assignment in _assignments(ids):
        graded = verify_one(assignment, jobs)
        tests = assignment.config.tests
        table = Table(title=f"{assignment.id}: which test catches which submission (✗ = test failed)",
                      title_justify="left")
        table.add_column("submission")
        table.add_column("score", justify="right")
        for spec in tests:
            table.add_column(spec.number, justify="center")
        table.add_column("verdict")
        for g in graded:
            status = {t.get("number"): t["status"] for t in g.results.get("tests", [])}
            cells = ["[red]✗[/]" if status.get(spec.number) == "failed" else "·" for spec in tests]
            verdict = "[green]ok[/]" if not g.problems else "[red]" + "; ".join(g.problems) + "[/]"
            table.add_row(g.name, f"{g.score:g}", *cells, verdict)
            failures += bool(g.problems)
        console.print(table)
        titles = {t["number"]: t["name"] for t in graded[0].results.get("tests", [])}
        for spec in tests:
            catches = sum(1 for g in graded if g.kind == "mutant" and
                          any(t.get("number") == spec.number and t["status"] == "failed" for t in g.results["tests"]))
            console.print(f"  {spec.number:>3}  {titles.get(spec.number, spec.name)}  — catches {catches} mutant(s)")
    if failures:
        raise click.ClickException(f"{failures} submission(s) were not graded as expected")
    console.print("[green]✓ verified[/]")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
