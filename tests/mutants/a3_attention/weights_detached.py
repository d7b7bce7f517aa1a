"""Multiplies v by detached weights: the output is right, but no gradient reaches q or k.

Detaching the weights "because they are only probabilities" (or to return them
for a plot) stops the queries and keys from learning.
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
    weights = attention_weights(q, k, mask).detach()  # (..., T_q, T_k)
    return weights @ v  # (..., T_q, d_v)
