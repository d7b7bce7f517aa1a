"""Rows sliced from weight.detach(): the positions are looked up but never trained.

Detaching "to avoid autograd overhead" for what looks like a constant table is a
common slip with positional tables.
"""

import torch

TASK = "2.3"
KIND = "mutant"


class LearnedPositionalEmbedding:
    def forward(self, seq_len: int) -> torch.Tensor:
        """Return the vectors of positions ``0 .. seq_len - 1``."""
        if seq_len > self.max_seq_len:
            raise ValueError(f"seq_len={seq_len} is longer than max_seq_len={self.max_seq_len}")
        if seq_len < 0:
            raise ValueError(f"seq_len={seq_len} must not be negative")
        return self.weight.detach()[:seq_len]  # (seq_len, d_model)
