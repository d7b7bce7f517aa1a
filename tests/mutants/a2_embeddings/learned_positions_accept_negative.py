"""No check for a negative seq_len: weight[:-3] silently returns all rows but the last 3.

Only the "too long" error is named in the example, so the other bound is forgotten.
"""

import torch

TASK = "2.3"
KIND = "mutant"


class LearnedPositionalEmbedding:
    def forward(self, seq_len: int) -> torch.Tensor:
        """Return the vectors of positions ``0 .. seq_len - 1``."""
        if seq_len > self.max_seq_len:
            raise ValueError(f"seq_len={seq_len} is longer than max_seq_len={self.max_seq_len}")
        return self.weight[:seq_len]  # (seq_len, d_model)
