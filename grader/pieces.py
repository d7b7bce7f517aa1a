"""Which pieces of the GPT are the learner's own, and which are borrowed from the reference.

A *piece* is one task of course.toml whose code ``course train --impl mine``
builds, trains or samples with: the embeddings (a2), attention (a3), the
transformer and the GPT (a4), the training loop's parts (a5) and the sampler
(a6). A piece is the learner's when its public tests pass on their tree;
anything else (not started, failing, not importable) is borrowed from the
reference, and the reason is kept::

    pieces = assess_pieces(Path("assignments"))
    pieces[0]   # Piece(assignment='a2_embeddings', task='2.1', name='TokenEmbedding',
                #       owner=<Owner.REFERENCE>, reason='not started')

The tokens themselves are not a piece: the data pipeline (grader/data)
tokenizes each corpus once, with the course's reference tokenizer, and
caches the result for every run.

A piece is plain data (``to_json`` / ``from_json``): a checkpoint records
the pieces it was trained with, so ``course sample`` and ``--resume``
rebuild the same model, and the ranks of a multi-process run share the
first rank's verdict.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.table import Table

from .checking import TaskResult, TaskStatus, run_checks
from .course import Course, Task, load_course

MODEL_ASSIGNMENTS = ("a2_embeddings", "a3_attention", "a4_transformer", "a5_training", "a6_sampling")
"""The assignments whose code the composed model is made of, in the order they import each other."""

UNUSED_BY_TRAINING = frozenset({"SlidingWindowDataset"})
"""Tasks of those assignments that `course train` never calls: it draws random batches with
``get_batch``; the dataset of every window is for a DataLoader."""


class Owner(str, enum.Enum):
    """Whose code a piece of the composed model is."""

    YOURS = "yours"
    """The learner's: its public tests pass on their tree."""
    REFERENCE = "reference"
    """Borrowed from solutions/: the learner's is unfinished or failing."""


@dataclass(frozen=True)
class Piece:
    """One piece of the composed model and who wrote it."""

    assignment: str
    """The assignment's id, e.g. ``"a3_attention"``."""
    task: str
    """The task's id, e.g. ``"3.2"``."""
    name: str
    """The task's name: the function or class it writes (``"softmax"``), or a method (``"GPT.init_weights"``)."""
    owner: Owner
    """YOURS or REFERENCE."""
    reason: str
    """Why this owner, for the table: ``"passes its 5 public tests"``, ``"not started"``,
    ``"fails 2 of 5 public tests: ..."``."""

    def to_json(self) -> dict[str, str]:
        """The piece as plain strings (for a checkpoint, or to send to the other ranks)."""
        return {"assignment": self.assignment, "task": self.task, "name": self.name, "owner": self.owner.value, "reason": self.reason}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Piece:
        """The piece ``to_json`` wrote."""
        return cls(data["assignment"], data["task"], data["name"], Owner(data["owner"]), data["reason"])


def model_tasks(course: Course) -> list[tuple[str, Task]]:
    """``(assignment id, task)`` of every piece, in course order: the checked tasks of
    ``MODEL_ASSIGNMENTS`` that training or sampling calls."""
    return [
        (record.id, task)
        for record in course.assignments
        if record.id in MODEL_ASSIGNMENTS
        for task in record.tasks
        if not task.manual and task.name not in UNUSED_BY_TRAINING
    ]


def assess_pieces(tree: str | Path, *, course: Course | None = None) -> tuple[Piece, ...]:
    """Run the public tests of every piece on ``tree`` (in this process) and say who owns each.

    A piece whose tests all pass is YOURS; every other is borrowed from the
    reference, with the reason: ``"not started"``, ``"not started: needs
    Task 4.5 (GPT) first"``, ``"fails 2 of 5 public tests: <first failure>"``
    or the import error (``"a3_attention/attention.py cannot be imported: ..."``).

    Example:
        For the generated assignments/ (all stubs) every piece is
        ``Owner.REFERENCE`` with reason ``"not started"``.
    """
    course = course if course is not None else load_course()
    tasks = model_tasks(course)
    report = run_checks(tree, tasks=[task.id for _, task in tasks], course=course)
    return tuple(Piece(result.assignment.id, result.task.id, result.task.name, _owner(result), _reason(result)) for result in report.results)


def _owner(result: TaskResult) -> Owner:
    return Owner.YOURS if result.status is TaskStatus.PASSED else Owner.REFERENCE


def _reason(result: TaskResult) -> str:
    """One line saying why ``result`` makes its piece the learner's or the reference's."""
    tests = "test" if result.total == 1 else "tests"
    if result.status is TaskStatus.PASSED:
        return f"passes its {result.total} public {tests}"
    if result.status is TaskStatus.NOT_STARTED:
        # checking.py says "the stub still raises ..." for the task's own stub, "needs Task X first" for another's.
        return "not started" if result.message.startswith("the stub") else f"not started: {result.message}"
    if result.status is TaskStatus.FAILED:
        return f"fails {result.total - result.passed} of {result.total} public {tests}: {result.message}"
    return result.message


def pieces_table(pieces: Sequence[Piece], *, title: str) -> Table:
    """The table ``course train --impl`` prints before training: piece, task, owner and why."""
    yours = sum(piece.owner is Owner.YOURS for piece in pieces)
    table = Table(
        title=title,
        title_justify="left",
        caption=f"{yours} of {len(pieces)} pieces are yours, {len(pieces) - yours} borrowed from the reference. "
        "The data was tokenized by the course's reference tokenizer (a1).",
        caption_justify="left",
    )
    table.add_column("piece", no_wrap=True)
    table.add_column("task", justify="right")
    table.add_column("owner", no_wrap=True)
    table.add_column("why")
    for piece in pieces:
        owner = "[bold green]yours[/]" if piece.owner is Owner.YOURS else "reference"
        table.add_row(piece.name, piece.task, owner, piece.reason)
    return table
