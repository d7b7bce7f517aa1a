"""One-hot ids times weight, with F.one_hot guessing the number of classes from the largest id.

A student who learned that an embedding is a one-hot vector times a matrix writes
it literally, forgets ``num_classes`` (and casts to float32 whatever weight's dtype).
"""

import torch
import torch.nn.functional as F

TASK = "2.1"
KIND = "mutant"


class TokenEmbedding:
    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        """Look up one row of ``weight`` per token id."""
        if ids.dtype.is_floating_point or ids.dtype.is_complex or ids.dtype == torch.bool:
            raise ValueError(f"token ids must be an integer tensor, got dtype={ids.dtype}")
        return F.one_hot(ids).float() @ self.weight  # (B, T, d_model)
