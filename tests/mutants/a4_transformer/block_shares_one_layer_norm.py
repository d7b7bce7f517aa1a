"""TransformerBlock normalising both branches with ln1: ln2 is created but never used.

The two lines look alike, and a copied line keeps its ln1.
"""

import torch

TASK = "4.4"
KIND = "mutant"


class TransformerBlock:
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Apply the block to ``x`` of shape ``(B, T, d_model)``; returns the same shape."""
        x = x + self.attn(self.ln1(x))  # (B, T, d_model)
        x = x + self.ffn(self.ln1(x))  # (B, T, d_model)
        return x
