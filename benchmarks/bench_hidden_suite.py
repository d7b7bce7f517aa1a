"""Benchmark: the whole hidden suite against the reference solutions, in one fresh process (a script, not a test).

    python benchmarks/bench_hidden_suite.py [--impl solutions] [--check] [--json]

Runs ``pytest tests/hidden --impl solutions`` as a grader would (a new
process, so the figure includes importing torch and collecting the suite) and
prints the wall time, the CPU time, and the seconds spent in each
assignment's tests (setup, call and teardown, as pytest's JUnit report counts them). With ``--check`` it exits 1 when a test fails or the wall
time is over the target; CI runs it that way.

Target: under 60 s on 2 CPU cores. The suite runs one torch thread
per test (the ``single_thread`` fixture), so a second core helps only the
process around it; the time is a one-core figure.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ElementTree
from collections import defaultdict
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parent.parent
TARGET_SECONDS = 60.0


def run(impl: str) -> dict:
    """Run the hidden suite on ``impl``; wall and CPU seconds, test counts and seconds per file."""
    with tempfile.TemporaryDirectory() as scratch:
        report = Path(scratch) / "junit.xml"
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        completed = subprocess.run(
            [sys.executable, "-m", "pytest", "tests/hidden", "--impl", impl, "-q", "--tb=line", "-p", "no:cacheprovider",
             f"--junitxml={report}", "-o", "junit_family=xunit2"],
            cwd=REPOSITORY, capture_output=True, text=True,
        )
        wall = time.perf_counter() - started
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        per_file: dict[str, dict[str, float]] = defaultdict(lambda: {"tests": 0, "failed": 0, "seconds": 0.0})
        for case in ElementTree.parse(report).getroot().iter("testcase"):
            name = case.get("classname", "").split(".")[-1] + ".py"
            per_file[name]["tests"] += 1
            per_file[name]["seconds"] += float(case.get("time") or 0.0)
            per_file[name]["failed"] += any(child.tag in ("failure", "error") for child in case)
    return {
        "impl": impl,
        "wall_seconds": round(wall, 2),
        "cpu_seconds": round((after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime), 2),
        "exit_code": completed.returncode,
        "files": {name: {**figures, "seconds": round(figures["seconds"], 2)} for name, figures in sorted(per_file.items())},
        "tail": completed.stdout.strip().splitlines()[-1:] if completed.stdout.strip() else [],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--impl", default="solutions", help="the tree to run the suite on (default: solutions)")
    parser.add_argument("--check", action="store_true", help=f"exit 1 when a test fails or the run takes over {TARGET_SECONDS:g} s")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    arguments = parser.parse_args()
    result = run(arguments.impl)
    if arguments.json:
        print(json.dumps(result, indent=2))
    else:
        print(f"hidden suite on {result['impl']}: {result['wall_seconds']:.1f} s wall, {result['cpu_seconds']:.1f} s CPU "
              f"(target: under {TARGET_SECONDS:g} s); pytest: {' '.join(result['tail'])}")
        in_tests = sum(figures["seconds"] for figures in result["files"].values())
        print(f"of which in the tests themselves: {in_tests:.1f} s (the rest: starting Python, importing torch, collecting)")
        print(f"{'file':28} {'tests':>6} {'failed':>6} {'test s':>8}")
        for name, figures in result["files"].items():
            print(f"{name:28} {figures['tests']:>6} {figures['failed']:>6} {figures['seconds']:>8.2f}")
    if arguments.check and (result["exit_code"] != 0 or result["wall_seconds"] >= TARGET_SECONDS):
        print(f"check failed: exit code {result['exit_code']}, {result['wall_seconds']:.1f} s against a target of {TARGET_SECONDS:g} s", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
