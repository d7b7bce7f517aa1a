"""Refuses every id dtype but int64, so valid int32 ids are a ValueError.

Token ids are int64 in most code, so "must be an integer tensor" gets written as
``dtype != torch.long``.
"""

import torch

TASK = "2.1"
KIND = "mutant"


class TokenEmbedding:
    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        """Look up one row of ``weight`` per token id."""
        if ids.dtype != torch.long:
            raise ValueError(f"token ids must be an integer tensor, got dtype={ids.dtype}")
        return self.weight[ids]  # (B, T, d_model)
