"""What the Gradescope bundle's ``run_autograder`` runs: grade the upload, write Gradescope's results.json.

Gradescope unpacks the bundle (grader/grading/gradescope.py) into
``/autograder/source`` and, for each submission, puts the student's upload in
``/autograder/submission`` and runs ``run_autograder``, which runs::

    python3 -m grader.grading.gradescope_autograder --root /autograder --assignments a2_embeddings

How one submission is graded:

1. ``locate_upload`` finds what to grade in ``<root>/submission``: the
   assignment folders themselves (``a2_embeddings/embeddings.py``), one zip of
   them, or one folder holding them (a student who zipped the folder rather
   than its contents).
2. It is copied into a private folder by intake's rules
   (grader/grading/intake.py: no links followed, no zip-slip, bounded sizes),
   keeping the assignment folders only. A ``timestamp.txt`` of the student's
   own stays behind: the submission time is Gradescope's ``created_at`` from
   ``<root>/submission_metadata.json``, which the student cannot forge, so
   course.toml's late policy applies to it.
3. ``course grade`` (grader/commands/grade.py) grades that copy into a
   temporary folder, with the isolation it finds (bubblewrap where the
   container lets it make namespaces, else the ``process`` level).
4. Its ``gradescope/<student>/results.json`` becomes
   ``<root>/results/results.json``, with what intake refused in the upload
   (a link, a folder named like no assignment) added to the ``output``.

Whatever fails, a valid results.json is written: score 0 and the reason in
``output`` (the traceback goes to stdout, which Gradescope shows the staff
only). The exit status is 0 once a results.json is written; when this process
dies before that, ``run_autograder`` writes one itself.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
import traceback
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from ..atomic import atomic_write_json
from ..course import Course, load_course
from ..errors import CourseError
from .intake import Submission, unpack

STUDENT = "submission"
"""The student id of the one submission graded (Gradescope knows whose it is; the reports need a file name)."""

_ZIP_SUFFIX = ".zip"
# Archivers' droppings and caches: not part of what a student meant to hand in.
_IGNORED_NAMES = frozenset({"__MACOSX", "__pycache__"})


class UploadError(CourseError):
    """The upload holds nothing that can be graded (no assignment folder, several zips, ...)."""


def autograde(root: Path, *, assignments: Sequence[str], course: Course | None = None) -> dict[str, Any]:
    """Grade ``<root>/submission`` and write ``<root>/results/results.json``; return what was written.

    ``assignments`` are the assignments the bundle grades (``["a2_embeddings"]``).
    Never raises for a problem of the submission or of grading: the results
    then score 0 and say why.

    Example: root/submission/a2_embeddings/embeddings.py, a copy of the
    reference -> root/results/results.json with ``"score": 7.0`` and one test
    entry per task and suite.
    """
    started = time.perf_counter()
    results_path = root / "results" / "results.json"
    scratch = Path(tempfile.mkdtemp(prefix="gradescope-"))
    try:
        course = course if course is not None else load_course()
        results = _grade(root, scratch, assignments=assignments, course=course)
    except Exception as error:  # anything at all: Gradescope must still get results
        traceback.print_exc(file=sys.stdout)
        results = failure_results(_reason(error), seconds=time.perf_counter() - started)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    atomic_write_json(results_path, results)
    return results


def locate_upload(upload: Path, *, course: Course) -> Path:
    """What to grade in Gradescope's ``upload`` folder: ``upload`` itself, the one zip in it, or the one folder in it.

    Hidden entries, ``__MACOSX`` and ``__pycache__`` are ignored. Links are
    never followed: a link named like an assignment folder counts as one, so
    that intake reports it.

    Example: upload/a2_embeddings/ -> upload; upload/work.zip -> upload/work.zip;
    upload/minigpt/a2_embeddings/ -> upload/minigpt.

    Raises:
        UploadError: ``upload`` is missing or holds none of these (the message
            names what it holds and what was expected).
    """
    if not upload.is_dir():
        raise UploadError(f"{upload} does not exist: Gradescope put no submission there")
    assignment_ids = {assignment.id for assignment in course.assignments}
    entries = sorted(
        (entry for entry in upload.iterdir() if not entry.name.startswith(".") and entry.name not in _IGNORED_NAMES),
        key=lambda entry: entry.name,
    )
    if any(entry.name in assignment_ids and (entry.is_dir() or entry.is_symlink()) for entry in entries):
        return upload
    zips = [entry for entry in entries if entry.name.lower().endswith(_ZIP_SUFFIX) and entry.is_file() and not entry.is_symlink()]
    if len(zips) > 1:
        raise UploadError(f"the upload holds {len(zips)} zips ({', '.join(entry.name for entry in zips)}); upload one")
    if zips:
        return zips[0]
    folders = [entry for entry in entries if entry.is_dir() and not entry.is_symlink()]
    if len(folders) == 1 and any((folders[0] / name).is_dir() for name in assignment_ids):
        return folders[0]
    expected = ", ".join(f"{assignment.id}/" for assignment in course.assignments if assignment.module is not None)
    held = ", ".join(entry.name + ("/" if entry.is_dir() else "") for entry in entries) or "nothing"
    raise UploadError(
        f"the upload holds no assignment folder: expected some of {expected} at its top level, "
        f"a zip of them, or one folder holding them; it holds {held}"
    )


def submission_time(metadata_path: Path) -> str | None:
    """Gradescope's ``created_at`` of this submission (ISO 8601 with offset), from ``submission_metadata.json``.

    None, with a line on stdout for the staff, when the file is missing or
    holds no timezone-aware ``created_at``: no late penalty is applied then.

    Example: ``{"created_at": "2027-01-31T10:00:00.365935-07:00", ...}`` -> ``"2027-01-31T10:00:00.365935-07:00"``.
    """
    try:
        created_at = json.loads(metadata_path.read_text(encoding="utf-8"))["created_at"]
        moment = datetime.fromisoformat(created_at)
    except (OSError, ValueError, KeyError, TypeError) as error:
        print(f"no submission time from {metadata_path} ({type(error).__name__}: {error}); no late penalty applies")
        return None
    if moment.tzinfo is None:
        print(f"{metadata_path}: created_at {created_at!r} has no timezone; no late penalty applies")
        return None
    return moment.isoformat()


def failure_results(reason: str, *, seconds: float = 0.0) -> dict[str, Any]:
    """Gradescope results for a submission that could not be graded: score 0, the reason in ``output``.

    >>> failure_results("the upload holds nothing")["score"]
    0.0
    """
    return {
        "score": 0.0,
        "execution_time": int(round(seconds)),
        "output": f"This submission could not be graded: {reason}",
        "output_format": "text",
        "visibility": "visible",
        "stdout_visibility": "hidden",
        "tests": [],
    }


def _grade(root: Path, scratch: Path, *, assignments: Sequence[str], course: Course) -> dict[str, Any]:
    """Steps 1-4 of the module docstring; raises on any failure."""
    found = locate_upload(root / "submission", course=course)
    submission = Submission(student=STUDENT, source=found, kind="zip" if found.is_file() else "folder", parts=(found,))
    staged = unpack(submission, scratch / STUDENT, course=course)
    refused = staged.problems.get("", ())
    if not any(path.is_dir() for path in staged.tree.iterdir()):
        raise UploadError("; ".join(refused) or f"{found.name} holds no assignment folder of this course")
    moment = submission_time(root / "submission_metadata.json")
    if moment is not None:
        (staged.tree / "timestamp.txt").write_text(moment + "\n", encoding="utf-8")

    # Imported here: it brings torch and the fork server, which an upload with nothing to grade never needs.
    from ..commands import grade

    out = scratch / "graded"
    grade.main(submissions=[staged.tree], out=out, assignments=list(assignments), jobs=1, course=course)
    results = json.loads((out / "gradescope" / STUDENT / "results.json").read_text(encoding="utf-8"))
    if refused:
        results["output"] = "Left out of the upload: " + "; ".join(refused) + "\n" + results["output"]
    return results


def _reason(error: Exception) -> str:
    """What a student reads about a failure: the message of a problem they can fix, else what broke."""
    if isinstance(error, CourseError):
        return str(error)
    return f"the autograder failed ({type(error).__name__}: {error}); the course staff can see the details"


def main(argv: Sequence[str] | None = None) -> int:
    """``python3 -m grader.grading.gradescope_autograder --root /autograder --assignments a2_embeddings``."""
    parser = argparse.ArgumentParser(prog="python3 -m grader.grading.gradescope_autograder", description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=Path("/autograder"), help="Gradescope's autograder folder (default: /autograder)")
    parser.add_argument("--assignments", nargs="+", required=True, help="the assignments to grade, e.g. a2_embeddings")
    args = parser.parse_args(argv)
    autograde(args.root, assignments=args.assignments)
    return 0


if __name__ == "__main__":
    sys.exit(main())
