"""Scores written inline and divided by sqrt(d_model) instead of sqrt(head_dim).

Inlining the attention, the width that comes to mind is the model's; each head only has head_dim.
"""

import math

import torch

TASK = "3.7"
KIND = "mutant"


class MultiHeadSelfAttention:
    def forward(
        self, x: torch.Tensor, return_weights: bool = False
    ) -> torch.Tensor | tuple[torch.Tensor, torch.Tensor]:
        """Attend from every position of ``x`` to every (earlier, if causal) position."""
        if self.fused and not return_weights:
            return self._fused_forward(x)
        B, T, C = x.shape
        q = split_heads(self.q_proj(x), self.n_heads)  # (B, n_heads, T, head_dim)
        k = split_heads(self.k_proj(x), self.n_heads)  # (B, n_heads, T, head_dim)
        v = split_heads(self.v_proj(x), self.n_heads)  # (B, n_heads, T, head_dim)
        mask = causal_mask(T, device=x.device) if self.causal else None  # (T, T)
        scores = q @ k.transpose(-2, -1) / math.sqrt(self.d_model)  # (B, n_heads, T, T)
        if mask is not None:
            scores = scores.masked_fill(~mask, float("-inf"))
        weights = softmax(scores, dim=-1)  # (B, n_heads, T, T)
        heads = self.attn_dropout(weights) @ v  # (B, n_heads, T, head_dim)
        out = self.resid_dropout(self.o_proj(merge_heads(heads)))  # (B, T, d_model)
        if return_weights:
            return out, weights
        return out
