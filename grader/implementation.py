"""The implementation handle: how a test suite reaches the code under test.

Every suite reaches student code through one object, ``impl``, and the
reference through another, ``ref``; both are ``Implementation`` handles::

    impl.a3.scaled_dot_product_attention(q, k, v)   # a3_attention/attention.py of the tree under test
    ref.a3.scaled_dot_product_attention(q, k, v)    # the same function in solutions/

A tree is any folder laid out like ``solutions/``: ``solutions/`` itself, the
generated ``assignments/``, a student's copy, or an unpacked submission. Each
assignment's package and module names come from course.toml (``id`` and
``module``), so the tests never depend on where a file lives.

A tree outside the repository is imported as a package of its own, under a
name made from its path, so two trees (a student's and the reference) can be
loaded side by side and their relative imports (``from ..a3_attention.attention
import ...``) resolve inside the same tree. This module runs code in-process:
it is for students' own checks. Isolated grading forwards the same calls to
a worker process instead.

Two helpers serve long-lived processes (a Jupyter kernel, ``course check``):

- a module a handle returns answers a missing name with ``MissingNameError``
  ("a3_attention/attention.py has no `softmax` (renamed or deleted?)")
  instead of Python's bare "module has no attribute";
- ``reload_if_changed(root)`` drops a tree's modules from ``sys.modules``
  when one of their files changed on disk, so the next import reads the
  student's edits.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.machinery
import importlib.util
import sys
import traceback
from pathlib import Path
from types import ModuleType, TracebackType

from .course import Assignment, Course, load_course
from .errors import CourseError
from .paths import ASSIGNMENTS, SOLUTIONS

KNOWN_TREES = {"solutions": SOLUTIONS, "assignments": ASSIGNMENTS}


class ImplementationError(CourseError):
    """The code under test cannot be imported (a missing file, a syntax error, an import error)."""


class MissingNameError(AttributeError):
    """A test asked an assignment module for a name it does not define (a stub renamed or deleted).

    An AttributeError, so ``hasattr`` and ``getattr(module, name, default)``
    behave as usual; only the message is clearer.
    """


class AssignmentModule(ModuleType):
    """The type a handle gives the modules it returns: a missing name raises MissingNameError.

    The module keeps its identity (``impl.a4 is solutions.a4_transformer.model``
    for the reference); only the error for a name it lacks changes, to
    ``"a3_attention/attention.py has no `softmax` (renamed or deleted?)"``.
    """

    def __getattr__(self, name: str):
        # Only reached when normal lookup failed. Dunder probes (copy, pickle,
        # inspect, torch) expect Python's own error, not a hint to students.
        if name.startswith("__") and name.endswith("__"):
            raise AttributeError(f"module {self.__name__!r} has no attribute {name!r}")
        location = "/".join(self.__name__.split(".")[-2:]) + ".py"
        raise MissingNameError(f"{location} has no `{name}` (renamed or deleted?)")


class Implementation:
    """The modules of one tree, by assignment: ``handle.a3`` or ``handle.module("a3_attention")``.

    Modules are imported on first use, so a syntax error in a4 does not stop
    the tests of a3. A module that fails to import raises ImplementationError
    naming the file and the error, every time it is asked for.
    """

    def __init__(self, root: str | Path, *, course: Course | None = None) -> None:
        self.root = Path(root).resolve()
        if not self.root.is_dir():
            raise ImplementationError(f"implementation folder {self.root} does not exist")
        self.course = course if course is not None else load_course()
        self.package = _package_name(self.root)

    def __repr__(self) -> str:
        return f"Implementation({str(self.root)!r})"

    def __getattr__(self, name: str) -> ModuleType:
        if name.startswith("a") and name[1:].isdigit():
            return self.module(name)
        raise AttributeError(f"{type(self).__name__} has no attribute {name!r}; use an assignment like 'a3'")

    def module(self, assignment: str | int) -> ModuleType:
        """The code module of ``assignment`` ("a3", "3", 3 or "a3_attention") in this tree."""
        record = self.course.assignment(assignment)
        if record.module is None:
            raise ImplementationError(f"assignment {record.id} has no code module (see course.toml)")
        return self._import(record)

    def path_of(self, assignment: str | int) -> Path:
        """Where ``assignment``'s code module lives in this tree."""
        record = self.course.assignment(assignment)
        return self.root / record.id / f"{record.module}.py"

    def _import(self, record: Assignment) -> ModuleType:
        path = self.path_of(record.id)
        if not path.is_file():
            raise ImplementationError(f"{record.id}/{record.module}.py is missing (looked in {self.root})")
        _ensure_root_package(self.package, self.root)
        name = f"{self.package}.{record.id}.{record.module}"
        already_imported = name in sys.modules
        try:
            module = importlib.import_module(name)
        except SyntaxError as error:
            where = f"{_relative_name(Path(error.filename or path), self.root)}:{error.lineno}" if error.lineno else path.name
            raise ImplementationError(f"{record.id}/{record.module}.py cannot be imported: SyntaxError at {where}: {error.msg}") from None
        except Exception as error:  # anything the student's module raises while importing
            frame = deepest_frame_in(error.__traceback__, self.root)
            where = f" (at {frame})" if frame else ""
            raise ImplementationError(
                f"{record.id}/{record.module}.py cannot be imported: {type(error).__name__}: {error}{where}"
            ) from None
        if type(module) is ModuleType:
            # Assigning a module's __class__ to a ModuleType subclass is supported Python (3.5+).
            module.__class__ = AssignmentModule
        if not already_imported:
            # Tests reach impl.aN many times each: the tree's files are hashed once per import, not per access.
            _record_loaded_files(self.package)
        return module


def reload_if_changed(root: str | Path) -> bool:
    """Forget the tree at ``root``'s modules if any of their files changed since they were imported.

    Drops the tree's package and every module below it from ``sys.modules``
    (and clears importlib's directory caches, so a newly created file is
    found), so the next ``impl.aN`` reads the files again. Only the tree's own
    package is touched: another tree, e.g. the reference ``solutions`` behind
    ``ref``, keeps its modules, and while nothing changed the modules are
    kept too, so objects made from them keep working with fresh calls.

    A module of the tree that was imported without a handle (``import
    solutions.a3_attention.attention``) is taken as current the first time
    this function sees it.

    Returns:
        True when modules were dropped.
    """
    package = _package_name(Path(root).resolve())
    _record_loaded_files(package)
    importlib.invalidate_caches()
    if all(_LOADED_FILES[file] == _file_state(file) for file in _loaded_files(package)):
        return False
    for name in [name for name in sys.modules if name == package or name.startswith(package + ".")]:
        file = getattr(sys.modules[name], "__file__", None)
        if file:
            _LOADED_FILES.pop(file, None)
        del sys.modules[name]
    return True


# File of each imported module of a tree -> the sha256 of its bytes when it was imported.
_LOADED_FILES: dict[str, str | None] = {}


def _loaded_files(package: str) -> list[str]:
    """The source files of the modules of ``package`` now in sys.modules."""
    files = []
    for name, module in list(sys.modules.items()):
        if name == package or name.startswith(package + "."):
            file = getattr(module, "__file__", None)
            if file:
                files.append(file)
    return files


def _record_loaded_files(package: str) -> None:
    """Remember the state of each file of ``package`` not yet remembered (see ``reload_if_changed``)."""
    for file in _loaded_files(package):
        if file not in _LOADED_FILES:
            _LOADED_FILES[file] = _file_state(file)


def _file_state(file: str) -> str | None:
    """The sha256 of ``file``'s bytes, None when it is gone: what tells an edit.

    Contents, not modification times: an edit saved within the clock's
    resolution of the import, with the same size, still counts.
    """
    try:
        return hashlib.sha256(Path(file).read_bytes()).hexdigest()
    except OSError:
        return None


def resolve_tree(spec: str) -> Path:
    """The folder meant by ``--impl SPEC``: ``solutions``, ``assignments`` or a path."""
    if spec in KNOWN_TREES:
        return KNOWN_TREES[spec]
    path = Path(spec).expanduser()
    if not path.is_dir():
        raise ImplementationError(f"--impl {spec!r} is neither 'solutions', 'assignments' nor an existing folder")
    return path


def _package_name(root: Path) -> str:
    """The import name of a tree: the real package name for the repository's
    own trees (so ``solutions.a4_transformer.model.GPT`` stays one class), a
    path-derived private name for any other folder."""
    for name, path in KNOWN_TREES.items():
        if root == path.resolve():
            return name
    return "_course_impl_" + hashlib.sha256(str(root).encode()).hexdigest()[:12]


def _ensure_root_package(name: str, root: Path) -> None:
    """Register ``root`` as the package ``name`` (with or without an __init__.py)."""
    existing = sys.modules.get(name)
    if existing is not None:
        locations = list(getattr(existing, "__path__", []))
        if locations and Path(locations[0]).resolve() == root:
            return
        if name in KNOWN_TREES:
            raise ImplementationError(f"package {name!r} is already imported from {locations}, not {root}")
    init = root / "__init__.py"
    if init.is_file():
        spec = importlib.util.spec_from_file_location(name, init, submodule_search_locations=[str(root)])
    else:
        spec = importlib.machinery.ModuleSpec(name, None, is_package=True)
        spec.submodule_search_locations = [str(root)]
    package = importlib.util.module_from_spec(spec)
    sys.modules[name] = package
    if spec.loader is not None:
        try:
            spec.loader.exec_module(package)
        except BaseException:
            del sys.modules[name]
            raise


def _relative_name(path: Path, root: Path) -> str:
    """``path`` relative to ``root`` (``a2_embeddings/embeddings.py``) when inside it, else its file name."""
    resolved = path.resolve()
    return resolved.relative_to(root).as_posix() if resolved.is_relative_to(root) else path.name


def deepest_frame_in(trace: TracebackType | None, root: Path) -> str | None:
    """``file:line`` (relative to ``root``) of the deepest frame of ``trace`` inside ``root``: where the
    student's code raised, for error messages; None when no frame is inside."""
    inside = [frame for frame in traceback.extract_tb(trace) if frame.filename and Path(frame.filename).resolve().is_relative_to(root)]
    if not inside:
        return None
    return f"{_relative_name(Path(inside[-1].filename), root)}:{inside[-1].lineno}"
