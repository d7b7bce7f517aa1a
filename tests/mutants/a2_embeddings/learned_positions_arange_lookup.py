"""Positions looked up with an index tensor, weight[arange(seq_len)], as token ids are.

Correct: writing positions as ids and indexing the table like the token
embedding gives the same rows and the same gradient as a slice.
"""

import torch

TASK = "2.3"
KIND = "alternative"


class LearnedPositionalEmbedding:
    def forward(self, seq_len: int) -> torch.Tensor:
        """Return the vectors of positions ``0 .. seq_len - 1`` by indexing with their ids."""
        if not 0 <= seq_len <= self.max_seq_len:
            raise ValueError(f"seq_len={seq_len} must be in [0, max_seq_len={self.max_seq_len}]")
        positions = torch.arange(seq_len, device=self.weight.device)  # (seq_len,)
        return self.weight[positions]  # (seq_len, d_model)
