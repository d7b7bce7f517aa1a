"""LayerNorm with eps hard-coded to 1e-5, ignoring the eps given to __init__.

The formula in the docstring is copied with the usual value instead of self.eps.
"""

import torch

TASK = "4.1"
KIND = "mutant"


class LayerNorm:
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Normalise ``x`` of shape ``(..., d_model)``; returns the same shape."""
        centered = x - x.mean(dim=-1, keepdim=True)  # (..., d_model)
        variance = (centered * centered).mean(dim=-1, keepdim=True)  # (..., 1), biased
        normalised = centered * torch.rsqrt(variance + 1e-5)  # (..., d_model)
        return normalised * self.weight + self.bias
