"""``course solution TASK``: print the reference code of one task, for self-learners who are stuck.

The first time a task's solution is asked for, the command asks first::

    This shows the reference solution of Task 3.2. Seeing it before you have
    tried spoils the exercise. Show it? [y/N]

and remembers a yes (or ``--yes``) for that task in ``.course/solutions-shown.json``
at the root of the repository (git-ignored: it is this copy's progress, and
a fresh clone asks again). Where no one can answer (stdin is not a terminal)
and the task was not agreed to before, it refuses unless given ``--yes``.

The code (grader/reference_code.py) is printed with its line numbers in the
solution file, syntax-highlighted on a terminal. A task answered in writing
has no code: the message names the notebook with the model answers. It
needs the full repository: a student release has no solutions/.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from rich.markup import escape
from rich.syntax import Syntax

from ..atomic import atomic_write_text
from ..console import console
from ..course import Course, load_course
from ..errors import CourseError
from ..paths import REPOSITORY, SOLUTIONS
from ..reference_code import ReferenceCode, display_path, reference_code, require_full_repository

CONSENT_FILE = REPOSITORY / ".course" / "solutions-shown.json"
"""The tasks whose solution the learner agreed to see (a JSON list of task ids)."""


def main(
    *,
    task: str,
    yes: bool = False,
    course: Course | None = None,
    solutions: Path = SOLUTIONS,
    consent_file: Path = CONSENT_FILE,
) -> ReferenceCode | None:
    """Print the reference code of ``task`` (``"3.2"``) after the learner agreed; return it, or None when declined.

    Args:
        task: the task id, e.g. ``"3.2"``.
        yes: show it without asking (and remember the consent).
        course: the course; course.toml when None.
        solutions: the reference tree.
        consent_file: where agreed task ids are remembered.

    Raises:
        CourseError: no solutions/ (a student release), an unknown task, a
            task answered in writing, or no one to ask and no ``--yes``.
    """
    require_full_repository("solution", needs=[solutions])
    code = reference_code(task, course=course if course is not None else load_course(), solutions=solutions)
    task_id = code.task.id
    if not yes and task_id not in agreed_tasks(consent_file):
        question = (
            f"This shows the reference solution of Task {task_id}. "
            "Seeing it before you have tried spoils the exercise. Show it?"
        )
        if not _ask_on_terminal(question):
            console.print("Not shown.")
            return None
    _remember(consent_file, task_id)
    show(code)
    return code


def show(code: ReferenceCode) -> None:
    """Print each block of ``code`` under a line naming the task and the file, with the file's line numbers.

    Highlighted on a terminal; plain lines elsewhere (a pipe, a log), which
    rich would otherwise wrap at 80 columns and pad with spaces.
    """
    console.print(f"[bold]Task {code.task.id}: {code.task.name}[/] (reference solution)")
    for block in code.blocks:
        console.print(f"[dim]{display_path(code.path)}, lines {block.first_line}-{block.last_line}[/]")
        if console.is_terminal:
            for run in _consecutive_runs(block.lines):
                text = "\n".join(line for _, line in run)
                console.print(Syntax(text, "python", line_numbers=True, start_line=run[0][0], word_wrap=True))
        else:
            width = len(str(block.last_line))
            print("\n".join(f"{number:>{width}}  {line}".rstrip() for number, line in block.lines))


def _consecutive_runs(lines: tuple[tuple[int, str], ...]) -> list[list[tuple[int, str]]]:
    """``lines`` cut where the numbers jump (after another task's region), so each run numbers itself right."""
    runs: list[list[tuple[int, str]]] = []
    for number, line in lines:
        if runs and runs[-1][-1][0] == number - 1:
            runs[-1].append((number, line))
        else:
            runs.append([(number, line)])
    return runs


def agreed_tasks(consent_file: Path = CONSENT_FILE) -> set[str]:
    """The task ids whose solution the learner agreed to see; empty when the file is missing.

    Raises:
        CourseError: the file is not the JSON list of task ids this module writes.
    """
    try:
        agreed = json.loads(consent_file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return set()
    except (OSError, ValueError) as error:
        raise CourseError(f"cannot read {consent_file}: {error}; delete it to be asked again") from None
    if not isinstance(agreed, list) or not all(isinstance(task_id, str) for task_id in agreed):
        raise CourseError(f"{consent_file} should hold a JSON list of task ids like [\"3.2\"]; delete it to be asked again")
    return set(agreed)


def _remember(consent_file: Path, task_id: str) -> None:
    agreed = agreed_tasks(consent_file)
    if task_id in agreed:
        return
    atomic_write_text(consent_file, json.dumps(sorted(agreed | {task_id})) + "\n")


def _ask_on_terminal(question: str) -> bool:
    """Ask ``question`` on the terminal, default no; refuse where stdin is not a terminal."""
    if not sys.stdin.isatty():
        raise CourseError(
            "the reference solution is shown only after you agree, and stdin is not a terminal to ask on; "
            "add --yes to show it anyway"
        )
    try:
        answer = console.input(escape(f"{question} [y/N] "))
    except EOFError:
        return False
    return answer.strip().lower() in ("y", "yes")
