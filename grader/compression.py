"""How well tokenizers compress text as their vocabulary grows: UTF-8 bytes per token.

The course's byte-level BPE is measured at every size from one trained
tokenizer: training is greedy and its ties are broken by a fixed rule, so
the first ``k`` merges of a large vocabulary are exactly the merges a
training run to ``256 + k`` ids would make. SentencePiece's BPE is trained
once per size. Both are measured on held-out text, text neither trained on::

    bpe = train_bpe(train_text, 1024)
    for curve in compression_curves(bpe, train_text, held_out, [256, 512, 1024]):
        print(curve.name, curve.points)     # course BPE {256: 1.0, 512: 1.9, 1024: 2.3} ...
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from .data.tokenizers import SentencePieceTokenizer

BYTE_VOCABULARY = 256
"""Ids of the byte-level BPE before any merge: one per byte."""


@dataclass(frozen=True)
class CompressionCurve:
    """One tokenizer's compression at several vocabulary sizes."""

    name: str
    """Which tokenizer, as a legend shows it."""
    points: dict[int, float] = field(default_factory=dict)
    """Vocabulary size actually reached -> held-out UTF-8 bytes per token."""
    missing: dict[int, str] = field(default_factory=dict)
    """Requested vocabulary size -> why the tokenizer has no point there."""


def bytes_per_token(tokenizer: Any, text: str) -> float:
    """UTF-8 bytes of ``text`` per token of ``tokenizer.encode(text)``: 1.0 for raw bytes, higher is better.

    Example: a tokenizer that makes ``"hello world"`` (11 bytes) into 4 tokens gives 2.75.

    Raises:
        ValueError: ``text`` is empty.
    """
    if not text:
        raise ValueError("cannot measure compression on empty text")
    return len(text.encode("utf-8")) / len(tokenizer.encode(text))


def compression_curves(
    bpe: Any, train_text: str, held_out: str, vocab_sizes: Sequence[int]
) -> list[CompressionCurve]:
    """Bytes per token on ``held_out`` of the course's BPE and of sentencepiece, at each size.

    Args:
        bpe: a byte-level ``BPETokenizer`` without special tokens, trained
            on ``train_text`` to ``max(vocab_sizes)`` ids; its class builds
            the smaller ones from its first merges.
        train_text: what sentencepiece trains on (the text ``bpe`` was trained on).
        held_out: the text both are measured on.
        vocab_sizes: sizes to measure at, each at least 256.

    Returns:
        ``[course BPE, sentencepiece BPE]``. SentencePiece needs one id per
        byte and per distinct character of the text before its first merge,
        so small sizes have no point (``missing`` says why); it may also
        stop below a size on a short text, so its points sit at the size it
        reached. Sizes beyond ``bpe``'s vocabulary (a short text runs out
        of pairs to merge) are missing from the course BPE's curve.

    Raises:
        ValueError: ``vocab_sizes`` is empty or has a size below 256;
            ``held_out`` is empty.
    """
    if not vocab_sizes:
        raise ValueError("no vocabulary sizes to measure at")
    sizes = sorted(set(vocab_sizes))
    if sizes[0] < BYTE_VOCABULARY:
        raise ValueError(f"vocab size {sizes[0]} is below {BYTE_VOCABULARY}, the byte-level BPE's byte ids")
    if not held_out:
        raise ValueError("cannot measure compression on empty held-out text")

    available = BYTE_VOCABULARY + len(bpe.merges)
    course = CompressionCurve("course BPE (train_bpe)")
    for size in sizes:
        if size > available:
            course.missing[size] = (
                f"the BPE tokenizer has {available} ids: it was trained to fewer, or its text had no more pairs to merge"
            )
            continue
        smaller = type(bpe)(bpe.merges[: size - BYTE_VOCABULARY])
        course.points[size] = bytes_per_token(smaller, held_out)

    sentencepiece = CompressionCurve("sentencepiece BPE")
    for size in sizes:
        try:
            trained = SentencePieceTokenizer.train(train_text, size)
        except ValueError as error:
            sentencepiece.missing[size] = str(error)
            continue
        sentencepiece.points[trained.vocab_size] = bytes_per_token(trained, held_out)
    return [course, sentencepiece]
