"""``course audit``: prove that the grading suites catch realistic bugs and accept correct code.

The audit runs the public and hidden suites (``GRADING_SUITES``) on:

- the reference (``solutions/``): every task must keep full marks;
- the stubs (``assignments/``): every task must be "not started", failing
  with its stub's ``NotImplementedError``, so a student who did nothing gets 0;
- every entry of a catalogue (grader/catalogue.py), each applied to a copy of
  the reference: a *mutant* must lose points in its own task, an
  *alternative* must keep full marks.

Each tree runs in a worker process of its own (``grader.suite_run``), several
at once, under a time limit per test and per tree, so an entry that hangs or
crashes is a failed row, not a hung audit. Workers are forked from a server
process that imported torch and pytest once (multiprocessing's
"forkserver"), which halves an entry's time. A worker's report is JSON, read
with ``json``; nothing is unpickled.

Every failure message of every run is also searched for the lines of the
hidden suites (``grader.leaks.hidden_test_lines``): a message that quotes
hidden test code fails its row, whatever the points.

Only the tasks of an entry's own assignment run for it: grading scores each
assignment on its own tasks, and that is where an entry must show.
"""

from __future__ import annotations

import enum
import os
import tempfile
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .catalogue import CatalogueEntry, CatalogueError, build_tree, load_catalogue
from .course import Assignment, Course, load_course
from .forked import run_child, worker_context
from .leaks import hidden_test_lines
from .paths import ASSIGNMENTS, MUTANTS, REPOSITORY, SOLUTIONS
from .suite_run import PRELOAD, run_in_child

TEST_TIME_LIMIT = 60.0
"""Seconds one test may run in an audit (the slowest hidden test takes about 2 s)."""
TREE_TIME_LIMIT = 600.0
"""Seconds one worker may run in all (a whole assignment, collection included)."""


class RowKind(str, enum.Enum):
    """What an audited tree is, and so what it must score."""

    REFERENCE = "reference"
    """solutions/: full marks."""
    STUBS = "stubs"
    """assignments/: every task not started."""
    MUTANT = "mutant"
    """A catalogue bug: points lost in its own task."""
    ALTERNATIVE = "alternative"
    """Correct code written differently: full marks."""


@dataclass(frozen=True)
class AuditRow:
    """The verdict on one tree and one assignment."""

    name: str
    """``solutions``, ``assignments``, or the entry's ``a3_attention/no_scaling``."""
    kind: RowKind
    """What the tree is (see RowKind)."""
    assignment: Assignment
    """The assignment whose suites ran."""
    task: str | None
    """The entry's task (``"3.3"``); None for the reference and the stubs."""
    description: str
    """One line on what the tree is."""
    lost: tuple[str, ...]
    """Ids of the tasks that did not keep full marks (for the stubs: that are not "not started")."""
    problem: str
    """Why the row fails the audit; empty when it passes."""
    seconds: float
    """Wall time of its worker."""
    leaks: tuple[str, ...] = ()
    """Hidden test lines found in its failure messages, as ``origin: line``."""

    @property
    def ok(self) -> bool:
        """True when the tree scored what it must and no message quoted the hidden suites."""
        return not self.problem

    def to_json(self) -> dict[str, Any]:
        """The row as plain JSON types."""
        return {
            "name": self.name,
            "kind": self.kind.value,
            "assignment": self.assignment.id,
            "task": self.task,
            "description": self.description,
            "lost": list(self.lost),
            "ok": self.ok,
            "problem": self.problem,
            "seconds": round(self.seconds, 2),
            "leaks": list(self.leaks),
        }


@dataclass(frozen=True)
class AuditTarget:
    """One tree and assignment to audit, and what it must score."""

    name: str
    """``solutions``, ``assignments``, or the entry's ``a3_attention/no_scaling``."""
    kind: RowKind
    """What the tree is, and so what it must score."""
    assignment: Assignment
    """The assignment whose suites run."""
    description: str
    """One line on what the tree is."""
    entry: CatalogueEntry | None = None
    """The catalogue entry to apply to the reference; None for a baseline."""
    tree: Path | None = None
    """The tree of a baseline; None for an entry (built from the reference)."""

    @property
    def task(self) -> str | None:
        """The entry's task (``"3.3"``); None for a baseline."""
        return self.entry.task.id if self.entry is not None else None

    def row(self, *, lost: tuple[str, ...], problem: str, seconds: float, leaks: tuple[str, ...] = ()) -> AuditRow:
        """The verdict on this target."""
        return AuditRow(self.name, self.kind, self.assignment, self.task, self.description, lost, problem, seconds, leaks)


def plan(
    *,
    catalogue: str | Path = MUTANTS,
    assignments: Sequence[str] = (),
    only: Sequence[str] = (),
    baselines: bool = True,
    course: Course | None = None,
) -> list[AuditTarget]:
    """What an audit runs: the baselines first, then the catalogue's entries in course order.

    Args:
        catalogue: a folder laid out like tests/mutants (one folder per assignment).
        assignments: restrict to these assignments ("a3", "a3_attention"); all when empty.
        only: restrict the entries to these names (``a3_attention/no_scaling``, or
            just ``no_scaling``); the baselines stay unless ``baselines`` is False.
        baselines: also audit solutions/ (full marks) and assignments/ (not started).

    Raises:
        CatalogueError: the catalogue cannot be read, or ``only`` names no entry.
        CourseError: an unknown assignment.
    """
    course = course if course is not None else load_course()
    chosen = [course.assignment(name) for name in assignments] if assignments else list(course.assignments)
    chosen_ids = {record.id for record in chosen}
    entries = [entry for entry in load_catalogue(catalogue, course=course) if entry.assignment.id in chosen_ids]
    if only:
        wanted = set(only)
        entries = [entry for entry in entries if entry.name in wanted or entry.path.stem in wanted]
        unknown = wanted - {entry.name for entry in entries} - {entry.path.stem for entry in entries}
        if unknown:
            raise CatalogueError(f"no catalogue entry named {', '.join(sorted(unknown))} in {catalogue}")
    targets: list[AuditTarget] = []
    if baselines:
        targets += [AuditTarget("solutions", RowKind.REFERENCE, record, "the reference solutions", tree=SOLUTIONS) for record in chosen]
        targets += [AuditTarget("assignments", RowKind.STUBS, record, "the stubs students start from", tree=ASSIGNMENTS) for record in chosen]
    targets += [AuditTarget(entry.name, RowKind(entry.kind.value), entry.assignment, entry.description, entry=entry) for entry in entries]
    return targets


def run_audit(
    targets: Sequence[AuditTarget],
    *,
    jobs: int | None = None,
    test_time_limit: float = TEST_TIME_LIMIT,
    tree_time_limit: float = TREE_TIME_LIMIT,
    on_row: Callable[[AuditRow], None] | None = None,
) -> list[AuditRow]:
    """Run the grading suites on every target, ``jobs`` workers at once (default: the CPU cores),
    and judge each; ``on_row`` sees each row as it completes. Returns the rows in the order of ``targets``."""
    hidden_lines = hidden_test_lines(REPOSITORY)
    rows: dict[int, AuditRow] = {}
    with tempfile.TemporaryDirectory(prefix="course-audit-") as scratch:
        run = _Runner(Path(scratch), test_time_limit=test_time_limit, tree_time_limit=tree_time_limit, hidden_lines=hidden_lines)
        with ThreadPoolExecutor(max_workers=jobs or os.cpu_count() or 1) as pool:
            futures = {pool.submit(run, index, target): index for index, target in enumerate(targets)}
            for future in as_completed(futures):
                row = future.result()
                rows[futures[future]] = row
                if on_row is not None:
                    on_row(row)
    return [rows[index] for index in range(len(targets))]


class _Runner:
    """Runs one job in a worker process and judges its report."""

    def __init__(self, scratch: Path, *, test_time_limit: float, tree_time_limit: float, hidden_lines: dict[str, str]) -> None:
        self.context = worker_context(PRELOAD)
        self.scratch = scratch
        self.test_time_limit = test_time_limit
        self.tree_time_limit = tree_time_limit
        self.hidden_lines = hidden_lines

    def __call__(self, index: int, target: AuditTarget) -> AuditRow:
        started = time.perf_counter()
        folder = self.scratch / f"{index:03d}"
        folder.mkdir()
        try:
            tree = target.tree if target.tree is not None else build_tree(target.entry, folder / "tree")
            report, failure = self._run_worker(tree, target.assignment, folder)
        except Exception as error:  # a broken entry is a failed row, not a failed audit
            report, failure = None, f"{type(error).__name__}: {error}"
        seconds = time.perf_counter() - started
        if report is None:
            return target.row(lost=(), problem=failure, seconds=seconds)
        return judge(target, report, seconds=seconds, hidden_lines=self.hidden_lines)

    def _run_worker(self, tree: Path, assignment: Assignment, folder: Path) -> tuple[dict | None, str]:
        """The worker's JSON report, or None and why there is none."""
        kwargs = {"tree": str(tree), "assignments": [assignment.id], "out": str(folder / "report.json"),
                  "log": str(folder / "worker.log"), "test_time_limit": self.test_time_limit}
        return run_child(
            self.context, run_in_child, kwargs, out=folder / "report.json", log=folder / "worker.log", time_limit=self.tree_time_limit
        )


def judge(target: AuditTarget, report: dict[str, Any], *, seconds: float, hidden_lines: dict[str, str]) -> AuditRow:
    """The verdict on one worker report (``CheckReport.to_json()``), by what the target must score."""
    results = report["results"]
    expected_status = "not started" if target.kind is RowKind.STUBS else "passed"
    lost = tuple(result["task"] for result in results if result["status"] != expected_status)
    messages = [test["message"] for test in report["tests"] if test["message"]]
    leaks = tuple(sorted({f"{origin}: {line}" for message in messages for line, origin in hidden_lines.items() if line in message}))
    problem = _problem(target.kind, target.task, lost, results)
    if leaks:
        problem = (problem + "; " if problem else "") + f"{len(leaks)} hidden test line(s) quoted in failure messages"
    return target.row(lost=lost, problem=problem, seconds=seconds, leaks=leaks)


def _problem(kind: RowKind, task: str | None, lost: tuple[str, ...], results: list[dict[str, Any]]) -> str:
    """Why a row with these lost tasks fails the audit, or ``""``."""
    first = next((result for result in results if result["task"] in lost), None)
    why = f"Task {first['task']} is {first['status']}: {first['message']}" if first else ""
    if kind is RowKind.MUTANT:
        own = next((result for result in results if result["task"] == task), None)
        if own is not None and own["status"] == "error":
            # An import error or a missing suite loses every point, and proves nothing about the tests.
            return f"the suites could not run on it: {own['message']}"
        if task in lost:
            return ""
        return f"not caught: every test of Task {task} passes" + (f" (it loses points only in {', '.join(lost)})" if lost else "")
    if kind is RowKind.STUBS:
        return f"a stub should fail cleanly as not started; {why}" if lost else ""
    return f"loses points: {why}" if lost else ""


def summary(rows: Sequence[AuditRow]) -> str:
    """``"41 mutants caught, 16 alternatives kept full marks, 14 baselines as expected; 0 problems"``."""
    def count(kind: RowKind) -> int:
        return sum(row.ok for row in rows if row.kind is kind)

    baselines = count(RowKind.REFERENCE) + count(RowKind.STUBS)
    failed = sum(not row.ok for row in rows)
    return (
        f"{count(RowKind.MUTANT)} mutants caught in their own task, "
        f"{count(RowKind.ALTERNATIVE)} alternatives kept full marks, "
        f"{baselines} baselines as expected; {failed} problem{'s' if failed != 1 else ''}"
    )
