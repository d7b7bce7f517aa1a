"""``course generate``: build the student workspace assignments/ from solutions/.

Each ``.py`` file under solutions/ is stubbed by :func:`grader.stubs.stub_source`;
each ``.ipynb`` is released by nbgrader's own generate_assignment pipeline
(:func:`grader.notebooks.release_notebooks`: model answers and outputs
cleared, test cells locked), never copied; every other file is copied as it
is; ``README.md`` comes from ``grader/templates/assignments_README.md``.
``.generated.json`` maps each generated file's relative path to the sha256
of the bytes written, which is how a later run tells a student's edits (kept,
notebooks included) from stale generated files (rewritten). Every write is
atomic.
"""

from __future__ import annotations

import enum
import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

from rich.table import Table

from ..atomic import atomic_write_bytes, atomic_write_json
from ..console import console
from ..notebooks import NOTEBOOK_SUFFIX, release_notebooks
from ..paths import ASSIGNMENTS, SOLUTIONS, TEMPLATES
from ..stubs import stub_source

README_TEMPLATE = TEMPLATES / "assignments_README.md"
RECORD_NAME = ".generated.json"


class Action(str, enum.Enum):
    """What generation did to one file of the destination."""

    WRITTEN = "written"
    UNCHANGED = "unchanged"
    KEPT = "kept (edited)"


@dataclass(frozen=True)
class GeneratedFile:
    """One file of the workspace: ``path`` relative to dest (POSIX form), and what was done."""

    path: str
    action: Action


@dataclass(frozen=True)
class GenerateResult:
    """The outcome of one ``course generate``: every file, in path order."""

    source: Path
    dest: Path
    files: list[GeneratedFile]

    def paths(self, action: Action) -> list[str]:
        """The relative paths that got ``action``."""
        return [file.path for file in self.files if file.action is action]

    @property
    def changed(self) -> bool:
        """True when any file was written or kept back (anything a user should look at)."""
        return any(file.action is not Action.UNCHANGED for file in self.files)


def sha256(data: bytes) -> str:
    """Hex sha256 of ``data``, the checksum ``.generated.json`` records."""
    return hashlib.sha256(data).hexdigest()


def render(source: Path) -> dict[str, bytes]:
    """The full workspace for ``source``: relative POSIX path -> bytes, README.md included.

    Skips ``__pycache__``, ``*.pyc`` and hidden files and folders (nbgrader's
    ``.ipynb_checkpoints`` among them).

    Raises:
        ValueError: from ``stub_source``, naming ``file:line`` of a broken region,
            or from ``release_notebooks``, naming a notebook nbgrader cannot release.
    """
    files: dict[str, bytes] = {}
    notebooks: list[str] = []
    for folder, subfolders, names in os.walk(source):
        # Pruning in place stops os.walk from descending into skipped folders.
        subfolders[:] = sorted(name for name in subfolders if not name.startswith(".") and name != "__pycache__")
        for name in sorted(names):
            if name.startswith(".") or name.endswith(".pyc"):
                continue
            path = Path(folder) / name
            relative = path.relative_to(source).as_posix()
            if name.endswith(NOTEBOOK_SUFFIX):
                notebooks.append(relative)
                continue
            data = path.read_bytes()
            if name.endswith(".py"):
                data = stub_source(data.decode("utf-8"), filename=str(path)).encode("utf-8")
            files[relative] = data
    files.update(release_notebooks(source, notebooks))
    files["README.md"] = README_TEMPLATE.read_bytes()
    return dict(sorted(files.items()))


def _read_record(dest: Path) -> dict[str, str]:
    path = dest / RECORD_NAME
    if not path.exists():
        return {}
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise ValueError(f"{path} is not valid JSON ({error}); delete it and run `course generate --force`") from None
    if not isinstance(record, dict):
        raise ValueError(f"{path} holds a {type(record).__name__}, expected an object of path -> sha256")
    return record


def main(*, source: str | Path | None = None, dest: str | Path | None = None, force: bool = False) -> GenerateResult:
    """Generate ``dest`` (default: the repository's assignments/) from ``source`` (default: solutions/).

    A file already in ``dest`` is

    - ``unchanged`` if its bytes equal the new generation (not touched, mtime kept);
    - ``written`` if it still has the recorded checksum (nobody edited it);
    - ``kept (edited)`` otherwise (edited, or never generated), unless
      ``force`` is true, in which case it is ``written``.

    Missing files are ``written``. Kept files keep their old record entry,
    so they still count as edited next time.

    Raises:
        FileNotFoundError: ``source`` is not a folder.
        ValueError: a broken solution region (``file:line``), or an unreadable record.
    """
    source = Path(source) if source is not None else SOLUTIONS
    dest = Path(dest) if dest is not None else ASSIGNMENTS
    if not source.is_dir():
        raise FileNotFoundError(f"source folder {source} does not exist")
    generated = render(source)
    old_record = _read_record(dest)
    new_record: dict[str, str] = {}
    files: list[GeneratedFile] = []
    for relative, data in generated.items():
        target = dest / relative
        digest = sha256(data)
        if not target.exists():
            action = Action.WRITTEN
        else:
            current = target.read_bytes()
            if current == data:
                action = Action.UNCHANGED
            elif force or old_record.get(relative) == sha256(current):
                action = Action.WRITTEN
            else:
                action = Action.KEPT
        if action is Action.WRITTEN:
            atomic_write_bytes(target, data)
        if action is Action.KEPT:
            if relative in old_record:
                new_record[relative] = old_record[relative]
        else:
            new_record[relative] = digest
        files.append(GeneratedFile(path=relative, action=action))
    if new_record != old_record:
        atomic_write_json(dest / RECORD_NAME, new_record)
    return GenerateResult(source=source, dest=dest, files=files)


def report(result: GenerateResult) -> None:
    """Print a table of the files written or kept, or one line when nothing changed."""
    unchanged = len(result.paths(Action.UNCHANGED))
    if not result.changed:
        console.print(f"{result.dest} is up to date: nothing changed ({unchanged} files)")
        return
    table = Table(title=f"course generate -> {result.dest}", title_justify="left")
    table.add_column("file")
    table.add_column("action")
    styles = {Action.WRITTEN: "green", Action.KEPT: "yellow"}
    for file in result.files:
        if file.action is not Action.UNCHANGED:
            table.add_row(file.path, f"[{styles[file.action]}]{file.action.value}[/]")
    console.print(table)
    written, kept = len(result.paths(Action.WRITTEN)), len(result.paths(Action.KEPT))
    summary = f"{written} written, {unchanged} unchanged, {kept} kept (edited)"
    if kept:
        summary += "; run with --force to overwrite the edited files"
    console.print(summary)
