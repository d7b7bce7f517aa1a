"""The leak check: does a student release hold anything only instructors may see?

``find_leaks(release)`` compares a release folder with the instructor's
repository and returns one `Leak` per problem (an empty list: nothing
leaked). ``course release`` runs it on every release before the release is
moved into place, and ``course release --check DIR`` runs it on any folder.

What counts as a leak:

1. **Files that must not ship**, by path: anything at the top level other
   than what `grader.commands.release` builds (``solutions/``,
   ``nbgrader_config.py``, ...); anything under ``tests/`` other than
   ``tests/conftest.py`` and ``tests/public/``; the instructor-only modules
   of ``grader/``; hidden files and folders (``.ipynb_checkpoints``,
   ``.git``, ...) except ``assignments/.generated.json``; compiled Python
   (``__pycache__``, ``*.pyc``: bytecode of anything, solutions included);
   nbgrader's ``gradebook.db``; symbolic links; files that are not UTF-8
   text (the line checks below could not read them).
2. **Copies**, by content: a file byte-identical to a solution file, a
   source notebook, or a test file that does not ship.
3. **Solution text**, line by line (notebooks cell by cell, outputs
   included): a line that is a solution or hidden-test marker
   (``### BEGIN SOLUTION``), or a *secret line*. The secret lines are the
   lines inside the solution regions of ``solutions/**/*.py`` and of the
   source notebooks' code cells (and hidden-test regions), plus the whole
   text of notebook solution cells without markers (the model answers of
   written questions), and every line of the hidden suites (``tests/hidden``)
   that no public test has (``hidden_test_lines``), kept only when they are

   - *distinctive*: at least ``MIN_CHARACTERS`` characters once stripped,
     and at least ``MIN_NAMES`` different names (identifiers or words that
     are neither Python keywords nor the placeholder ``_``). This drops
     ``return x``, ``else:``, ``with torch.no_grad():``,
     ``if top_k is not None:``, lines any code might hold, yet keeps at
     least one line of every region of the reference solutions (a test
     checks this);
   - and *not public anyway*: absent from the generated stubs, from the
     non-solution cells of the source notebooks (nbgrader releases those as
     they are), and from the source of the ``grader/`` modules that ship
     (the tool is public; ``path.parent.mkdir(parents=True, exist_ok=True)``
     is in both the tool and a solution). The price: a solution line pasted
     into the tool's own code is not reported.

   Lines are compared whole (public tests included), after `normalize`:
   surrounding whitespace, a doctest prompt (``>>> ``) and an inline comment
   (``  # ...``) do not count, so a copied line is found with or without
   its shape comment, and a line a stub's docstring shows is public. A line
   rewritten by hand is not found: the check guards against accidents
   (a wrong file copied, a notebook not cleared, a test that repeats the
   reference), not against someone hiding text on purpose.
"""

from __future__ import annotations

import hashlib
import json
import keyword
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from . import distribution as layout
from .paths import REPOSITORY
from .stubs import BEGIN_MARKER, END_MARKER, stub_source

MIN_CHARACTERS = 20
MIN_NAMES = 3
# nbgrader removes hidden-test regions from the test cells of released notebooks.
BEGIN_HIDDEN_TESTS = "### BEGIN HIDDEN TESTS"
END_HIDDEN_TESTS = "### END HIDDEN TESTS"
REGION_MARKERS = {BEGIN_MARKER: END_MARKER, BEGIN_HIDDEN_TESTS: END_HIDDEN_TESTS}
MARKERS = frozenset(REGION_MARKERS) | frozenset(REGION_MARKERS.values())
GRADEBOOK_NAME = "gradebook.db"
NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
CHECKSUM = re.compile(r"[0-9a-f]{64}")
SHOWN_CHARACTERS = 80
DOCTEST_PROMPTS = (">>> ", "... ")
INLINE_COMMENT = "  #"


@dataclass(frozen=True)
class Leak:
    """One thing in a release that must not be there."""

    path: str
    """The file, relative to the release root, in POSIX form."""
    what: str
    """What leaked, and where it comes from."""
    line: int | None = None
    """The line of the file (of the cell, in a notebook), counting from 1; None for a whole file."""
    cell: int | None = None
    """The notebook cell, counting from 1; None outside notebooks."""

    def __str__(self) -> str:
        if self.cell is not None:
            return f"{self.path} (cell {self.cell}, line {self.line}): {self.what}"
        if self.line is not None:
            return f"{self.path}:{self.line}: {self.what}"
        return f"{self.path}: {self.what}"


@dataclass(frozen=True)
class Secrets:
    """What the repository holds that a release must not."""

    lines: dict[str, str]
    """Secret line (normalized) -> where it comes from, e.g. ``solutions/a3_attention/attention.py:57``."""
    files: dict[str, str]
    """sha256 of a file that must not ship -> its path in the repository."""


def normalize(line: str) -> str:
    """``line`` as the check compares it: stripped, without a doctest prompt or an inline comment.

    >>> normalize("    scores = q @ k.mT / math.sqrt(d_k)  # (..., T_q, T_k)")
    'scores = q @ k.mT / math.sqrt(d_k)'
    >>> normalize("    >>> index.best_pair()")
    'index.best_pair()'
    """
    text = line.strip()
    for prompt in DOCTEST_PROMPTS:
        if text.startswith(prompt):
            text = text[len(prompt) :].strip()
    # PEP 8 puts two spaces before an inline comment; a lone "#" may sit inside a string.
    if not text.startswith("#") and INLINE_COMMENT in text:
        text = text[: text.index(INLINE_COMMENT)].rstrip()
    return text


def is_distinctive(line: str) -> bool:
    """True when ``line`` is specific enough that finding it elsewhere means it was copied.

    >>> is_distinctive("return x.exp() / x.exp().sum(dim=dim, keepdim=True)")
    True
    >>> is_distinctive("with torch.no_grad():")   # two names: any training code has it
    False
    """
    text = line.strip()
    names = {name for name in NAME.findall(text) if not keyword.iskeyword(name) and name != "_"}
    return len(text) >= MIN_CHARACTERS and len(names) >= MIN_NAMES


def find_leaks(release: str | Path, *, repository: str | Path = REPOSITORY) -> list[Leak]:
    """Every leak in the folder ``release``, judged against the instructor's ``repository``.

    Returns the leaks sorted by path, line; an empty list when the release is clean.

    Raises:
        FileNotFoundError: ``release`` is not a folder, or ``repository`` has no solutions/.
    """
    release, repository = Path(release), Path(repository)
    if not release.is_dir():
        raise FileNotFoundError(f"release folder {release} does not exist")
    secrets = collect_secrets(repository)
    leaks: list[Leak] = []
    for path in _walk(release):
        relative = path.relative_to(release).as_posix()
        if path.is_symlink():
            leaks.append(Leak(relative, "symbolic link (it could point at anything, solutions/ included)"))
            continue
        leaks.extend(_path_leaks(relative))
        data = path.read_bytes()
        origin = secrets.files.get(hashlib.sha256(data).hexdigest())
        if origin is not None:
            leaks.append(Leak(relative, f"byte-identical copy of {origin}"))
        leaks.extend(_content_leaks(relative, data, secrets))
        if relative in layout.ALLOWED_HIDDEN:
            leaks.extend(_record_leaks(relative, data, release))
    return sorted(leaks, key=lambda leak: (leak.path, leak.cell or 0, leak.line or 0))


def collect_secrets(repository: Path) -> Secrets:
    """The secret lines and files of ``repository`` (see the module docstring for the rules).

    Raises:
        FileNotFoundError: ``repository`` has no solutions/ folder.
    """
    solutions = repository / "solutions"
    if not solutions.is_dir():
        raise FileNotFoundError(f"the leak check needs the reference solutions, but {solutions} does not exist")
    candidates: dict[str, str] = {}
    public: set[str] = set()
    files: dict[str, str] = {}
    for path in _walk(solutions):
        relative = path.relative_to(repository).as_posix()
        if any(part.startswith(".") or part == "__pycache__" for part in path.relative_to(solutions).parts):
            continue
        if path.suffix == ".py":
            text = path.read_text(encoding="utf-8")
            secret = _region_lines(text.splitlines())
            if secret:
                files[_sha256(path)] = relative
            for number, line in secret:
                candidates.setdefault(line, f"{relative}:{number}")
            public.update(normalize(line) for line in stub_source(text, filename=str(path)).splitlines())
        elif path.suffix == ".ipynb":
            files[_sha256(path)] = relative
            for cell, number, line, is_secret in _source_notebook_lines(path):
                if is_secret:
                    candidates.setdefault(line, f"{relative} (cell {cell}, line {number})")
                else:
                    public.add(line)
    for line, origin in hidden_test_lines(repository).items():
        candidates.setdefault(line, origin)
    for path in layout.grader_files(repository).values():
        public.update(normalize(line) for line in path.read_text(encoding="utf-8").splitlines())
    for path in _walk(repository / "tests"):
        relative = path.relative_to(repository).as_posix()
        if not layout.is_public_test(relative) and path.read_bytes().strip():
            files[_sha256(path)] = relative
    lines = {line: origin for line, origin in candidates.items() if is_distinctive(line) and line not in public}
    return Secrets(lines=lines, files=files)


def hidden_test_lines(repository: Path = REPOSITORY) -> dict[str, str]:
    """The distinctive lines of the hidden suites, normalized, each with where it comes from
    (``tests/hidden/test_a3_attention.py:57``), leaving out lines a public test has too.

    ``course audit`` looks for these in failure messages; the release check in released files.
    """
    hidden = repository / "tests" / "hidden"
    public: set[str] = set()
    for path in sorted((repository / "tests").rglob("*.py")):
        if layout.is_public_test(path.relative_to(repository).as_posix()):
            public.update(normalize(line) for line in path.read_text(encoding="utf-8").splitlines())
    found: dict[str, str] = {}
    for path in sorted(hidden.rglob("*.py")) if hidden.is_dir() else []:
        relative = path.relative_to(repository).as_posix()
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            text = normalize(line)
            if is_distinctive(text) and text not in public:
                found.setdefault(text, f"{relative}:{number}")
    return found


def _walk(folder: Path) -> Iterator[Path]:
    """Every file (and symbolic link) under ``folder``, hidden ones included, in sorted order."""
    for parent, subfolders, names in os.walk(folder):
        subfolders.sort()
        for name in sorted(names + [sub for sub in subfolders if os.path.islink(os.path.join(parent, sub))]):
            yield Path(parent) / name


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _region_lines(lines: list[str]) -> list[tuple[int, str]]:
    """(line number, normalized text) of each non-blank line inside a solution or hidden-test region.

    A region left open runs to the end: an unclosed marker must not hide its text.
    """
    found: list[tuple[int, str]] = []
    closing: str | None = None
    for number, line in enumerate(lines, start=1):
        text = line.strip()
        if closing is None and text in REGION_MARKERS:
            closing = REGION_MARKERS[text]
        elif closing is not None and text == closing:
            closing = None
        elif closing is not None and normalize(line):
            found.append((number, normalize(line)))
    return found


def _cell_source(cell: dict) -> list[str]:
    source = cell.get("source", "")
    return ("".join(source) if isinstance(source, list) else str(source)).splitlines()


def _source_notebook_lines(path: Path) -> Iterator[tuple[int, int, str, bool]]:
    """(cell, line, normalized text, is secret) for every non-blank source line of a source notebook.

    Secret: the regions of any cell, and all of a solution cell without
    markers (nbgrader replaces such a cell whole, e.g. a model answer).

    Raises:
        ValueError: the notebook is not valid JSON (naming the file).
    """
    try:
        notebook = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise ValueError(f"source notebook {path} is not valid JSON: {error}") from None
    for index, cell in enumerate(notebook.get("cells", []), start=1):
        lines = _cell_source(cell)
        regions = dict(_region_lines(lines))
        is_solution_cell = bool(cell.get("metadata", {}).get("nbgrader", {}).get("solution"))
        whole_cell_secret = is_solution_cell and not any(line.strip() in MARKERS for line in lines)
        for number, line in enumerate(lines, start=1):
            if normalize(line) and line.strip() not in MARKERS:
                yield index, number, normalize(line), whole_cell_secret or number in regions


def _path_leaks(relative: str) -> list[Leak]:
    """Leaks that the path alone shows (see rule 1 of the module docstring)."""
    parts = relative.split("/")
    leaks = []
    if parts[0] not in layout.RELEASE_TOP_LEVEL:
        leaks.append(Leak(relative, f"not part of the student release (the release holds only {', '.join(sorted(layout.RELEASE_TOP_LEVEL))})"))
    elif parts[0] == "tests" and not layout.is_public_test(relative):
        leaks.append(Leak(relative, "test file outside the public suite (only tests/conftest.py and tests/public/ ship)"))
    elif parts[0] == "grader":
        reason = layout.instructor_only_reason(relative)
        if reason is not None:
            leaks.append(Leak(relative, f"instructor-only module: {reason}"))
    if any(part.startswith(".") for part in parts) and relative not in layout.ALLOWED_HIDDEN:
        leaks.append(Leak(relative, f"hidden file (only {', '.join(layout.ALLOWED_HIDDEN)} ships)"))
    if "__pycache__" in parts or relative.endswith(".pyc"):
        leaks.append(Leak(relative, "compiled Python (bytecode of whatever was imported, solutions included)"))
    if parts[-1] == GRADEBOOK_NAME:
        leaks.append(Leak(relative, "nbgrader gradebook (every student's grades)"))
    return leaks


def _content_leaks(relative: str, data: bytes, secrets: Secrets) -> list[Leak]:
    """Marker lines and secret lines in one file (rule 3), and a malformed .generated.json."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return [Leak(relative, "not UTF-8 text, so the leak check cannot read it")]
    leaks = []
    for cell, number, line in _released_lines(relative, text):
        compared = normalize(line)
        if line.strip() in MARKERS:
            leaks.append(Leak(relative, f"marker line {line.strip()!r}", line=number, cell=cell))
        elif compared in secrets.lines:
            shown = compared if len(compared) <= SHOWN_CHARACTERS else compared[: SHOWN_CHARACTERS - 3] + "..."
            leaks.append(Leak(relative, f"line of {secrets.lines[compared]}: {shown!r}", line=number, cell=cell))
    return leaks


def _released_lines(relative: str, text: str) -> Iterator[tuple[int | None, int, str]]:
    """(cell or None, line number, line) of every line a reader of the file can see.

    A notebook is read cell by cell, its source and its outputs; one that is
    not valid JSON is read as plain text.
    """
    if relative.endswith(".ipynb"):
        try:
            notebook = json.loads(text)
        except json.JSONDecodeError:
            notebook = None
        if isinstance(notebook, dict):
            for index, cell in enumerate(notebook.get("cells", []), start=1):
                for number, line in enumerate(_cell_source(cell) + _output_lines(cell), start=1):
                    yield index, number, line
            return
    for number, line in enumerate(text.splitlines(), start=1):
        yield None, number, line


def _output_lines(cell: dict) -> list[str]:
    lines: list[str] = []
    for output in cell.get("outputs", []):
        pieces = [output.get("text", "")] + list(output.get("data", {}).values()) + list(output.get("traceback", []))
        for piece in pieces:
            if isinstance(piece, list):
                piece = "".join(str(part) for part in piece)
            if isinstance(piece, str):
                lines.extend(piece.splitlines())
    return lines


def _record_leaks(relative: str, data: bytes, release: Path) -> list[Leak]:
    """``.generated.json`` may hold nothing but ``{path: sha256}`` for files beside it."""
    try:
        record = json.loads(data)
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        return [Leak(relative, f"not valid JSON ({error})")]
    if not isinstance(record, dict):
        return [Leak(relative, f"holds a {type(record).__name__}, expected an object of path -> sha256")]
    folder = (release / relative).parent
    leaks = []
    for key, value in record.items():
        if not isinstance(key, str) or Path(key).is_absolute() or ".." in Path(key).parts or not (folder / key).is_file():
            leaks.append(Leak(relative, f"entry {key!r} names no file of {folder.relative_to(release).as_posix()}/"))
        if not isinstance(value, str) or not CHECKSUM.fullmatch(value):
            leaks.append(Leak(relative, f"entry {key!r}: {value!r} is not a sha256 checksum"))
    return leaks

