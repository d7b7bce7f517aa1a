"""LayerNorm that centres its input in place (x -= mean): the caller's tensor is changed.

In-place operations look like a cheap way to save memory, and without autograd nothing complains.
"""

import torch

TASK = "4.1"
KIND = "mutant"


class LayerNorm:
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Normalise ``x`` of shape ``(..., d_model)``; returns the same shape."""
        centered = x.sub_(x.mean(dim=-1, keepdim=True))  # (..., d_model), the caller's x
        variance = (centered * centered).mean(dim=-1, keepdim=True)  # (..., 1), biased
        normalised = centered * torch.rsqrt(variance + self.eps)  # (..., d_model)
        return normalised * self.weight + self.bias
