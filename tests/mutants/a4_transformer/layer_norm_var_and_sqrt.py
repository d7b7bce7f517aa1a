"""LayerNorm with Tensor.var(correction=0) and a division by sqrt, instead of centring by hand and rsqrt.

The textbook formula written with torch's own reductions.
"""

import torch

TASK = "4.1"
KIND = "alternative"


class LayerNorm:
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Normalise ``x`` of shape ``(..., d_model)``; returns the same shape."""
        mean = x.mean(dim=-1, keepdim=True)  # (..., 1)
        variance = x.var(dim=-1, keepdim=True, correction=0)  # (..., 1), biased
        return (x - mean) / torch.sqrt(variance + self.eps) * self.weight + self.bias
