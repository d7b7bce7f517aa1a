"""TransformerBlock adding the residual branches in place (x += ...): the caller's tensor changes.

x += f(x) reads like the formula x = x + f(x) and saves a copy.
"""

import torch

TASK = "4.4"
KIND = "mutant"


class TransformerBlock:
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Apply the block to ``x`` of shape ``(B, T, d_model)``; returns the same shape."""
        x += self.attn(self.ln1(x))  # (B, T, d_model), the caller's x
        x += self.ffn(self.ln2(x))  # (B, T, d_model)
        return x
