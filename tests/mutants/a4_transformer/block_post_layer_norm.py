"""TransformerBlock in the post-LN order of the 2017 paper: x = ln1(x + attn(x)).

"Attention Is All You Need" and most diagrams draw the LayerNorm after the residual addition.
"""

import torch

TASK = "4.4"
KIND = "mutant"


class TransformerBlock:
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Apply the block to ``x`` of shape ``(B, T, d_model)``; returns the same shape."""
        x = self.ln1(x + self.attn(x))  # (B, T, d_model)
        x = self.ln2(x + self.ffn(x))  # (B, T, d_model)
        return x
