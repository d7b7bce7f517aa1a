"""The weighted sum of the values written as an einsum over the key index.

Correct: "...qk,...kd->...qd" is weights @ v, with any leading dims broadcast.
"""

import torch

TASK = "3.4"
KIND = "alternative"


def scaled_dot_product_attention(
    q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, mask: torch.Tensor | None = None
) -> torch.Tensor:
    """Attention output: the attention-weighted average of the values."""
    if k.shape[-2] != v.shape[-2]:
        raise ValueError(
            f"k has T_k={k.shape[-2]} positions but v has {v.shape[-2]}; they must match"
        )
    weights = attention_weights(q, k, mask)  # (..., T_q, T_k)
    return torch.einsum("...qk,...kd->...qd", weights, v)  # (..., T_q, d_v)
