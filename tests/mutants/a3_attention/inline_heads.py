"""The whole forward written inline: reshape and permute for the heads, einsum for the scores, triu for the mask.

Correct: the same computation without the helpers of Tasks 3.1-3.6, as many
people write it from nanoGPT (F.dropout with training=self.training is the module's dropout).
"""

import math

import torch
import torch.nn.functional as F

TASK = "3.7"
KIND = "alternative"


class MultiHeadSelfAttention:
    def forward(
        self, x: torch.Tensor, return_weights: bool = False
    ) -> torch.Tensor | tuple[torch.Tensor, torch.Tensor]:
        """Attend from every position of ``x`` to every (earlier, if causal) position, written inline."""
        if self.fused and not return_weights:
            return self._fused_forward(x)
        B, T, C = x.shape
        head_shape = (B, T, self.n_heads, C // self.n_heads)
        q = self.q_proj(x).reshape(head_shape).permute(0, 2, 1, 3)  # (B, n_heads, T, head_dim)
        k = self.k_proj(x).reshape(head_shape).permute(0, 2, 1, 3)  # (B, n_heads, T, head_dim)
        v = self.v_proj(x).reshape(head_shape).permute(0, 2, 1, 3)  # (B, n_heads, T, head_dim)
        scores = torch.einsum("bhqd,bhkd->bhqk", q, k) / math.sqrt(q.shape[-1])  # (B, n_heads, T, T)
        if self.causal:
            future = torch.ones(T, T, dtype=torch.bool, device=x.device).triu(diagonal=1)  # (T, T)
            scores = scores.masked_fill(future, float("-inf"))
        weights = softmax(scores, dim=-1)  # (B, n_heads, T, T)
        heads = F.dropout(weights, self.dropout_p, training=self.training) @ v  # (B, n_heads, T, head_dim)
        merged = heads.permute(0, 2, 1, 3).reshape(B, T, C)  # (B, T, d_model)
        out = self.resid_dropout(self.o_proj(merged))  # (B, T, d_model)
        if return_weights:
            return out, weights
        return out
