"""The batch report: one self-contained HTML page with the score distribution and each test's
pass rate drawn as inline SVG bar charts (no plotting library, no scripts, no external files),
and what the class got wrong: the likely causes the feedback named, most common first, per test
and over all tests, so an instructor sees which misconception to take up in the next lecture.

Everything a student could have chosen (names, file names, feedback) is escaped. The page
depends only on the gradebook rows, so the same batch gives the same page.
"""

import html
import math
import statistics
from collections import Counter

from autograder.batch.gradebook import causes_of, gradable_max, notes, number, status, write_text
from autograder.grading import extra as extra_data

WIDTH = 720
CAUSES_PER_TEST = 3   # the most common causes of one test's failures shown; the rest are counted
CAUSES_IN_SUMMARY = 10
GREEN, AMBER, RED, BLUE, GREY = "#2e7d32", "#f9a825", "#c62828", "#1565c0", "#9e9e9e"


def esc(value):
    return html.escape(str(value), quote=True)


def bins(totals, max_score):
    """``[(low, high, label, count)]`` covering 0..max_score: one bin per point when that is at most
    40 bins of whole points, else 10 equal bins (the last one closed)."""
    max_score = max(float(max_score), max(totals, default=0.0), 0.0)
    if max_score == int(max_score) and max_score <= 40:
        edges = [(float(k), float(k + 1), number(k)) for k in range(int(max_score) + 1)]
    else:
        width = max_score / 10 if max_score > 0 else 1.0
        edges = [(k * width, (k + 1) * width, f"{number(k * width)}–{number((k + 1) * width)}") for k in range(10)]
    counts = [0] * len(edges)
    for total in totals:
        index = next((i for i, (low, high, _) in enumerate(edges) if low <= total < high), len(edges) - 1)
        counts[index] += 1
    return [(low, high, label, count) for (low, high, label), count in zip(edges, counts)]


def histogram_svg(totals, max_score):
    data = bins(totals, max_score)
    left, right, top, bottom, height = 44, 12, 20, 44, 260
    plot_w, plot_h = WIDTH - left - right, height - top - bottom
    peak = max((c for *_, c in data), default=0) or 1
    step = max(1, math.ceil(peak / 5))
    bar_w = plot_w / len(data)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" '
             f'viewBox="0 0 {WIDTH} {height}" role="img" aria-label="score distribution">']
    top_tick = math.ceil(peak / step) * step
    for tick in range(0, top_tick + 1, step):
        y = top + plot_h - plot_h * tick / top_tick
        parts.append(f'<line x1="{left}" y1="{y:.1f}" x2="{WIDTH - right}" y2="{y:.1f}" stroke="#e0e0e0"/>'
                     f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" class="tick">{tick}</text>')
    for i, (low, high, label, count) in enumerate(data):
        h = plot_h * count / top_tick
        x, y = left + i * bar_w, top + plot_h - h
        parts.append(f'<rect x="{x + 1:.1f}" y="{y:.1f}" width="{max(bar_w - 2, 1):.1f}" height="{h:.1f}" '
                     f'fill="{BLUE}"><title>score {esc(label)}: {count} student(s)</title></rect>')
        if count:
            parts.append(f'<text x="{x + bar_w / 2:.1f}" y="{y - 4:.1f}" text-anchor="middle" class="value">{count}</text>')
        if len(data) <= 20 or i % 2 == 0:
            parts.append(f'<text x="{x + bar_w / 2:.1f}" y="{top + plot_h + 16}" text-anchor="middle" '
                         f'class="tick">{esc(label)}</text>')
    parts.append(f'<line x1="{left}" y1="{top + plot_h}" x2="{WIDTH - right}" y2="{top + plot_h}" stroke="#616161"/>')
    parts.append(f'<text x="{left + plot_w / 2:.1f}" y="{height - 6}" text-anchor="middle" class="axis">'
                 f'score (of {esc(number(max_score))})</text>')
    parts.append(f'<text x="12" y="{top + plot_h / 2:.1f}" text-anchor="middle" class="axis" '
                 f'transform="rotate(-90 12 {top + plot_h / 2:.1f})">students</text>')
    parts.append("</svg>")
    return "".join(parts)


NOT_GRADED = "not graded here"


def colour(rate):
    return GREEN if rate >= 0.8 else AMBER if rate >= 0.5 else RED


def pass_rate_svg(tests):
    """``tests``: ``[(label, passed, total)]`` → horizontal bars, one per test."""
    label_w, right, row_h, top = 330, 90, 26, 8
    bar_max = WIDTH - label_w - right
    height = top * 2 + row_h * len(tests)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" '
             f'viewBox="0 0 {WIDTH} {height}" role="img" aria-label="pass rate per test">']
    for i, (label, passed, total) in enumerate(tests):
        rate = passed / total if total else 0.0
        y = top + i * row_h
        short = label if len(label) <= 48 else label[:47] + "…"
        parts.append(f'<text x="{label_w - 8}" y="{y + 17}" text-anchor="end" class="label">{esc(short)}'
                     f'<title>{esc(label)}</title></text>')
        parts.append(f'<rect x="{label_w}" y="{y + 4}" width="{bar_max}" height="{row_h - 8}" fill="#eeeeee"/>')
        if not total:  # no student's grading ran it (a CUDA test without a GPU): neither passed nor failed
            parts.append(f'<text x="{label_w + 8}" y="{y + 17}" class="value" fill="{GREY}">{NOT_GRADED}</text>')
            continue
        parts.append(f'<rect x="{label_w}" y="{y + 4}" width="{bar_max * rate:.1f}" height="{row_h - 8}" '
                     f'fill="{colour(rate)}"><title>{esc(label)}: {passed} of {total} passed</title></rect>')
        parts.append(f'<text x="{label_w + bar_max + 6}" y="{y + 17}" class="value">{rate:.0%} '
                     f'({passed}/{total})</text>')
    parts.append("</svg>")
    return "".join(parts)


def titles_of(table):
    """``{test number: title}`` as the graded tests name themselves (the first row that has them), those not
    graded here too."""
    for row in table:
        tests = row.outcome.results.get("tests") or []
        if tests:
            not_graded = extra_data.read(row.outcome.results).get("not_graded", {})
            return {**{number: test.get("name", "") for number, test in not_graded.items()},
                    **{str(t.get("number", "")): t.get("name", "") for t in tests}}
    return {}


def not_graded_note(table, tests, max_score):
    """What the page says of the tests no student's grading ran (a CUDA test without a GPU), or ""."""
    numbers = [spec.number for spec, _, _, total, _ in tests if not total]
    if not numbers or not any(row.has_tests for row in table):
        return ""
    why = {test.get("why", "") for row in table for number, test in
           extra_data.read(row.outcome.results).get("not_graded", {}).items() if number in numbers}
    return (f"<p class='sub'>Not graded here: test{'s' if len(numbers) > 1 else ''} {esc(', '.join(numbers))} "
            f"({esc('; '.join(sorted(why)))}). Scores are out of {esc(number(max_score))}.</p>")


STYLE = """
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 2em auto; max-width: 1100px;
       color: #212121; padding: 0 1em; }
h1 { font-size: 1.5em; margin-bottom: .2em; } h2 { font-size: 1.15em; margin-top: 2em; }
.sub { color: #616161; margin-top: 0; }
table { border-collapse: collapse; margin: .5em 0; } th, td { padding: .25em .7em; border-bottom: 1px solid #e0e0e0;
        text-align: left; vertical-align: top; } td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; }
.stats td { border: none; padding: .1em .8em .1em 0; }
svg text.tick { font-size: 11px; fill: #616161; } svg text.value { font-size: 11px; fill: #212121; }
svg text.axis { font-size: 12px; fill: #424242; } svg text.label { font-size: 12px; fill: #212121; }
.error { color: #c62828; } .notes { color: #616161; font-size: .9em; max-width: 36em; }
.dim { color: #757575; } td.causes { font-size: .9em; max-width: 28em; }
.nowrap { white-space: nowrap; } table.tests { width: 100%; } ul.causes { margin: .3em 0 .2em; padding-left: 1.2em; font-size: .92em; color: #424242; }
ul.causes li { margin: .1em 0; }
"""


def graded_on(table, spec):
    """The rows whose grading ran ``spec``'s test."""
    return [row for row in table if spec.name not in row.not_graded]


def test_causes(rows, spec):
    """``(Counter of likely causes, failures without one)`` among ``rows`` that failed ``spec``'s test."""
    failed = [row for row in rows if row.has_tests and not row.passed[spec.name]]
    causes = Counter(row.causes[spec.name] for row in failed if spec.name in row.causes)
    return causes, len(failed) - sum(causes.values())


def causes_html(causes, unexplained, total):
    """The most common causes of one test's failures, ``forgot zero_grad: 23 of 120`` each, then the rest
    counted; "" when no student failed it."""
    if not causes and not unexplained:
        return ""
    items = [f"{esc(cause)}: <b>{count} of {total}</b>" for cause, count in causes.most_common(CAUSES_PER_TEST)]
    others = len(causes) - CAUSES_PER_TEST
    if others > 0:
        rest = sum(count for _, count in causes.most_common()[CAUSES_PER_TEST:])
        items.append(f"<span class='dim'>{others} other cause{'s' if others > 1 else ''}: {rest} of {total}</span>")
    if unexplained:
        items.append(f"<span class='dim'>no likely cause named: {unexplained} of {total}</span>")
    return "<ul class='causes'>" + "".join(f"<li>{item}</li>" for item in items) + "</ul>"


def class_causes(config, table):
    """``[(cause, students, test numbers)]`` over every test, the most students first; a student counts once
    per cause however many tests named it."""
    students, tests = {}, {}
    for spec in config.tests:
        for row in table:
            cause = row.causes.get(spec.name)  # failed tests only
            if cause:
                students.setdefault(cause, set()).add(row.student.id)
                tests.setdefault(cause, {})[spec.number] = True  # an ordered set
    ranked = sorted(students, key=lambda cause: (-len(students[cause]), cause))
    return [(cause, len(students[cause]), list(tests[cause])) for cause in ranked]


def render(assignment_id, title, config, table):
    totals = [row.total for row in table]
    max_score = gradable_max(config, table)
    titles = titles_of(table)
    errors = [row for row in table if status(row) != "graded"]
    tests = []
    for spec in config.tests:
        label = f"{spec.number}. {titles.get(spec.number) or spec.name} ({number(spec.weight)} pt)"
        ran = graded_on(table, spec)
        tests.append((spec, label, sum(1 for row in ran if row.passed[spec.name]), len(ran), test_causes(ran, spec)))

    stats = [("students", len(table)),
             ("graded", len(table) - len(errors)),
             ("not graded / errors", len(errors))]
    if totals:
        stats += [("mean", f"{statistics.fmean(totals):.2f}"),
                  ("median", number(statistics.median(totals))),
                  ("standard deviation", f"{statistics.pstdev(totals):.2f}"),
                  ("lowest", number(min(totals))), ("highest", number(max(totals))),
                  ("full marks", sum(1 for row in table if row.total >= row.max_score))]
    stats.append(("maximum score", number(max_score)))

    out = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
           f"<title>{esc(assignment_id)}: batch report</title>", f"<style>{STYLE}</style></head><body>",
           f"<h1>{esc(assignment_id)}: batch report</h1>", f'<p class="sub">{esc(title)}</p>',
           '<table class="stats">']
    out += [f"<tr><td>{esc(k)}</td><td class='n'>{esc(v)}</td></tr>" for k, v in stats]
    out.append("</table>")
    out.append(not_graded_note(table, tests, max_score))

    common = class_causes(config, table)
    if common:
        out.append("<h2>What the class got wrong</h2>")
        out.append("<p class='sub'>The likely causes the feedback named, most students first (a student counts "
                   "once per cause).</p>")
        out.append("<table><tr><th>likely cause</th><th class='n'>students</th><th>tests</th></tr>")
        for cause, students, numbers in common[:CAUSES_IN_SUMMARY]:
            out.append(f"<tr><td>{esc(cause)}</td><td class='n nowrap'>{students} of {len(table)}</td>"
                       f"<td class='nowrap'>{esc(', '.join(numbers))}</td></tr>")
        out.append("</table>")
        if len(common) > CAUSES_IN_SUMMARY:
            out.append(f"<p class='sub'>and {len(common) - CAUSES_IN_SUMMARY} other causes (per test below)</p>")

    out.append("<h2>Score distribution</h2>")
    out.append(histogram_svg(totals, max_score))

    out.append("<h2>Pass rate per test</h2>")
    out.append(pass_rate_svg([(label, passed, total) for _, label, passed, total, _ in tests]))
    out.append('<table class="tests"><tr><th class="n">#</th><th>test, and the most common likely causes of its '
               'failures</th><th class="n">points</th><th class="n">passed</th><th class="n nowrap">pass rate</th></tr>')
    for spec, _, passed, total, (causes, unexplained) in tests:
        rate = f"{passed / total:.0%}" if total else "–"
        counts = f"{passed} / {total}" if total else f"<span class='dim'>{NOT_GRADED}</span>"
        out.append(f"<tr><td class='n'>{esc(spec.number)}</td><td>{esc(titles.get(spec.number) or spec.name)}"
                   f"<br><code>{esc(spec.name)}</code>{causes_html(causes, unexplained, total)}</td>"
                   f"<td class='n'>{esc(number(spec.weight))}</td><td class='n'>{counts}</td>"
                   f"<td class='n'>{rate}</td></tr>")
    out.append("</table>")

    if errors:
        out.append("<h2>Not graded</h2><table><tr><th>student</th><th>submission</th><th>why</th></tr>")
        for row in errors:
            out.append(f"<tr><td>{esc(row.student.id)}</td><td>{esc(row.outcome.submission.label)}</td>"
                       f"<td class='error'>{esc(row.outcome.reason or status(row))}</td></tr>")
        out.append("</table>")

    out.append("<h2>Students</h2><table><tr><th>student</th><th>name</th><th class='n'>total</th>"
               "<th>status</th><th>likely causes</th><th>notes</th></tr>")
    for row in table:
        out.append(f"<tr><td>{esc(row.student.id)}</td><td>{esc(row.student.name)}</td>"
                   f"<td class='n nowrap'>{esc(number(row.total))} / {esc(number(row.max_score))}</td>"
                   f"<td>{esc(status(row))}</td><td class='causes'>{'<br>'.join(map(esc, causes_of(config, row)))}</td>"
                   f"<td class='notes'>{esc(notes(row)[:300])}</td></tr>")
    out.append("</table></body></html>\n")
    return "\n".join(out)


def write_report(path, assignment_id, title, config, table):
    write_text(path, render(assignment_id, title, config, table))
