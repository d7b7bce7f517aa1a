"""TransformerBlock with each residual branch named, the sum written out once per branch.

Some students prefer a name per intermediate to one reassigned x.
"""

import torch

TASK = "4.4"
KIND = "alternative"


class TransformerBlock:
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Apply the block to ``x`` of shape ``(B, T, d_model)``; returns the same shape."""
        attended = self.attn(self.ln1(x))  # (B, T, d_model)
        after_attention = torch.add(x, attended)  # (B, T, d_model)
        transformed = self.ffn(self.ln2(after_attention))  # (B, T, d_model)
        return torch.add(after_attention, transformed)  # (B, T, d_model)
