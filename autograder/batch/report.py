"""The batch report: one self-contained HTML page with the score distribution and each test's
pass rate drawn as inline SVG bar charts (no plotting library, no scripts, no external files).

Everything a student could have chosen (names, file names, feedback) is escaped. The page
depends only on the gradebook rows, so the same batch gives the same page.
"""

import html
import math
import statistics

from autograder.batch.gradebook import number, status, write_text

WIDTH = 720
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
        parts.append(f'<rect x="{label_w}" y="{y + 4}" width="{bar_max * rate:.1f}" height="{row_h - 8}" '
                     f'fill="{colour(rate)}"><title>{esc(label)}: {passed} of {total} passed</title></rect>')
        parts.append(f'<text x="{label_w + bar_max + 6}" y="{y + 17}" class="value">{rate:.0%} '
                     f'({passed}/{total})</text>')
    parts.append("</svg>")
    return "".join(parts)


def titles_of(table):
    """``{test number: title}`` as the graded tests name themselves (the first row that has them)."""
    for row in table:
        tests = row.outcome.results.get("tests") or []
        if tests:
            return {str(t.get("number", "")): t.get("name", "") for t in tests}
    return {}


STYLE = """
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 2em auto; max-width: 960px;
       color: #212121; padding: 0 1em; }
h1 { font-size: 1.5em; margin-bottom: .2em; } h2 { font-size: 1.15em; margin-top: 2em; }
.sub { color: #616161; margin-top: 0; }
table { border-collapse: collapse; margin: .5em 0; } th, td { padding: .25em .7em; border-bottom: 1px solid #e0e0e0;
        text-align: left; vertical-align: top; } td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; }
.stats td { border: none; padding: .1em .8em .1em 0; }
svg text.tick { font-size: 11px; fill: #616161; } svg text.value { font-size: 11px; fill: #212121; }
svg text.axis { font-size: 12px; fill: #424242; } svg text.label { font-size: 12px; fill: #212121; }
.error { color: #c62828; } .notes { color: #616161; font-size: .9em; max-width: 36em; }
"""


def render(assignment_id, title, config, table):
    totals = [row.total for row in table]
    max_score = config.max_score
    titles = titles_of(table)
    errors = [row for row in table if status(row) != "graded"]
    tests = []
    for spec in config.tests:
        label = f"{spec.number}. {titles.get(spec.number) or spec.name} ({number(spec.weight)} pt)"
        tests.append((spec, label, sum(1 for row in table if row.passed[spec.name]), len(table)))

    stats = [("students", len(table)),
             ("graded", len(table) - len(errors)),
             ("not graded / errors", len(errors))]
    if totals:
        stats += [("mean", f"{statistics.fmean(totals):.2f}"),
                  ("median", number(statistics.median(totals))),
                  ("standard deviation", f"{statistics.pstdev(totals):.2f}"),
                  ("lowest", number(min(totals))), ("highest", number(max(totals))),
                  ("full marks", sum(1 for t in totals if t >= max_score))]
    stats.append(("maximum score", number(max_score)))

    out = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
           f"<title>{esc(assignment_id)}: batch report</title>", f"<style>{STYLE}</style></head><body>",
           f"<h1>{esc(assignment_id)}: batch report</h1>", f'<p class="sub">{esc(title)}</p>',
           '<table class="stats">']
    out += [f"<tr><td>{esc(k)}</td><td class='n'>{esc(v)}</td></tr>" for k, v in stats]
    out.append("</table>")

    out.append("<h2>Score distribution</h2>")
    out.append(histogram_svg(totals, max_score))

    out.append("<h2>Pass rate per test</h2>")
    out.append(pass_rate_svg([(label, passed, total) for _, label, passed, total in tests]))
    out.append('<table><tr><th class="n">#</th><th>test</th><th class="n">points</th>'
               '<th class="n">passed</th><th class="n">pass rate</th></tr>')
    for spec, _, passed, total in tests:
        rate = f"{passed / total:.0%}" if total else "–"
        out.append(f"<tr><td class='n'>{esc(spec.number)}</td><td>{esc(titles.get(spec.number) or spec.name)}"
                   f"<br><code>{esc(spec.name)}</code></td><td class='n'>{esc(number(spec.weight))}</td>"
                   f"<td class='n'>{passed} / {total}</td><td class='n'>{rate}</td></tr>")
    out.append("</table>")

    if errors:
        out.append("<h2>Not graded</h2><table><tr><th>student</th><th>submission</th><th>why</th></tr>")
        for row in errors:
            out.append(f"<tr><td>{esc(row.student.id)}</td><td>{esc(row.outcome.submission.label)}</td>"
                       f"<td class='error'>{esc(row.outcome.reason or status(row))}</td></tr>")
        out.append("</table>")

    out.append("<h2>Students</h2><table><tr><th>student</th><th>name</th><th class='n'>total</th>"
               "<th>status</th><th>notes</th></tr>")
    for row in table:
        text = " ".join(line.strip() for line in str(row.outcome.results.get("output", "")).splitlines()
                        if line.strip())
        out.append(f"<tr><td>{esc(row.student.id)}</td><td>{esc(row.student.name)}</td>"
                   f"<td class='n'>{esc(number(row.total))} / {esc(number(max_score))}</td>"
                   f"<td>{esc(status(row))}</td><td class='notes'>{esc(text[:300])}</td></tr>")
    out.append("</table></body></html>\n")
    return "\n".join(out)


def write_report(path, assignment_id, title, config, table):
    write_text(path, render(assignment_id, title, config, table))
