"""The files grading reads: what decides a score, and so what a Gradescope bundle ships and a fingerprint covers.

``course grade`` fingerprints a course by these files (grader/grading/grade.py's
``course_version``), so that editing a module grading never imports regrades
nothing; ``course gradescope`` ships exactly them (grader/grading/gradescope.py).
The grader's modules are found by following imports from the entry points,
not listed by hand, so a new module grading needs is never left out.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

from ..course import Assignment, Course
from ..errors import CourseError
from .sandbox import WORKER_FILES

# What the test suites name the reference by: the ``ref`` fixture of tests/conftest.py (``ref.a4.GPT``).
_REFERENCE_USE = re.compile(r"\bref\.a(\d+)\b")
# Where grading starts: what run_autograder runs, and `course grade` itself (python -m grader, or the `course`
# script setup.sh installs, for the staff debugging a submission in Gradescope's SSH session).
_ENTRY_MODULES = ("grader.grading.gradescope_autograder", "grader.commands.grade", "grader.__main__")
# Its functions import every subcommand (train, data, ...); of those the bundle runs `grade` only, an entry above.
_DISPATCHER = "grader/cli.py"


def grading_files(repository: Path, *, chosen: Sequence[Assignment], course: Course) -> dict[str, Path]:
    """The files grading the ``chosen`` assignments reads: repository-relative POSIX path -> file.

    Example: a2 alone -> course.toml, datasets/manifest.toml, pyproject.toml, grader/... (``grading_modules``),
    tests/conftest.py, tests/stand_ins.py, tests/public/__init__.py,
    tests/public/test_a2_embeddings.py, tests/hidden/__init__.py,
    tests/hidden/support.py, tests/hidden/test_a2_embeddings.py,
    solutions/__init__.py, solutions/a2_embeddings/__init__.py,
    solutions/a2_embeddings/embeddings.py.
    """
    relatives = ["course.toml", "datasets/manifest.toml", "pyproject.toml", "tests/conftest.py", "tests/stand_ins.py"]
    for suite in ("tests/public", "tests/hidden"):
        for path in sorted((repository / suite).glob("*.py")):
            # A suite's helpers (__init__.py, support.py) serve every assignment; its test files, one each.
            if not path.name.startswith("test_") or any(path.name.startswith(f"test_a{assignment.number}_") for assignment in chosen):
                relatives.append(f"{suite}/{path.name}")
    tests = [repository / relative for relative in relatives if relative.startswith("tests/")]
    relatives += grading_modules(repository, also_scanned=tests)
    relatives.append("solutions/__init__.py")
    for assignment in reference_assignments(repository, tests=tests, chosen=chosen, course=course):
        relatives += sorted(path.relative_to(repository).as_posix() for path in (repository / "solutions" / assignment.id).glob("*.py"))
    missing = [relative for relative in relatives if not (repository / relative).is_file()]
    if missing:
        raise CourseError(f"{repository} lacks what grading needs: {', '.join(missing)}")
    return {relative: repository / relative for relative in sorted(set(relatives))}


def grading_modules(repository: Path, *, also_scanned: Iterable[Path] = ()) -> list[str]:
    """The files of ``repository``/grader that grading imports, as sorted repository-relative POSIX paths.

    Starts from ``_ENTRY_MODULES``, the worker's files (grader/grading/sandbox.py's
    ``WORKER_FILES``, which it copies rather than imports) and the ``grader``
    imports of ``also_scanned`` (the test files), and follows every ``grader``
    import, those inside functions included, with each package's
    ``__init__.py``. grader/cli.py is followed for its module-level imports only.

    Example: -> ``["grader/__init__.py", "grader/__main__.py", "grader/atomic.py", ..., "grader/grading/worker.py", ...]``

    Raises:
        CourseError: a scanned file imports a ``grader`` module that does not exist.
    """
    pending = [_module_file(repository, name, importer="the bundle's entry points") for name in _ENTRY_MODULES]
    pending += [relative for relative in WORKER_FILES if relative.startswith("grader/") and WORKER_FILES[relative] is not None]
    for path in also_scanned:
        pending += _imported_files(repository, path, module_level_only=False)
    found: set[str] = set()
    while pending:
        relative = pending.pop()
        if relative in found:
            continue
        found.add(relative)
        pending += _package_inits(relative)
        pending += _imported_files(repository, repository / relative, module_level_only=relative == _DISPATCHER)
    return sorted(found)


def reference_assignments(repository: Path, *, tests: Iterable[Path], chosen: Sequence[Assignment], course: Course) -> list[Assignment]:
    """The assignments whose reference the bundle ships, in course order.

    Those graded, those the ``tests`` reach through the ``ref`` fixture
    (``ref.a4`` in a7's tests), and every assignment their reference imports
    (``from ..a3_attention.attention import ...`` in solutions/a4_transformer/model.py).

    Example: a4 alone -> a2_embeddings, a3_attention, a4_transformer.
    """
    needed = {assignment.id for assignment in chosen}
    for path in tests:
        needed |= {course.assignment(int(number)).id for number in _REFERENCE_USE.findall(path.read_text(encoding="utf-8"))}
    pending = sorted(needed)
    while pending:
        for path in sorted((repository / "solutions" / pending.pop()).glob("*.py")):
            for imported in _sibling_assignments(path, course):
                if imported not in needed:
                    needed.add(imported)
                    pending.append(imported)
    return [assignment for assignment in course.assignments if assignment.id in needed]


def _imported_files(repository: Path, path: Path, *, module_level_only: bool) -> list[str]:
    """The repository-relative files of the ``grader`` modules that the Python file ``path`` imports."""
    tree = ast.parse(path.read_bytes(), filename=str(path))
    package = _package_of(path.relative_to(repository)) if path.is_relative_to(repository / "grader") else ()
    importer = path.relative_to(repository).as_posix() if path.is_relative_to(repository) else str(path)
    files = []
    for node in _import_nodes(tree, module_level_only=module_level_only):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        else:
            base = ".".join((package[: len(package) - node.level + 1] if node.level else ()) + tuple(filter(None, [node.module])))
            # ``from grader.grading import grade`` names a module; ``from grader.course import Course`` does not.
            names = [base] + [f"{base}.{alias.name}" for alias in node.names if _module_file(repository, f"{base}.{alias.name}") is not None]
        files += [_module_file(repository, name, importer=importer) for name in names if name == "grader" or name.startswith("grader.")]
    return files


def _import_nodes(tree: ast.AST, *, module_level_only: bool) -> Iterator[ast.Import | ast.ImportFrom]:
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            yield node
        elif not (module_level_only and isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))):
            yield from _import_nodes(node, module_level_only=module_level_only)


def _module_file(repository: Path, name: str, *, importer: str | None = None) -> str | None:
    """``grader.grading.grade`` -> ``"grader/grading/grade.py"`` (or the package's ``__init__.py``).

    Without ``importer`` a name that is no module gives None; with it, a CourseError naming the importer.
    """
    relative = name.replace(".", "/")
    for candidate in (f"{relative}.py", f"{relative}/__init__.py"):
        if (repository / candidate).is_file():
            return candidate
    if importer is None:
        return None
    raise CourseError(f"{importer} imports {name}, which is no module of {repository / 'grader'}")


def _package_of(relative: Path) -> tuple[str, ...]:
    """The package a file belongs to: grader/grading/grade.py -> ("grader", "grading"); a package's __init__.py -> itself."""
    return relative.parent.parts


def _package_inits(relative: str) -> list[str]:
    """The ``__init__.py`` of every package above ``relative``: grader/grading/grade.py -> grader/__init__.py, grader/grading/__init__.py."""
    parts = relative.split("/")[:-1]
    return ["/".join(parts[: depth + 1]) + "/__init__.py" for depth in range(len(parts))]


def _sibling_assignments(path: Path, course: Course) -> set[str]:
    """The assignments a reference module imports relatively: ``from ..a3_attention.attention import x`` -> {"a3_attention"}."""
    ids = {assignment.id for assignment in course.assignments}
    imported = set()
    for node in ast.walk(ast.parse(path.read_bytes(), filename=str(path))):
        if isinstance(node, ast.ImportFrom) and node.level == 2 and node.module and node.module.split(".")[0] in ids:
            imported.add(node.module.split(".")[0])
    return imported
