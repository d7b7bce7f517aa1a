"""torch.bmm for weights @ v: works for (B, T, d) inputs only, not for heads or plain matrices.

bmm is what "batched matrix product" suggests; unlike matmul it takes exactly 3-D tensors.
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
    weights = attention_weights(q, k, mask)  # (B, T_q, T_k)
    return torch.bmm(weights, v)  # (B, T_q, d_v)
