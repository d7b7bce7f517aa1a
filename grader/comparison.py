"""Both sides of a failed comparison, for ``course compare``: the learner's value beside the expected one.

The suites compare through ``assert_close`` and ``assert_equal``
(grader/testing.py), whose messages never show a hidden test's expected
value. ``DifferenceRecorder`` is a pytest plugin for ``run_checks(plugins=...)``
that keeps, for each test a comparison failed, that comparison's two values
(``grader.testing.recording_differences``)::

    recorder = DifferenceRecorder(course=course)
    report = run_checks("assignments", assignments=["a3"], suites=GRADING_SUITES, plugins=[recorder])
    captured = recorder.for_task("3.3")[0]
    view = side_by_side(captured.difference)
    view.first_index, view.max_error          # (0, 0), 0.39

``side_by_side`` turns a ``Difference`` into what a reader needs: the kind of
each value (shape, dtype), how many entries differ, the largest error and
where, and a small window of both values around the first difference.
``compare_tree`` does all of it for a tree: the public and hidden suites,
then for each failed task its first failing comparison, side by side::

    report = compare_tree("assignments", assignments=["a3"])
    for comparison in report.comparisons:
        comparison.result.task.id, comparison.result.hint, comparison.view

Only the full repository (self-learners, who have solutions/ anyway) uses
this: grading and feedback never do.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import torch

from .checking import GRADING_SUITES, CheckReport, TaskResult, TaskStatus, run_checks
from .course import Course, load_course
from .testing import Difference, recording_differences, values_equal

# The window around the first difference: at most this many rows and columns of each value.
WINDOW_ROWS = 4
WINDOW_COLUMNS = 4
# Entries are shown with at least this many significant digits, and more (up to the maximum)
# when the differing entries would otherwise look the same (an error of 1e-4 on values near 1).
MIN_DIGITS = 4
MAX_DIGITS = 10
# A text value (a decoded string) is shown this many characters either side of its first difference.
TEXT_CONTEXT = 24
# Longer cell texts are cut: a window must stay readable.
MAX_CELL = 40


@dataclass(frozen=True)
class CapturedDifference:
    """The comparison that failed one test."""

    task: str
    """The id of the test's task, e.g. ``"3.3"``."""
    test: str
    """The test's name with its parameters, as ``TestResult.test`` gives it."""
    suite: str
    """The folder of its file: ``"public"`` or ``"hidden"``."""
    difference: Difference
    """Both values, the tolerance and the failure message."""


class DifferenceRecorder:
    """A pytest plugin that keeps the comparison that failed each test, in the order the tests ran.

    Only a comparison whose failure *is* the test's failure is kept: one the
    test caught and went on from (``pytest.raises(AssertionError)``, a
    property-based search trying examples) is not what the learner is told.
    """

    def __init__(self, *, course: Course) -> None:
        self.task_of_marker = {task.marker: task.id for assignment in course.assignments for task in assignment.tasks}
        self.captured: list[CapturedDifference] = []
        """Every kept comparison, in the order its test ran."""

    def for_task(self, task_id: str) -> list[CapturedDifference]:
        """The kept comparisons of ``task_id``'s tests, in the order they ran."""
        return [captured for captured in self.captured if captured.task == task_id]

    # An old-style wrapper (outcome.excinfo) works with every pytest this course supports (>= 7.4).
    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_call(self, item: pytest.Item):
        failed: list[Difference] = []
        with recording_differences(failed.append):
            outcome = yield
        error = outcome.excinfo[1] if outcome.excinfo else None
        task_ids = [self.task_of_marker[marker.name] for marker in item.iter_markers() if marker.name in self.task_of_marker]
        if failed and isinstance(error, AssertionError) and str(error) == failed[-1].message and task_ids:
            suite = Path(item.nodeid.split("::")[0]).parent.name
            self.captured.append(CapturedDifference(task_ids[0], item.nodeid.split("::")[-1], suite, failed[-1]))


@dataclass(frozen=True)
class Window:
    """A small slice of both values around the first difference, as text, cell by cell.

    ``yours[r][c]`` and ``expected[r][c]`` are the entries at row ``row_labels[r]``
    and column ``column_labels[c]``; ``differs[r][c]`` says whether they differ.
    """

    title: str
    """Which slice it is, e.g. ``"[0, 0:3, 0:4]"`` (Python's slice notation), or ``"items 2-5"``."""
    row_labels: tuple[str, ...]
    """One label per row: the index along the second-to-last dimension, an item index or a key."""
    column_labels: tuple[str, ...]
    """One label per column: the index along the last dimension; ``("",)`` for a single column."""
    yours: tuple[tuple[str, ...], ...]
    """The learner's entries."""
    expected: tuple[tuple[str, ...], ...]
    """The expected entries."""
    differs: tuple[tuple[bool, ...], ...]
    """True where the two entries differ (beyond the tolerance, for ``assert_close``)."""

    def to_json(self) -> dict[str, Any]:
        """The window as plain JSON types."""
        return {
            "title": self.title,
            "row_labels": list(self.row_labels),
            "column_labels": list(self.column_labels),
            "yours": [list(row) for row in self.yours],
            "expected": [list(row) for row in self.expected],
            "differs": [list(row) for row in self.differs],
        }


@dataclass(frozen=True)
class SideBySide:
    """A failed comparison summarised for reading: both kinds, where and by how much they differ, and a window.

    Example, the weights of attention without its ``1 / sqrt(d_k)`` scaling::

        yours     = "tensor (3, 5) torch.float32"
        expected  = "tensor (3, 5) torch.float32"
        differing, total = 15, 15
        first_index = (0, 0); max_error = 0.39; max_error_index = (1, 3)
    """

    what: str
    """What was compared, as the test named it."""
    yours: str
    """The kind of the learner's value: ``"tensor (3, 5) torch.float32"``, ``"list of 12 items"``, ``"None"``."""
    expected: str
    """The kind of the expected value, in the same words."""
    differing: int | None = None
    """How many entries differ; None when the values cannot be compared entry by entry."""
    total: int | None = None
    """How many entries there are (of the expected value)."""
    first_index: tuple[int, ...] | None = None
    """The index of the first entry that differs (row-major order), for tensors and sequences."""
    max_error: float | None = None
    """The largest ``|yours - expected|`` over the differing entries (inf for NaN), for floating-point values."""
    max_error_index: tuple[int, ...] | None = None
    """Where ``max_error`` is."""
    window: Window | None = None
    """Both values around the first difference; None when their shapes differ."""
    tolerance: str = ""
    """``"atol 1e-05 + rtol 0.0001 * |expected|"``, or ``"exact"``."""

    def to_json(self) -> dict[str, Any]:
        """The summary as plain JSON types (non-finite errors as strings, e.g. ``"inf"``)."""
        error = self.max_error
        return {
            "what": self.what,
            "yours": self.yours,
            "expected": self.expected,
            "differing": self.differing,
            "total": self.total,
            "first_index": list(self.first_index) if self.first_index is not None else None,
            "max_error": error if error is None or math.isfinite(error) else str(error),
            "max_error_index": list(self.max_error_index) if self.max_error_index is not None else None,
            "tolerance": self.tolerance,
            "window": self.window.to_json() if self.window is not None else None,
        }


@dataclass(frozen=True)
class TaskComparison:
    """A failed task, with the first of its comparisons that failed, side by side."""

    result: TaskResult
    """The task's result: status, tests passed, message, hint."""
    captured: CapturedDifference | None
    """The comparison shown: the one that failed the task's first failing test when it was a
    comparison, else the first comparison of the task that failed; None when no comparison failed
    (the tests that failed check a property, or an error was raised)."""
    view: SideBySide | None
    """``side_by_side`` of ``captured``; None without it."""

    @property
    def solution_command(self) -> str:
        """The command that prints the task's reference code, e.g. ``"course solution 3.3"``."""
        return f"course solution {self.result.task.id}"

    def to_json(self) -> dict[str, Any]:
        """The comparison as plain JSON types."""
        return {
            **self.result.to_json(),
            "test": self.captured.test if self.captured else None,
            "suite": self.captured.suite if self.captured else None,
            "comparison": self.view.to_json() if self.view else None,
            "solution": self.solution_command,
        }


@dataclass(frozen=True)
class CompareReport:
    """What ``compare_tree`` found: every task's result, and the failed tasks side by side."""

    check: CheckReport
    """The public and hidden suites' results, task by task and test by test."""
    comparisons: list[TaskComparison]
    """One per FAILED task, in course order."""

    @property
    def all_passed(self) -> bool:
        """True when there is at least one task and every task passed."""
        return self.check.all_passed

    def to_json(self) -> dict[str, Any]:
        """The report as plain JSON types."""
        return {**self.check.to_json(), "comparisons": [comparison.to_json() for comparison in self.comparisons]}


def compare_tree(
    tree: str | Path = "assignments", *, assignments: Sequence[str] | None = None, course: Course | None = None
) -> CompareReport:
    """Run the public and hidden suites on ``tree`` in this process and put each failed task beside the reference.

    Args:
        tree: ``"assignments"``, ``"solutions"`` or a folder laid out like them.
        assignments: assignments to check ("a3", "3", "a3_attention"); all when None.
        course: the course; course.toml when None.

    Raises:
        CourseError: an unknown assignment, or a tree that does not exist.
    """
    course = course if course is not None else load_course()
    recorder = DifferenceRecorder(course=course)
    report = run_checks(tree, assignments=assignments, suites=GRADING_SUITES, course=course, plugins=[recorder])
    comparisons = []
    for result in report.results:
        if result.status is TaskStatus.FAILED:
            captured = _shown_difference(result, recorder.for_task(result.task.id))
            comparisons.append(TaskComparison(result, captured, side_by_side(captured.difference) if captured else None))
    return CompareReport(report, comparisons)


def _shown_difference(result: TaskResult, captured: list[CapturedDifference]) -> CapturedDifference | None:
    """The comparison behind ``result.message`` when there is one, else the task's first failed comparison."""
    behind_message = [entry for entry in captured if entry.difference.message.strip().split("\n", 1)[0] == result.message]
    return (behind_message or captured or [None])[0]


def side_by_side(difference: Difference) -> SideBySide:
    """Summarise ``difference`` for a reader.

    Tensors, numbers and nested lists of numbers compare entry by entry (with
    the comparison's tolerance, exactly for ``assert_equal``); other lists and
    tuples item by item; dicts key by key; text character by character;
    anything else as one value.

    >>> from grader.testing import Difference
    >>> view = side_by_side(Difference("x", [1.0, 2.0, 3.0], [1.0, 2.5, 3.0], message="", atol=0.0, rtol=0.0))
    >>> view.first_index, view.max_error, view.window.yours, view.window.expected
    ((1,), 0.5, (('1', '2', '3'),), (('1', '2.5', '3'),))
    """
    actual, expected = difference.actual, difference.expected
    tolerance = "exact" if difference.atol is None else f"atol {difference.atol:g} + rtol {difference.rtol:g} * |expected|"
    base = {"what": difference.what, "yours": describe(actual), "expected": describe(expected), "tolerance": tolerance}
    actual_tensor, expected_tensor = _numeric_tensor(actual), _numeric_tensor(expected)
    if actual_tensor is not None and expected_tensor is not None:
        if actual_tensor.shape != expected_tensor.shape:
            return SideBySide(**base)
        return SideBySide(**base, **_tensor_comparison(actual_tensor, expected_tensor, difference))
    if isinstance(actual, str) and isinstance(expected, str):
        return SideBySide(**base, **_text_comparison(actual, expected))
    if isinstance(expected, Mapping) and isinstance(actual, Mapping):
        return SideBySide(**base, **_mapping_comparison(actual, expected))
    if _is_sequence(actual) and _is_sequence(expected):
        return SideBySide(**base, **_sequence_comparison(actual, expected))
    window = Window("", ("",), ("",), ((_cell(actual),),), ((_cell(expected),),), ((True,),))
    return SideBySide(**base, window=window)


def describe(value: Any) -> str:
    """What ``value`` is, in a few words: ``"tensor (2, 3) torch.float32"``, ``"list of 4 items"``, ``"int 7"``."""
    if isinstance(value, torch.Tensor):
        device = "" if value.device.type == "cpu" else f" on {value.device}"
        return f"tensor {tuple(value.shape)} {value.dtype}{device}"
    if value is None:
        return "None"
    if isinstance(value, str):
        return f"str of {_count(len(value), 'character')}"
    if isinstance(value, bytes):
        return f"bytes of length {len(value)}"
    if isinstance(value, Mapping):
        return f"{type(value).__name__} of {_count(len(value), 'key')}"
    if _is_sequence(value):
        return f"{type(value).__name__} of {_count(len(value), 'item')}"
    return f"{type(value).__name__} {_cut(repr(value))}"


def _count(number: int, noun: str) -> str:
    """``"1 item"``, ``"3 items"``."""
    return f"{number} {noun}{'' if number == 1 else 's'}"


# ---------------------------------------------------------------------------
# Tensors and numbers
# ---------------------------------------------------------------------------


def _numeric_tensor(value: Any) -> torch.Tensor | None:
    """``value`` as a CPU tensor when it is a tensor, a number or nested lists of numbers; else None."""
    if isinstance(value, torch.Tensor):
        return value.detach().cpu()
    if isinstance(value, (str, bytes, Mapping)) or value is None:
        return None
    try:
        tensor = torch.as_tensor(value)
        if tensor.is_floating_point():
            # Python floats are float64: torch's default float32 would round them before they are shown.
            tensor = torch.as_tensor(value, dtype=torch.float64)
    except (TypeError, ValueError, RuntimeError):
        return None
    return tensor


def _tensor_comparison(actual: torch.Tensor, expected: torch.Tensor, difference: Difference) -> dict[str, Any]:
    """The entry-by-entry fields of a SideBySide for two tensors of one shape."""
    differs = _differing_entries(actual, expected, difference)
    # The size of an error means something for measurements, not for ids, counts or flags.
    measured = actual.is_floating_point() or expected.is_floating_point()
    fields: dict[str, Any] = {"differing": int(differs.sum()), "total": differs.numel()}
    if not bool(differs.any()):
        # The comparison failed on something the entries do not show (a dtype promotion, say): no window to point at.
        return fields
    flat_first = int(differs.reshape(-1).nonzero()[0])
    first = _unravel(flat_first, actual.shape)
    fields["first_index"] = first
    if measured:
        error = (actual.double() - expected.double()).abs().nan_to_num(nan=math.inf)
        error = torch.where(differs, error, torch.zeros_like(error))
        flat_largest = int(error.reshape(-1).argmax())
        fields["max_error"] = float(error.reshape(-1)[flat_largest])
        fields["max_error_index"] = _unravel(flat_largest, actual.shape)
    fields["window"] = _tensor_window(actual, expected, differs, first)
    return fields


def _differing_entries(actual: torch.Tensor, expected: torch.Tensor, difference: Difference) -> torch.Tensor:
    """Bool tensor: True where the entries differ by the comparison's own rule (grader/testing.py)."""
    if difference.atol is None:
        common = torch.promote_types(actual.dtype, expected.dtype)
        got, want = actual.to(common), expected.to(common)
        differs = got != want
        if want.is_floating_point():
            differs &= ~(got.isnan() & want.isnan())
        return differs
    got, want = actual.double(), expected.double()
    both_finite = got.isfinite() & want.isfinite()
    close = (got == want) | (both_finite & ((got - want).abs() <= difference.atol + difference.rtol * want.abs()))
    if difference.equal_nan:
        close |= got.isnan() & want.isnan()
    return ~close


def _tensor_window(actual: torch.Tensor, expected: torch.Tensor, differs: torch.Tensor, first: tuple[int, ...]) -> Window:
    """Up to WINDOW_ROWS x WINDOW_COLUMNS entries around ``first``, leading dimensions fixed at ``first``'s."""
    if actual.dim() == 0:
        digits = _digits([(actual.item(), expected.item())])
        return Window("", ("",), ("",), ((_number(actual.item(), digits),),), ((_number(expected.item(), digits),),), ((True,),))
    # View every tensor as (leading..., rows, columns): a 1-D one as a single row.
    shape2d = (1, actual.shape[0]) if actual.dim() == 1 else tuple(actual.shape[-2:])
    leading = first[:-2]
    row, column = (0, first[0]) if actual.dim() == 1 else first[-2:]
    rows = _span(row, shape2d[0], WINDOW_ROWS)
    columns = _span(column, shape2d[1], WINDOW_COLUMNS)

    def plane(tensor: torch.Tensor) -> torch.Tensor:
        return tensor.reshape(1, -1) if tensor.dim() == 1 else tensor[leading]

    got, want, wrong = plane(actual), plane(expected), plane(differs)
    cells = [[(got[r, c].item(), want[r, c].item(), bool(wrong[r, c])) for c in columns] for r in rows]
    digits = _digits([(mine, theirs) for line in cells for mine, theirs, differ in line if differ])
    column_part = f"{columns.start}:{columns.stop}"
    if actual.dim() == 1:
        title, row_labels = f"[{column_part}]", ("",)
    else:
        title = "[" + ", ".join([*(str(index) for index in leading), f"{rows.start}:{rows.stop}", column_part]) + "]"
        row_labels = tuple(str(r) for r in rows)
    return Window(
        title,
        row_labels,
        tuple(str(c) for c in columns),
        tuple(tuple(_number(mine, digits) for mine, _, _ in line) for line in cells),
        tuple(tuple(_number(theirs, digits) for _, theirs, _ in line) for line in cells),
        tuple(tuple(differ for _, _, differ in line) for line in cells),
    )


def _span(center: int, length: int, size: int) -> range:
    """At most ``size`` consecutive indices of ``range(length)`` that hold ``center``, ``center`` near the start.

    >>> _span(7, 10, 4)
    range(6, 10)
    """
    start = max(0, min(center - 1, length - size))
    return range(start, min(length, start + size))


def _unravel(flat: int, shape: torch.Size) -> tuple[int, ...]:
    """The index of the ``flat``-th entry (row-major) of a tensor of ``shape``: ``_unravel(5, (2, 3)) == (1, 2)``."""
    index = []
    for size in reversed(shape):
        flat, position = divmod(flat, size)
        index.append(position)
    return tuple(reversed(index))


def _digits(pairs: Sequence[tuple[Any, Any]]) -> int:
    """The fewest significant digits (MIN_DIGITS..MAX_DIGITS) at which each pair of differing numbers reads differently."""
    for digits in range(MIN_DIGITS, MAX_DIGITS + 1):
        if all(_number(mine, digits) != _number(theirs, digits) for mine, theirs in pairs):
            return digits
    return MAX_DIGITS


def _number(value: float | int | bool, digits: int) -> str:
    """``0.02586`` for floats (``digits`` significant), ``7`` for ints, ``True`` for bools."""
    if isinstance(value, float):
        return f"{value:.{digits}g}"
    return repr(value)


# ---------------------------------------------------------------------------
# Text, mappings, other sequences
# ---------------------------------------------------------------------------


def _text_comparison(actual: str, expected: str) -> dict[str, Any]:
    """Both texts around their first differing character (a missing end counts as a difference)."""
    first = next((index for index, (mine, theirs) in enumerate(zip(actual, expected)) if mine != theirs), min(len(actual), len(expected)))
    start, stop = max(0, first - TEXT_CONTEXT), min(first + TEXT_CONTEXT, max(len(actual), len(expected)))
    window = Window(
        f"characters {start}-{stop - 1}" if (start, stop) != (0, max(len(actual), len(expected))) else "",
        ("",),
        ("",),
        ((repr(actual[start:stop]),),),
        ((repr(expected[start:stop]),),),
        ((True,),),
    )
    return {"first_index": (first,), "window": window}


def _mapping_comparison(actual: Mapping, expected: Mapping) -> dict[str, Any]:
    """The keys that differ (missing, extra, or another value), a few of them side by side."""
    keys = [*expected, *(key for key in actual if key not in expected)]
    differing = [key for key in keys if key not in actual or key not in expected or not values_equal(actual[key], expected[key])]
    shown = differing[:WINDOW_ROWS]
    window = Window(
        f"{len(shown)} of the {len(differing)} keys that differ",
        tuple(_cut(repr(key)) for key in shown),
        ("",),
        tuple((_cell(actual[key]) if key in actual else "(missing)",) for key in shown),
        tuple((_cell(expected[key]) if key in expected else "(missing)",) for key in shown),
        tuple((True,) for _ in shown),
    )
    return {"differing": len(differing), "total": len(keys), "window": window}


def _sequence_comparison(actual: Sequence, expected: Sequence) -> dict[str, Any]:
    """Items around the first that differs (an item one side lacks counts as a difference)."""
    length = max(len(actual), len(expected))
    differs = [index >= len(actual) or index >= len(expected) or not values_equal(actual[index], expected[index]) for index in range(length)]
    first = differs.index(True) if any(differs) else 0
    rows = _span(first, length, WINDOW_ROWS)

    def item(values: Sequence, index: int) -> str:
        return _cell(values[index]) if index < len(values) else "(none)"

    window = Window(
        f"items {rows.start}-{rows.stop - 1}",
        tuple(str(index) for index in rows),
        ("",),
        tuple((item(actual, index),) for index in rows),
        tuple((item(expected, index),) for index in rows),
        tuple((differs[index],) for index in rows),
    )
    return {"differing": sum(differs), "total": len(expected), "first_index": (first,), "window": window}


def _is_sequence(value: Any) -> bool:
    return isinstance(value, (list, tuple))


def _cell(value: Any) -> str:
    return _cut(repr(value))


def _cut(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= MAX_CELL else text[: MAX_CELL - 3] + "..."
