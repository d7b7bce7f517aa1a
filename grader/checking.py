"""Run the tests of a tree in-process and say, task by task, where it stands.

``run_checks`` is what ``course check``, ``course status`` and the notebooks'
``check_task`` share, and what ``course audit`` runs in its workers. It runs
each assignment's ``test_aN_*.py`` of the suites chosen (the public suite,
tests/public, by default; the hidden one, tests/hidden, as well for grading)
with ``pytest.main`` in this process (fast, and a student can debug with
pdb), passing ``--impl <tree>``, and turns each test's outcome into one row
per task of course.toml::

    report = run_checks("assignments", assignments=["a3"])
    for result in report.results:
        print(result.task.id, result.status.value, result.message)

How a task's tests map to its status (the first rule that applies):

- ``ERROR``: the module cannot be imported (syntax error, missing file,
  exception at import: the message names ``file:line``), a name the tests
  need is missing (``a3_attention/attention.py has no `softmax` (renamed or
  deleted?)``), a fixture failed, a test file itself cannot be loaded, or
  no test carries the task's marker;
- ``PASSED``: every test that ran passed;
- ``NOT_STARTED``: no test passed and every failure is a stub's
  ``NotImplementedError("Task X.Y: name")``; when the stub hit belongs to
  another task the message says ``needs Task 4.5 (GPT) first``;
- ``FAILED``: anything else; the message is the first line of the first real
  failure and the hint the text after ``Hint: `` (see grader/testing.py).

Student code is read fresh on every call: the tree's modules are dropped
from ``sys.modules`` when a file changed (``reload_if_changed``), so a
long-lived Jupyter kernel sees the edits. The public test modules are
imported anew on each call too, and removed again afterwards.

Pytest's own terminal output is captured and dropped (the report is ours),
warnings are recorded rather than printed, and nothing is written to stderr:
nbgrader scores 0 for a test cell with any stderr output. Assertions are not
rewritten (``--assert=plain``): a message is what the suite's helpers wrote
(grader/testing.py), never pytest's replay of the test's source.
"""

from __future__ import annotations

import contextlib
import enum
import io
import os
import re
import signal
import sys
import threading
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from .course import Assignment, Course, Task, load_course
from .errors import CourseError
from .implementation import ImplementationError, MissingNameError, deepest_frame_in, reload_if_changed, resolve_tree
from .paths import ASSIGNMENTS, HIDDEN_TESTS, PUBLIC_TESTS, REPOSITORY
from .testing import HINT_PREFIX, failure_message

_STUB_MESSAGE = re.compile(r"^Task (\d+\.\d+): (.+)$")


class CheckError(CourseError):
    """The checks themselves could not run (pytest refused its arguments or crashed)."""


class TestTimeLimitExceeded(Exception):
    """A test ran past the time limit ``run_checks`` was given (an endless loop, a far too slow loop)."""


class TaskStatus(str, enum.Enum):
    """Where one task stands after its public tests ran."""

    PASSED = "passed"
    FAILED = "failed"
    NOT_STARTED = "not started"
    ERROR = "error"


def earned_points(points: float, passed: int, total: int) -> float:
    """What a task earns: its points times the share of its tests that passed; 0 when none ran.

    ``course grade`` and the notebooks' check cells under nbgrader both score this way, so they agree.

    >>> earned_points(3, 2, 3)
    2.0
    """
    return points * passed / total if total else 0.0


@dataclass(frozen=True)
class TaskResult:
    """The outcome of one task's tests."""

    assignment: Assignment
    """The assignment the task belongs to."""
    task: Task
    """The task as course.toml describes it (``task.id``, ``task.name``, ``task.points``)."""
    status: TaskStatus
    """PASSED, FAILED, NOT_STARTED or ERROR (see the module docstring for the rules)."""
    passed: int
    """How many of the task's tests passed."""
    total: int
    """How many of the task's tests ran (skipped tests are not counted)."""
    message: str = ""
    """One line saying what went wrong; empty when the task passed."""
    hint: str = ""
    """The failing test's hint (the text after ``Hint: ``), or empty."""
    details: tuple[str, ...] = ()
    """Further lines of the failure (shapes, first differing index), without the hint."""

    def to_json(self) -> dict[str, Any]:
        """The result as plain JSON types."""
        return {
            "assignment": self.assignment.id,
            "task": self.task.id,
            "name": self.task.name,
            "points": self.task.points,
            "status": self.status.value,
            "passed": self.passed,
            "total": self.total,
            "message": self.message,
            "hint": self.hint,
            "details": list(self.details),
        }


@dataclass(frozen=True)
class TestResult:
    """The outcome of one test, as a student may see it."""

    test: str
    """The test's name with its parameters, e.g. ``test_rows_sum_to_one[float64]`` (no path)."""
    suite: str
    """The folder of its file: ``"public"`` or ``"hidden"``."""
    task: str
    """The id of the task the test belongs to."""
    outcome: str
    """``"passed"``, ``"failed"`` or ``"skipped"``."""
    message: str = ""
    """For a failure: the summary, the details and the ``Hint:`` line, as the suite's helpers wrote them."""
    seconds: float = 0.0
    """Wall time of the test: setup, call and teardown."""

    def to_json(self) -> dict[str, Any]:
        """The result as plain JSON types."""
        return {"test": self.test, "suite": self.suite, "task": self.task, "outcome": self.outcome, "message": self.message, "seconds": self.seconds}


@dataclass(frozen=True)
class CheckReport:
    """The outcome of one ``run_checks`` call: one result per checked (non-manual) task, in course order."""

    tree: Path
    """The tree whose code was checked."""
    results: list[TaskResult] = field(default_factory=list)
    """One row per task, in the order of course.toml."""
    tests: list[TestResult] = field(default_factory=list)
    """Every test that ran, in the order it ran."""

    @property
    def all_passed(self) -> bool:
        """True when there is at least one result and every one PASSED."""
        return bool(self.results) and all(result.status is TaskStatus.PASSED for result in self.results)

    def for_assignment(self, assignment_id: str) -> list[TaskResult]:
        """The results of one assignment (by its full id, e.g. ``"a3_attention"``)."""
        return [result for result in self.results if result.assignment.id == assignment_id]

    def to_json(self) -> dict[str, Any]:
        """The report as plain JSON types."""
        return {
            "tree": str(self.tree),
            "all_passed": self.all_passed,
            "results": [result.to_json() for result in self.results],
            "tests": [test.to_json() for test in self.tests],
        }


PUBLIC_SUITES = (PUBLIC_TESTS,)
"""What students run: the public suite."""
GRADING_SUITES = (PUBLIC_TESTS, HIDDEN_TESTS)
"""What grades a submission: the public and the hidden suite (instructors' repository only)."""


def run_checks(
    tree: str | Path | None = None,
    *,
    assignments: Sequence[str] | None = None,
    tasks: Sequence[str] | None = None,
    suites: Sequence[str | Path] | None = None,
    course: Course | None = None,
    test_time_limit: float | None = None,
    plugins: Sequence[object] = (),
    basetemp: str | Path | None = None,
) -> CheckReport:
    """Run the tests of ``tree`` for the chosen assignments or tasks.

    Args:
        tree: the code to check: ``"solutions"``, ``"assignments"`` or a folder
            laid out like them; None for the repository's assignments/.
        assignments: assignments to check ("a3", "3", "a3_attention"); all when None.
        tasks: task ids to check ("3.2"); all code tasks of ``assignments`` when None.
            Given alone, the assignments are those of the tasks.
        suites: the test folders (``test_aN_*.py`` files, with a conftest.py
            that defines ``--impl`` above them, all under the same tests/
            folder); None for the public suite. ``GRADING_SUITES`` adds the
            hidden one.
        course: the course; course.toml when None.
        test_time_limit: seconds one test may run before it fails with
            ``TestTimeLimitExceeded``; None for no limit. Enforced with
            SIGALRM, so only where that exists and only from the main thread
            (elsewhere the tests run without a limit).
        plugins: further pytest plugins, e.g. grading's isolation plugin
            (grader/grading/isolation_plugin.py), which puts the student's code in a worker.
        basetemp: the folder for the tests' ``tmp_path`` (pytest's default when None).

    Returns:
        One TaskResult per non-manual task chosen, in course order.

    Raises:
        CourseError: an unknown assignment or task, a task graded by hand, a
            task outside the chosen assignments, or a tree that does not exist.
        CheckError: pytest could not run the suite at all.
        KeyboardInterrupt: the run was interrupted (Ctrl-C, Jupyter's stop button).
    """
    course = course if course is not None else load_course()
    root = (resolve_tree(str(tree)) if tree is not None else ASSIGNMENTS).resolve()
    if not root.is_dir():
        raise ImplementationError(f"implementation folder {root} does not exist")
    folders = [Path(suite).resolve() for suite in (suites if suites is not None else PUBLIC_SUITES)]
    if not folders:
        raise CheckError("no test suite given")
    tests_root = folders[0].parent
    chosen = _choose_tasks(course, assignments, tasks)
    files = {record.id: [path for folder in folders for path in test_files(folder, record)] for record, _ in chosen}
    present = sorted({str(path) for paths in files.values() for path in paths})

    collector = _OutcomeCollector(root, course=course)
    if present:
        reload_if_changed(root)
        markers = [task.marker for _, task in chosen] if tasks else None
        _run_pytest(
            present, root=root, tests_root=tests_root, collector=collector, markers=markers, time_limit=test_time_limit,
            plugins=plugins, basetemp=basetemp,
        )
    results = []
    for record, task in chosen:
        missing = [folder for folder in folders if not test_files(folder, record)]
        if missing:
            problem = f"no tests: {_short(missing[0])}/test_a{record.number}_*.py is missing"
            results.append(TaskResult(record, task, TaskStatus.ERROR, 0, 0, message=problem))
            continue
        broken_files = [(path, collector.collection_errors[path]) for path in files[record.id] if path in collector.collection_errors]
        if broken_files:
            path, error = broken_files[0]
            problem = f"{_short(path)} could not be loaded: {error}"
            results.append(TaskResult(record, task, TaskStatus.ERROR, 0, 0, message=problem))
            continue
        results.append(_task_result(record, task, collector.outcomes_of(task.id), course=course))
    return CheckReport(tree=root, results=results, tests=collector.test_results())


def test_files(suite: Path, assignment: Assignment) -> list[Path]:
    """The test files of ``assignment`` in ``suite``: ``test_aN_*.py`` (``test_a3_attention.py``, ``test_a4_model.py``)."""
    return sorted(path.resolve() for path in suite.glob(f"test_a{assignment.number}_*.py"))


def _choose_tasks(course: Course, assignments: Sequence[str] | None, tasks: Sequence[str] | None) -> list[tuple[Assignment, Task]]:
    """The (assignment, task) pairs to check, in course order; manual tasks are left out (naming one is an error)."""
    records = [course.assignment(name) for name in assignments] if assignments else None
    if tasks:
        wanted = []
        for task_id in tasks:
            task = course.task(str(task_id).strip())
            owner = next(record for record in course.assignments if task in record.tasks)
            if task.manual:
                raise CourseError(f"Task {task.id} ({task.name}) is graded by hand; it has no checks")
            if records is not None and owner not in records:
                raise CourseError(f"Task {task.id} belongs to {owner.id}, which is not among the assignments chosen")
            wanted.append(task.id)
        return [(record, task) for record in course.assignments for task in record.tasks if task.id in wanted]
    records = records if records is not None else list(course.assignments)
    chosen_ids = {record.id for record in records}
    return [
        (record, task)
        for record in course.assignments
        if record.id in chosen_ids
        for task in record.tasks
        if not task.manual
    ]


# ---------------------------------------------------------------------------
# Running pytest
# ---------------------------------------------------------------------------


@dataclass
class _TestOutcome:
    """What happened to one test: passed, skipped, or the exception that failed it."""

    passed: bool = True
    skipped: bool = False
    error: BaseException | None = None
    in_setup: bool = False
    where: str | None = None
    """``file:line`` of the deepest frame inside the tree, for errors raised by student code."""
    seconds: float = 0.0


class _OutcomeCollector:
    """A pytest plugin that keeps each test's outcome and exception, keyed by task id."""

    def __init__(self, root: Path, *, course: Course) -> None:
        self.root = root
        """The tree under test: frames inside it are the student's code."""
        self.task_of_marker = {task.marker: task.id for assignment in course.assignments for task in assignment.tasks}
        self.outcomes: dict[str, dict[str, _TestOutcome]] = {}
        self.collection_errors: dict[Path, str] = {}
        """The first error line of each test file that could not be loaded, by its resolved path."""
        self.interrupted = False
        self._rootpath = Path.cwd()

    def pytest_configure(self, config: pytest.Config) -> None:
        self._rootpath = config.rootpath

    def outcomes_of(self, task_id: str) -> list[_TestOutcome]:
        return list(self.outcomes.get(task_id, {}).values())

    def test_results(self) -> list[TestResult]:
        """Every test's outcome, with the full message of each failure."""
        results = []
        for task_id, outcomes in self.outcomes.items():
            for nodeid, outcome in outcomes.items():
                name, suite = nodeid.split("::")[-1], Path(nodeid.split("::")[0]).parent.name
                if outcome.skipped:
                    results.append(TestResult(name, suite, task_id, "skipped", seconds=outcome.seconds))
                elif outcome.passed:
                    results.append(TestResult(name, suite, task_id, "passed", seconds=outcome.seconds))
                else:
                    summary, details, hint = _split_message(outcome)
                    results.append(TestResult(name, suite, task_id, "failed", failure_message(summary, details, hint), outcome.seconds))
        return results

    # An old-style wrapper (outcome.get_result()) works with every pytest this course supports (>= 7.4).
    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo):
        outcome_of_hook = yield
        report = outcome_of_hook.get_result()
        task_ids = [self.task_of_marker[marker.name] for marker in item.iter_markers() if marker.name in self.task_of_marker]
        if task_ids:
            outcome = self.outcomes.setdefault(task_ids[0], {}).setdefault(item.nodeid, _TestOutcome())
            outcome.seconds += report.duration
            if report.skipped:
                outcome.skipped = True
            elif report.failed and outcome.error is None:
                outcome.passed = False
                outcome.in_setup = call.when == "setup"
                if call.excinfo is not None:
                    outcome.error = call.excinfo.value
                    # An isolated worker's error says itself where in the student's tree it was raised.
                    outcome.where = getattr(outcome.error, "student_location", None) or deepest_frame_in(call.excinfo.tb, self.root)

    def pytest_keyboard_interrupt(self) -> None:
        self.interrupted = True

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if report.failed:
            path = (self._rootpath / report.nodeid.split("::")[0]).resolve()
            lines = [line.strip() for line in str(report.longrepr).splitlines() if line.strip()]
            errors = [line[1:].strip() for line in lines if line.startswith("E ")]
            self.collection_errors[path] = (errors or lines or ["unknown error"])[-1]


class _TimeLimit:
    """A pytest plugin that fails a test running longer than ``seconds`` (SIGALRM, main thread only)."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_call(self, item: pytest.Item):
        previous = signal.signal(signal.SIGALRM, self._expired)
        signal.setitimer(signal.ITIMER_REAL, self.seconds)
        try:
            yield
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)

    def _expired(self, signum: int, frame: Any) -> None:
        raise TestTimeLimitExceeded(f"the test ran longer than {self.seconds:g} s (an endless loop?)")


def _can_limit_time() -> bool:
    return hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()


def _run_pytest(
    files: list[str],
    *,
    root: Path,
    tests_root: Path,
    collector: _OutcomeCollector,
    markers: list[str] | None,
    time_limit: float | None,
    plugins: Sequence[object] = (),
    basetemp: str | Path | None = None,
) -> None:
    """``pytest.main`` on ``files`` against ``root``, silently; outcomes land in ``collector``."""
    arguments = [
        *files,
        f"--impl={root}",
        "-q",
        "--tb=no",
        # A message is what the suite's helpers wrote, never pytest's replay of the test's own source.
        "--assert=plain",
        # Each test file is imported under a name made from its path, so the
        # public test_a1_tokenizer.py cannot clash with another suite's file of the same name.
        "--import-mode=importlib",
        # A test file that cannot be imported is an error row of its assignment; the other files still run.
        "--continue-on-collection-errors",
        "-p", "no:cacheprovider",
        # faulthandler wants stderr's file descriptor, which a notebook may not have.
        "-p", "no:faulthandler",
        # Its clean-up runs gc.collect() several times over torch's heap: most of a check's time, for a
        # report ("unraisable exception" warnings) that ours does not show.
        "-p", "no:unraisableexception",
    ]
    if markers:
        arguments += ["-m", " or ".join(markers)]
    if basetemp is not None:
        arguments.append(f"--basetemp={basetemp}")
    plugins = [collector, *plugins]
    if time_limit is not None and _can_limit_time():
        plugins.append(_TimeLimit(time_limit))
    before = set(sys.modules)
    terminal, errors = io.StringIO(), io.StringIO()
    try:
        with (
            _working_directory(tests_root.parent),
            contextlib.redirect_stdout(terminal),
            contextlib.redirect_stderr(errors),
            warnings.catch_warnings(record=True),
        ):
            exit_code = pytest.main(arguments, plugins=plugins)
    finally:
        _forget_test_modules(before, tests_root)
    if collector.interrupted:
        raise KeyboardInterrupt
    if exit_code in (pytest.ExitCode.INTERRUPTED, pytest.ExitCode.USAGE_ERROR, pytest.ExitCode.INTERNAL_ERROR):
        output = (errors.getvalue() + terminal.getvalue()).strip().splitlines()
        raise CheckError(f"pytest could not run the tests in {tests_root} (exit {int(exit_code)}): {' '.join(output[-3:])}")


@contextlib.contextmanager
def _working_directory(path: Path) -> Iterator[None]:
    """Run in ``path`` (the course root), so nothing the tests write lands in a notebook's folder."""
    previous = os.getcwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(previous)


def _forget_test_modules(before: set[str], tests_root: Path) -> None:
    """Drop the test modules and conftests pytest imported from ``tests_root`` (and the empty
    parent modules it made for their dotted names), so the next run reads them again."""
    dropped = []
    for name in set(sys.modules) - before:
        file = getattr(sys.modules[name], "__file__", None)
        if file and Path(file).resolve().is_relative_to(tests_root):
            dropped.append(name)
            del sys.modules[name]
    parents = {name.rsplit(".", depth)[0] for name in dropped for depth in range(1, name.count(".") + 1)}
    for name in parents - before:
        if name in sys.modules and getattr(sys.modules[name], "__file__", None) is None:
            del sys.modules[name]


# ---------------------------------------------------------------------------
# From outcomes to a task's status
# ---------------------------------------------------------------------------


def _task_result(record: Assignment, task: Task, outcomes: list[_TestOutcome], *, course: Course) -> TaskResult:
    ran = [outcome for outcome in outcomes if not outcome.skipped]
    passed = sum(outcome.passed for outcome in ran)
    failures = [outcome for outcome in ran if not outcome.passed]
    if not outcomes:
        return TaskResult(record, task, TaskStatus.ERROR, 0, 0, message=f"no test carries the {task.marker} marker")

    def result(status: TaskStatus, message: str = "", hint: str = "", details: Sequence[str] = ()) -> TaskResult:
        return TaskResult(record, task, status, passed, len(ran), message=message, hint=hint, details=tuple(details))

    if not failures:
        return result(TaskStatus.PASSED)
    broken = [outcome for outcome in failures if _is_broken_code(outcome)]
    if broken:
        return result(TaskStatus.ERROR, _describe_error(broken[0]))
    stubs = [_stub_task(outcome.error) for outcome in failures]
    if passed == 0 and all(stubs):
        others = sorted({stub for stub in stubs if stub != task.id}, key=_task_sort_key)
        if others:
            needed = ", ".join(f"Task {other} ({course.task(other).name})" for other in others)
            return result(TaskStatus.NOT_STARTED, f"needs {needed} first")
        return result(TaskStatus.NOT_STARTED, "the stub still raises NotImplementedError")
    real = [outcome for outcome, stub in zip(failures, stubs) if not stub] or failures
    summary, details, hint = _split_message(real[0])
    return result(TaskStatus.FAILED, summary, hint, details)


def _is_broken_code(outcome: _TestOutcome) -> bool:
    """True when the code could not be reached at all: an import error, a missing name, a fixture error."""
    return outcome.in_setup or isinstance(outcome.error, (ImplementationError, MissingNameError))


def _describe_error(outcome: _TestOutcome) -> str:
    error = outcome.error
    if isinstance(error, (ImplementationError, MissingNameError)):
        return _first_line(str(error))
    return f"test setup failed: {type(error).__name__}: {_first_line(str(error))}"


def _stub_task(error: BaseException | None) -> str | None:
    """The task id of a stub's ``NotImplementedError("Task 4.5: GPT")``, else None."""
    if type(error) is not NotImplementedError:
        return None
    match = _STUB_MESSAGE.match(str(error).strip())
    return match.group(1) if match else None


def _split_message(outcome: _TestOutcome) -> tuple[str, list[str], str]:
    """(summary line, detail lines, hint) of a failed test's exception."""
    error = outcome.error
    if error is None:
        return "the test failed", [], ""
    lines = [line for line in str(error).splitlines() if line.strip()]
    hints = [line[len(HINT_PREFIX):].strip() for line in lines if line.startswith(HINT_PREFIX)]
    lines = [line for line in lines if not line.startswith(HINT_PREFIX)]
    if isinstance(error, AssertionError):
        summary = lines[0] if lines else "assertion failed"
        # Pytest's assertion rewriting appends its own explanation ("assert ..."), which only repeats the test code.
        details = [line for line in lines[1:] if not line.lstrip().startswith(("assert ", "+", "where "))]
    else:
        summary = f"{type(error).__name__}: {lines[0] if lines else ''}".rstrip(": ")
        details = []
        if outcome.where:
            summary += f" (at {outcome.where})"
    return summary, details, hints[0] if hints else ""


def _first_line(text: str) -> str:
    lines = [line for line in text.splitlines() if line.strip()]
    return lines[0] if lines else ""


def _task_sort_key(task_id: str) -> tuple[int, int]:
    number, index = task_id.split(".")
    return int(number), int(index)


def _short(path: Path) -> str:
    """``path`` relative to the course root when below it (``tests/public/test_a3_attention.py``)."""
    try:
        return path.resolve().relative_to(REPOSITORY).as_posix()
    except ValueError:
        return str(path)
