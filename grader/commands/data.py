"""``course data``: list the registered datasets, or build one and its token cache."""

from __future__ import annotations

from pathlib import Path

from rich.table import Table

from .. import data as datasets_registry
from ..console import console


def list_datasets() -> None:
    """Print the registered datasets as a table."""
    table = Table(title="datasets", title_justify="left")
    table.add_column("name", style="bold")
    table.add_column("description")
    for name in datasets_registry.dataset_names():
        record = datasets_registry.describe(name)
        default = " (default)" if name == datasets_registry.DEFAULT_DATASET else ""
        table.add_row(name + default, record.description)
    console.print(table)


def prepare(
    *, name: str, tokenizer: str = "char", vocab_size: int | None = None, data_dir: str | Path | None = None
) -> None:
    """Build (or read from the cache) ``name``'s tokens and print a summary."""
    prepared = datasets_registry.prepare(name, tokenizer=tokenizer, vocab_size=vocab_size, cache_dir=data_dir)
    console.print(
        f"{name} ({tokenizer}): vocab {prepared.vocab_size:,}, "
        f"{len(prepared.train):,} train / {len(prepared.val):,} val tokens"
    )
