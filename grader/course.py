"""course.toml read into typed, validated records.

``load_course()`` parses the course file once and checks everything the
graders rely on: the keys and their types, positive points, unique ids,
task ids that belong to their assignment, due dates with a timezone that
increase, and datasets the manifest knows. A mistake is one
`CourseConfigError` whose message points at the file, the line and the
key path, so the CLI prints it as one clickable line::

    course.toml:50: assignments[2].tasks[1]: unknown key 'pionts' (expected one of: id, manual, name, points)

Key paths count from 0, as in Python: ``assignments[2]`` is the third
``[[assignments]]`` table and ``tasks[1]`` its second task.

Example::

    course = load_course()
    course.assignment("3").title        # "Scaled dot-product and multi-head attention"
    course.task("4.6").points           # 2
    course.grading.late_factor(submitted, due=course.assignment("a4").due)
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone, tzinfo
from pathlib import Path
from typing import Any, Union
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10: the same parser, packaged as tomli
    import tomli as tomllib

from .errors import CourseError
from .paths import COURSE_TOML

# course.toml sits at the repository root, one level above this package.

_ASSIGNMENT_ID = re.compile(r"^a([1-9][0-9]*)_[a-z][a-z0-9_]*$")
_TASK_ID = re.compile(r"^([1-9][0-9]*)\.([1-9][0-9]*)$")

KeyPath = tuple[Union[str, int], ...]


class CourseConfigError(CourseError):
    """course.toml is malformed; the message reads ``FILE:LINE: KEY.PATH: problem``.

    The parts are kept as attributes too, for tools and tests.
    """

    def __init__(self, path: Path, line: int, key_path: str, problem: str):
        self.path = path
        """The course file that was read."""
        self.line = line
        """1-based line of the offending key, or of its table's header when the key is absent."""
        self.key_path = key_path
        """Where in the document, e.g. ``"assignments[2].tasks[1]"``; empty for a syntax error."""
        self.problem = problem
        """What is wrong, with the value seen."""
        where = f"{_display(path)}:{line}:"
        super().__init__(f"{where} {key_path}: {problem}" if key_path else f"{where} {problem}")


def _zone(name: str) -> tzinfo:
    """The time zone of an IANA name; "UTC" needs no tz database (Windows without tzdata has none)."""
    return timezone.utc if name == "UTC" else ZoneInfo(name)


@dataclass(frozen=True)
class Task:
    """One graded task: a function or class the student writes, or a manual answer."""

    id: str
    """``"N.M"``: assignment number N, task M within it, e.g. ``"4.6"``."""
    name: str
    """The name in the ``# ## Task N.M: name`` header of solutions/, e.g. ``"GPT.init_weights"``."""
    points: int | float
    """What the task is worth; always > 0."""
    manual: bool = False
    """True when a person grades it (written answers); no test suite scores it."""

    @property
    def marker(self) -> str:
        """The task's pytest marker, which is also its notebook check cell's grade_id: "3.2" -> ``"task3_2"``."""
        return "task" + self.id.replace(".", "_")


@dataclass(frozen=True)
class Assignment:
    """One assignment: a package ``aN_name`` of solutions/, its due date and tasks."""

    id: str
    """``"aN_name"``, the package name, e.g. ``"a3_attention"``."""
    title: str
    """One line for listings and reports."""
    due: datetime
    """The deadline, timezone-aware."""
    tasks: tuple[Task, ...]
    """The tasks in file order; never empty."""
    module: str | None = None
    """The module inside the package that holds the student's code, e.g. ``"attention"``
    for ``a3_attention/attention.py``; None for an assignment without code (a notebook)."""

    @property
    def number(self) -> int:
        """N from the id ``"aN_name"``, e.g. 3 for ``"a3_attention"``."""
        return int(_ASSIGNMENT_ID.match(self.id).group(1))

    @property
    def points(self) -> int | float:
        """The sum of the task points."""
        return sum(task.points for task in self.tasks)


@dataclass(frozen=True)
class GradingPolicy:
    """Limits of a grading run and the late-submission policy (the ``[grading]`` table)."""

    test_timeout_seconds: int | float
    """Wall-clock limit per test; a test that runs longer fails alone."""
    memory_limit_mb: int
    """Address-space limit of a grading worker, in MiB."""
    late_penalty_percent_per_day: int | float
    """Percent of the score lost per started day late, in [0, 100]."""
    late_days_max: int
    """Days late after which a submission scores 0."""

    def late_factor(self, submitted: datetime, due: datetime) -> float:
        """The multiplier for a score submitted at `submitted` against deadline `due`.

        ``factor = max(0, 1 - percent / 100 * days)``, where ``days`` counts
        every started day (24 h) late; 1.0 on time, 0.0 once more than
        `late_days_max` days late.

        Example, with 10 % per day and at most 5 days: on time -> 1.0;
        1.5 days late -> 2 started days -> 0.8; 5 days late -> 0.5;
        5 days and 1 second late -> 0.0.

        Raises:
            ValueError: either datetime has no timezone.
        """
        for label, moment in (("submitted", submitted), ("due", due)):
            if moment.tzinfo is None or moment.utcoffset() is None:
                raise ValueError(f"{label}={moment.isoformat()} has no timezone; pass an aware datetime")
        late = submitted - due
        if late <= timedelta(0):
            return 1.0
        if late > timedelta(days=self.late_days_max):
            return 0.0
        started_days = math.ceil(late / timedelta(days=1))
        return max(0.0, 1.0 - self.late_penalty_percent_per_day / 100 * started_days)


@dataclass(frozen=True)
class DataConfig:
    """The datasets the course uses (the ``[data]`` table)."""

    default: str
    """The dataset `course train` uses when none is named; one of `datasets`."""
    datasets: tuple[str, ...]
    """The datasets offered, each a name in datasets/manifest.toml."""


@dataclass(frozen=True)
class Course:
    """The whole of course.toml."""

    id: str
    """Short machine name, e.g. ``"minigpt"``."""
    title: str
    """The course's full title."""
    timezone: str
    """IANA zone name in which due dates are shown to students, e.g. ``"UTC"``."""
    grading: GradingPolicy
    """Grading limits and the late policy."""
    data: DataConfig
    """The datasets on offer."""
    assignments: tuple[Assignment, ...]
    """The assignments in order a1, a2, ...; never empty."""

    @property
    def zone(self) -> tzinfo:
        """The time zone named by ``timezone``, in which due dates are shown."""
        return _zone(self.timezone)

    @property
    def total_points(self) -> int | float:
        """The sum of all task points over all assignments."""
        return sum(assignment.points for assignment in self.assignments)

    def code_assignments(self, selection: Sequence[str] | None = None) -> list[Assignment]:
        """The assignments with a code module, in course order: those named in ``selection``, all when it is empty.

        Raises:
            CourseError: an unknown assignment, or one without code (written answers only).
        """
        with_code = [assignment for assignment in self.assignments if assignment.module is not None]
        if not selection:
            return with_code
        named = {self.assignment(name).id for name in selection}
        without_code = sorted(named - {assignment.id for assignment in with_code})
        if without_code:
            raise CourseError(f"assignment {without_code[0]} has no code module (see course.toml)")
        return [assignment for assignment in with_code if assignment.id in named]

    def assignment(self, id_or_number: str | int) -> Assignment:
        """The assignment named by its id (``"a3_attention"``), short id (``"a3"``) or number (``"3"`` or 3).

        Raises:
            CourseError: no assignment matches (the message lists the ids).
        """
        text = str(id_or_number).strip()
        for assignment in self.assignments:
            if text in (assignment.id, f"a{assignment.number}", str(assignment.number)):
                return assignment
        known = ", ".join(assignment.id for assignment in self.assignments)
        raise CourseError(f"unknown assignment {id_or_number!r}; known assignments: {known}")

    def task(self, task_id: str) -> Task:
        """The task with id ``"N.M"``, e.g. ``course.task("4.6")``.

        Raises:
            CourseError: no task has that id.
        """
        for assignment in self.assignments:
            for task in assignment.tasks:
                if task.id == task_id:
                    return task
        raise CourseError(f"unknown task {task_id!r}; task ids look like '4.6' (see course.toml)")


def load_course(path: Path | None = None) -> Course:
    """Read and validate a course file.

    Args:
        path: the TOML file; the repository's course.toml when None.

    Raises:
        CourseError: the file does not exist.
        CourseConfigError: it is not valid TOML, or a key is unknown, missing,
            of the wrong type or out of range (the message names file, line,
            key path and the value seen).
    """
    path = COURSE_TOML if path is None else Path(path)
    try:
        source = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise CourseError(f"course file not found: {path}") from None
    try:
        document = tomllib.loads(source)
    except tomllib.TOMLDecodeError as error:
        raise CourseConfigError(path, _syntax_error_line(str(error), source), "", f"invalid TOML: {error}") from None
    return _Reader(path, source).course(document)


def _display(path: Path) -> str:
    """`path` relative to the working directory when below it, so messages stay short."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def _syntax_error_line(message: str, source: str) -> int:
    match = re.search(r"at line (\d+)", message)
    if match:
        return int(match.group(1))
    # tomllib says "(at end of document)" when the file stops mid-value.
    return max(1, source.count("\n") + (0 if source.endswith("\n") else 1))


def format_key_path(key_path: KeyPath) -> str:
    """``("assignments", 2, "tasks", 1)`` -> ``"assignments[2].tasks[1]"``."""
    text = ""
    for part in key_path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text


# ---------------------------------------------------------------------------
# Locating a key path in the source text
# ---------------------------------------------------------------------------

_HEADER = re.compile(r"^[ \t]*(\[\[?)[ \t]*([A-Za-z0-9_.\-]+)[ \t]*\]\]?")


def locate_line(source: str, key_path: KeyPath) -> int:
    """The 1-based line of `key_path` in the TOML text `source`.

    Understands the layouts course.toml uses: ``[table]`` headers,
    ``[[array]]`` tables counted in order, ``key = value`` lines, and arrays
    of inline tables ``key = [ {...}, {...} ]`` (counted by their braces).
    When a key cannot be found, the line of the innermost part that was
    found is returned: the inline table, the key holding the array, or the
    table's header line (line 1 for the top level).

    Example: in the course file, ``("assignments", 2, "tasks", 1, "points")``
    -> the line of ``{ id = "3.2", name = "softmax", points = 2 }``.
    """
    lines = source.splitlines(keepends=True)
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line))

    def line_of(offset: int) -> int:
        return source.count("\n", 0, offset) + 1

    # The section holding the path runs from its header to the next header;
    # keys outside any named table live before the first header.
    headers = []  # (line index, name, is_array)
    for index, line in enumerate(lines):
        match = _HEADER.match(line)
        if match:
            headers.append((index, match.group(2), match.group(1) == "[["))
    section_start, found_at = 0, 0
    section_end = starts[headers[0][0]] if headers else len(source)
    remaining = list(key_path)
    if remaining and isinstance(remaining[0], str):
        wanted = remaining[1] if len(remaining) > 1 and isinstance(remaining[1], int) else None
        matches = [
            position
            for position, (_, name, is_array) in enumerate(headers)
            if name == remaining[0] and is_array == (wanted is not None)
        ]
        chosen = None
        if wanted is not None and wanted < len(matches):
            chosen, remaining = matches[wanted], remaining[2:]
        elif wanted is None and matches:
            chosen, remaining = matches[0], remaining[1:]
        if chosen is not None:
            following = headers[chosen + 1][0] if chosen + 1 < len(headers) else len(lines)
            section_start, section_end = starts[headers[chosen][0]], starts[following]
            found_at = section_start

    if not remaining:
        return line_of(found_at)
    # A key line in the section, then (optionally) an inline table inside its array value.
    key_line = re.compile(rf'^[ \t]*["\']?{re.escape(str(remaining[0]))}["\']?[ \t]*=', re.MULTILINE)
    match = key_line.search(source, section_start, section_end)
    if not match:
        return line_of(found_at)
    found_at = match.start()
    value_start = match.end()
    if len(remaining) >= 2 and isinstance(remaining[1], int):
        table_span = _inline_table_span(source, value_start, remaining[1])
        if table_span is None:
            return line_of(found_at)
        found_at = table_span[0]
        if len(remaining) >= 3:
            inner_key = re.compile(rf'[{{,\s]["\']?{re.escape(str(remaining[2]))}["\']?\s*=')
            inner = inner_key.search(source, table_span[0], table_span[1])
            if inner:
                found_at = inner.start() + 1
    return line_of(found_at)


def _inline_table_span(source: str, value_start: int, wanted: int) -> tuple[int, int] | None:
    """Offsets (start, end) of the `wanted`-th inline table in the array that starts after `value_start`."""
    depth, count, quote, opened_at = 0, -1, None, None
    position = value_start
    while position < len(source):
        char = source[position]
        if quote:
            if char == "\\" and quote == '"':
                position += 1
            elif char == quote:
                quote = None
        elif char in "\"'":
            quote = char
        elif char == "#":
            newline = source.find("\n", position)
            position = len(source) if newline < 0 else newline
            continue
        elif char in "[{":
            depth += 1
            if char == "{" and depth == 2:
                count += 1
                if count == wanted:
                    opened_at = position
        elif char in "]}":
            depth -= 1
            if opened_at is not None and depth == 1:
                return opened_at, position + 1
            if depth <= 0:
                return None
        position += 1
    return None


# ---------------------------------------------------------------------------
# Validation
# ---------------------------------------------------------------------------

_TOP_KEYS = ("course", "grading", "data", "assignments")
_COURSE_KEYS = ("id", "title", "timezone")
_GRADING_KEYS = ("test_timeout_seconds", "memory_limit_mb", "late_penalty_percent_per_day", "late_days_max")
_DATA_KEYS = ("default", "datasets")
_ASSIGNMENT_KEYS = ("id", "title", "due", "tasks")
_ASSIGNMENT_OPTIONAL_KEYS = ("module",)
_TASK_KEYS = ("id", "name", "points")
_TASK_OPTIONAL_KEYS = ("manual",)


def _is_number(value: Any) -> bool:
    # bool is a subclass of int in Python, but `points = true` is a typo, not 1.
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _describe(value: Any) -> str:
    if isinstance(value, bool):
        return f"{str(value).lower()} (a boolean)"
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, datetime):
        return value.isoformat()
    return f"{value!r} ({type(value).__name__})"


class _Reader:
    """Turns a parsed document into a `Course`, raising `CourseConfigError` at the first problem."""

    def __init__(self, path: Path, source: str):
        self.path = path
        self.source = source

    def fail(self, key_path: KeyPath, problem: str, *, line_of: KeyPath | None = None) -> CourseConfigError:
        """An error about `key_path`, located at `line_of` (the key path itself by default)."""
        line = locate_line(self.source, key_path if line_of is None else line_of)
        return CourseConfigError(self.path, line, format_key_path(key_path) or "(top level)", problem)

    def table(self, value: Any, key_path: KeyPath, required: tuple[str, ...], optional: tuple[str, ...] = ()) -> dict:
        if not isinstance(value, dict):
            raise self.fail(key_path, f"expected a table, got {_describe(value)}")
        expected = ", ".join(sorted(required + optional))
        for key in value:
            if key not in required and key not in optional:
                raise self.fail(key_path, f"unknown key {key!r} (expected one of: {expected})", line_of=key_path + (key,))
        for key in required:
            if key not in value:
                raise self.fail(key_path, f"missing required key {key!r}")
        return value

    def string(self, table: dict, key_path: KeyPath, key: str) -> str:
        value = table[key]
        if not isinstance(value, str) or not value.strip():
            raise self.fail(key_path + (key,), f"expected a non-empty string, got {_describe(value)}")
        return value

    def number(
        self, table: dict, key_path: KeyPath, key: str, *, integer: bool = False, minimum: float = 0, allow_minimum: bool = False
    ) -> int | float:
        value = table[key]
        if not (_is_int(value) if integer else _is_number(value)):
            kind = "an integer" if integer else "a number"
            raise self.fail(key_path + (key,), f"expected {kind}, got {_describe(value)}")
        in_range = value >= minimum if allow_minimum else value > minimum
        if not in_range or not math.isfinite(value):
            bound = f">= {minimum}" if allow_minimum else f"> {minimum}"
            raise self.fail(key_path + (key,), f"must be {bound}, got {value!r}")
        return value

    def course(self, document: dict) -> Course:
        self.table(document, (), _TOP_KEYS)
        course = self.table(document["course"], ("course",), _COURSE_KEYS)
        # Checked in file order, so the first problem reported is the first in the file.
        course_id = self.string(course, ("course",), "id")
        title = self.string(course, ("course",), "title")
        timezone = self.string(course, ("course",), "timezone")
        self.check_timezone(timezone)
        return Course(
            id=course_id,
            title=title,
            timezone=timezone,
            grading=self.grading(document["grading"]),
            data=self.data(document["data"]),
            assignments=self.assignments(document["assignments"]),
        )

    def check_timezone(self, name: str) -> None:
        try:
            _zone(name)
        except (ZoneInfoNotFoundError, ValueError):
            raise self.fail(("course", "timezone"), f"unknown IANA time zone {name!r} (e.g. 'UTC', 'Europe/Berlin')") from None

    def grading(self, value: Any) -> GradingPolicy:
        key_path = ("grading",)
        table = self.table(value, key_path, _GRADING_KEYS)
        percent = self.number(table, key_path, "late_penalty_percent_per_day", minimum=0, allow_minimum=True)
        if percent > 100:
            raise self.fail(key_path + ("late_penalty_percent_per_day",), f"must be <= 100, got {percent!r}")
        return GradingPolicy(
            test_timeout_seconds=self.number(table, key_path, "test_timeout_seconds"),
            memory_limit_mb=self.number(table, key_path, "memory_limit_mb", integer=True),
            late_penalty_percent_per_day=percent,
            late_days_max=self.number(table, key_path, "late_days_max", integer=True, allow_minimum=True),
        )

    def data(self, value: Any) -> DataConfig:
        from .data import dataset_names

        key_path = ("data",)
        table = self.table(value, key_path, _DATA_KEYS)
        default = self.string(table, key_path, "default")
        datasets = table["datasets"]
        if not isinstance(datasets, list) or not datasets:
            raise self.fail(key_path + ("datasets",), f"expected a non-empty array of dataset names, got {_describe(datasets)}")
        known = dataset_names()
        for index, name in enumerate(datasets):
            item_path = key_path + ("datasets", index)
            if not isinstance(name, str):
                raise self.fail(item_path, f"expected a dataset name, got {_describe(name)}")
            if name in datasets[:index]:
                raise self.fail(item_path, f"duplicate dataset {name!r}")
            if name not in known:
                raise self.fail(item_path, f"unknown dataset {name!r} (datasets/manifest.toml has: {', '.join(known)})")
        if default not in datasets:
            raise self.fail(key_path + ("default",), f"default dataset {default!r} is not in data.datasets ({', '.join(datasets)})")
        return DataConfig(default=default, datasets=tuple(datasets))

    def assignments(self, value: Any) -> tuple[Assignment, ...]:
        if not isinstance(value, list) or not value:
            raise self.fail(("assignments",), f"expected one or more [[assignments]] tables, got {_describe(value)}")
        assignments: list[Assignment] = []
        seen_tasks: set[str] = set()
        for index, raw in enumerate(value):
            key_path = ("assignments", index)
            table = self.table(raw, key_path, _ASSIGNMENT_KEYS, _ASSIGNMENT_OPTIONAL_KEYS)
            assignment_id = self.string(table, key_path, "id")
            match = _ASSIGNMENT_ID.match(assignment_id)
            if not match:
                expected = "an id like 'a3_attention' (a, number, underscore, lowercase name)"
                raise self.fail(key_path + ("id",), f"expected {expected}, got {assignment_id!r}")
            if any(earlier.id == assignment_id for earlier in assignments):
                raise self.fail(key_path + ("id",), f"duplicate assignment id {assignment_id!r}")
            number = int(match.group(1))
            if assignments and number <= assignments[-1].number:
                problem = f"assignment {assignment_id!r} comes after {assignments[-1].id!r}; number the assignments in increasing order"
                raise self.fail(key_path + ("id",), problem)
            due = table["due"]
            if not isinstance(due, datetime):
                raise self.fail(key_path + ("due",), f"expected a date-time like 2027-01-22T23:59:00Z, got {_describe(due)}")
            if due.tzinfo is None:
                raise self.fail(key_path + ("due",), f"due date {due.isoformat()} has no timezone; add one, e.g. 'Z' or '+01:00'")
            if assignments and due <= assignments[-1].due:
                previous = assignments[-1]
                raise self.fail(key_path + ("due",), f"due {due.isoformat()} is not after {previous.id}'s due {previous.due.isoformat()}")
            module = None
            if "module" in table:
                module = self.string(table, key_path, "module")
                if not module.isidentifier():
                    raise self.fail(key_path + ("module",), f"expected a Python module name like 'attention', got {module!r}")
            tasks = self.tasks(table["tasks"], key_path, number, seen_tasks)
            title = self.string(table, key_path, "title")
            assignments.append(Assignment(id=assignment_id, title=title, due=due, tasks=tasks, module=module))
        return tuple(assignments)

    def tasks(self, value: Any, assignment_path: KeyPath, number: int, seen: set[str]) -> tuple[Task, ...]:
        if not isinstance(value, list) or not value:
            raise self.fail(assignment_path + ("tasks",), f"expected a non-empty array of tasks, got {_describe(value)}")
        tasks = []
        for index, raw in enumerate(value):
            key_path = assignment_path + ("tasks", index)
            table = self.table(raw, key_path, _TASK_KEYS, _TASK_OPTIONAL_KEYS)
            task_id = self.string(table, key_path, "id")
            match = _TASK_ID.match(task_id)
            if not match:
                raise self.fail(key_path + ("id",), f"expected a task id like '{number}.1', got {task_id!r}")
            if int(match.group(1)) != number:
                problem = f"task {task_id!r} is numbered for assignment {match.group(1)}, but sits in assignment {number}"
                raise self.fail(key_path + ("id",), problem)
            if task_id in seen:
                raise self.fail(key_path + ("id",), f"duplicate task id {task_id!r}")
            seen.add(task_id)
            manual = table.get("manual", False)
            if not isinstance(manual, bool):
                raise self.fail(key_path + ("manual",), f"expected true or false, got {_describe(manual)}")
            name = self.string(table, key_path, "name")
            tasks.append(Task(id=task_id, name=name, points=self.number(table, key_path, "points"), manual=manual))
        return tuple(tasks)
