"""Refuses only floating-point ids: bool ids slip through and select rows by mask.

"Not a float" is the check that comes to mind for "must be integers"; a bool
tensor then indexes weight as a mask and returns rows of another shape.
"""

import torch

TASK = "2.1"
KIND = "mutant"


class TokenEmbedding:
    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        """Look up one row of ``weight`` per token id."""
        if ids.dtype.is_floating_point:
            raise ValueError(f"token ids must be an integer tensor, got dtype={ids.dtype}")
        return self.weight[ids]  # (B, T, d_model)
