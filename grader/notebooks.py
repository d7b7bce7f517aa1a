"""Release source notebooks through nbgrader's own ``generate_assignment``.

A source notebook sits directly in its assignment's folder
(``solutions/a3_attention/a3_attention.ipynb``) and carries nbgrader's cell
metadata. Releasing it is nbgrader's job, not ours: its pipeline clears the
written model answers (``YOUR ANSWER HERE``), clears outputs, locks the test
cells and records their checksums, exactly as ``nbgrader generate_assignment``
does from the repository root (see nbgrader_config.py). This module runs that
pipeline in-process on a private copy of the notebooks, so nothing is written
into the repository and no gradebook database is made; the caller decides
which bytes reach assignments/.

Importing nbgrader takes a few seconds, so it happens on the first release,
not when this module is imported.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
from collections.abc import Iterable
from pathlib import Path

NOTEBOOK_SUFFIX = ".ipynb"
# nbgrader's course layout is <root>/<step>/<student>/<assignment>; these are
# the step folders of the private course nbgrader works in.
_SOURCE_STEP = "source"
_RELEASE_STEP = "release"


class _ErrorLog(logging.Handler):
    """Keeps the messages nbgrader logs at ERROR, which is where it says what went wrong."""

    def __init__(self) -> None:
        super().__init__(level=logging.ERROR)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def release_notebooks(source: str | Path, notebooks: Iterable[str]) -> dict[str, bytes]:
    """The student versions of source notebooks, as ``nbgrader generate_assignment`` writes them.

    ``notebooks`` are paths relative to ``source`` (POSIX form), each of the
    form ``<assignment>/<name>.ipynb``. Returns the same relative path ->
    the released notebook's bytes.

    Raises:
        ValueError: a notebook is not directly inside an assignment folder
            (nbgrader cannot release it), or nbgrader rejects it (corrupt
            metadata, a duplicate grade id, a solution region in a cell not
            marked as a solution); the message names the notebook (or its
            assignment folder) and nbgrader's reason.
    """
    source = Path(source)
    relatives = sorted(set(notebooks))
    for relative in relatives:
        parts = Path(relative).parts
        if len(parts) != 2 or not relative.endswith(NOTEBOOK_SUFFIX):
            raise ValueError(
                f"{source / relative}: a source notebook must sit directly in its assignment folder "
                f"(<assignment>/<name>{NOTEBOOK_SUFFIX}) for nbgrader to release it"
            )
    if not relatives:
        return {}
    with tempfile.TemporaryDirectory(prefix="course-release-") as course_root:
        root = Path(course_root)
        for relative in relatives:
            copy = root / _SOURCE_STEP / relative
            copy.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source / relative, copy)
        # One run per assignment, so an error names the assignment it came from.
        for assignment in sorted({Path(relative).parts[0] for relative in relatives}):
            _generate_assignment(root, assignment, shown_as=source / assignment)
        return {relative: (root / _RELEASE_STEP / relative).read_bytes() for relative in relatives}


def _generate_assignment(root: Path, assignment: str, *, shown_as: Path) -> None:
    """Run nbgrader's GenerateAssignment converter on ``<root>/source/<assignment>``.

    The student id "." is what ``nbgrader generate_assignment`` itself uses,
    so the layout is ``<root>/source/./<assignment>``. ``no_database`` keeps
    the gradebook out of it; SaveCells is switched off with it, as
    ``nbgrader generate_assignment --no-db`` does.
    """
    from nbgrader.converters import GenerateAssignment
    from nbgrader.converters.base import NbGraderException
    from nbgrader.coursedir import CourseDirectory
    from traitlets.config import Config

    config = Config()
    config.SaveCells.enabled = False
    config.GenerateAssignment.no_database = True
    log = logging.getLogger(f"{__name__}.nbgrader")
    log.propagate = False  # nbgrader's INFO chatter and tracebacks are collected, not printed
    errors = _ErrorLog()
    log.addHandler(errors)
    try:
        coursedir = CourseDirectory(
            config=config,
            root=str(root),
            source_directory=_SOURCE_STEP,
            release_directory=_RELEASE_STEP,
            assignment_id=assignment,
            log=log,
        )
        converter = GenerateAssignment(coursedir=coursedir, config=config, log=log)
        try:
            converter.start()
        except NbGraderException:
            raise ValueError(f"{shown_as}: nbgrader cannot release its notebooks: {_reason(errors.messages)}") from None
    finally:
        log.removeHandler(errors)


def _reason(messages: list[str]) -> str:
    """The useful part of nbgrader's error log: the last line of each traceback it logged."""
    reasons = [message.strip().splitlines()[-1] for message in messages if message.startswith("Traceback")]
    return "; ".join(dict.fromkeys(reasons)) or (messages[-1] if messages else "no reason given")
