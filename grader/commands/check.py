"""``course check``: run the public tests on a tree and show, per assignment, where each task stands.

One table per assignment (task, name, points, status, tests passed, and
what went wrong with its hint), then a summary line. Tasks graded by hand
are listed without a status. ``--json`` prints the report as JSON instead.
The CLI exits 0 only when every checked task passed.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path

from rich.markup import escape
from rich.table import Table

from ..checking import CheckReport, TaskResult, TaskStatus, run_checks
from ..console import console
from ..course import Assignment, Course, load_course

STATUS_STYLES = {
    TaskStatus.PASSED: "green",
    TaskStatus.FAILED: "red",
    TaskStatus.NOT_STARTED: "dim",
    TaskStatus.ERROR: "bold red",
}


def main(
    *,
    assignments: Sequence[str] = (),
    impl: str | Path | None = None,
    json_output: bool = False,
    course: Course | None = None,
) -> CheckReport:
    """Check ``assignments`` (all when empty) of the tree ``impl`` (default assignments/) and print the result.

    Raises:
        CourseError: an unknown assignment (the message lists the known ones),
            or a tree that does not exist.
    """
    course = course if course is not None else load_course()
    report = run_checks(impl, assignments=list(assignments) or None, course=course)
    if json_output:
        print(json.dumps(report.to_json(), indent=2))
    else:
        show(report, course=course)
    return report


def show(report: CheckReport, *, course: Course) -> None:
    """Print one table per assignment of ``report`` and a summary line."""
    console.print(f"Public checks of {report.tree}")
    for assignment in course.assignments:
        results = report.for_assignment(assignment.id)
        if results:
            console.print(assignment_table(assignment, results))
    console.print(summary(report))


def assignment_table(assignment: Assignment, results: list[TaskResult]) -> Table:
    """The rows of one assignment: its checked tasks, then the tasks graded by hand."""
    table = task_table(assignment, results, note=_problem, note_heading="what went wrong")
    for task in assignment.tasks:
        if task.manual:
            table.add_row(task.id, escape(task.name), f"{task.points:g}", "[dim]by hand[/]", "-", "[dim]written answers[/]")
    return table


def task_table(assignment: Assignment, results: list[TaskResult], *, note: Callable[[TaskResult], str], note_heading: str) -> Table:
    """One row per checked task: id, name, points, status, tests passed, and ``note(result)`` (rich markup) last.

    A module that cannot be imported fails every task the same way: a note equal to the row above shows as
    "(same as above)".
    """
    passed = sum(result.status is TaskStatus.PASSED for result in results)
    table = Table(title=f"{assignment.id}: {assignment.title} ({passed}/{len(results)} tasks passed)", title_justify="left")
    table.add_column("task", no_wrap=True)
    table.add_column("name", overflow="fold")
    table.add_column("points", justify="right", no_wrap=True)
    table.add_column("status", no_wrap=True)
    table.add_column("tests", justify="right", no_wrap=True)
    table.add_column(note_heading, ratio=1, overflow="fold")
    previous = ""
    for result in results:
        shown = note(result)
        table.add_row(
            result.task.id,
            escape(result.task.name),
            f"{result.task.points:g}",
            f"[{STATUS_STYLES[result.status]}]{result.status.value}[/]",
            f"{result.passed}/{result.total}",
            "[dim](same as above)[/]" if shown and shown == previous else shown,
        )
        previous = shown
    return table


def _problem(result: TaskResult) -> str:
    """What went wrong with a task and its hint, escaped for rich; empty when it passed."""
    return escape("\n".join(line for line in (result.message, f"Hint: {result.hint}" if result.hint else "") if line))


def summary(report: CheckReport) -> str:
    """One line: how many tasks passed, and how many did not, by status."""
    counts = {status: sum(result.status is status for result in report.results) for status in TaskStatus}
    line = f"{counts[TaskStatus.PASSED]} of {len(report.results)} tasks passed"
    labels = {TaskStatus.FAILED: "failed", TaskStatus.NOT_STARTED: "not started", TaskStatus.ERROR: "with errors"}
    others = [f"{counts[status]} {label}" for status, label in labels.items() if counts[status]]
    return line + (f" ({', '.join(others)})" if others else "")
