"""Where prepared data lives on disk, and writing it so a crash never leaves half a file.

Layout below the cache folder (`default_cache_dir`)::

    <dataset>/corpus.txt              the built or downloaded text
    <dataset>/corpus.json             its stamp, size and sha256
    <dataset>/downloads/<file>        a downloaded original (or a copy placed by hand)
    <dataset>/tokens/<tokenizer>/     train.npy, val.npy, tokenizer.pt, meta.json

Every file is written atomically (`grader.atomic`): a reader sees the old
file or the new one, never a partial one. Metadata files are written last, so
their presence means everything they describe is complete.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import numpy as np

from ..atomic import atomic_write

CACHE_DIR_ENV = "COURSE_DATA_DIR"


def default_cache_dir() -> Path:
    """``$COURSE_DATA_DIR`` if set, else ``~/.cache/minigpt-course``."""
    configured = os.environ.get(CACHE_DIR_ENV)
    if configured:
        return Path(configured).expanduser()
    return Path.home() / ".cache" / "minigpt-course"


def resolve_cache_dir(cache_dir: str | os.PathLike[str] | None) -> Path:
    """`cache_dir` as a Path, or `default_cache_dir()` when None."""
    return default_cache_dir() if cache_dir is None else Path(cache_dir)


def atomic_save_npy(path: Path, array: np.ndarray) -> None:
    """Save `array` to `path` atomically in .npy format (no pickled objects)."""
    atomic_write(path, lambda file: np.save(file, array, allow_pickle=False))


def read_json(path: Path) -> dict[str, Any] | None:
    """The JSON object in `path`, or None when it is missing or unreadable.

    An unreadable file is treated like a missing one: the caller rebuilds it.
    """
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None
