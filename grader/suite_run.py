"""Run the grading suites (public and hidden) on one tree, in a worker process, and write the report as JSON.

``course audit`` runs ``run_in_child`` in a process of its own per tree
(forked from a server that has imported ``PRELOAD`` already, see
grader/audit.py), so that trees run side by side and one that hangs or
crashes takes nothing else with it. The report is ``CheckReport.to_json()``:
one result per task and one record per test, with the student-facing message
of each failure. It is written atomically; a run that dies writes nothing,
and the parent says so.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from .atomic import atomic_write_json
from .checking import GRADING_SUITES, run_checks
from .forked import become_child

PRELOAD = ("torch", "torch._meta_registrations", "torch._dynamo", "numpy", "pytest", "hypothesis", "grader.suite_run")
"""Modules a process that will run many trees imports once, before it forks them. The suites'
first tensor on the "meta" device, or first optimizer, makes torch import the middle two: a second each."""


def run_in_child(*, tree: str | Path, assignments: Sequence[str], out: str | Path, log: str | Path, test_time_limit: float | None) -> None:
    """The body of a worker process: run the grading suites of ``assignments`` on ``tree`` and write the
    report to ``out`` (the process set up by ``become_child``, output in ``log``)."""
    become_child(log)
    report = run_checks(tree, assignments=list(assignments), suites=GRADING_SUITES, test_time_limit=test_time_limit)
    atomic_write_json(Path(out), report.to_json())
