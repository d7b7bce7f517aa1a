"""Masks the weights after the softmax (weights * mask): masked keys get 0, but rows no longer sum to 1.

Zeroing what must not be seen looks equivalent; the softmax has already shared
the mass with the future.
"""

import math

import torch

TASK = "3.3"
KIND = "mutant"


def attention_weights(
    q: torch.Tensor, k: torch.Tensor, mask: torch.Tensor | None = None
) -> torch.Tensor:
    """How much each query attends to each key: ``softmax(q k^T / sqrt(d_k))``."""
    if q.shape[-1] != k.shape[-1]:
        raise ValueError(f"q has d_k={q.shape[-1]} but k has d_k={k.shape[-1]}; they must match")
    if mask is not None and mask.dtype != torch.bool:
        raise ValueError(f"mask must be a bool tensor (True = may attend), got dtype={mask.dtype}")
    d_k = q.shape[-1]
    scores = q @ k.transpose(-2, -1) / math.sqrt(d_k)  # (..., T_q, T_k)
    weights = softmax(scores, dim=-1)  # (..., T_q, T_k)
    if mask is not None:
        weights = weights * mask
    return weights
