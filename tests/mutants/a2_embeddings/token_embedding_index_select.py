"""index_select on the flattened ids, reshaped back to ids.shape + (d_model,).

Correct: the form a student who knows ``index_select`` (and that it wants a
1-D index) writes.
"""

import torch

TASK = "2.1"
KIND = "alternative"


class TokenEmbedding:
    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        """Look up one row of ``weight`` per token id with index_select."""
        if not (ids.dtype.is_floating_point or ids.dtype.is_complex or ids.dtype == torch.bool):
            rows = self.weight.index_select(0, ids.reshape(-1))  # (ids.numel(), d_model)
            return rows.reshape(*ids.shape, self.d_model)  # (..., d_model)
        raise ValueError(f"token ids must be an integer tensor, got dtype={ids.dtype}")
