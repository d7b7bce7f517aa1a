"""Split a corpus 90/10, train a tokenizer on the training part, and cache the token arrays.

The pipeline, in the order it must run:

1. load the corpus text (`grader.data.corpus`);
2. split the *text* at a character boundary: the first 90% for training, the
   last 10% for validation. This must come before tokenizer training so a
   BPE tokenizer never sees validation text;
3. train the tokenizer (on the training text; the char tokenizer's alphabet
   comes from the whole text, see `prepare_text`);
4. encode both parts and save them as ``.npy`` (uint16 when every id fits,
   else uint32), with the tokenizer beside them;
5. write ``meta.json`` last: its presence marks a complete cache.

A later call finds ``meta.json``, checks it describes the same text (by
sha256) and tokenizer, and memory-maps the arrays instead of rebuilding.
"""

from __future__ import annotations

import hashlib
import os
import pickle
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from . import tokenizers
from ..atomic import atomic_write, atomic_write_json
from .cache import atomic_save_npy, read_json, resolve_cache_dir
from .corpus import load_corpus
from .registry import describe

TRAIN_FRACTION = 0.9
# Bump whenever the cache layout or its contents change, so old caches rebuild.
CACHE_FORMAT = 1


@dataclass
class PreparedData:
    """A dataset ready to train on."""

    name: str
    """The dataset's manifest name."""
    train: np.ndarray
    """Token ids of the first 90% of the text, shape (N_train,), uint16 or uint32, read-only memory map."""
    val: np.ndarray
    """Token ids of the last 10% of the text, shape (N_val,), same dtype."""
    tokenizer: tokenizers.Tokenizer
    """The tokenizer that made the ids; ``decode`` turns them back into text."""
    vocab_size: int
    """``tokenizer.vocab_size``: every id is below it."""
    meta: dict[str, Any] = field(default_factory=dict)
    """What ``meta.json`` records: dataset, tokenizer, vocab size, token counts, source sha256."""


def split_text(text: str, train_fraction: float = TRAIN_FRACTION) -> tuple[str, str]:
    """Cut `text` into ``(train, val)`` at character ``int(len(text) * train_fraction)``.

    Example: ``split_text("abcdefghij")`` -> ``("abcdefghi", "j")``.

    Raises:
        ValueError: `train_fraction` is not strictly between 0 and 1.
    """
    if not 0.0 < train_fraction < 1.0:
        raise ValueError(f"train_fraction={train_fraction} must be strictly between 0 and 1")
    cut = int(len(text) * train_fraction)
    return text[:cut], text[cut:]


def token_dtype(vocab_size: int) -> np.dtype:
    """The smallest unsigned dtype of the two that holds every id below `vocab_size`.

    Example: ``token_dtype(65536)`` -> uint16; ``token_dtype(65537)`` -> uint32.
    """
    return np.dtype(np.uint16) if vocab_size <= 2**16 else np.dtype(np.uint32)


def check_vocab_size(tokenizer: str, vocab_size: int | None) -> None:
    """Check the tokenizer kind and that `vocab_size` fits it.

    Raises:
        ValueError: unknown kind; vocab_size given for "char"; missing, not an
            int, or not positive for "bpe" and "sentencepiece".
    """
    tokenizers.check_tokenizer_kind(tokenizer)
    if tokenizer == "char":
        if vocab_size is not None:
            raise ValueError(f"vocab_size={vocab_size} was given, but the char tokenizer takes its vocabulary from the text")
        return
    if vocab_size is None:
        raise ValueError(f"tokenizer {tokenizer!r} needs a vocab_size (e.g. vocab_size=512)")
    if isinstance(vocab_size, bool) or not isinstance(vocab_size, int) or vocab_size <= 0:
        raise ValueError(f"vocab_size must be a positive int, got {vocab_size!r}")


def _save_tokenizer(path: Path, tokenizer: tokenizers.Tokenizer) -> None:
    import torch

    data = tokenizers.tokenizer_to_dict(tokenizer)
    atomic_write(path, lambda file: torch.save(data, file))


def _load_tokenizer(path: Path) -> tokenizers.Tokenizer:
    import torch

    return tokenizers.tokenizer_from_dict(torch.load(path, weights_only=True))


def _read_cache(folder: Path, expected: dict[str, Any], name: str) -> PreparedData | None:
    """The cached data in `folder` if its meta.json agrees with `expected`, else None."""
    meta = read_json(folder / "meta.json")
    if meta is None or any(meta.get(key) != value for key, value in expected.items()):
        return None
    try:
        train = np.load(folder / "train.npy", mmap_mode="r")
        val = np.load(folder / "val.npy", mmap_mode="r")
        tokenizer = _load_tokenizer(folder / "tokenizer.pt")
    except (OSError, ValueError, RuntimeError, EOFError, pickle.UnpicklingError):
        # A damaged cache is rebuilt rather than reported.
        return None
    if len(train) != meta.get("train_tokens") or len(val) != meta.get("val_tokens"):
        return None
    return PreparedData(name, train, val, tokenizer, tokenizer.vocab_size, meta)


def prepare_text(
    text: str,
    *,
    name: str,
    tokenizer: str = "char",
    vocab_size: int | None = None,
    cache_dir: str | os.PathLike[str] | None = None,
) -> PreparedData:
    """Split, tokenize and cache `text` under ``<cache_dir>/<name>/tokens/<tokenizer>[-<vocab_size>]/``.

    The char tokenizer's alphabet is taken from the whole text, not just the
    training part: an alphabet reveals nothing about the validation text
    worth hiding, and a character seen only in validation could otherwise
    not be encoded at all. The BPE and SentencePiece tokenizers are trained
    on the training part only.

    Example: ``prepare_text("abcabcabca", name="toy")`` gives a char
    tokenizer with chars "abc", train = [0, 1, 2, 0, 1, 2, 0, 1, 2] and
    val = [0] (uint16).

    Raises:
        ValueError: see `check_vocab_size`; and the tokenizer's own errors.
    """
    check_vocab_size(tokenizer, vocab_size)
    cache_key = tokenizer if vocab_size is None else f"{tokenizer}-{vocab_size}"
    folder = resolve_cache_dir(cache_dir) / name / "tokens" / cache_key
    expected = {
        "format": CACHE_FORMAT,
        "dataset": name,
        "tokenizer": tokenizer,
        "requested_vocab_size": vocab_size,
        "train_fraction": TRAIN_FRACTION,
        "source_sha256": hashlib.sha256(text.encode("utf-8")).hexdigest(),
    }
    cached = _read_cache(folder, expected, name)
    if cached is not None:
        return cached

    train_text, val_text = split_text(text)
    trained = tokenizers.train_tokenizer(tokenizer, text if tokenizer == "char" else train_text, vocab_size)
    dtype = token_dtype(trained.vocab_size)
    train_ids = np.asarray(trained.encode(train_text), dtype=dtype)  # (N_train,)
    val_ids = np.asarray(trained.encode(val_text), dtype=dtype)  # (N_val,)
    atomic_save_npy(folder / "train.npy", train_ids)
    atomic_save_npy(folder / "val.npy", val_ids)
    _save_tokenizer(folder / "tokenizer.pt", trained)
    meta = {
        **expected,
        "vocab_size": trained.vocab_size,
        "dtype": dtype.name,
        "train_tokens": len(train_ids),
        "val_tokens": len(val_ids),
        "train_characters": len(train_text),
        "val_characters": len(val_text),
    }
    atomic_write_json(folder / "meta.json", meta)
    train = np.load(folder / "train.npy", mmap_mode="r")
    val = np.load(folder / "val.npy", mmap_mode="r")
    return PreparedData(name, train, val, trained, trained.vocab_size, meta)


def prepare(
    name: str,
    *,
    tokenizer: str = "char",
    vocab_size: int | None = None,
    cache_dir: str | os.PathLike[str] | None = None,
) -> PreparedData:
    """Load dataset `name`, split it 90/10 and tokenize it, or read all that from the cache.

    Args:
        name: a manifest name, e.g. ``"shakespeare"``.
        tokenizer: ``"char"``, ``"bpe"`` (the course's byte-level BPE) or
            ``"sentencepiece"`` (BPE mode, lossless settings).
        vocab_size: None for "char"; required for the other two (for
            sentencepiece an upper bound, see `SentencePieceTokenizer.train`).
        cache_dir: the cache folder; `default_cache_dir()` when None.

    Example: ``prepare("shakespeare").train[:3]`` -> the ids of "THE" as
    memory-mapped uint16, ``decode`` of train + val gives back the corpus.

    Raises:
        ValueError: unknown dataset or tokenizer (the message lists the known
            ones), or a vocab_size that does not fit the tokenizer.
        DatasetError: the corpus could not be built or downloaded.
    """
    # Arguments are checked before the corpus is built, so a typo fails at once.
    check_vocab_size(tokenizer, vocab_size)
    corpus = load_corpus(describe(name), cache_dir=cache_dir)
    return prepare_text(corpus.text, name=name, tokenizer=tokenizer, vocab_size=vocab_size, cache_dir=cache_dir)
