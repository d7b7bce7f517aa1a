"""The files of ``course similarity``: a self-contained HTML page with side-by-side views, and the JSON.

``write_similarity_report`` writes, each atomically (grader/atomic.py)::

    <out>/similarity.html   the ranked pairs, the overall pairs, the reference matches, the problems,
                            and per pair the two files side by side with the matched regions coloured
    <out>/similarity.json   the same figures for machines (``SimilarityReport.to_json``)

Student code is untrusted: every line of it, every unit name and every
problem is escaped with ``html.escape``, so ``<script>`` in a submission
arrives as ``&lt;script&gt;``; the page has inline CSS and no JavaScript,
and its Content-Security-Policy forbids scripts outright. The same report
always gives the same bytes.

Example::

    report = compare_submissions(["examples/submissions"], course=course)
    html_path, json_path = write_similarity_report(report, out=Path("similarity"), title=course.title)
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence
from pathlib import Path

from ..atomic import atomic_write_json, atomic_write_text
from .similarity import PairMatch, Region, SimilarityReport, SourceView, line_spans

MAX_LINE_CHARS = 400
"""Characters of one source line shown; a longer line is cut and ends with an ellipsis."""
REGION_COLOURS = 6
"""Colours that regions cycle through (CSS classes r0 .. r5)."""

_HTML_STYLE = """\
body { font-family: system-ui, sans-serif; margin: 2em; color: #1a1a1a; }
table { border-collapse: collapse; margin: 0.5em 0 1.5em; }
th, td { border: 1px solid #ccc; padding: 0.2em 0.6em; text-align: left; vertical-align: top; }
td.number { text-align: right; font-variant-numeric: tabular-nums; }
.problems { color: #b00020; }
.side { display: grid; grid-template-columns: 1fr 1fr; gap: 1em; }
.file { overflow-x: auto; border: 1px solid #ccc; }
.file h3 { margin: 0; padding: 0.3em 0.6em; background: #f3f3f3; font-size: 1em; }
table.code { border: none; margin: 0; width: 100%; font-family: ui-monospace, monospace; font-size: 0.85em; }
table.code td { border: none; padding: 0 0.5em; white-space: pre; }
table.code td.line { color: #888; text-align: right; user-select: none; }
.swatch { display: inline-block; width: 1em; height: 1em; vertical-align: middle; }
.r0 { background: #ffe08a; } .r1 { background: #b5e3ff; } .r2 { background: #c9f2c0; }
.r3 { background: #ffc7d6; } .r4 { background: #e2cdfb; } .r5 { background: #ffd2a6; }
"""


def write_similarity_report(report: SimilarityReport, *, out: Path, title: str) -> tuple[Path, Path]:
    """Write ``out/similarity.html`` and ``out/similarity.json``; returns their paths.

    Example: ``write_similarity_report(report, out=Path("out"), title="MiniGPT")``
    -> ``(Path("out/similarity.html"), Path("out/similarity.json"))``.
    """
    html_path, json_path = Path(out) / "similarity.html", Path(out) / "similarity.json"
    atomic_write_text(html_path, similarity_html(report, title=title))
    atomic_write_json(json_path, report.to_json())
    return html_path, json_path


def similarity_html(report: SimilarityReport, *, title: str) -> str:
    """The report as one self-contained HTML page (see the module docstring)."""
    escape = html.escape
    parameters = report.parameters
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">",
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        "<title>Code similarity</title>",
        f"<style>\n{_HTML_STYLE}</style>",
        "</head>",
        "<body>",
        "<h1>Code similarity</h1>",
        f"<p>{escape(title)}: {len(report.students)} submissions, assignments {escape(', '.join(report.assignments))}.</p>",
        "<p>A pair's score is the share of the smaller submission's code found in the other's, counting neither "
        "the stub, nor the reference solution, nor code that more than "
        f"{parameters['common_limit']} submissions share; runs of {parameters['k']} normalised tokens are compared "
        "(names, comments, docstrings and layout ignored; function order ignored). Pairs scoring at least "
        f"{_percent(parameters['threshold'])} whose shared code holds at least {parameters['min_shared_tokens']} tokens "
        "of each student's own are listed. The reference column is each student's share of code beyond the stub "
        "that is the reference solution.</p>",
    ]
    parts += _pairs_table(report.pairs)
    if len(report.assignments) > 1:
        parts += ["<h2>Across assignments</h2>"]
        parts += _table(
            ("students", "score", "shared", "alike in"),
            [
                (" and ".join(match.students), _percent(match.score), str(match.shared), ", ".join(match.assignments))
                for match in report.overall
            ],
            numeric=(1, 2),
            empty="No pair reaches the threshold over all assignments.",
        )
    parts += ["<h2>Matches the reference solution</h2>"]
    parts += _table(
        ("student", "assignment", "share of own code", "fingerprints"),
        [(match.student, match.assignment, _percent(match.share), str(match.fingerprints)) for match in report.reference_matches],
        numeric=(2, 3),
        empty="No submission is mostly the reference solution.",
    )
    if report.problems:
        parts += ['<h2 class="problems">Not compared in full</h2>', "<ul>"]
        parts += [
            f"<li>{escape(problem.student)} {escape(problem.assignment or '(submission)')}: {escape(problem.message)}</li>"
            for problem in report.problems
        ]
        parts.append("</ul>")
    for rank, pair in enumerate(report.pairs, start=1):
        parts += _side_by_side(rank, pair, report.sources)
    parts += ["</body>", "</html>"]
    return "\n".join(parts) + "\n"


def line_ranges(lines: Iterable[int]) -> str:
    """Line numbers written as ranges: ``[3, 4, 5, 9, 11, 12]`` -> ``"3-5, 9, 11-12"``."""
    return ", ".join(f"{first}-{last}" if last > first else str(first) for first, last in line_spans(lines))


def _pairs_table(pairs: Sequence[PairMatch]) -> list[str]:
    rows = [
        (
            f'<a href="#pair-{rank}">{rank}</a>',
            html.escape(" and ".join(pair.students)),
            html.escape(pair.assignment),
            _percent(pair.score),
            str(pair.shared),
            " / ".join(str(count) for count in pair.matched_lines),
            " / ".join(_percent(share) for share in pair.reference),
        )
        for rank, pair in enumerate(pairs, start=1)
    ]
    return ["<h2>Pairs, most alike first</h2>"] + _table(
        ("#", "students", "assignment", "score", "shared", "matched lines", "reference"),
        rows,
        numeric=(0, 3, 4, 5, 6),
        empty="No pair reaches the threshold.",
        escaped=True,
    )


def _side_by_side(rank: int, pair: PairMatch, sources: dict[tuple[str, str], SourceView]) -> list[str]:
    """A pair's section: its regions, then the two files in two columns, matched lines coloured by region."""
    escape = html.escape
    first, second = pair.students
    parts = [
        f'<section id="pair-{rank}">',
        f"<h2>{rank}. {escape(first)} and {escape(second)}, {escape(pair.assignment)}: {_percent(pair.score)}</h2>",
        "<ol>",
    ]
    for index, region in enumerate(pair.regions):
        units = region.units[0] if region.units[0] == region.units[1] else f"{region.units[0]} / {region.units[1]}"
        parts.append(
            f'<li><span class="swatch r{index % REGION_COLOURS}"></span> {escape(units)}: '
            f"lines {line_ranges(region.lines[0])} / {line_ranges(region.lines[1])}</li>"
        )
    parts += ["</ol>", '<div class="side">']
    for side, student in enumerate(pair.students):
        view = sources[(student, pair.assignment)]
        parts += _code(student, view, _region_of_line(pair.regions, side))
    parts += ["</div>", "</section>"]
    return parts


def _code(student: str, view: SourceView, region_of_line: dict[int, int]) -> list[str]:
    escape = html.escape
    parts = ['<div class="file">', f"<h3>{escape(student)}: {escape(view.path)}</h3>", '<table class="code">']
    for number, line in enumerate(view.lines, start=1):
        shown = line if len(line) <= MAX_LINE_CHARS else line[:MAX_LINE_CHARS] + "\u2026"
        region = region_of_line.get(number)
        row_class = f' class="r{region % REGION_COLOURS}"' if region is not None else ""
        parts.append(f'<tr{row_class}><td class="line">{number}</td><td>{escape(shown)}</td></tr>')
    parts.append("</table>")
    if view.total_lines > len(view.lines):
        parts.append(f"<p>{view.total_lines - len(view.lines)} more lines not shown.</p>")
    parts.append("</div>")
    return parts


def _region_of_line(regions: Sequence[Region], side: int) -> dict[int, int]:
    """Line number -> index of the first region covering it, on one side of the pair."""
    found: dict[int, int] = {}
    for index, region in enumerate(regions):
        for line in region.lines[side]:
            found.setdefault(line, index)
    return found


def _table(
    headers: Sequence[str], rows: Sequence[Sequence[str]], *, numeric: Sequence[int], empty: str, escaped: bool = False
) -> list[str]:
    """An HTML table; cells are escaped unless `escaped` says they already are."""
    if not rows:
        return [f"<p>{html.escape(empty)}</p>"]
    parts = ["<table>", "<tr>" + "".join(f"<th>{html.escape(header)}</th>" for header in headers) + "</tr>"]
    for row in rows:
        cells = []
        for column, cell in enumerate(row):
            shown = cell if escaped else html.escape(cell)
            cells.append(f'<td class="number">{shown}</td>' if column in numeric else f"<td>{shown}</td>")
        parts.append("<tr>" + "".join(cells) + "</tr>")
    parts.append("</table>")
    return parts


def _percent(share: float | None) -> str:
    """``0.934`` -> ``"93%"``; None -> ``"-"``."""
    return "-" if share is None else f"{share * 100:.0f}%"
