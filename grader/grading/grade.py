"""Grade a class: every submission in isolation, several at once, resumably; then the reports.

``grade_all`` is what ``course grade`` runs::

    results = grade_all(["examples/submissions"], out=Path("graded"))
    # graded/results/<student>.json, graded/grades.csv, graded/feedback/<student>.md|.html,
    # graded/gradescope/<student>/results.json

How one submission is graded:

1. This process unpacks it (grader/grading/intake.py) into a private
   scratch folder outside the repository and the output folder, and
   fingerprints it: its files, the course and its suites, the grader, and
   the grading options. A results file with the same fingerprint means the
   work is done; it is kept as it is (so a killed run resumes where it
   stopped, and a rerun of a finished one changes nothing) unless the
   student is named in ``regrade``.
2. A trusted child process, forked from a server that has torch and pytest
   imported (grader/forked.py), runs the public and hidden suites of the
   submitted assignments with the isolation plugin
   (grader/grading/isolation_plugin.py): the tests and the reference stay
   in the child; the student's code runs only in a sandboxed worker below it
   (grader/grading/remote.py, sandbox.py), under the per-test limits. The
   child writes its report as JSON, last; it is read with ``json``.
3. The report becomes a ``SubmissionResult`` (grader/grading/results.py):
   per-test outcomes, per-task points, late penalties from course.toml,
   timings, the isolation level; it is written atomically to
   ``<out>/results/<student>.json``.

A child that dies or overruns the submission's time limit leaves an
"error" result with the reason and an empty fingerprint, so the next run
grades that submission again.
"""

from __future__ import annotations

import dataclasses
import hashlib
import importlib.metadata
import json
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from datetime import datetime
from pathlib import Path
from typing import Any

from ..atomic import atomic_write_json
from ..checking import GRADING_SUITES, earned_points, run_checks
from ..course import Assignment, Course, Task, load_course
from ..forked import become_child, run_child, worker_context
from ..paths import REPOSITORY
from .grading_files import grading_files
from .intake import Submission, SubmissionError, Unpacked, discover, unpack
from .reports import write_reports
from .results import AssignmentOutcome, ResultError, SubmissionResult, TaskOutcome, TestOutcome, load_result
from .sandbox import Isolation, WorkerLimits, choose_isolation

SUBMISSION_TIME_LIMIT = 3600.0
"""Seconds one submission's child may run in all; past it the child is killed and the submission is an error."""

PRELOAD = ("torch", "torch._meta_registrations", "torch._dynamo", "numpy", "pytest", "hypothesis", "grader.grading.grade")
"""Modules the fork server imports once, before it forks a child per submission."""



def grade_all(
    paths: Sequence[str | Path],
    *,
    out: str | Path,
    assignments: Sequence[str] | None = None,
    jobs: int | None = None,
    isolation: str = "auto",
    regrade: Iterable[str] = (),
    roster: str | Path | None = None,
    course: Course | None = None,
    test_time_limit: float | None = None,
    on_start: Callable[[int], None] | None = None,
    on_result: Callable[[SubmissionResult, bool], None] | None = None,
) -> list[SubmissionResult]:
    """Grade every submission found at ``paths`` and write the results and reports under ``out``.

    Args:
        paths: submissions: folders laid out like assignments/, zips of them,
            nbgrader courses or their ``submitted/`` folders, or folders of
            submissions (grader/grading/intake.py's ``discover``).
        out: the output folder (made if missing).
        assignments: the assignments to grade ("a3", "a3_attention"); all the
            code assignments of the course when None.
        jobs: submissions graded at once; the CPU cores when None.
        isolation: ``"auto"`` (the sandbox where bubblewrap works, else
            ``"process"``), ``"sandbox"`` or ``"process"``.
        regrade: students graded again even where their results are current.
        roster: a CSV of students (see ``discover``); those without a
            submission get a result with every assignment missing.
        course: the course; course.toml of the repository when None.
        test_time_limit: seconds of wall clock and of CPU time one test may
            take; course.toml's ``test_timeout_seconds`` when None.
        on_start: called with the number of submissions once they are found.
        on_result: called with each result as it is ready, and whether it was
            kept from an earlier run.

    Returns:
        One result per student, sorted by student id.

    Raises:
        SubmissionError: no submission found, a bad roster, or a ``regrade``
            name that is not a student of the class.
        SandboxError: ``isolation="sandbox"`` where bubblewrap cannot run, or
            an unknown level.
        CourseError: an unknown assignment.
    """
    course = course if course is not None else load_course()
    chosen = course.code_assignments(assignments)
    level = choose_isolation(isolation)
    submissions = discover(paths, course=course, roster=roster)
    students = {submission.student for submission in submissions}
    unknown = sorted(set(regrade) - students)
    if unknown:
        raise SubmissionError(f"--regrade names no student of this class: {', '.join(unknown)} (students: {', '.join(sorted(students))})")
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise SubmissionError(f"--out {out} is a file; name a folder (it is made if missing)")
    (out / "results").mkdir(parents=True, exist_ok=True)
    limit = float(test_time_limit if test_time_limit is not None else course.grading.test_timeout_seconds)
    if not limit > 0:
        raise ValueError(f"test_time_limit must be > 0 seconds, got {test_time_limit!r}")
    if on_start is not None:
        on_start(len(submissions))
    scratch = Path(tempfile.mkdtemp(prefix="course-grade-"))
    try:
        grader = _Grader(
            course=course, chosen=chosen, isolation=level, test_time_limit=limit, scratch=scratch,
            results=out / "results", regrade=frozenset(regrade),
        )
        results = []
        with ThreadPoolExecutor(max_workers=jobs or os.cpu_count() or 1) as pool:
            futures = [pool.submit(grader, submission) for submission in submissions]
            for future in as_completed(futures):
                result, kept = future.result()
                results.append(result)
                if on_result is not None:
                    on_result(result, kept)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    results.sort(key=lambda result: result.student)
    write_reports(results, out=out, course=course)
    return results


def tool_version() -> str:
    """The grader's version, as installed (pyproject's ``version``)."""
    try:
        return importlib.metadata.version("minigpt-course")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


def course_version(course: Course, repository: Path = REPOSITORY) -> str:
    """sha256 over every file grading reads (course.toml, the suites, the reference, the grader modules it
    imports; grader/grading/grading_files.py): what decides a score, and nothing else."""
    digest = hashlib.sha256()
    chosen = [assignment for assignment in course.assignments if assignment.module is not None]
    for relative, path in grading_files(repository, chosen=chosen, course=course).items():
        data = path.read_bytes()
        digest.update(f"{relative}\0{len(data)}\0".encode())
        digest.update(data)
    return digest.hexdigest()


class _Grader:
    """Grades one submission (called from a thread per job): unpack, reuse or run the child, write the result."""

    def __init__(
        self, *, course: Course, chosen: list[Assignment], isolation: Isolation, test_time_limit: float,
        scratch: Path, results: Path, regrade: frozenset[str],
    ) -> None:
        self.course = course
        self.chosen = chosen
        self.isolation = isolation
        self.test_time_limit = test_time_limit
        self.scratch = scratch
        self.results = results
        self.regrade = regrade
        self.course_version = course_version(course)
        self.tool_version = tool_version()
        self.context = worker_context(PRELOAD)

    def __call__(self, submission: Submission) -> tuple[SubmissionResult, bool]:
        started = time.perf_counter()
        folder = self.scratch / submission.student
        folder.mkdir()
        unpacked = unpack(submission, folder / "tree", course=self.course)
        fingerprint = self._fingerprint(unpacked)
        path = self.results / f"{submission.student}.json"
        if submission.student not in self.regrade:
            earlier = _load_if_current(path, fingerprint)
            if earlier is not None:
                shutil.rmtree(folder, ignore_errors=True)
                return earlier, True
        graded = [assignment.id for assignment in self.chosen if assignment.id in unpacked.assignments]
        report, failure = None, ""
        if graded:
            report, failure = self._run_child(unpacked.tree, graded, folder)
        result = SubmissionResult(
            student=submission.student,
            source=str(submission.source),
            fingerprint=fingerprint if report is not None or not graded else "",
            tool_version=self.tool_version,
            course_id=self.course.id,
            course_version=self.course_version,
            isolation=self.isolation.level,
            isolation_notes=tuple(self.isolation.notes),
            seconds=time.perf_counter() - started,
            problems=unpacked.problems.get("", ()) + ((f"grading failed: {failure}",) if failure else ()),
            assignments=tuple(
                _assignment_outcome(assignment, submission, unpacked, report, failure, course=self.course) for assignment in self.chosen
            ),
        )
        atomic_write_json(path, result.to_json())
        shutil.rmtree(folder, ignore_errors=True)
        return result, False

    def _fingerprint(self, unpacked: Unpacked) -> str:
        options = {
            "submission": unpacked.fingerprint,
            "course": self.course_version,
            "tool": self.tool_version,
            "assignments": [assignment.id for assignment in self.chosen],
            "isolation": self.isolation.level,
            "test_time_limit": self.test_time_limit,
        }
        return hashlib.sha256(json.dumps(options, sort_keys=True).encode()).hexdigest()

    def _run_child(self, tree: Path, graded: list[str], folder: Path) -> tuple[dict[str, Any] | None, str]:
        report, log = folder / "report.json", folder / "grading.log"
        kwargs = {
            "tree": str(tree),
            "assignments": graded,
            "out": str(report),
            "log": str(log),
            "work": str(folder / "work"),
            "isolation": dataclasses.asdict(self.isolation),
            "test_time_limit": self.test_time_limit,
            "memory_mb": self.course.grading.memory_limit_mb,
        }
        return run_child(self.context, grade_in_child, kwargs, out=report, log=log, time_limit=SUBMISSION_TIME_LIMIT)


def grade_in_child(
    *, tree: str, assignments: list[str], out: str, log: str, work: str, isolation: dict[str, Any], test_time_limit: float, memory_mb: int
) -> None:
    """The body of a grading child (trusted): run the grading suites on ``tree`` with the student's code in
    an isolated worker, and write ``CheckReport.to_json()`` to ``out`` (the process set up by ``become_child``,
    output in ``log``)."""
    become_child(log)
    from .isolation_plugin import IsolationPlugin
    from .remote import Session

    course = load_course()
    # pytest empties its basetemp at the start: the worker is given the folder above it, which stays.
    writable = Path(work)
    writable.mkdir()
    session = Session(
        tree=Path(tree), course=course, isolation=Isolation(**isolation),
        writable=[writable], limits=WorkerLimits(memory_mb=memory_mb),
    )
    plugin = IsolationPlugin(session, wall_seconds=test_time_limit, cpu_seconds=test_time_limit)
    try:
        report = run_checks(tree, assignments=assignments, suites=GRADING_SUITES, course=course, plugins=[plugin], basetemp=writable / "pytest")
    finally:
        session.close()
    atomic_write_json(Path(out), report.to_json())


# ---------------------------------------------------------------------------
# From a report to a result
# ---------------------------------------------------------------------------


def _assignment_outcome(
    assignment: Assignment, submission: Submission, unpacked: Unpacked, report: dict[str, Any] | None, failure: str, *, course: Course
) -> AssignmentOutcome:
    """One assignment's outcome: missing, refused by intake, graded, or lost with the child."""
    submitted = (unpacked.tree / assignment.id).is_dir()
    problems = unpacked.problems.get(assignment.id, ())
    submitted_at = submission.submitted_at.get(assignment.id) if submitted else None
    if not submitted:
        tasks = [_ungraded(task, "missing", "not handed in") for task in assignment.tasks]
    elif assignment.id not in unpacked.assignments:
        why = problems[0] if problems else f"{assignment.id}/{assignment.module}.py is missing"
        tasks = [_ungraded(task, "error", why) for task in assignment.tasks]
    elif report is None:
        tasks = [_ungraded(task, "error", f"grading failed: {failure}") for task in assignment.tasks]
    else:
        tasks = [_graded(task, report) for task in assignment.tasks]
    factor = course.grading.late_factor(datetime.fromisoformat(submitted_at), assignment.due) if submitted_at else 1.0
    raw = sum(task.points for task in tasks)
    return AssignmentOutcome(
        id=assignment.id,
        submitted=submitted,
        submitted_at=submitted_at,
        due=assignment.due.isoformat(),
        late_factor=factor,
        raw_points=round(raw, 4),
        points=round(raw * factor, 2),
        max_points=sum(task.points for task in assignment.tasks if not task.manual),
        seconds=sum(test.seconds for task in tasks for test in task.tests),
        problems=problems,
        tasks=tuple(tasks),
    )


def _ungraded(task: Task, status: str, message: str) -> TaskOutcome:
    if task.manual:
        return TaskOutcome(task.id, task.name, "manual", 0.0, task.points, manual=True)
    return TaskOutcome(task.id, task.name, status, 0.0, task.points, message=message)


def _graded(task: Task, report: dict[str, Any]) -> TaskOutcome:
    """A task's outcome from the child's report (``CheckReport.to_json()``)."""
    if task.manual:
        return _ungraded(task, "manual", "")
    found = next((result for result in report["results"] if result["task"] == task.id), None)
    if found is None:
        return _ungraded(task, "error", "the grading run reported nothing for this task")
    tests = tuple(
        TestOutcome(test["test"], test["suite"], test["outcome"], test["message"], float(test["seconds"]))
        for test in report["tests"]
        if test["task"] == task.id
    )
    passed, total = int(found["passed"]), int(found["total"])
    points = round(earned_points(task.points, passed, total), 4)
    return TaskOutcome(
        id=task.id, name=task.name, status=found["status"], points=points, max_points=task.points, passed=passed,
        total=total, message=found["message"], hint=found["hint"], tests=tests,
    )


def _load_if_current(path: Path, fingerprint: str) -> SubmissionResult | None:
    """The result at ``path`` when it exists, reads back, and has ``fingerprint``; else None (grade again)."""
    if not path.is_file():
        return None
    try:
        result = load_result(path)
    except ResultError:
        return None
    return result if result.fingerprint == fingerprint else None
