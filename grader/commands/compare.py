"""``course compare``: the public and hidden tests on your code, each failed task beside the reference.

For self-learners with the full repository (solutions/ and tests/hidden/).
One overview table per assignment (task, name, points, status, tests passed
out of public and hidden together), then, for each failed task:

- what went wrong (the first failing test's message) and which test found it;
- the first comparison that failed, side by side: both values' shapes and
  dtypes, how many entries differ, the first one that does and the largest
  error with where it is, and a small window of both values around the first
  difference, the differing entries highlighted;
- the hint, and the command that prints the task's reference code
  (``course solution 3.3``).

Tasks not started and tasks whose code cannot run (an import error) have no
values to compare: their row says so. ``--json`` prints the report as JSON.
The CLI exits 0 only when every task passes.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from rich.markup import escape
from rich.padding import Padding
from rich.table import Table

from ..checking import TaskResult, TaskStatus
from ..comparison import CompareReport, SideBySide, TaskComparison, Window, compare_tree
from ..console import console, print_table
from ..course import Assignment, Course, load_course
from ..paths import HIDDEN_TESTS, SOLUTIONS
from ..reference_code import require_full_repository
from .check import summary, task_table


def main(
    *,
    assignments: Sequence[str] = (),
    impl: str | Path = "assignments",
    json_output: bool = False,
    course: Course | None = None,
) -> CompareReport:
    """Compare ``assignments`` (all when empty) of the tree ``impl`` with the reference and print the result.

    Raises:
        CourseError: this copy of the course has no solutions/ or tests/hidden/
            (a student release), an unknown assignment, or a tree that does not exist.
    """
    require_full_repository("compare", needs=[SOLUTIONS, HIDDEN_TESTS])
    course = course if course is not None else load_course()
    report = compare_tree(impl, assignments=list(assignments) or None, course=course)
    if json_output:
        print(json.dumps(report.to_json(), indent=2))
    else:
        show(report, course=course)
    return report


def show(report: CompareReport, *, course: Course) -> None:
    """Print the overview tables, the summary line, then each failed task side by side with the reference."""
    console.print(f"Public and hidden checks of {report.check.tree}, compared with the reference solutions", soft_wrap=True)
    for assignment in course.assignments:
        results = report.check.for_assignment(assignment.id)
        if results:
            print_table(overview_table(assignment, results))
    console.print(summary(report.check))
    for comparison in report.comparisons:
        console.print()
        show_task(comparison)


def overview_table(assignment: Assignment, results: list[TaskResult]) -> Table:
    """One row per checked task: its status and tests passed; failed tasks are detailed below the table."""
    return task_table(assignment, results, note=_note, note_heading="note")


def _note(result: TaskResult) -> str:
    return "[dim]side by side below[/]" if result.status is TaskStatus.FAILED else escape(result.message)


def show_task(comparison: TaskComparison) -> None:
    """Print one failed task: its message, the failed comparison side by side, the hint, how to see the reference."""
    result = comparison.result
    console.print(f"[bold]Task {result.task.id} {escape(result.task.name)}[/]: [red]failed[/], {result.passed} of {result.total} tests passed")
    console.print(f"  {escape(result.message)}", soft_wrap=True)
    if comparison.captured is not None and comparison.view is not None:
        console.print(f"  [dim]first failed comparison: {comparison.captured.suite} test {escape(comparison.captured.test)}[/]", soft_wrap=True)
        for line in describe_difference(comparison.view):
            console.print(f"  {escape(line)}", soft_wrap=True)
        if comparison.view.window is not None:
            print_table(Padding(window_tables(comparison.view.window), (0, 0, 0, 2), expand=False))
    else:
        for line in result.details:
            console.print(f"  {escape(line)}", soft_wrap=True)
    if result.hint:
        console.print(f"  [bold]Hint:[/] {escape(result.hint)}", soft_wrap=True)
    console.print(f"  Stuck? [bold]{comparison.solution_command}[/] prints the reference code of this task.")


def describe_difference(view: SideBySide) -> list[str]:
    """The lines above the window: both kinds, then how many entries differ, where first, and the largest error.

    >>> describe_difference(SideBySide("x", "tensor (2,) torch.float32", "tensor (2,) torch.float32",
    ...                                differing=1, total=2, first_index=(1,), max_error=0.5, max_error_index=(1,),
    ...                                tolerance="exact"))
    ['yours:    tensor (2,) torch.float32', 'expected: tensor (2,) torch.float32', '1 of 2 entries differ (exact); first at index (1,); max abs error 5.0e-01 at index (1,)']
    """
    lines = [f"yours:    {view.yours}", f"expected: {view.expected}"]
    facts = []
    if view.differing is not None:
        facts.append(f"{view.differing} of {view.total} entries differ ({view.tolerance})")
    if view.first_index is not None:
        facts.append(f"first at index {view.first_index}")
    if view.max_error is not None:
        facts.append(f"max abs error {view.max_error:.1e} at index {view.max_error_index}")
    if view.window is None and view.yours != view.expected:
        facts.append("the two differ in kind or shape, so there are no entries to put side by side")
    if facts:
        lines.append("; ".join(facts))
    return lines


def window_tables(window: Window) -> Table:
    """The learner's window and the expected one, side by side under their labels; differing entries in bold."""
    grid = Table.grid(padding=(0, 4))
    grid.add_column(no_wrap=True)
    grid.add_column(no_wrap=True)
    grid.add_row(*(f"[bold]{label}[/] {escape(window.title)}".rstrip() for label in ("yours", "expected")))
    grid.add_row(_window_table(window, window.yours, "bold red"), _window_table(window, window.expected, "bold green"))
    return grid


def _window_table(window: Window, cells: tuple[tuple[str, ...], ...], emphasis: str) -> Table:
    table = Table(show_header=window.column_labels != ("",))
    labelled_rows = any(window.row_labels)
    if labelled_rows:
        table.add_column("", style="dim", no_wrap=True)
    for column in window.column_labels:
        table.add_column(escape(column), justify="right", no_wrap=True)
    for row_label, row, differs in zip(window.row_labels, cells, window.differs):
        shown = [f"[{emphasis}]{escape(cell)}[/]" if differ else escape(cell) for cell, differ in zip(row, differs)]
        table.add_row(*([escape(row_label)] if labelled_rows else []), *shown)
    return table
