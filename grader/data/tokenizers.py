"""The three tokenizers a dataset can be prepared with, and how to store them as plain data.

- ``"char"``: the course's `CharTokenizer` (assignment 1), one id per character.
- ``"bpe"``: the course's byte-level BPE, `train_bpe` (assignment 1).
- ``"sentencepiece"``: Google's SentencePiece in BPE mode, configured to be
  lossless like the course's BPE (byte fallback, no normalisation, spaces kept),
  for comparison with an industrial implementation.

All three have ``encode(text) -> list[int]``, ``decode(ids) -> str`` and
``vocab_size``. `tokenizer_to_dict` / `tokenizer_from_dict` turn any of them
into data made only of dict, str, int, list and bytes, which a torch
checkpoint loaded with ``weights_only=True`` can carry.

The course tokenizers are imported inside the functions that need them: the
data package must import even while assignment 1 is being written.
"""

from __future__ import annotations

import io
from typing import Any, Iterable, Protocol

TOKENIZER_KINDS = ("char", "bpe", "sentencepiece")


class Tokenizer(Protocol):
    """What every tokenizer here provides."""

    @property
    def vocab_size(self) -> int: ...

    def encode(self, text: str) -> list[int]: ...

    def decode(self, ids: Iterable[int]) -> str: ...


def check_tokenizer_kind(kind: str) -> None:
    """Raise ValueError unless `kind` is one of `TOKENIZER_KINDS` (the message lists them)."""
    if kind not in TOKENIZER_KINDS:
        raise ValueError(f"unknown tokenizer {kind!r}; choose one of: {', '.join(TOKENIZER_KINDS)}")


class SentencePieceTokenizer:
    """A trained SentencePiece model behind the course's tokenizer interface.

    Args:
        model: the serialized model (the bytes of a ``.model`` file).

    Attributes:
        model: those bytes, kept so the tokenizer can be stored as plain data.

    Example (round trip; ids depend on the training text)::

        >>> tokenizer = SentencePieceTokenizer.train("to be or not to be\\n" * 50, vocab_size=300)
        >>> tokenizer.decode(tokenizer.encode("to be\\n\\tor not"))
        'to be\\n\\tor not'
    """

    def __init__(self, model: bytes) -> None:
        import sentencepiece

        self.model = bytes(model)
        self._processor = sentencepiece.SentencePieceProcessor(model_proto=self.model)

    @classmethod
    def train(cls, text: str, vocab_size: int) -> SentencePieceTokenizer:
        """Train a lossless BPE model on `text`, one sentence per line.

        The settings make ``decode(encode(t)) == t`` for any string: identity
        normalisation, no dummy prefix space, spaces never collapsed, and
        characters missing from the vocabulary (newlines, rare symbols) fall
        back to their UTF-8 bytes. There is no BOS/EOS; id 0 is ``<unk>``,
        which byte fallback never produces. `vocab_size` is an upper bound: a
        text too small for that many pieces gives fewer.

        Raises:
            ValueError: `vocab_size` cannot hold the 256 byte pieces and the
                text's characters (SentencePiece's own reason is quoted).
        """
        import sentencepiece

        model = io.BytesIO()
        try:
            sentencepiece.SentencePieceTrainer.train(
                sentence_iterator=iter(line for line in text.split("\n") if line),
                model_writer=model,
                model_type="bpe",
                vocab_size=vocab_size,
                byte_fallback=True,
                normalization_rule_name="identity",
                add_dummy_prefix=False,
                remove_extra_whitespaces=False,
                allow_whitespace_only_pieces=True,
                split_digits=False,
                character_coverage=1.0,
                unk_id=0,
                bos_id=-1,
                eos_id=-1,
                pad_id=-1,
                hard_vocab_limit=False,
                # One thread makes training, and so the cached tokens, reproducible.
                num_threads=1,
                minloglevel=2,
            )
        except RuntimeError as error:
            reason = " ".join(str(error).split())
            raise ValueError(f"sentencepiece could not train with vocab_size={vocab_size}: {reason}") from None
        return cls(model.getvalue())

    @property
    def vocab_size(self) -> int:
        """Number of pieces (ids ``0 .. vocab_size - 1``)."""
        return self._processor.get_piece_size()

    def encode(self, text: str) -> list[int]:
        """The ids of `text`."""
        return self._processor.encode(text)

    def decode(self, ids: Iterable[int]) -> str:
        """The text of `ids` (inverse of `encode`).

        Raises:
            ValueError: an id is outside ``range(vocab_size)``; the message names it.
        """
        ids = [int(token_id) for token_id in ids]
        for token_id in ids:
            if not 0 <= token_id < self.vocab_size:
                raise ValueError(f"id {token_id} is not in the vocabulary (ids are 0..{self.vocab_size - 1})")
        return self._processor.decode(ids)


def train_tokenizer(kind: str, text: str, vocab_size: int | None = None) -> Tokenizer:
    """Make a tokenizer of `kind` from `text`.

    Args:
        kind: ``"char"``, ``"bpe"`` or ``"sentencepiece"``.
        text: for "char", every character that must be encodable; for the
            others, the training text.
        vocab_size: None for "char" (the text decides); the size for the others.

    Example: ``train_tokenizer("char", "hello").chars`` -> ``"ehlo"``.

    Raises:
        ValueError: unknown kind; vocab_size given for "char" or missing or
            too small for the others.
    """
    check_tokenizer_kind(kind)
    if kind == "char":
        if vocab_size is not None:
            raise ValueError(f"vocab_size={vocab_size} was given, but the char tokenizer takes its vocabulary from the text")
        from solutions.a1_tokenizer.tokenizer import CharTokenizer

        return CharTokenizer.from_text(text)
    if vocab_size is None:
        raise ValueError(f"tokenizer {kind!r} needs a vocab_size")
    if kind == "bpe":
        if vocab_size < 256:
            raise ValueError(f"vocab_size={vocab_size} is below 256, the byte-level BPE's 256 byte ids")
        from solutions.a1_tokenizer.tokenizer import train_bpe

        return train_bpe(text, vocab_size)
    return SentencePieceTokenizer.train(text, vocab_size)


def tokenizer_to_dict(tokenizer: Any) -> dict[str, Any]:
    """Plain data (dict, str, int, list, bytes) that `tokenizer_from_dict` turns back into `tokenizer`.

    Examples: a CharTokenizer gives ``{"kind": "char", "chars": "ehlo"}``; a
    BPETokenizer ``{"kind": "bpe", **tokenizer.to_dict()}``; a
    SentencePieceTokenizer ``{"kind": "sentencepiece", "model": b"..."}``.

    Raises:
        TypeError: `tokenizer` is none of the three.
    """
    from solutions.a1_tokenizer.tokenizer import BPETokenizer, CharTokenizer

    if isinstance(tokenizer, CharTokenizer):
        return {"kind": "char", "chars": tokenizer.chars}
    if isinstance(tokenizer, BPETokenizer):
        return {"kind": "bpe", **tokenizer.to_dict()}
    if isinstance(tokenizer, SentencePieceTokenizer):
        return {"kind": "sentencepiece", "model": tokenizer.model}
    raise TypeError(f"cannot store a tokenizer of type {type(tokenizer).__name__}; expected one of {TOKENIZER_KINDS}")


def tokenizer_from_dict(data: dict[str, Any]) -> Tokenizer:
    """Rebuild the tokenizer `tokenizer_to_dict` stored.

    Raises:
        ValueError: `data` is not a dict with a known "kind" and that kind's fields.
    """
    if not isinstance(data, dict):
        raise ValueError(f"a stored tokenizer must be a dict, got {type(data).__name__}")
    kind = data.get("kind")
    check_tokenizer_kind(kind)
    fields = {key: value for key, value in data.items() if key != "kind"}
    if kind == "char":
        if not isinstance(fields.get("chars"), str):
            raise ValueError(f"a stored char tokenizer needs a str 'chars', got {fields.get('chars')!r}")
        from solutions.a1_tokenizer.tokenizer import CharTokenizer

        return CharTokenizer(fields["chars"])
    if kind == "bpe":
        from solutions.a1_tokenizer.tokenizer import BPETokenizer

        return BPETokenizer.from_dict(fields)
    if not isinstance(fields.get("model"), bytes):
        raise ValueError(f"a stored sentencepiece tokenizer needs bytes 'model', got {type(fields.get('model')).__name__}")
    return SentencePieceTokenizer(fields["model"])
