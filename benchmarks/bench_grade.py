"""Benchmark: seconds per submission for `course grade`, against nbgrader autograde of the same work (a script, not a test).

    python benchmarks/bench_grade.py [--copies 4] [--skip-nbgrader] [--json]

The submission is examples/submissions/perfect: every assignment of the
course at reference quality. The figures:

- ``course grade`` with ``--jobs 1`` and ``--jobs 2`` on a class of
  ``--copies`` copies of it (public and hidden suites, student code in the
  sandbox): the wall time of the whole command over the number of copies;
- nbgrader: a course folder made from solutions/ with nbgrader_config.py,
  ``nbgrader generate_assignment``, then ``nbgrader autograde`` of each
  assignment for one student whose submission is the released notebooks
  plus the reference .py files. nbgrader runs each notebook top to bottom in
  a kernel (its check cells run the public suite in-process, and the a7
  notebook trains a small model), one notebook at a time; that is what it
  costs to autograde this course with nbgrader. Its time per assignment is
  printed too, so the comparison without a7's training is at hand.

Targets (issue 5): <= 15 s per submission with one job; >= 5x faster than nbgrader.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parent.parent
PERFECT = REPOSITORY / "examples" / "submissions" / "perfect"
TARGET_SECONDS = 15.0
TARGET_SPEEDUP = 5.0


def course_grade(copies: int, jobs: int, scratch: Path) -> dict:
    """Wall seconds of `course grade --jobs N` on ``copies`` copies of the perfect submission, and the points."""
    folder = scratch / f"class-{jobs}"
    for index in range(copies):
        shutil.copytree(PERFECT, folder / f"student{index:02d}")
    out = scratch / f"graded-{jobs}"
    started = time.perf_counter()
    completed = subprocess.run(
        [sys.executable, "-m", "grader", "grade", str(folder), "--out", str(out), "--jobs", str(jobs), "--json"],
        cwd=REPOSITORY, capture_output=True, text=True,
    )
    wall = time.perf_counter() - started
    if completed.returncode != 0:
        raise SystemExit(f"course grade failed:\n{completed.stderr[-3000:]}")
    results = json.loads(completed.stdout)
    return {
        "jobs": jobs,
        "copies": copies,
        "wall_seconds": round(wall, 1),
        "seconds_per_submission": round(wall / copies, 2),
        "points": sorted({result["points"] for result in results}),
        "max_points": results[0]["max_points"],
        "isolation": results[0]["isolation"],
    }


def nbgrader_autograde(scratch: Path) -> dict:
    """Seconds of `nbgrader autograde` per assignment for one student whose work is the reference."""
    root = scratch / "nbgrader-course"
    shutil.copytree(REPOSITORY / "solutions", root / "solutions", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(REPOSITORY / "nbgrader_config.py", root)
    environment = {
        **os.environ,
        # nbgrader makes its gradebook with alembic, found on PATH; datasets go to a scratch cache.
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        "COURSE_DATA_DIR": str(scratch / "data"),
    }

    def nbgrader(*arguments: str) -> float:
        started = time.perf_counter()
        completed = subprocess.run([sys.executable, "-m", "nbgrader", *arguments], cwd=root, env=environment, capture_output=True, text=True)
        if completed.returncode != 0:
            raise SystemExit(f"nbgrader {' '.join(arguments)} failed:\n{completed.stderr[-3000:]}")
        return time.perf_counter() - started

    nbgrader("generate_assignment", "--assignment=*", "--force")
    nbgrader("db", "student", "add", "bench")
    seconds = {}
    for source in sorted((root / "solutions").iterdir()):
        if not (root / "assignments" / source.name).is_dir():
            continue
        submitted = root / "submitted" / "bench" / source.name
        shutil.copytree(root / "assignments" / source.name, submitted)
        for module in source.glob("*.py"):
            shutil.copy(module, submitted)
        seconds[source.name] = round(nbgrader("autograde", source.name, "--student", "bench", "--force"), 1)
    return {"seconds_per_assignment": seconds, "seconds_per_submission": round(sum(seconds.values()), 1)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--copies", type=int, default=4, help="copies of the perfect submission graded per run (default 4)")
    parser.add_argument("--skip-nbgrader", action="store_true", help="time course grade only")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-grade-") as scratch:
        figures = {"course_grade": [course_grade(args.copies, jobs, Path(scratch)) for jobs in (1, 2)]}
        if not args.skip_nbgrader:
            figures["nbgrader"] = nbgrader_autograde(Path(scratch))
    one_job = figures["course_grade"][0]["seconds_per_submission"]
    if "nbgrader" in figures:
        figures["speedup_one_job"] = round(figures["nbgrader"]["seconds_per_submission"] / one_job, 1)
    if args.json:
        print(json.dumps(figures, indent=2))
        return 0
    for run in figures["course_grade"]:
        print(
            f"course grade --jobs {run['jobs']}: {run['seconds_per_submission']:.1f} s per submission "
            f"({run['copies']} submissions in {run['wall_seconds']:.1f} s; points {run['points']} of {run['max_points']}; "
            f"isolation {run['isolation']})"
        )
    print(f"target: <= {TARGET_SECONDS:g} s per submission with one job")
    if "nbgrader" in figures:
        nb = figures["nbgrader"]
        per = ", ".join(f"{name} {seconds:.1f}" for name, seconds in nb["seconds_per_assignment"].items())
        print(f"nbgrader autograde: {nb['seconds_per_submission']:.1f} s per submission ({per})")
        print(f"course grade is {figures['speedup_one_job']:.1f}x faster with one job (target >= {TARGET_SPEEDUP:g}x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
