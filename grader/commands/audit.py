"""``course audit``: run the grading suites on the baselines and every catalogue entry; one table of verdicts.

The table has one row per tree and assignment: what it is, its task, the
tasks that lost points, the verdict and its time. A progress bar counts the
workers as they finish (a line per row when the output is not a terminal).
``--json`` prints the rows as JSON. The CLI exits 0 only when every row
passes: the reference keeps full marks, the stubs are "not started", each
mutant loses points in its own task, each alternative keeps full marks, and
no failure message quotes the hidden suites.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from ..audit import AuditRow, AuditTarget, RowKind, plan, run_audit, summary
from ..console import console, plain_output
from ..course import Course
from ..paths import MUTANTS

VERDICTS = {
    RowKind.REFERENCE: ("full marks", "lost points"),
    RowKind.STUBS: ("not started", "unclean failure"),
    RowKind.MUTANT: ("caught", "missed"),
    RowKind.ALTERNATIVE: ("full marks", "lost points"),
}


def main(
    *,
    assignments: Sequence[str] = (),
    mutants: str | Path | None = None,
    only: Sequence[str] = (),
    jobs: int | None = None,
    json_output: bool = False,
    course: Course | None = None,
) -> list[AuditRow]:
    """Audit the suites (see grader/audit.py) and print the verdicts; returns the rows.

    Raises:
        CatalogueError: the catalogue cannot be read, or ``only`` names no entry.
        CourseError: an unknown assignment.
    """
    catalogue = Path(mutants) if mutants is not None else MUTANTS
    targets = plan(catalogue=catalogue, assignments=assignments, only=only, course=course)
    if json_output:
        rows = run_audit(targets, jobs=jobs)
        print(json.dumps({"ok": all(row.ok for row in rows), "summary": summary(rows), "rows": [row.to_json() for row in rows]}, indent=2))
        return rows
    entries = sum(target.entry is not None for target in targets)
    console.print(f"Auditing the grading suites with {entries} entries of the catalogue in {catalogue}, and the baselines")
    rows = _audit_with_progress(targets, jobs=jobs)
    console.print(table(rows))
    for row in rows:
        if not row.ok:
            console.print(f"[bold red]{escape(_label(row))}[/]: {escape(row.problem)}", soft_wrap=True)
        for leak in row.leaks:
            console.print(f"  quoted: {escape(leak)}", soft_wrap=True)
    console.print(summary(rows))
    return rows


def _audit_with_progress(targets: Sequence[AuditTarget], *, jobs: int | None) -> list[AuditRow]:
    if plain_output():
        def on_row(row: AuditRow) -> None:
            console.print(f"{'ok  ' if row.ok else 'FAIL'} {_label(row)} {row.seconds:.1f} s", markup=False)

        return run_audit(targets, jobs=jobs, on_row=on_row)
    with Progress(TextColumn("[bold]audit"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=console, transient=True) as progress:
        total = progress.add_task("audit", total=len(targets))

        def on_row(row: AuditRow) -> None:
            progress.advance(total)

        return run_audit(targets, jobs=jobs, on_row=on_row)


def table(rows: Sequence[AuditRow]) -> Table:
    """One row per audited tree: kind, name, task, the tasks that lost points, the verdict, seconds.

    Why a row failed is printed below the table, where a long message has room.
    """
    grid = Table(title="Grading suites against the catalogue", title_justify="left")
    grid.add_column("kind")
    grid.add_column("tree", overflow="fold")
    grid.add_column("task", justify="right")
    grid.add_column("lost points in")
    grid.add_column("verdict")
    grid.add_column("s", justify="right")
    for row in rows:
        good, bad = VERDICTS[row.kind]
        verdict = f"[green]{good}[/]" if row.ok else f"[bold red]{bad}[/]"
        grid.add_row(row.kind.value, escape(_label(row)), row.task or "", ", ".join(row.lost) or "-", verdict, f"{row.seconds:.1f}")
    return grid


def _label(row: AuditRow) -> str:
    """The entry's name, or the baseline's tree with its assignment: ``solutions (a3_attention)``."""
    return row.name if row.kind in (RowKind.MUTANT, RowKind.ALTERNATIVE) else f"{row.name} ({row.assignment.id})"
