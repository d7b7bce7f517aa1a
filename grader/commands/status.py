"""``course status``: the whole course at a glance.

One row per assignment: its due date and how far away it is, how many of
its checked tasks pass the public tests, the points those tasks are worth
(earned / possible), and the points graded by hand. The public checks are
a student's own feedback, not the grade: hidden tests decide the score.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone, tzinfo
from pathlib import Path
from typing import Any

from rich.table import Table

from ..checking import CheckReport, TaskStatus, run_checks
from ..console import console
from ..course import Assignment, Course, load_course


@dataclass(frozen=True)
class AssignmentStatus:
    """Where one assignment stands."""

    assignment: Assignment
    """The assignment as course.toml describes it."""
    tasks_passed: int
    """Checked (non-manual) tasks whose public tests all pass."""
    tasks_checked: int
    """Checked (non-manual) tasks."""
    points_earned: int | float
    """Points of the tasks that pass."""
    points_checked: int | float
    """Points of all checked tasks."""
    points_by_hand: int | float
    """Points of the written answers, graded by a person."""
    due_in: timedelta
    """Due date minus now: negative once overdue."""

    def to_json(self) -> dict[str, Any]:
        """The row as plain JSON types."""
        return {
            "assignment": self.assignment.id,
            "due": self.assignment.due.isoformat(),
            "due_in_seconds": self.due_in.total_seconds(),
            "tasks_passed": self.tasks_passed,
            "tasks_checked": self.tasks_checked,
            "points_earned": self.points_earned,
            "points_checked": self.points_checked,
            "points_by_hand": self.points_by_hand,
        }


def main(
    *,
    impl: str | Path | None = None,
    now: datetime | None = None,
    json_output: bool = False,
    course: Course | None = None,
) -> list[AssignmentStatus]:
    """Check every assignment of the tree ``impl`` (default assignments/) and print the overview.

    Args:
        now: the moment due dates are measured from (default: the current time); must have a timezone.

    Raises:
        ValueError: ``now`` has no timezone.
        CourseError: the tree does not exist.
    """
    course = course if course is not None else load_course()
    now = now if now is not None else datetime.now(timezone.utc)
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError(f"now={now.isoformat()} has no timezone; pass an aware datetime")
    report = run_checks(impl, course=course)
    rows = statuses(report, course=course, now=now)
    if json_output:
        print(json.dumps({"tree": str(report.tree), "now": now.isoformat(), "assignments": [row.to_json() for row in rows]}, indent=2))
    else:
        show(rows, tree=report.tree, zone=course.zone)
    return rows


def statuses(report: CheckReport, *, course: Course, now: datetime) -> list[AssignmentStatus]:
    """One AssignmentStatus per assignment of the course, from a report of all its checks."""
    rows = []
    for assignment in course.assignments:
        results = report.for_assignment(assignment.id)
        passing = [result for result in results if result.status is TaskStatus.PASSED]
        rows.append(
            AssignmentStatus(
                assignment=assignment,
                tasks_passed=len(passing),
                tasks_checked=len(results),
                points_earned=sum(result.task.points for result in passing),
                points_checked=sum(result.task.points for result in results),
                points_by_hand=sum(task.points for task in assignment.tasks if task.manual),
                due_in=assignment.due - now,
            )
        )
    return rows


def show(rows: list[AssignmentStatus], *, tree: Path, zone: tzinfo) -> None:
    """Print the overview table and a line with the totals."""
    table = Table(title=f"Course status of {tree}", title_justify="left")
    table.add_column("assignment", no_wrap=True)
    table.add_column(f"due ({zone})", no_wrap=True)
    table.add_column("", no_wrap=True)
    table.add_column("tasks", justify="right", no_wrap=True)
    table.add_column("points", justify="right", no_wrap=True)
    table.add_column("by hand", justify="right", no_wrap=True)
    for row in rows:
        done = row.tasks_checked > 0 and row.tasks_passed == row.tasks_checked
        style = "green" if done else ("red" if row.due_in < timedelta(0) else "")
        table.add_row(
            row.assignment.id,
            row.assignment.due.astimezone(zone).strftime("%Y-%m-%d %H:%M"),
            due_text(row.due_in),
            f"[{style}]{row.tasks_passed}/{row.tasks_checked}[/]" if style else f"{row.tasks_passed}/{row.tasks_checked}",
            f"{row.points_earned:g}/{row.points_checked:g}",
            f"{row.points_by_hand:g}",
        )
    console.print(table)
    earned = sum(row.points_earned for row in rows)
    checked = sum(row.points_checked for row in rows)
    by_hand = sum(row.points_by_hand for row in rows)
    console.print(f"{earned:g} of {checked:g} points pass the public checks; {by_hand:g} more are graded by hand. Hidden tests decide the grade.")


def due_text(due_in: timedelta) -> str:
    """``"in 3 days"``, ``"in 5 hours"``, ``"2 days overdue"``: how far a due date is from now (whole units, rounded down)."""
    seconds = due_in.total_seconds()
    span = abs(seconds)
    if span >= 2 * 86400:
        amount = _count(int(span // 86400), "day")
    elif span >= 3600:
        amount = _count(int(span // 3600), "hour")
    else:
        amount = _count(int(span // 60), "minute")
    return f"in {amount}" if seconds > 0 else f"{amount} overdue"


def _count(number: int, unit: str) -> str:
    return f"{number} {unit}" if number == 1 else f"{number} {unit}s"

