"""No check that q and k have the same d_k: a mismatch surfaces as a matmul RuntimeError.

The shape check is the kind of line left for later.
"""

import math

import torch

TASK = "3.3"
KIND = "mutant"


def attention_weights(
    q: torch.Tensor, k: torch.Tensor, mask: torch.Tensor | None = None
) -> torch.Tensor:
    """How much each query attends to each key: ``softmax(q k^T / sqrt(d_k))``."""
    if mask is not None and mask.dtype != torch.bool:
        raise ValueError(f"mask must be a bool tensor (True = may attend), got dtype={mask.dtype}")
    d_k = q.shape[-1]
    scores = q @ k.transpose(-2, -1) / math.sqrt(d_k)  # (..., T_q, T_k)
    if mask is not None:
        scores = scores.masked_fill(~mask, float("-inf"))
    return softmax(scores, dim=-1)  # (..., T_q, T_k)
