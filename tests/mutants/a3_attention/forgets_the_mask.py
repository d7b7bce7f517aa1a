"""Calls attention_weights without passing the mask on: every position sees the future.

The mask is an optional argument of both functions, so dropping it raises nothing.
"""

import torch

TASK = "3.4"
KIND = "mutant"


def scaled_dot_product_attention(
    q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, mask: torch.Tensor | None = None
) -> torch.Tensor:
    """Attention output: the attention-weighted average of the values."""
    if k.shape[-2] != v.shape[-2]:
        raise ValueError(
            f"k has T_k={k.shape[-2]} positions but v has {v.shape[-2]}; they must match"
        )
    weights = attention_weights(q, k)  # (..., T_q, T_k)
    return weights @ v  # (..., T_q, d_v)
