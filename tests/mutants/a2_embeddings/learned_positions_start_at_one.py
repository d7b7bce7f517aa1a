"""Positions counted from 1: returns rows 1 .. seq_len, so row 0 is never used.

Counting positions "first, second, ..." from 1 shifts every vector by one row.
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
        return self.weight[1 : seq_len + 1]  # (seq_len, d_model)
