"""``course similarity``: pairs of submissions whose code is suspiciously alike; a ranked table and a side-by-side page.

A progress bar counts the submissions as they are read (on a terminal; a
heading alone elsewhere); then the ranked table (pair, assignment, score,
shared fingerprints, matched lines, each student's share of reference
code), the pairs over all assignments, the submissions that are mostly the
reference solution, what could not be compared in full, and where the
files are: ``OUT/similarity.html`` (every listed pair side by side, the
matched regions coloured) and ``OUT/similarity.json``. ``--json`` prints the
JSON instead of the tables. How pairs are scored: grader/grading/similarity.py.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from ..console import console, plain_output, print_table
from ..course import Course, load_course
from ..grading.similarity import COMMON_LIMIT, SimilarityReport, compare_submissions
from ..grading.similarity_report import write_similarity_report


def main(
    *,
    submissions: Sequence[str | Path],
    out: str | Path,
    assignments: Sequence[str] = (),
    threshold: float = 0.5,
    top: int | None = 50,
    common_limit: int = COMMON_LIMIT,
    json_output: bool = False,
    course: Course | None = None,
) -> SimilarityReport:
    """Compare ``submissions`` pairwise, print the ranked pairs and write the report files into ``out``; returns the report.

    Raises:
        SubmissionError: no submission found at ``submissions``.
        CourseError: an unknown assignment, one without code, or a missing stub.
        ValueError: ``threshold`` outside [0, 1], ``top`` below 1, ``common_limit`` below 2.
    """
    course = course if course is not None else load_course()
    options = {"course": course, "assignments": assignments, "threshold": threshold, "top": top, "common_limit": common_limit}
    if json_output:
        report = compare_submissions(submissions, **options)
        write_similarity_report(report, out=Path(out), title=course.title)
        print(json.dumps(report.to_json(), indent=2))
        return report
    report = _compare_with_progress(submissions, options)
    html_path, json_path = write_similarity_report(report, out=Path(out), title=course.title)
    if report.pairs:
        print_table(pairs_table(report))
    else:
        console.print(f"No pair of submissions reaches the threshold of {threshold:.0%}.")
    if len(report.assignments) > 1 and report.overall:
        print_table(overall_table(report))
    if report.reference_matches:
        print_table(reference_table(report))
    for problem in report.problems:
        where = f" {problem.assignment}" if problem.assignment else ""
        console.print(f"[bold red]{escape(problem.student)}[/]{where}: {escape(problem.message)}", soft_wrap=True)
    console.print(f"Side by side in {html_path}, every figure in {json_path}", markup=False, soft_wrap=True)
    return report


def _compare_with_progress(submissions: Sequence[str | Path], options: dict) -> SimilarityReport:
    def announce(count: int) -> None:
        console.print(f"Comparing {count} submission{'s' * (count != 1)} pairwise", markup=False)

    if plain_output():
        return compare_submissions(submissions, on_start=announce, **options)
    columns = (TextColumn("[bold]reading"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.description}"), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=True) as progress:
        bar = progress.add_task("", total=None)

        def on_start(count: int) -> None:
            announce(count)
            progress.update(bar, total=count)

        def on_submission(student: str) -> None:
            progress.update(bar, advance=1, description=escape(student))

        return compare_submissions(submissions, on_start=on_start, on_submission=on_submission, **options)


def pairs_table(report: SimilarityReport) -> Table:
    """One row per pair and assignment, most alike first: score, shared fingerprints, matched lines, reference shares."""
    grid = Table(title="Pairs alike beyond the stub and the reference solution", title_justify="left")
    grid.add_column("#", justify="right")
    grid.add_column("students", overflow="fold")
    grid.add_column("assignment")
    grid.add_column("score", justify="right")
    grid.add_column("shared", justify="right")
    grid.add_column("matched lines", justify="right")
    grid.add_column("reference", justify="right")
    for rank, pair in enumerate(report.pairs, start=1):
        grid.add_row(
            str(rank),
            escape(" and ".join(pair.students)),
            pair.assignment,
            f"[bold]{pair.score:.0%}[/]",
            str(pair.shared),
            " / ".join(str(count) for count in pair.matched_lines),
            " / ".join(_percent(share) for share in pair.reference),
        )
    return grid


def overall_table(report: SimilarityReport) -> Table:
    """One row per pair over all the assignments both handed in."""
    grid = Table(title="Pairs alike over all assignments", title_justify="left")
    grid.add_column("students", overflow="fold")
    grid.add_column("score", justify="right")
    grid.add_column("shared", justify="right")
    grid.add_column("alike in")
    for match in report.overall:
        grid.add_row(escape(" and ".join(match.students)), f"{match.score:.0%}", str(match.shared), ", ".join(match.assignments))
    return grid


def reference_table(report: SimilarityReport) -> Table:
    """One row per submission whose own code is mostly the reference solution."""
    grid = Table(title="Submissions that match the reference solution", title_justify="left")
    grid.add_column("student", overflow="fold")
    grid.add_column("assignment")
    grid.add_column("share of own code", justify="right")
    grid.add_column("fingerprints", justify="right")
    for match in report.reference_matches:
        grid.add_row(escape(match.student), match.assignment, f"{match.share:.0%}", str(match.fingerprints))
    return grid


def _percent(share: float | None) -> str:
    return "-" if share is None else f"{share:.0%}"
