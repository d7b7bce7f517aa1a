"""LayerNorm with the unbiased variance (divide by d - 1): every output is scaled by sqrt((d - 1) / d).

torch.var and Tensor.var default to the unbiased estimate, which is what statistics courses teach.
"""

import torch

TASK = "4.1"
KIND = "mutant"


class LayerNorm:
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Normalise ``x`` of shape ``(..., d_model)``; returns the same shape."""
        mean = x.mean(dim=-1, keepdim=True)  # (..., 1)
        variance = x.var(dim=-1, keepdim=True)  # (..., 1), unbiased
        return (x - mean) / torch.sqrt(variance + self.eps) * self.weight + self.bias
