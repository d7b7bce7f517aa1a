"""What grading one submission produced: the record written to ``<out>/results/<student>.json``.

One file per submission, written atomically once its grading finished, so a
killed run loses at most the submissions in flight and a rerun skips every
student whose file is there with the same ``fingerprint`` (the submission's
bytes, the course, the suites and the grader's version). Everything a report
needs (points, messages, hints, the isolation level) is in the file; the
reports (grader/grading/reports.py) are made from these files alone.

Layout (``SubmissionResult.to_json``)::

    {"schema": 1, "student": "alice", "source": "examples/submissions/alice",
     "fingerprint": "sha256...", "tool_version": "0.1.0", "course_id": "minigpt",
     "course_version": "sha256 of course.toml and the suites",
     "isolation": "sandbox", "isolation_notes": ["..."],
     "seconds": 9.4, "problems": ["..."],
     "points": 103.0, "max_points": 106,
     "assignments": [
        {"id": "a3_attention", "submitted": true, "submitted_at": "2027-02-05T20:00:00+00:00" | null,
         "due": "2027-02-05T23:59:00+00:00", "late_factor": 1.0, "raw_points": 15.0,
         "points": 15.0, "max_points": 15, "seconds": 1.2, "problems": [],
         "tasks": [
            {"id": "3.1", "name": "causal_mask", "manual": false, "status": "passed",
             "points": 1.0, "max_points": 1, "passed": 9, "total": 9,
             "message": "", "hint": "",
             "tests": [{"name": "test_mask_shape[4]", "suite": "public", "outcome": "passed",
                        "message": "", "seconds": 0.01}]}]}]}

Points are never stored anywhere else than course.toml: ``max_points`` is
copied from it when the result is made, ``points`` is what the tests earned.
Manual tasks (written answers) appear with ``manual: true``, status
``"manual"`` and 0 points: they are graded by hand (nbgrader's formgrader).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SCHEMA_VERSION = 1


class ResultError(ValueError):
    """A results file that cannot be read back (wrong schema, missing field, not JSON)."""


@dataclass(frozen=True)
class TestOutcome:
    """One test of one task."""

    __test__ = False  # a record, not a test class for pytest to collect

    name: str
    """The test's name with its parameters (``test_rows_sum_to_one[float64]``); never its code."""
    suite: str
    """``"public"`` or ``"hidden"``."""
    outcome: str
    """``"passed"``, ``"failed"`` or ``"skipped"``."""
    message: str = ""
    """For a failure: what was checked, where, the student's value and a ``Hint:`` line; never expected values of hidden tests."""
    seconds: float = 0.0
    """Wall time of the test, setup and teardown included."""


@dataclass(frozen=True)
class TaskOutcome:
    """One task of course.toml, for one submission."""

    id: str
    """The task id, ``"3.2"``."""
    name: str
    """The task's name in course.toml, ``"softmax"``."""
    status: str
    """``"passed"``, ``"failed"``, ``"not started"``, ``"error"``, ``"missing"`` (the assignment was not submitted) or ``"manual"``."""
    points: float
    """Points earned before any late penalty: ``max_points * passed / total`` (0 for manual tasks)."""
    max_points: float
    """The task's points in course.toml."""
    passed: int = 0
    """Tests of the task that passed."""
    total: int = 0
    """Tests of the task that ran (skipped tests are not counted)."""
    manual: bool = False
    """A written answer, graded by hand."""
    message: str = ""
    """One line: what went wrong first."""
    hint: str = ""
    """The failing test's hint."""
    tests: tuple[TestOutcome, ...] = ()
    """Every test of the task, in the order they ran."""


@dataclass(frozen=True)
class AssignmentOutcome:
    """One assignment, for one submission."""

    id: str
    """The assignment id, ``"a3_attention"``."""
    submitted: bool
    """False when the submission holds no folder for this assignment."""
    submitted_at: str | None
    """When it was handed in (ISO 8601 with offset), None when unknown (taken as on time)."""
    due: str
    """The deadline from course.toml (ISO 8601)."""
    late_factor: float
    """The multiplier of the late policy (1.0 on time, see GradingPolicy.late_factor)."""
    raw_points: float
    """Sum of the task points before the late penalty."""
    points: float
    """``raw_points * late_factor``, rounded to 2 decimals."""
    max_points: float
    """Sum of the auto-graded task points of course.toml."""
    seconds: float = 0.0
    """Wall time spent grading this assignment."""
    problems: tuple[str, ...] = ()
    """Problems with the submitted files (a syntax error, a file of the wrong assignment, a dead worker)."""
    tasks: tuple[TaskOutcome, ...] = ()
    """Every task of the assignment, in course order."""


@dataclass(frozen=True)
class SubmissionResult:
    """Everything grading one student's submission produced."""

    student: str
    """The student's name or id (folder name, roster entry)."""
    source: str
    """The submission as given on the command line (folder, zip, nbgrader path)."""
    fingerprint: str
    """sha256 over the submission's files, the course version and the tool version: equal means "already graded"."""
    tool_version: str
    """The grader's version (pyproject)."""
    course_id: str
    """``[course] id`` of course.toml."""
    course_version: str
    """sha256 of course.toml and the test suites that graded the submission."""
    isolation: str
    """The isolation level the student's code ran under: ``"sandbox"`` or ``"process"``."""
    isolation_notes: tuple[str, ...] = ()
    """What the level provided or lacked (``"no network"``, ``"no process limit: ..."``)."""
    seconds: float = 0.0
    """Wall time of the whole submission."""
    problems: tuple[str, ...] = ()
    """Problems with the submission as a whole (an unsafe zip, an unreadable folder)."""
    assignments: tuple[AssignmentOutcome, ...] = ()
    """The assignments graded, in course order."""

    @property
    def points(self) -> float:
        """Total points after late penalties."""
        return round(sum(assignment.points for assignment in self.assignments), 2)

    @property
    def max_points(self) -> float:
        """Total auto-graded points of the assignments graded."""
        return sum(assignment.max_points for assignment in self.assignments)

    def assignment(self, assignment_id: str) -> AssignmentOutcome | None:
        """The outcome of one assignment (full id, ``"a3_attention"``), None when it was not graded."""
        return next((assignment for assignment in self.assignments if assignment.id == assignment_id), None)

    def to_json(self) -> dict[str, Any]:
        """The record as plain JSON types (the layout in the module docstring)."""
        return {
            "schema": SCHEMA_VERSION,
            "student": self.student,
            "source": self.source,
            "fingerprint": self.fingerprint,
            "tool_version": self.tool_version,
            "course_id": self.course_id,
            "course_version": self.course_version,
            "isolation": self.isolation,
            "isolation_notes": list(self.isolation_notes),
            "seconds": round(self.seconds, 3),
            "problems": list(self.problems),
            "points": self.points,
            "max_points": self.max_points,
            "assignments": [_assignment_json(assignment) for assignment in self.assignments],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "SubmissionResult":
        """Read back what ``to_json`` wrote.

        Raises:
            ResultError: another schema version, or a field missing or of the wrong kind.
        """
        if not isinstance(data, dict) or data.get("schema") != SCHEMA_VERSION:
            found = data.get("schema") if isinstance(data, dict) else type(data).__name__
            raise ResultError(f"results schema {found!r} is not {SCHEMA_VERSION}")
        try:
            return cls(
                student=str(data["student"]),
                source=str(data["source"]),
                fingerprint=str(data["fingerprint"]),
                tool_version=str(data["tool_version"]),
                course_id=str(data["course_id"]),
                course_version=str(data["course_version"]),
                isolation=str(data["isolation"]),
                isolation_notes=tuple(map(str, data["isolation_notes"])),
                seconds=float(data["seconds"]),
                problems=tuple(map(str, data["problems"])),
                assignments=tuple(_assignment_from_json(item) for item in data["assignments"]),
            )
        except (KeyError, TypeError, ValueError) as error:
            raise ResultError(f"results record is incomplete or malformed: {type(error).__name__}: {error}") from None


def load_result(path: str | Path) -> SubmissionResult:
    """Read one results file.

    Raises:
        ResultError: the file is not JSON or not a results record (the message names the path).
    """
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ResultError(f"{path}: cannot read results: {error}") from None
    try:
        return SubmissionResult.from_json(data)
    except ResultError as error:
        raise ResultError(f"{path}: {error}") from None


def _assignment_json(assignment: AssignmentOutcome) -> dict[str, Any]:
    return {
        "id": assignment.id,
        "submitted": assignment.submitted,
        "submitted_at": assignment.submitted_at,
        "due": assignment.due,
        "late_factor": assignment.late_factor,
        "raw_points": assignment.raw_points,
        "points": assignment.points,
        "max_points": assignment.max_points,
        "seconds": round(assignment.seconds, 3),
        "problems": list(assignment.problems),
        "tasks": [_task_json(task) for task in assignment.tasks],
    }


def _task_json(task: TaskOutcome) -> dict[str, Any]:
    return {
        "id": task.id,
        "name": task.name,
        "manual": task.manual,
        "status": task.status,
        "points": task.points,
        "max_points": task.max_points,
        "passed": task.passed,
        "total": task.total,
        "message": task.message,
        "hint": task.hint,
        "tests": [
            {"name": test.name, "suite": test.suite, "outcome": test.outcome, "message": test.message, "seconds": round(test.seconds, 4)}
            for test in task.tests
        ],
    }


def _assignment_from_json(data: dict[str, Any]) -> AssignmentOutcome:
    return AssignmentOutcome(
        id=str(data["id"]),
        submitted=bool(data["submitted"]),
        submitted_at=None if data["submitted_at"] is None else str(data["submitted_at"]),
        due=str(data["due"]),
        late_factor=float(data["late_factor"]),
        raw_points=float(data["raw_points"]),
        points=float(data["points"]),
        max_points=float(data["max_points"]),
        seconds=float(data["seconds"]),
        problems=tuple(map(str, data["problems"])),
        tasks=tuple(_task_from_json(item) for item in data["tasks"]),
    )


def _task_from_json(data: dict[str, Any]) -> TaskOutcome:
    return TaskOutcome(
        id=str(data["id"]),
        name=str(data["name"]),
        status=str(data["status"]),
        points=float(data["points"]),
        max_points=float(data["max_points"]),
        passed=int(data["passed"]),
        total=int(data["total"]),
        manual=bool(data["manual"]),
        message=str(data["message"]),
        hint=str(data["hint"]),
        tests=tuple(
            TestOutcome(str(item["name"]), str(item["suite"]), str(item["outcome"]), str(item["message"]), float(item["seconds"]))
            for item in data["tests"]
        ),
    )
