"""Names the residual dropout self.dropout: the unfused path works, the provided fused path fails.

Renaming an attribute to something shorter breaks the code that relies on the
documented name (here _fused_forward's resid_dropout).
"""

import torch
from torch import nn

TASK = "3.7"
KIND = "mutant"


class MultiHeadSelfAttention:
    def __init__(
        self,
        d_model: int,
        n_heads: int,
        dropout: float = 0.0,
        causal: bool = True,
        fused: bool = False,
    ) -> None:
        super().__init__()
        self.d_model = d_model
        self.n_heads = n_heads
        self.dropout_p = dropout
        self.causal = causal
        self.fused = fused
        if n_heads <= 0 or d_model % n_heads != 0:
            raise ValueError(f"d_model={d_model} is not divisible by n_heads={n_heads}")
        if not 0.0 <= dropout < 1.0:
            raise ValueError(f"dropout={dropout} must be in [0, 1)")
        self.head_dim = d_model // n_heads
        self.q_proj = nn.Linear(d_model, d_model, bias=False)
        self.k_proj = nn.Linear(d_model, d_model, bias=False)
        self.v_proj = nn.Linear(d_model, d_model, bias=False)
        self.o_proj = nn.Linear(d_model, d_model, bias=False)
        self.attn_dropout = nn.Dropout(dropout)
        self.dropout = nn.Dropout(dropout)

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
        heads = self.attn_dropout(weights) @ v  # (B, n_heads, T, head_dim)
        out = self.dropout(self.o_proj(merge_heads(heads)))  # (B, T, d_model)
        if return_weights:
            return out, weights
        return out
