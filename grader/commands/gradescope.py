"""``course gradescope``: build the Gradescope autograder zip (grader/grading/gradescope.py) and say what it holds.

Prints one row per part of the bundle (the scripts, grader/, the suites, the
reference) with its files, then the zip's path, file count and size::

    course gradescope --out autograder-a2.zip --assignments a2
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from rich.table import Table

from ..console import console
from ..course import Course, load_course
from ..grading.gradescope import BundleReport, build_bundle


def main(*, out: str | Path, assignments: Sequence[str] = (), course: Course | None = None) -> BundleReport:
    """Write the autograder zip for ``assignments`` (every code assignment when empty) to ``out`` and report it.

    Raises:
        CourseError: an unknown assignment, one without code, or ``out`` is a folder.
    """
    course = course if course is not None else load_course()
    report = build_bundle(Path(out), course=course, assignments=list(assignments) or None)
    table = Table(title=f"Gradescope autograder for {', '.join(report.assignments)}", title_justify="left")
    table.add_column("part")
    table.add_column("files", justify="right")
    counts: dict[str, int] = {}
    for name in report.files:
        counts[_part(name)] = counts.get(_part(name), 0) + 1
    for part, count in sorted(counts.items()):
        table.add_row(part, str(count))
    console.print(table)
    console.print(
        f"Wrote {report.out}: {len(report.files)} files, {_size(report.size_bytes)}. Upload it as the autograder "
        "of a Gradescope programming assignment (Configure Autograder > Zip file upload).",
        markup=False,
        soft_wrap=True,
    )
    return report


def _part(name: str) -> str:
    """The part of the bundle a file belongs to: ``tests/hidden/``, ``solutions/``, ``grader/``, ``setup.sh``."""
    parts = name.split("/")
    if len(parts) == 1:
        return name
    depth = 2 if parts[0] == "tests" and len(parts) > 2 else 1
    return "/".join(parts[:depth]) + "/"


def _size(size_bytes: int) -> str:
    """A size as people read it: ``_size(183_500)`` -> ``"179.2 KiB"``."""
    if size_bytes < 1024:
        return f"{size_bytes} bytes"
    if size_bytes < 1024**2:
        return f"{size_bytes / 1024:.1f} KiB"
    return f"{size_bytes / 1024**2:.1f} MiB"
