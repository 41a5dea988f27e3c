"""The ``nnhw`` command: build, grade, verify (and batch-grade) a course's assignments."""

import sys
from contextlib import contextmanager
from pathlib import Path

import click
from rich import box
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from autograder.authoring.mutants import MutantError
from autograder.authoring.notebook import NotebookError
from autograder.config import ConfigError
from autograder.course import Course, UnknownAssignment
from autograder.grading import extra as extra_data
from autograder.grading import results as results_json
from autograder.regions import MarkerError

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
        except (ConfigError, MarkerError, MutantError, NotebookError, UnknownAssignment) as exc:
            raise click.ClickException(str(exc)) from None
        except FileNotFoundError as exc:
            raise click.ClickException(f"missing file: {exc.filename or exc}") from None


@click.group(cls=_Errors)
@click.version_option(package_name="nnhw")
def main():
    """nnhw: build, grade and verify auto-graded neural-network homework."""


@main.command()
@click.argument("assignment_id")
@click.option("--title", default=None, help="The assignment's title (default: \"Assignment ID\").")
@click.option("--cache", is_flag=True, help="CS231n's pattern: a forward returning (out, cache) and a backward "
                                            "taking the student's own cache.")
def new(assignment_id, title, cache):
    """Scaffold a new assignment (solution, graded test, config, public case, handout, mutant) that builds and
    verifies as it stands; docs/authoring.md walks through growing it."""
    from autograder.authoring.scaffold import ScaffoldError, scaffold, start_course

    try:
        try:
            root = Path(Course.find().root)
        except FileNotFoundError:  # an empty folder becomes a course of its own
            root = Path.cwd()
        is_course = (root / "assignments").is_dir() and (root / "solutions").is_dir()
        started = [] if is_course else start_course(root)
        written = started + scaffold(root, assignment_id, title, cache)
    except ScaffoldError as exc:
        raise click.ClickException(str(exc)) from None
    for path in written:
        console.print(f"[green]✓[/] {escape(str(path.relative_to(root)))}")
    console.print(f"next: nnhw build {assignment_id} && nnhw verify {assignment_id} (docs/authoring.md)",
                  markup=False, highlight=False)


@main.command()
@click.argument("ids", nargs=-1)
@click.option("--dist", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Where the zips go (default: dist/ in the course folder).")
@click.option("--check", is_flag=True, help="Write nothing; fail if starter/ is not what the build would write.")
def build(ids, dist, check):
    """Regenerate starter code, handouts, public tests, student archives and Gradescope bundles."""
    from autograder.authoring.build import build as build_one
    from autograder.authoring.build import build_warnings, stale_data, stale_files

    for assignment in _assignments(ids):
        if check:
            stale = stale_files(assignment) + [f"assignments/{assignment.id}/data/{name}" for name in stale_data(assignment)]
            if stale:
                raise click.ClickException(f"starter/{assignment.id} is out of date ({', '.join(stale)}); "
                                           "run `nnhw build` and commit the result")
            console.print(f"[green]✓[/] starter/{assignment.id} is current")
            continue
        written = build_one(assignment, dist or assignment.course.root / "dist")
        for warning in build_warnings(assignment):
            err.print(f"[yellow]warning:[/] {escape(warning)}", soft_wrap=True)
        console.print(f"[green]✓[/] {assignment.id}: " + escape(", ".join(str(p.relative_to(assignment.course.root))
                                                                    if p.is_relative_to(assignment.course.root)
                                                                    else str(p) for p in written)))


def print_results(results, title):
    table = Table(title=escape(title), title_justify="left")
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
@click.option("--seed", type=int, default=None,
              help="Draw the examples with this hypothesis seed instead of the fixed ones Gradescope uses.")
@click.option("--record-examples", type=click.Path(dir_okay=False, path_type=Path), hidden=True,
              help="Write the examples drawn to this file (grading the solution).")
@click.option("--replay-examples", type=click.Path(dir_okay=False, path_type=Path), hidden=True,
              help="Replay the examples a --record-examples run wrote instead of drawing them.")
@click.option("--no-replay", is_flag=True,
              help="Draw every example, even where the solution's are recorded (by nnhw verify, build or grade-batch).")
def grade(assignment_id, submission, out, random_examples, keyword, quiet, feedback, seed, record_examples,
          replay_examples, no_replay):
    """Grade a submission (folder, zip or file) exactly as Gradescope would: where the solution's examples are
    recorded (the recording `nnhw build` puts in the bundle), they are replayed, not drawn again."""
    from autograder.grading.grader import grade_safely
    from autograder.sandbox import unconfined_warning

    course = _course()
    warning = unconfined_warning()
    if warning and not quiet:
        err.print(f"[yellow]warning:[/] {escape(warning)}")
    results = grade_safely(course, assignment_id, submission,
                           random_examples=random_examples, keyword=keyword, seed=seed,
                           record_examples=record_examples, replay_examples=replay_examples,
                           replay_cached=not no_replay)
    if out:
        results_json.write(results, out)
    if quiet:
        return
    print_results(results, f"{assignment_id}: {submission}")
    extra = extra_data.read(results)
    confinement = extra.get("confinement")
    if confinement:
        console.print(f"the submission's code ran confined by: {confinement}", markup=False, highlight=False)
    drift = extra.get("lock_drift")
    if drift:
        err.print(f"[yellow]warning:[/] graded with packages other than requirements.lock's ({escape('; '.join(drift))}): "
                  "the examples drawn, and so the score, may differ from Gradescope's; run scripts/bootstrap")
    if feedback:
        for test in results.get("tests", []):
            if test["status"] != "passed":
                console.rule()
                console.print(f"{test.get('number', '')} {test['name']}", style="bold", markup=False,
                              highlight=False, soft_wrap=True)  # verbatim and whole: a rule's title is cut
                console.print(test["output"], markup=False, highlight=False)


@main.command()
@click.argument("ids", nargs=-1)
@click.option("--jobs", "-j", type=click.IntRange(min=1), default=None,
              help="Submissions graded at once (default: all cores).")
@click.option("--seed", "seeds", type=int, multiple=True,
              help="Grade with this hypothesis seed instead of the fixed examples; repeat it to grade every "
                   "submission under each seed and report the mutants some seed lets through.")
def verify(ids, jobs, seeds):
    """Check the solution gets full marks, the starter zero and every mutant less; show who catches what."""
    from autograder.authoring.verify import verify_many

    assignments = _assignments(ids)
    with _progress(*(a.id for a in assignments)) as bars:
        verified = verify_many(assignments, jobs, seeds or (None,), progress=bars.get)
    results = [verified[assignment.id] for assignment in assignments]
    failures = 0
    for assignment, graded in zip(assignments, results):
        _print_catch_table(assignment, graded)
        failures += sum(bool(g.problems) for g in graded)
    if failures:
        raise click.ClickException(f"{failures} submission(s) were not graded as expected")
    console.print("[green]✓ verified[/]")


@contextmanager
def _progress(*labels):
    """Progress bars on stderr for a long run, one per label: yields ``{label: (on_start(total), on_done(last_line))}``
    (callable from any thread)."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    progress = Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                        TextColumn("{task.fields[last]}"), TimeElapsedColumn(), TimeRemainingColumn(),
                        console=err, transient=False)

    def bar(label):
        task = None

        def on_start(total):
            nonlocal task
            task = progress.add_task(escape(label), total=total, last="")
            progress.start()

        def on_done(last=""):
            progress.update(task, advance=1, last=escape(last))
        return on_start, on_done

    try:
        yield {label: bar(label) for label in labels}
    finally:
        progress.stop()


def _grouped(cells, size=5):
    """``cells`` as one string, a space after every ``size``: ``✗···· ··✗··`` reads like a ruler."""
    return " ".join("".join(cells[i:i + size]) for i in range(0, len(cells), size))


def _print_catch_table(assignment, graded):
    """Who catches what, one row per submission and one character per test, so it fits 80 columns.

    The test numbers head the pattern as a ruler (tens over units); the legend below names
    each test and counts the mutants it catches, and flags tests that catch none.
    """
    tests = assignment.config.tests
    numbers = [spec.number for spec in tests]
    failed = {g.name: g.failed_numbers() for g in graded}  # (under every seed, under some seed)
    ruler = _grouped([n[-2] if len(n) > 1 else " " for n in numbers]) + "\n" + _grouped([n[-1] for n in numbers])
    seeds = len(graded[0].runs)
    solution = next(g for g in graded if g.kind == "solution").results
    not_graded = extra_data.read(solution).get("not_graded", {})  # not run here, e.g. CUDA tests without a GPU
    legend = "✗ failed, · passed" + (f", ? failed with some of the {seeds} seeds" if seeds > 1 else "") + \
        (", blank: not graded here" if not_graded else "")
    table = Table(title=f"{assignment.id}: which tests fail for which submission ({legend})",
                  title_justify="left", box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
    table.add_column("submission", overflow="ellipsis")  # the one column that gives way
    table.add_column("score", justify="right", no_wrap=True, min_width=5)
    table.add_column(ruler, no_wrap=True, min_width=len(_grouped(["·"] * len(numbers))))
    table.add_column("ok?", no_wrap=True, min_width=3)
    for g in graded:
        always, sometimes = failed[g.name]
        cells = ["✗" if n in always else "?" if n in sometimes else " " if n in not_graded else "·" for n in numbers]
        verdict = "[green]✓[/]" if not g.problems else "[red]✗[/]"  # the problems are listed below
        low, high = g.scores[0], g.scores[-1]  # they differ only when the seeds disagree
        table.add_row(escape(g.name) + (" [dim](accepted variant)[/]" if g.kind == "alternative" else ""), f"{low:g}" if low == high else f"{low:g}–{high:g}", _grouped(cells), verdict)
    console.print(table)
    solution = {t["number"]: t for t in solution.get("tests", [])}
    for spec in tests:
        catches = sum(1 for g in graded if g.kind == "mutant" and spec.number in failed[g.name][0])
        entry = solution.get(spec.number, not_graded.get(spec.number, {}))
        if spec.number in not_graded:
            count = "[dim]not graded here[/]"
        elif entry.get("status", "passed") != "passed":  # its catches would count the solution's own failure
            count = "[red]the solution fails it[/]"
        else:
            count = f"catches {catches:>2}".ljust(15)
            count = count if catches else f"[yellow]{count}[/]"
        console.print(f"  {spec.number:>3}  {count}  {escape(entry.get('name', spec.name))}", highlight=False,
                      soft_wrap=True)
    _print_causes(assignment, graded)
    for g in graded:
        for problem in g.problems:
            console.print(f"[red]✗ {escape(g.name)}: {escape(problem)}[/]", highlight=False, soft_wrap=True)


def _print_causes(assignment, graded):
    """Per mutant, the likely cause its first failure names (or none), one line each, and the share that names
    one: does the feedback explain each known bug? (verify does not shrink: it is the first failing example.)"""
    from autograder.authoring.verify import CAUSE_TARGET, cause_share

    named, total = cause_share(graded)
    if not total:
        return
    console.print(f"{assignment.id}, each mutant's first failure: test, mutant, likely cause", highlight=False)
    firsts = [(g.name, g.first_failure()) for g in graded if g.kind == "mutant"]
    width = max(len(name) for name, first in firsts if first)
    for name, first in firsts:
        if first:
            number, cause = first
            shown = escape(cause) if cause else "[yellow]none[/]"
            console.print(f"  {number:>3}  {escape(name.ljust(width))}  {shown}", highlight=False, no_wrap=True,
                          overflow="ellipsis")
    share = f"a likely cause for {named} of {total} mutants ({100 * named / total:.0f}%)"
    console.print(f"  {share}" if named >= CAUSE_TARGET * total else f"  [yellow]{share}[/]", highlight=False)


@main.command("grade-batch")
@click.argument("assignment_id")
@click.argument("submissions", type=click.Path(exists=True, path_type=Path))
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Folder for gradebook.csv, report.html and students/<student>/results.json "
                   "(default: <SUBMISSIONS>-graded next to SUBMISSIONS).")
@click.option("--jobs", "-j", type=click.IntRange(min=1), default=None,
              help="Submissions graded at once (default: all cores).")
@click.option("--regrade", is_flag=True, help="Grade again the submissions already graded by an earlier run.")
@click.option("--timeout", type=click.FloatRange(min=1), default=1800.0, show_default=True,
              help="Seconds one submission may take before its grader is stopped (it then scores zero).")
def grade_batch(assignment_id, submissions, out, jobs, regrade, timeout):
    """Grade a folder of submissions (one folder, zip or .py per student) or Gradescope's
    "Export Submissions" zip/folder, in parallel; write a gradebook CSV, an HTML report and
    each student's results.json. Re-running grades only what is new or changed."""
    from autograder.batch.collect import CollectError
    from autograder.batch.folder import grade_folder
    from autograder.batch.grade_all import BatchError
    from autograder.batch.gradebook import gradable_max
    from autograder.batch.runner import cores

    assignment = _course().assignment(assignment_id)
    assignment.config  # noqa: B018 - a broken config is reported before anything is read or graded
    with _progress(assignment_id) as bars:
        start_bar, advance = bars[assignment_id]

        def on_start(to_grade, skipped):
            if skipped:
                err.print(f"{skipped} submission(s) already graded (use --regrade to grade them again)")
            if to_grade:
                err.print(f"grading {to_grade} submission(s) of {assignment_id} with "
                          f"{min(jobs or cores(), to_grade)} job(s)")
                start_bar(to_grade)

        def on_done(outcome):
            if outcome.state != "skipped":
                mark = {"graded": "", "error": " (grader failed)"}[outcome.state]
                advance(f"{outcome.submission.key}: {outcome.score:g}{mark}")

        try:
            summary = grade_folder(assignment, submissions, out, jobs, regrade, timeout, on_start, on_done)
        except (CollectError, BatchError) as exc:
            raise click.ClickException(str(exc)) from None
    for warning in summary.warnings:
        err.print(f"[yellow]warning:[/] {escape(warning)}")
    if summary.ignored:
        err.print(f"ignored (not a submission): {escape(', '.join(summary.ignored[:10]))}"
                  + (f" and {len(summary.ignored) - 10} more" if len(summary.ignored) > 10 else ""))
    totals = [row.total for row in summary.rows]
    maximum = gradable_max(assignment.config, summary.rows)
    console.print(f"[bold]{len(summary.rows)} student(s)[/] from {len(summary.outcomes)} submission(s) "
                  f"({summary.layout} layout): {summary.count('graded')} graded, {summary.count('skipped')} "
                  f"already graded, {summary.count('error')} failed; "
                  f"mean {sum(totals) / max(len(totals), 1):.2f} / {maximum:g}")
    for outcome in summary.outcomes:
        if outcome.state == "error":
            console.print(f"  [red]✗[/] {escape(outcome.submission.key)}: {escape(outcome.reason)}")
    console.print(f"gradebook  {summary.gradebook}\nreport     {summary.report}\n"
                  f"results    {summary.gradebook.parent / 'students'}/<student>/results.json", markup=False)


@main.command("record-cuda")
@click.argument("assignment_id")
@click.option("--device", default="cuda", show_default=True, help="Where the cases run (cuda, cuda:1, ...).")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Where the recording goes (default: assignments/<id>/recordings).")
@click.option("--allow-non-cuda", is_flag=True,
              help="Store a recording made on a device other than CUDA (marked with its device; graded tests do "
                   "not take it for CUDA results). Only for testing the record → replay path.")
def record_cuda(assignment_id, device, out, allow_non_cuda):
    """Run the assignment's cuda_cases.py on a GPU (float32, TF32 off) and store inputs, outputs and
    gradients, so graders without a GPU can compare students' results with cuDNN's."""
    from autograder.authoring.record_cuda import record
    from autograder.kit.cuda import RecordingError, load_recording

    assignment = _course().assignment(assignment_id)
    try:
        folder = record(assignment.dir, device, out, allow_non_cuda)
    except RecordingError as exc:
        raise click.ClickException(str(exc)) from None
    recording = load_recording(folder)
    console.print(f"[green]✓[/] {len(recording.cases)} case(s) recorded in {escape(str(folder))}: "
                  f"{escape(recording.describe())}")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
