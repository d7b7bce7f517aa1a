"""The catalogue of student code that proves the suites: mutants and correct alternatives.

A catalogue is a folder laid out like ``assignments/``: one subfolder per
assignment, holding one Python file per entry::

    tests/mutants/
        a3_attention/
            no_scaling.py          # a realistic bug
            einsum_attention.py    # a correct way of writing it differently

An entry is a piece of student code. Its top-level functions and classes
replace the definitions of the same name in the assignment's module of the
reference (``a3_attention/attention.py``); everything else in that module
stays as it is::

    \"\"\"Scores not divided by sqrt(d_k): softmax saturates as d_k grows.\"\"\"

    TASK = "3.3"
    KIND = "mutant"

    def attention_weights(q, k, mask=None):
        scores = q @ k.transpose(-2, -1)
        ...

Rules for an entry:

- ``TASK`` (the task whose code it rewrites) and ``KIND`` (``"mutant"`` or
  ``"alternative"``) are plain string constants, read without running the file;
  the first line of the docstring says what the entry is.
- A function replaces the module's function of that name. A class whose name
  the module defines is *partial*: each of its methods replaces the method of
  that name (or is added), and the rest of the module's class stays. Other
  top-level names (helpers, constants) are added before the first definition
  replaced. An entry must replace at least one definition.
- ``import`` statements are added after the module's own imports.

``build_tree`` writes the reference with one entry applied, ready to be
checked like any student's tree; ``course audit`` (grader/audit.py) runs the
suites on each.
"""

from __future__ import annotations

import ast
import enum
import shutil
import threading
from dataclasses import dataclass
from pathlib import Path

from .course import Assignment, Course, Task, load_course
from .errors import CourseError
from .paths import MUTANTS, SOLUTIONS

_METADATA = ("TASK", "KIND")
# Files of a tree that are not code: a built tree needs none of them.
_NOT_CODE = shutil.ignore_patterns("__pycache__", "*.ipynb", ".ipynb_checkpoints", "*.pyc")


class CatalogueError(CourseError):
    """An entry of the catalogue cannot be read or applied (named with file:line)."""


class EntryKind(str, enum.Enum):
    """What an entry must do to the score."""

    MUTANT = "mutant"
    """A realistic bug: it must lose points in its own task."""
    ALTERNATIVE = "alternative"
    """Correct code written differently: it must keep full marks."""


@dataclass(frozen=True)
class CatalogueEntry:
    """One file of a catalogue."""

    path: Path
    """The entry's file."""
    name: str
    """``<assignment id>/<file stem>``, e.g. ``a3_attention/no_scaling``."""
    assignment: Assignment
    """The assignment whose module it rewrites (its folder's name)."""
    task: Task
    """The task whose code it rewrites (``TASK``): a mutant must lose points there."""
    kind: EntryKind
    """MUTANT or ALTERNATIVE (``KIND``)."""
    description: str
    """The first line of its docstring."""


def load_catalogue(directory: str | Path = MUTANTS, *, course: Course | None = None) -> list[CatalogueEntry]:
    """Every entry of the catalogue in ``directory``, in course order, then by name.

    Raises:
        CatalogueError: the folder does not exist, a subfolder names no
            assignment, or an entry's metadata is missing or wrong.
    """
    course = course if course is not None else load_course()
    root = Path(directory)
    if not root.is_dir():
        raise CatalogueError(f"catalogue folder {root} does not exist")
    entries = []
    for folder in sorted(path for path in root.iterdir() if path.is_dir() and not path.name.startswith((".", "_"))):
        assignment = next((record for record in course.assignments if record.id == folder.name), None)
        if assignment is None:
            known = ", ".join(record.id for record in course.assignments)
            raise CatalogueError(f"{folder}: the folder names no assignment (known: {known})")
        for path in sorted(folder.glob("*.py")):
            if not path.name.startswith("_"):
                entries.append(read_entry(path, assignment=assignment, course=course))
    order = {record.id: index for index, record in enumerate(course.assignments)}
    return sorted(entries, key=lambda entry: (order[entry.assignment.id], entry.kind.value, entry.name))


def read_entry(path: Path, *, assignment: Assignment, course: Course) -> CatalogueEntry:
    """The entry in ``path``, its metadata read from the source without running it."""
    tree = _parse(path.read_text(encoding="utf-8"), path)
    constants = _constants(tree)
    for key in _METADATA:
        if key not in constants:
            raise CatalogueError(f"{path}: needs a string constant {key} (e.g. TASK = \"3.3\", KIND = \"mutant\")")
    try:
        kind = EntryKind(constants["KIND"])
    except ValueError:
        raise CatalogueError(f"{path}: KIND must be 'mutant' or 'alternative', got {constants['KIND']!r}") from None
    task = next((task for task in assignment.tasks if task.id == constants["TASK"]), None)
    if task is None or task.manual:
        tasks = ", ".join(task.id for task in assignment.tasks if not task.manual)
        raise CatalogueError(f"{path}: TASK {constants['TASK']!r} is not a checked task of {assignment.id} (its tasks: {tasks})")
    docstring = ast.get_docstring(tree) or ""
    description = docstring.strip().splitlines()[0] if docstring.strip() else path.stem.replace("_", " ")
    return CatalogueEntry(path=path, name=f"{assignment.id}/{path.stem}", assignment=assignment, task=task, kind=kind, description=description)


def build_tree(entry: CatalogueEntry, destination: Path, *, base: Path = SOLUTIONS) -> Path:
    """Write ``base`` (the reference) to ``destination`` with ``entry`` applied to its assignment's module.

    Only code is copied (no notebooks, no caches). Returns ``destination``.
    """
    if destination.exists():
        raise CatalogueError(f"{destination} already exists; build_tree writes a new folder")
    shutil.copytree(base, destination, ignore=_NOT_CODE)
    module = destination / entry.assignment.id / f"{entry.assignment.module}.py"
    if not module.is_file():
        raise CatalogueError(f"{entry.path}: {module.relative_to(destination)} is missing from {base}")
    patched = apply_entry(module.read_text(encoding="utf-8"), entry.path.read_text(encoding="utf-8"), entry_name=str(entry.path))
    module.write_text(patched, encoding="utf-8")
    return destination


def apply_entry(module_source: str, entry_source: str, *, entry_name: str = "<entry>") -> str:
    """``module_source`` with the definitions of ``entry_source`` put in place (see the module docstring).

    Example: a module defining ``f`` and ``g`` and an entry defining ``g``
    gives the module with the entry's ``g`` where its own ``g`` was.
    """
    module = _parse(module_source, "<module>")
    entry = _parse(entry_source, entry_name)
    module_lines = module_source.splitlines(keepends=True)
    entry_lines = entry_source.splitlines(keepends=True)
    defined = {node.name: node for node in module.body if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))}

    replacements: list[tuple[int, int, str]] = []  # (first line, last line, new text), 1-based inclusive
    touched: list[int] = []  # first lines of the module's top-level definitions that change
    additions: list[str] = []
    imports: list[str] = []
    for node in entry.body:
        text = _source_of(node, entry_lines)
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            imports.append(text)
        elif _is_docstring(node, entry) or _is_metadata(node):
            continue
        elif isinstance(node, ast.ClassDef) and node.name in defined and isinstance(defined[node.name], ast.ClassDef):
            replacements += _method_replacements(node, defined[node.name], entry_lines, entry_name)
            touched.append(_first_line(defined[node.name]))
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and node.name in defined:
            target = defined[node.name]
            replacements.append((_first_line(target), target.end_lineno, text))
            touched.append(_first_line(target))
        else:
            additions.append(text)
    if not replacements:
        raise CatalogueError(f"{entry_name}: replaces nothing; its functions and classes must have the names of the module's (seen: {', '.join(sorted(defined))})")

    if additions:
        anchor = min(touched)
        replacements.append((anchor, anchor - 1, "".join(addition.rstrip("\n") + "\n\n\n" for addition in additions)))
    # Bottom up, so each edit leaves the line numbers of the ones above it valid; at one line, insertions go last.
    replacements.sort(key=lambda edit: (edit[0], edit[1] >= edit[0]))
    for first, last, text in reversed(replacements):
        module_lines[first - 1 : last] = [text if text.endswith("\n") else text + "\n"]
    present = {line.strip() for line in module_lines}
    imports = [text for text in imports if text.strip() not in present]
    if imports:
        after = max((node.end_lineno for node in module.body if isinstance(node, (ast.Import, ast.ImportFrom))), default=0)
        module_lines[after:after] = [line if line.endswith("\n") else line + "\n" for line in imports]
    return "".join(module_lines)


def _method_replacements(
    entry_class: ast.ClassDef, module_class: ast.ClassDef, entry_lines: list[str], entry_name: str
) -> list[tuple[int, int, str]]:
    """The edits a partial class makes: each method replaces the class's method of that name, or is added at its end."""
    methods = {node.name: node for node in module_class.body if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))}
    edits = []
    for node in entry_class.body:
        if _is_docstring(node, entry_class):
            continue
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            raise CatalogueError(f"{entry_name}:{node.lineno}: a partial class holds only methods (class {entry_class.name})")
        text = _source_of(node, entry_lines)
        if node.name in methods:
            target = methods[node.name]
            edits.append((_first_line(target), target.end_lineno, text))
        else:
            end = module_class.end_lineno
            edits.append((end + 1, end, "\n" + text))
    return edits


# CPython 3.11 keeps the AST builder's recursion depth in shared state: two threads parsing at
# once can fail with "SystemError: AST constructor recursion depth mismatch" (python/cpython#106905).
# course audit builds trees from several threads, so parsing takes turns.
_PARSING = threading.Lock()


def _parse(source: str, name: str | Path) -> ast.Module:
    try:
        with _PARSING:
            return ast.parse(source)
    except SyntaxError as error:
        raise CatalogueError(f"{name}:{error.lineno}: syntax error: {error.msg}") from None


def _constants(tree: ast.Module) -> dict[str, str]:
    """The module's top-level ``NAME = "text"`` assignments."""
    found = {}
    for node in tree.body:
        if _is_metadata(node):
            found[node.targets[0].id] = node.value.value
    return found


def _is_metadata(node: ast.stmt) -> bool:
    return (
        isinstance(node, ast.Assign)
        and len(node.targets) == 1
        and isinstance(node.targets[0], ast.Name)
        and node.targets[0].id in _METADATA
        and isinstance(node.value, ast.Constant)
        and isinstance(node.value.value, str)
    )


def _is_docstring(node: ast.stmt, parent: ast.Module | ast.ClassDef) -> bool:
    return node is parent.body[0] and isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str)


def _first_line(node: ast.stmt) -> int:
    """The first line of a definition, its decorators included."""
    decorators = getattr(node, "decorator_list", [])
    return min([node.lineno, *(decorator.lineno for decorator in decorators)])


def _source_of(node: ast.stmt, lines: list[str]) -> str:
    """The source lines of ``node`` (decorators included), as they are in the file."""
    return "".join(lines[_first_line(node) - 1 : node.end_lineno])
