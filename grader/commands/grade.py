"""``course grade``: grade a class of submissions in isolation; a table of grades and the report files.

A progress bar counts the submissions as they finish (a line per student
when the output is not a terminal); then the summary table (student x
assignment), the problems found, and where the files are. A warning says so
when the student code cannot run in the sandbox. ``--json`` prints every
result record instead (the layout of grader/grading/results.py).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from ..console import console, error_console, plain_output, print_table
from ..course import Course, load_course
from ..grading.grade import grade_all
from ..grading.gradebook import gradebook_path, write_gradebook
from ..grading.reports import format_points, summary_table
from ..grading.results import SubmissionResult
from ..grading.sandbox import choose_isolation


def main(
    *,
    submissions: Sequence[str | Path],
    out: str | Path,
    assignments: Sequence[str] = (),
    jobs: int | None = None,
    isolation: str = "auto",
    regrade: Sequence[str] = (),
    roster: str | Path | None = None,
    test_time_limit: float | None = None,
    nbgrader: str | Path | None = None,
    json_output: bool = False,
    course: Course | None = None,
) -> list[SubmissionResult]:
    """Grade ``submissions`` into ``out`` (see grader/grading/grade.py) and print the grades; returns the results.

    With ``nbgrader`` (an nbgrader course folder), the points are also written
    into its gradebook (grader/grading/gradebook.py).

    Raises:
        SubmissionError: no submission found, a bad roster, an unknown ``regrade`` student.
        SandboxError: ``isolation="sandbox"`` where bubblewrap cannot run.
        GradebookError: ``nbgrader`` holds no gradebook, or one of another course.
        CourseError: an unknown assignment.
    """
    course = course if course is not None else load_course()
    if nbgrader is not None:
        gradebook_path(nbgrader)  # before grading, so a wrong folder costs nothing
    level = choose_isolation(isolation)
    if level.level != "sandbox":
        notes = "; ".join(level.notes)
        error_console.print(f"[bold yellow]warning:[/] student code runs at the weaker 'process' isolation level: {escape(notes)}", soft_wrap=True)
    options = {
        "out": out, "assignments": list(assignments) or None, "jobs": jobs, "isolation": isolation,
        "regrade": regrade, "roster": roster, "course": course, "test_time_limit": test_time_limit,
    }
    if json_output:
        results = grade_all(submissions, **options)
        if nbgrader is not None:
            write_gradebook(results, course_root=nbgrader, course=course)
        print(json.dumps([result.to_json() for result in results], indent=2))
        return results
    results = _grade_with_progress(submissions, options, heading=f"into {out} (isolation: {level.level})")
    print_table(summary_table(results, course=course))
    for result in results:
        for problem in result.problems:
            console.print(f"[bold red]{escape(result.student)}[/]: {escape(problem)}", soft_wrap=True)
        for assignment in result.assignments:
            for problem in assignment.problems:
                console.print(f"[bold red]{escape(result.student)}[/] {assignment.id}: {escape(problem)}", soft_wrap=True)
    if nbgrader is not None:
        written = write_gradebook(results, course_root=nbgrader, course=course)
        console.print(
            f"nbgrader gradebook {written.path}: {written.cells} check cells of {written.submissions} submissions scored "
            f"({written.added} submissions new to it); `nbgrader export` there gives the final grades"
        )
    out = Path(out)
    console.print(f"Results in {out / 'results'}, grades in {out / 'grades.csv'}, feedback in {out / 'feedback'}, Gradescope files in {out / 'gradescope'}")
    return results


def _grade_with_progress(submissions: Sequence[str | Path], options: dict, *, heading: str) -> list[SubmissionResult]:
    def announce(count: int) -> None:
        console.print(f"Grading {count} submission{'s' * (count != 1)} {heading}", markup=False)

    if plain_output():
        def on_result(result: SubmissionResult, kept: bool) -> None:
            how = "kept from the last run" if kept else f"{result.seconds:.1f} s"
            console.print(f"graded {result.student}: {format_points(result.points)} / {format_points(result.max_points)} ({how})", markup=False)

        return grade_all(submissions, on_start=announce, on_result=on_result, **options)
    columns = (TextColumn("[bold]grading"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.description}"), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=True) as progress:
        bar = progress.add_task("", total=None)

        def on_start(count: int) -> None:
            announce(count)
            progress.update(bar, total=count)

        def on_result(result: SubmissionResult, kept: bool) -> None:
            progress.update(bar, advance=1, description=escape(result.student))

        return grade_all(submissions, on_start=on_start, on_result=on_result, **options)
