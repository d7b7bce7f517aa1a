"""Run the grading suites (public and hidden) on one tree and write the report as JSON.

    python -m grader.suite_run --tree DIR --assignment a3 --out report.json [--test-time-limit 60]

``course audit`` runs ``run`` in a process of its own per tree (forked from a
server that has torch and pytest imported already, see grader/audit.py), so
that trees run side by side and one that hangs or crashes takes nothing else
with it. The report is ``CheckReport.to_json()``: one result per task and
one record per test, with the student-facing message of each failure. It is
written atomically; a run that dies writes nothing, and the parent says so.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from .atomic import atomic_write_json
from .checking import GRADING_SUITES, run_checks

PRELOAD = ("torch", "torch._meta_registrations", "torch._dynamo", "numpy", "pytest", "hypothesis", "grader.suite_run")
"""Modules a process that will run many trees imports once, before it forks them. The suites'
first tensor on the "meta" device, or first optimizer, makes torch import the middle two: a second each."""


def run(*, tree: str | Path, assignments: Sequence[str], out: str | Path, test_time_limit: float | None = None) -> None:
    """Run the grading suites of ``assignments`` on ``tree`` and write the report to ``out``."""
    report = run_checks(tree, assignments=list(assignments), suites=GRADING_SUITES, test_time_limit=test_time_limit)
    atomic_write_json(Path(out), report.to_json())


def run_in_child(*, tree: str | Path, assignments: Sequence[str], out: str | Path, log: str | Path, test_time_limit: float | None) -> None:
    """``run`` as the body of a worker process: its own session (so the parent can kill all it
    starts), one torch thread (workers share the cores), and its output in ``log``."""
    os.setsid()
    import torch

    torch.set_num_threads(1)
    with open(log, "w", encoding="utf-8") as stream:
        os.dup2(stream.fileno(), sys.stdout.fileno())
        os.dup2(stream.fileno(), sys.stderr.fileno())
    run(tree=tree, assignments=assignments, out=out, test_time_limit=test_time_limit)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m grader.suite_run", description=__doc__.splitlines()[0])
    parser.add_argument("--tree", required=True, help="the code under test: a folder laid out like solutions/")
    parser.add_argument("--assignment", action="append", required=True, help="assignment to run (repeatable)")
    parser.add_argument("--out", required=True, help="where to write the JSON report")
    parser.add_argument("--test-time-limit", type=float, default=None, help="seconds one test may run")
    arguments = parser.parse_args(argv)
    run(tree=arguments.tree, assignments=arguments.assignment, out=arguments.out, test_time_limit=arguments.test_time_limit)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
