"""Turn token ids into vectors, and tell the model where each token sits.

A transformer sees a sequence as a set: attention by itself cannot tell
position 3 from position 7. So the input to the first block is the sum of two
tables looked up per position:

    x[b, t] = token_table[ids[b, t]] + position_table[t]      # (B, T, d_model)

This file holds both tables: a learned token embedding, and two position
encodings (the fixed sinusoids of "Attention Is All You Need" and a learned
table, as GPT-2 uses).
"""

from __future__ import annotations

import math

import torch
from torch import nn


# ## Task 2.1: TokenEmbedding
class TokenEmbedding(nn.Module):
    """A learned lookup table from token id to a ``d_model``-dimensional vector.

    ``forward`` indexes rows of ``weight``; it does the same as ``nn.Embedding``
    but is written out so you can see that an embedding is just row selection
    (and that its gradient only touches the rows that were used).

    Parameters:
        vocab_size: number of distinct token ids (rows of the table).
        d_model: width of each vector (columns of the table).

    Attributes:
        weight: ``nn.Parameter`` of shape ``(vocab_size, d_model)``, drawn from
            N(0, 1) here; ``GPT`` re-initialises it.

    Example:
        >>> embedding = TokenEmbedding(vocab_size=3, d_model=2)
        >>> with torch.no_grad():
        ...     _ = embedding.weight.copy_(torch.tensor([[0., 0.], [1., 2.], [3., 4.]]))
        >>> embedding(torch.tensor([[2, 1, 2]]))
        tensor([[[3., 4.],
                 [1., 2.],
                 [3., 4.]]], grad_fn=<IndexBackward0>)
    """

    def __init__(self, vocab_size: int, d_model: int) -> None:
        super().__init__()
        self.vocab_size = vocab_size
        self.d_model = d_model
        self.weight = nn.Parameter(torch.randn(vocab_size, d_model))

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        """Look up one row of ``weight`` per token id.

        Args:
            ids: integer tensor of token ids, any shape, usually ``(B, T)``;
                every id in ``[0, vocab_size)``.

        Returns:
            Tensor of shape ``ids.shape + (d_model,)``, usually ``(B, T, d_model)``.

        Raises:
            ValueError: if ``ids`` is not an integer tensor (a float id such as
                2.0 is almost always a bug upstream, so it is refused rather
                than rounded).
        """
        ### BEGIN SOLUTION
        if ids.dtype.is_floating_point or ids.dtype.is_complex or ids.dtype == torch.bool:
            raise ValueError(f"token ids must be an integer tensor, got dtype={ids.dtype}")
        return self.weight[ids]  # (B, T, d_model)
        ### END SOLUTION


# ## Task 2.2: sinusoidal_positional_encoding
def sinusoidal_positional_encoding(seq_len: int, d_model: int) -> torch.Tensor:
    """The fixed sinusoidal position table of Vaswani et al. (2017).

    Column pair ``(2i, 2i+1)`` is a sine and a cosine of the same frequency;
    frequencies fall geometrically from 1 to 1/10000 across the columns:

        PE[pos, 2i]   = sin(pos / 10000^(2i / d_model))
        PE[pos, 2i+1] = cos(pos / 10000^(2i / d_model))

    Args:
        seq_len: number of positions (rows), ``pos = 0 .. seq_len - 1``.
        d_model: width (columns); must be even so every sine has its cosine.

    Returns:
        float32 tensor of shape ``(seq_len, d_model)``.

    Example (d_model=4, so the frequencies are 1 and 1/100):
        >>> sinusoidal_positional_encoding(2, 4)
        tensor([[0.0000, 1.0000, 0.0000, 1.0000],
                [0.8415, 0.5403, 0.0100, 0.9999]])

        Row 0 is always ``[0, 1, 0, 1, ...]``; ``PE[1, 0] = sin(1) = 0.8415``,
        ``PE[1, 2] = sin(1 / 100) = 0.0100`` and ``PE[1, 3] = cos(1 / 100) = 0.99995``.

    Raises:
        ValueError: if ``d_model`` is odd or not positive, or ``seq_len`` is negative.
    """
    ### BEGIN SOLUTION
    if d_model <= 0 or d_model % 2 != 0:
        raise ValueError(f"d_model={d_model} must be a positive even number")
    if seq_len < 0:
        raise ValueError(f"seq_len={seq_len} must not be negative")
    # Work in float64 and cast at the end: pos * frequency for long sequences
    # loses digits in float32 before the sine ever sees it.
    positions = torch.arange(seq_len, dtype=torch.float64).unsqueeze(1)  # (seq_len, 1)
    even_columns = torch.arange(0, d_model, 2, dtype=torch.float64)  # (d_model / 2,)
    frequencies = torch.exp(-math.log(10000.0) * even_columns / d_model)  # (d_model / 2,)
    angles = positions * frequencies  # (seq_len, d_model / 2)
    table = torch.empty(seq_len, d_model, dtype=torch.float64)
    table[:, 0::2] = torch.sin(angles)
    table[:, 1::2] = torch.cos(angles)
    return table.to(torch.float32)
    ### END SOLUTION


# ## Task 2.3: LearnedPositionalEmbedding
class LearnedPositionalEmbedding(nn.Module):
    """A learned vector per position, as GPT-2 uses instead of sinusoids.

    Parameters:
        max_seq_len: the most positions the model will ever see (its block size).
        d_model: width of each vector.

    Attributes:
        weight: ``nn.Parameter`` of shape ``(max_seq_len, d_model)``, drawn from
            N(0, 1) here; ``GPT`` re-initialises it.

    Example:
        >>> positions = LearnedPositionalEmbedding(max_seq_len=4, d_model=2)
        >>> positions(3).shape      # rows 0, 1, 2 of weight
        torch.Size([3, 2])
        >>> positions(5)
        Traceback (most recent call last):
        ValueError: seq_len=5 is longer than max_seq_len=4
    """

    def __init__(self, max_seq_len: int, d_model: int) -> None:
        super().__init__()
        self.max_seq_len = max_seq_len
        self.d_model = d_model
        self.weight = nn.Parameter(torch.randn(max_seq_len, d_model))

    def forward(self, seq_len: int) -> torch.Tensor:
        """Return the vectors of positions ``0 .. seq_len - 1``.

        Args:
            seq_len: how many positions the current input has.

        Returns:
            Tensor of shape ``(seq_len, d_model)``: the first ``seq_len`` rows of
            ``weight``. It broadcasts when added to token embeddings ``(B, T, d_model)``.

        Raises:
            ValueError: if ``seq_len > max_seq_len`` (there is no learned vector
                for those positions) or ``seq_len`` is negative.
        """
        ### BEGIN SOLUTION
        if seq_len > self.max_seq_len:
            raise ValueError(f"seq_len={seq_len} is longer than max_seq_len={self.max_seq_len}")
        if seq_len < 0:
            raise ValueError(f"seq_len={seq_len} must not be negative")
        return self.weight[:seq_len]  # (seq_len, d_model)
        ### END SOLUTION


class SinusoidalPositionalEncoding(nn.Module):
    """The sinusoidal table wrapped as a module with the same interface as
    :class:`LearnedPositionalEmbedding`, so ``GPT`` can use either one.

    The table is computed once with :func:`sinusoidal_positional_encoding` and
    held as a non-persistent buffer: it moves with ``.to(device)`` but is not
    written to checkpoints, since it can always be recomputed.

    Parameters:
        max_seq_len: the most positions the model will ever see.
        d_model: width of each vector (even).

    Raises:
        ValueError: from :func:`sinusoidal_positional_encoding` if ``d_model`` is odd;
            from ``forward`` if ``seq_len > max_seq_len``.
    """

    def __init__(self, max_seq_len: int, d_model: int) -> None:
        super().__init__()
        self.max_seq_len = max_seq_len
        self.d_model = d_model
        self.register_buffer(
            "table", sinusoidal_positional_encoding(max_seq_len, d_model), persistent=False
        )

    def forward(self, seq_len: int) -> torch.Tensor:
        """Return rows ``0 .. seq_len - 1`` of the table, shape ``(seq_len, d_model)``."""
        if seq_len > self.max_seq_len:
            raise ValueError(f"seq_len={seq_len} is longer than max_seq_len={self.max_seq_len}")
        return self.table[:seq_len]  # (seq_len, d_model)
