"""Refuses seq_len == max_seq_len: the check uses >= where > is meant.

An off-by-one at the boundary: a model can then never use its full block size.
"""

import torch

TASK = "2.3"
KIND = "mutant"


class LearnedPositionalEmbedding:
    def forward(self, seq_len: int) -> torch.Tensor:
        """Return the vectors of positions ``0 .. seq_len - 1``."""
        if seq_len >= self.max_seq_len:
            raise ValueError(f"seq_len={seq_len} is longer than max_seq_len={self.max_seq_len}")
        if seq_len < 0:
            raise ValueError(f"seq_len={seq_len} must not be negative")
        return self.weight[:seq_len]  # (seq_len, d_model)
