"""The reference code of one task, read from solutions/ (for ``course solution``).

A task's code is the definition course.toml names (the function
``softmax``, the class ``GPT``, the method ``GPT.init_weights``), plus any
other definition that holds one of the task's solution regions: Task 7.1
(``train_char_model``) does its work in the helper ``train_gpt_on_tokens``
under the same ``# ## Task 7.1`` header. A region belongs to the task of the
last ``# ## Task N.M: name`` header above it, the rule ``course generate``
stubs by (grader/stubs.py).

Each definition is shown from its decorators, or from the comment lines right
above them (the task's header), to its last line. A solution region of
another task inside it (Task 4.6's ``init_weights`` inside Task 4.5's class
``GPT``) is replaced by one line naming that task, so showing one task never
shows another's answer::

    code = reference_code("3.2")
    code.path                  # solutions/a3_attention/attention.py
    code.blocks[0].first_line  # 53, the "# ## Task 3.2: softmax" header
    code.blocks[0].last_line   # 85, its END SOLUTION marker
    print(code.blocks[0].text)
"""

from __future__ import annotations

import ast
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from .course import Assignment, Course, Task, load_course
from .errors import CourseError
from .paths import REPOSITORY, SOLUTIONS
from .stubs import BEGIN_MARKER, END_MARKER, TASK_HEADER

_Definition = ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef


@dataclass(frozen=True)
class CodeBlock:
    """One definition of a solution file, as shown: its lines with their numbers in the file."""

    lines: tuple[tuple[int, str], ...]
    """``(line number, text)``, 1-based; another task's region is one line numbered as its first,
    so the numbers skip the rest of it."""

    @property
    def first_line(self) -> int:
        """The number of the block's first line in its file."""
        return self.lines[0][0]

    @property
    def last_line(self) -> int:
        """The number of the block's last line in its file."""
        return self.lines[-1][0]

    @property
    def text(self) -> str:
        """The lines as one text, each ending with a newline."""
        return "".join(f"{line}\n" for _, line in self.lines)


@dataclass(frozen=True)
class ReferenceCode:
    """The reference code of one task."""

    assignment: Assignment
    """The assignment the task belongs to."""
    task: Task
    """The task, as course.toml describes it."""
    path: Path
    """The solution file, e.g. ``solutions/a3_attention/attention.py``."""
    blocks: tuple[CodeBlock, ...]
    """The task's definitions, in file order; never empty."""


def require_full_repository(command: str, *, needs: Sequence[Path]) -> None:
    """Fail unless every folder of ``needs`` exists: commands for self-learners that read the reference.

    Raises:
        CourseError: naming the command and the folders missing, e.g. for a
            student release, which leaves out solutions/ and tests/hidden/.
    """
    missing = [path for path in needs if not path.is_dir()]
    if missing:
        names = " and ".join(f"{display_path(path)}/" for path in missing)
        raise CourseError(
            f"`course {command}` needs the full course repository, and this copy has no {names} "
            "(a student release leaves out the reference solutions and the hidden tests); "
            "`course check` runs the public tests"
        )


def reference_code(task_id: str, *, course: Course | None = None, solutions: Path = SOLUTIONS) -> ReferenceCode:
    """The reference code of task ``task_id`` (``"3.2"``) in the tree ``solutions``.

    Raises:
        CourseError: an unknown task; a task answered in writing (the message
            names the notebook with the model answers); a solution file that is
            missing or defines neither the task's name nor a region of the task.
    """
    course = course if course is not None else load_course()
    task = course.task(str(task_id).strip())
    assignment = next(record for record in course.assignments if task in record.tasks)
    if task.manual:
        notebook = solutions / assignment.id / f"{assignment.id}.ipynb"
        raise CourseError(
            f"Task {task.id} ({task.name}) is answered in writing, not in code: "
            f"the model answers are in the notebook {display_path(notebook)}"
        )
    path = solutions / assignment.id / f"{assignment.module}.py"
    if not path.is_file():
        raise CourseError(f"the reference of Task {task.id} should be in {display_path(path)}, which does not exist")
    source = path.read_text(encoding="utf-8")
    lines = source.splitlines()
    regions = _solution_regions(lines)
    definitions = _task_definitions(ast.parse(source, filename=str(path)), task, regions)
    if not definitions:
        raise CourseError(f"{display_path(path)} defines no `{task.name}` and holds no solution region of Task {task.id}")
    blocks = tuple(_block(definition, lines, regions, task) for definition in definitions)
    return ReferenceCode(assignment, task, path, blocks)


@dataclass(frozen=True)
class _Region:
    """The lines of one solution region, markers included (1-based, inclusive)."""

    first: int
    last: int
    task: str
    indent: str


def _solution_regions(lines: list[str]) -> list[_Region]:
    """Every BEGIN/END SOLUTION region of a file, with the task of the last header above it (grader/stubs.py's rule)."""
    regions, task, start = [], "", None
    for number, line in enumerate(lines, start=1):
        stripped = line.strip()
        header = TASK_HEADER.match(line)
        if header:
            task = header.group(1)
        elif stripped == BEGIN_MARKER:
            start = number
        elif stripped == END_MARKER and start is not None:
            opening = lines[start - 1]
            regions.append(_Region(start, number, task, opening[: len(opening) - len(opening.lstrip())]))
            start = None
    return regions


def _task_definitions(module: ast.Module, task: Task, regions: list[_Region]) -> list[_Definition]:
    """The named definition, then every top-level definition holding a region of ``task`` outside it; in file order."""
    chosen: list[_Definition] = []
    named = _find(module.body, task.name.split("."))
    if named is not None:
        chosen.append(named)
    top_level = [node for node in module.body if isinstance(node, _Definition)]
    for region in regions:
        if region.task != task.id or any(_contains(node, region.first) for node in chosen):
            continue
        chosen.extend(node for node in top_level if _contains(node, region.first))
    return sorted(chosen, key=_first_line)


def _find(body: list[ast.stmt], path: list[str]) -> _Definition | None:
    """The definition at ``path`` (``["GPT", "init_weights"]``) below ``body``, or None."""
    for node in body:
        if isinstance(node, _Definition) and node.name == path[0]:
            return node if len(path) == 1 else _find(node.body, path[1:])
    return None


def _contains(node: _Definition, line: int) -> bool:
    return _first_line(node) <= line <= node.end_lineno


def _first_line(node: _Definition) -> int:
    """The line of the first decorator, or of the ``def``/``class`` itself."""
    return min([node.lineno, *(decorator.lineno for decorator in node.decorator_list)])


def _block(node: _Definition, lines: list[str], regions: list[_Region], task: Task) -> CodeBlock:
    """The lines of ``node`` with the comments right above it, other tasks' regions replaced."""
    first = _first_line(node)
    while first > 1 and lines[first - 2].strip().startswith("#"):
        first -= 1
    # The syntax tree ends at the last statement; a region's END marker after it is a comment.
    last = max([node.end_lineno, *(region.last for region in regions if first <= region.first <= node.end_lineno)])
    shown: list[tuple[int, str]] = []
    number = first
    while number <= last:
        region = next((region for region in regions if region.first == number and region.task != task.id), None)
        if region is None:
            shown.append((number, lines[number - 1]))
            number += 1
            continue
        shown.append((number, f"{region.indent}...  # the body of Task {region.task}: see `course solution {region.task}`"))
        number = region.last + 1
    return CodeBlock(tuple(shown))


def display_path(path: Path) -> str:
    """``path`` relative to the repository when below it (``solutions/a3_attention/attention.py``)."""
    try:
        return path.resolve().relative_to(REPOSITORY).as_posix()
    except ValueError:
        return str(path)
