"""LayerNorm dividing by sqrt(var) + eps: the same for large variances, far off when var is near eps.

Students read "add eps so we never divide by 0" and put it where the division is.
"""

import torch

TASK = "4.1"
KIND = "mutant"


class LayerNorm:
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Normalise ``x`` of shape ``(..., d_model)``; returns the same shape."""
        centered = x - x.mean(dim=-1, keepdim=True)  # (..., d_model)
        variance = (centered * centered).mean(dim=-1, keepdim=True)  # (..., 1), biased
        normalised = centered / (torch.sqrt(variance) + self.eps)  # (..., d_model)
        return normalised * self.weight + self.bias
