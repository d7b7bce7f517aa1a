"""The dataset manifest (datasets/manifest.toml) read into typed records.

Each ``[datasets.NAME]`` table becomes one `DatasetRecord`. Unknown keys,
missing keys and values of the wrong type are errors that name the dataset
and the key, so a typo in the manifest fails loudly instead of being ignored.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from ..paths import DATASETS_MANIFEST

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10: the same parser, packaged as tomli
    import tomli as tomllib

DEFAULT_DATASET = "shakespeare"

# datasets/ sits at the repository root, two levels above this package.

KINDS = ("build", "download")
_SHA256 = re.compile(r"^[0-9a-fA-F]{64}$")


@dataclass(frozen=True)
class DatasetRecord:
    """One dataset as the manifest describes it."""

    name: str
    """The key after ``datasets.`` in the manifest, e.g. ``"shakespeare"``."""
    description: str
    """One line for listings."""
    kind: str
    """``"build"`` (made locally by `builder`) or ``"download"`` (fetched from `url`)."""
    license: str
    """The license of the text and of whatever ships it."""
    size: str
    """A human note on the corpus size, e.g. ``"about 4.75 MB"``."""
    builder: str | None = None
    """For kind "build": the builder's name (see grader/data/corpus.py)."""
    url: str | None = None
    """For kind "download": where the file is fetched from."""
    sha256: str | None = None
    """For kind "download": the file's expected hex digest."""


_REQUIRED = ("description", "kind", "license", "size")
_REQUIRED_BY_KIND = {"build": ("builder",), "download": ("url", "sha256")}
_KNOWN_KEYS = {field.name for field in fields(DatasetRecord)} - {"name"}


def _record_from_table(name: str, table: Any, source: Path) -> DatasetRecord:
    """Check one ``[datasets.NAME]`` table and build its record.

    Raises:
        ValueError: naming the dataset and the offending key.
    """
    where = f"{source}: [datasets.{name}]"
    if not isinstance(table, dict):
        raise ValueError(f"{where} must be a table, got {type(table).__name__}")
    unknown = sorted(set(table) - _KNOWN_KEYS)
    if unknown:
        raise ValueError(f"{where} has unknown key {unknown[0]!r}; known keys: {sorted(_KNOWN_KEYS)}")
    for key, value in table.items():
        if not isinstance(value, str):
            raise ValueError(f"{where} key {key!r} must be a string, got {value!r}")
    for key in _REQUIRED:
        if key not in table:
            raise ValueError(f"{where} is missing required key {key!r}")
    kind = table["kind"]
    if kind not in KINDS:
        raise ValueError(f"{where} key 'kind' must be one of {list(KINDS)}, got {kind!r}")
    for key in _REQUIRED_BY_KIND[kind]:
        if key not in table:
            raise ValueError(f"{where} is missing required key {key!r} (needed for kind {kind!r})")
    for other_kind, keys in _REQUIRED_BY_KIND.items():
        for key in keys:
            if other_kind != kind and key in table:
                raise ValueError(f"{where} key {key!r} does not apply to kind {kind!r}")
    if "sha256" in table and not _SHA256.match(table["sha256"]):
        raise ValueError(f"{where} key 'sha256' must be 64 hex digits, got {table['sha256']!r}")
    return DatasetRecord(name=name, **table)


def load_manifest(path: Path | None = None) -> dict[str, DatasetRecord]:
    """Read a manifest into ``{name: DatasetRecord}``, in the manifest's order.

    Args:
        path: the TOML file; the course's datasets/manifest.toml when None
            (read once, then remembered).

    Example: a manifest holding only ``[datasets.tiny]`` with description,
    kind="download", url, sha256, license and size gives
    ``{"tiny": DatasetRecord(name="tiny", kind="download", ...)}``.

    Raises:
        FileNotFoundError: the manifest does not exist.
        ValueError: it is not valid TOML, has keys other than ``datasets``,
            or a table is malformed (the message names the dataset and key).
    """
    if path is None:
        return _default_manifest()
    return _read_manifest(Path(path))


@functools.lru_cache(maxsize=1)
def _default_manifest() -> dict[str, DatasetRecord]:
    return _read_manifest(DATASETS_MANIFEST)


def _read_manifest(path: Path) -> dict[str, DatasetRecord]:
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as error:
        raise ValueError(f"{path} is not valid TOML: {error}") from None
    unknown = sorted(set(document) - {"datasets"})
    if unknown:
        raise ValueError(f"{path} has unknown top-level key {unknown[0]!r}; expected only 'datasets'")
    tables = document.get("datasets", {})
    if not isinstance(tables, dict) or not tables:
        raise ValueError(f"{path} defines no [datasets.NAME] tables")
    return {name: _record_from_table(name, table, path) for name, table in tables.items()}


def dataset_names() -> list[str]:
    """The names in the course manifest, in its order (the default first).

    Example: ``["shakespeare", "tinyshakespeare", "pycode"]``.
    """
    return list(load_manifest())


def describe(name: str) -> DatasetRecord:
    """The manifest record of dataset `name`.

    Raises:
        ValueError: `name` is not in the manifest (the message lists the known names).
    """
    records = load_manifest()
    if name not in records:
        raise ValueError(f"unknown dataset {name!r}; known datasets: {', '.join(records)}")
    return records[name]
