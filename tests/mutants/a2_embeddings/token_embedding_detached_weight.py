"""Rows indexed from ``weight.data``: right values, but no gradient ever reaches the table.

``.data`` shows up in old tutorials as the way to "get at the tensor"; it cuts the
lookup out of autograd, so the embedding never trains.
"""

import torch

TASK = "2.1"
KIND = "mutant"


class TokenEmbedding:
    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        """Look up one row of ``weight`` per token id."""
        if ids.dtype.is_floating_point or ids.dtype.is_complex or ids.dtype == torch.bool:
            raise ValueError(f"token ids must be an integer tensor, got dtype={ids.dtype}")
        return self.weight.data[ids]  # (B, T, d_model)
