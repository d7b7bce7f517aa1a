"""The code a run trains with: the reference, or a model composed piece by piece from its owners.

``course train --impl mine`` builds the GPT from the learner's pieces where
their public tests pass and from the reference's elsewhere (grader/pieces.py
decides). Every lookup of a piece, by anyone's code, must find its owner's
version: when the learner's attention passes but their GPT is unfinished,
the reference GPT must build the learner's attention, and when their
``train_step`` passes but ``cross_entropy`` does not, their ``train_step``
must call the reference's loss. Neither solutions/ nor the learner's files
are edited for that; instead each assignment's module is imported twice
more, privately, under one package of its own::

    _course_composed_<hash>.a3_attention.attention          solutions/a3_attention/attention.py
    _course_composed_<hash>.a3_attention.attention_yours    <tree>/a3_attention/attention.py

and then every piece's name is bound, in both namespaces, to its owner's
object. Functions read their module's globals when called, so from then on
every call finds the chosen piece. The two copies' relative imports
(``from ..a3_attention.attention import MultiHeadSelfAttention``) resolve
inside the same package, to the composed module of the other assignment;
assignments are imported in course order (a2 before a3 before a4 ...), so
each one finds the one it imports from already composed. The reference's
copy is the module the run uses: code that is no piece (``TrainConfig``,
``train``, ``GPTConfig``) is the reference's.

A task on a method (``GPT.init_weights``) is set on the chosen class, which
is one of the private copies, so nothing outside is touched.

``ModelCode`` is what ``course train`` and ``course sample`` work with: the
three modules (model, training, sampling), the pieces, and ``record()``, the
plain data a checkpoint keeps so the same model can be composed again.
"""

from __future__ import annotations

import hashlib
import importlib.machinery
import importlib.util
import inspect
import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

from .course import Course, load_course
from .errors import CourseError
from .implementation import deepest_frame_in, resolve_tree
from .paths import ASSIGNMENTS, SOLUTIONS
from .pieces import MODEL_ASSIGNMENTS, Owner, Piece, assess_pieces

REFERENCE = "reference"
"""``--impl reference``: the reference model, imported from solutions/ as it is."""
MINE = "mine"
"""``--impl mine``: the learner's workspace, assignments/."""


@dataclass(frozen=True)
class ModelCode:
    """The modules a run builds its GPT from, trains and samples with."""

    implementation: str
    """What ``--impl`` named: ``"reference"``, ``"mine"``, or the tree's absolute path."""
    model: ModuleType
    """a4_transformer/model.py: ``GPT``, ``GPTConfig``."""
    training: ModuleType
    """a5_training/training.py: ``TrainConfig``, ``train``, ``load_checkpoint``."""
    sampling: ModuleType
    """a6_sampling/sampling.py: ``generate``."""
    pieces: tuple[Piece, ...] = ()
    """Who wrote each piece; empty for the reference."""

    @property
    def is_reference(self) -> bool:
        """True for the plain reference model (no pieces were assessed)."""
        return self.implementation == REFERENCE

    def record(self) -> dict[str, Any]:
        """Plain data for a checkpoint, from which ``code_from_record`` composes the same model."""
        return {"implementation": self.implementation, "pieces": [piece.to_json() for piece in self.pieces]}


def reference_code() -> ModelCode:
    """The reference model, trainer and sampler, imported from solutions/."""
    from solutions.a4_transformer import model
    from solutions.a5_training import training
    from solutions.a6_sampling import sampling

    return ModelCode(REFERENCE, model, training, sampling)


def implementation_name(spec: str) -> str:
    """What ``--impl SPEC`` is recorded as: ``"reference"``, ``"mine"``, or the absolute path of the tree.

    Raises:
        ImplementationError: ``spec`` is neither a name nor an existing folder.
    """
    if spec in (REFERENCE, MINE):
        return spec
    return str(resolve_tree(spec).resolve())


def learner_code(spec: str, *, pieces: Sequence[Piece] | None = None, course: Course | None = None) -> ModelCode:
    """The model composed from the tree ``spec`` names (``"mine"`` or a path) and the reference.

    Args:
        spec: ``"mine"`` for assignments/, or a folder laid out like it.
        pieces: the owners to compose with; None runs the public checks to
            decide them (``assess_pieces``).

    Raises:
        CourseError: this copy of the course has no solutions/ to borrow from,
            or a module of the tree cannot be imported into the composition.
    """
    course = course if course is not None else load_course()
    name = implementation_name(spec)
    tree = ASSIGNMENTS if name == MINE else Path(name)
    _require_solutions()
    if pieces is None:
        pieces = assess_pieces(tree, course=course)
    modules = compose(tree, pieces, course=course)
    return ModelCode(name, modules["a4_transformer"], modules["a5_training"], modules["a6_sampling"], tuple(pieces))


def code_from_record(record: dict[str, Any] | None, *, course: Course | None = None) -> ModelCode:
    """The code a checkpoint was trained with (``ModelCode.record()``); None (an older checkpoint) is the reference.

    The pieces keep the owners they had when training started; they are not checked again.

    Raises:
        CourseError: the recorded tree no longer exists.
    """
    if record is None or record["implementation"] == REFERENCE:
        return reference_code()
    name = record["implementation"]
    if name != MINE and not Path(name).is_dir():
        raise CourseError(f"this checkpoint was trained with --impl {name}, which no longer exists")
    return learner_code(name, pieces=[Piece.from_json(piece) for piece in record["pieces"]], course=course)


# Compositions already imported in this process, by package name (which hashes the files and the owners).
_COMPOSED: dict[str, dict[str, ModuleType]] = {}


def compose(tree: str | Path, pieces: Sequence[Piece], *, course: Course | None = None) -> dict[str, ModuleType]:
    """Import the modules of ``MODEL_ASSIGNMENTS`` with every piece bound to its owner's code.

    Args:
        tree: the learner's tree (laid out like assignments/).
        pieces: the owner of each piece (``assess_pieces``).

    Returns:
        Assignment id -> the composed module (the reference's code with the
        pieces rebound), e.g. ``modules["a4_transformer"].GPT``. The same
        files and owners give the same modules on a second call.

    Raises:
        CourseError: no solutions/ folder to borrow from, or a module of the
            tree that is the owner of a piece cannot be imported here.
    """
    course = course if course is not None else load_course()
    tree = Path(tree).resolve()
    _require_solutions()
    records = [record for record in course.assignments if record.id in MODEL_ASSIGNMENTS]
    package = _package_name(tree, pieces, records)
    if package in _COMPOSED:
        return _COMPOSED[package]
    _register_package(package, [])
    for record in course.assignments:
        # Assignments that are no piece (a1, a7) resolve to the reference if anything imports them.
        folders = [tree / record.id, SOLUTIONS / record.id] if record.id in MODEL_ASSIGNMENTS else [SOLUTIONS / record.id]
        _register_package(f"{package}.{record.id}", [str(folder) for folder in folders])
    modules = {}
    for record in records:
        own = [piece for piece in pieces if piece.assignment == record.id]
        reference = _load(f"{package}.{record.id}.{record.module}", SOLUTIONS / record.id / f"{record.module}.py", root=SOLUTIONS)
        yours = None
        if any(piece.owner is Owner.YOURS for piece in own):
            yours = _load(f"{package}.{record.id}.{record.module}_yours", tree / record.id / f"{record.module}.py", root=tree)
        _bind(own, reference=reference, yours=yours)
        modules[record.id] = reference
    _COMPOSED[package] = modules
    return modules


def _require_solutions() -> None:
    """Raise CourseError where this copy of the course has no solutions/ (a student release)."""
    if not SOLUTIONS.is_dir():
        raise CourseError(
            "--impl needs the reference solutions (solutions/) to borrow unfinished pieces from, "
            "and this copy of the course has none"
        )


def _bind(pieces: Sequence[Piece], *, reference: ModuleType, yours: ModuleType | None) -> None:
    """Bind each piece's name, in both namespaces, to its owner's object; set method pieces on the chosen classes.

    Names only the learner's module defines (their own helpers) are added to
    the composed module too, so their later assignments can import them from it.
    """
    if yours is not None:
        for name, value in vars(yours).items():
            if not name.startswith("__") and not hasattr(reference, name):
                setattr(reference, name, value)
    owners = {Owner.REFERENCE: reference, Owner.YOURS: yours}
    # Every owner's object is read before any name is rebound: afterwards the reference's `GPT` may be the learner's.
    chosen = {piece.name: _definition(owners[piece.owner], piece.name) for piece in pieces}
    namespaces = [module for module in (reference, yours) if module is not None]
    for name, value in chosen.items():
        if "." not in name:
            for namespace in namespaces:
                setattr(namespace, name, value)
    for name, value in chosen.items():
        if "." in name:
            class_name, method = name.split(".", 1)
            setattr(getattr(reference, class_name), method, value)


def _definition(module: ModuleType, name: str) -> Any:
    """``module``'s ``name``: a function or class, or for ``"GPT.init_weights"`` the method as its class defines it.

    ``getattr_static`` keeps a staticmethod or classmethod wrapper as written.
    """
    if "." not in name:
        return getattr(module, name)
    class_name, method = name.split(".", 1)
    return inspect.getattr_static(getattr(module, class_name), method)


def _load(name: str, path: Path, *, root: Path) -> ModuleType:
    """Import the file ``path`` as the module ``name``; an error names the file and the line inside ``root``."""
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except Exception as error:
        del sys.modules[name]
        frame = deepest_frame_in(error.__traceback__, root.resolve())
        where = f" (at {frame})" if frame else ""
        raise CourseError(f"{path} cannot be imported into the composed model: {type(error).__name__}: {error}{where}") from None
    return module


def _register_package(name: str, folders: list[str]) -> None:
    """Put an empty package ``name`` whose submodules are looked for in ``folders`` into sys.modules."""
    spec = importlib.machinery.ModuleSpec(name, None, is_package=True)
    spec.submodule_search_locations = folders
    sys.modules[name] = importlib.util.module_from_spec(spec)


def _package_name(tree: Path, pieces: Sequence[Piece], records) -> str:
    """A package name that changes when the tree, an owner, or any file composed changes."""
    digest = hashlib.sha256(str(tree).encode())
    digest.update(json.dumps([[piece.task, piece.owner.value] for piece in pieces]).encode())
    for record in records:
        for path in (SOLUTIONS / record.id / f"{record.module}.py", tree / record.id / f"{record.module}.py"):
            digest.update(path.read_bytes() if path.is_file() else b"<missing>")
    return "_course_composed_" + digest.hexdigest()[:16]
