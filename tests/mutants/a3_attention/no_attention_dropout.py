"""Never applies attn_dropout: only the residual dropout acts in training.

Creating the module in __init__ and forgetting to call it is a silent omission.
"""

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
        weights = attention_weights(q, k, mask)  # (B, n_heads, T, T)
        heads = weights @ v  # (B, n_heads, T, head_dim)
        out = self.resid_dropout(self.o_proj(merge_heads(heads)))  # (B, T, d_model)
        if return_weights:
            return out, weights
        return out
