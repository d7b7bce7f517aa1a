"""Run the grading suites (public and hidden) on one tree in this process and write the report as JSON.

    python -m grader.suite_run --tree DIR --assignment a3 --out report.json [--test-time-limit 60]

``course audit`` starts one of these per tree it audits, so that trees run
side by side and a tree that hangs or crashes takes nothing else with it.
The report is ``CheckReport.to_json()``: one result per task and one record
per test, with the student-facing message of each failure. It is written
atomically; a run that dies writes nothing, and the parent says so.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from .atomic import atomic_write_json
from .checking import GRADING_SUITES, run_checks


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m grader.suite_run", description=__doc__.splitlines()[0])
    parser.add_argument("--tree", required=True, help="the code under test: a folder laid out like solutions/")
    parser.add_argument("--assignment", action="append", required=True, help="assignment to run (repeatable)")
    parser.add_argument("--out", required=True, help="where to write the JSON report")
    parser.add_argument("--test-time-limit", type=float, default=None, help="seconds one test may run")
    arguments = parser.parse_args(argv)
    report = run_checks(arguments.tree, assignments=arguments.assignment, suites=GRADING_SUITES, test_time_limit=arguments.test_time_limit)
    atomic_write_json(Path(arguments.out), report.to_json())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
