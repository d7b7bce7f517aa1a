"""Build the `pycode` corpus: the Python standard library sources on this machine.

Every ``*.py`` file under ``sysconfig.get_paths()["stdlib"]`` except test
suites and installed packages, sorted by relative path, each preceded by a
``# file: relpath`` line::

    # file: __future__.py
    \"\"\"Record of phased-in incompatible language changes.
    ...

    # file: _collections_abc.py
    ...

Files that are not valid UTF-8 are skipped. The corpus depends on the Python
version, which is part of `source_stamp` so a new interpreter rebuilds it.
"""

from __future__ import annotations

import platform
import sysconfig
from pathlib import Path

# Bump whenever the output of `build_pycode` changes, so caches rebuild.
BUILDER_VERSION = 1

# Folder names whose contents are tests or third-party code, not the library.
_EXCLUDED_DIRS = frozenset({"test", "tests", "idle_test", "site-packages", "dist-packages", "__pycache__"})


def stdlib_dir() -> Path:
    """The folder of this interpreter's standard library sources."""
    return Path(sysconfig.get_paths()["stdlib"])


def source_files(root: Path | None = None) -> list[Path]:
    """The library files in corpus order: sorted by path relative to `root`.

    Skips any file below a folder named test, tests, idle_test, site-packages
    or dist-packages (this covers lib2to3/tests too) and files named
    ``test_*.py``.
    """
    root = stdlib_dir() if root is None else root
    files = []
    for path in root.rglob("*.py"):
        relative = path.relative_to(root)
        if _EXCLUDED_DIRS.intersection(relative.parts[:-1]) or path.name.startswith("test_"):
            continue
        files.append(path)
    return sorted(files, key=lambda path: path.relative_to(root).as_posix())


def source_stamp() -> str:
    """A string that changes whenever the built corpus could change.

    Example: ``"pycode-builder-1+python-3.11.7"``.
    """
    return f"pycode-builder-{BUILDER_VERSION}+python-{platform.python_version()}"


def build_pycode(*, root: Path | None = None, max_files: int | None = None) -> str:
    """Concatenate the library sources, each after a ``# file: relpath`` line.

    Args:
        root: the folder to read; the standard library when None.
        max_files: keep only the first this many files (in corpus order), for
            quick tests; None keeps all.

    Example: a root holding ``a.py`` (``x = 1\\n``) and ``b/c.py`` (``y = 2``)
    gives ``"# file: a.py\\nx = 1\\n\\n# file: b/c.py\\ny = 2\\n\\n"``.
    """
    root = stdlib_dir() if root is None else root
    parts = []
    kept = 0
    for path in source_files(root):
        if max_files is not None and kept >= max_files:
            break
        try:
            source = path.read_bytes().decode("utf-8")
        except (UnicodeDecodeError, OSError):
            continue
        # Normalise line endings and end every file with exactly one newline
        # so the separator between files is always one blank line.
        source = source.replace("\r\n", "\n").rstrip("\n") + "\n"
        parts.append(f"# file: {path.relative_to(root).as_posix()}\n{source}\n")
        kept += 1
    return "".join(parts)
