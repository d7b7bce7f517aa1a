"""Scales q in place (q /= sqrt(d_k)) before the product: the caller's queries change.

Scaling q instead of the scores is a known trick; doing it in place corrupts the
input and breaks autograd on a leaf.
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
    q /= math.sqrt(d_k)
    scores = q @ k.transpose(-2, -1)  # (..., T_q, T_k)
    if mask is not None:
        scores = scores.masked_fill(~mask, float("-inf"))
    return softmax(scores, dim=-1)  # (..., T_q, T_k)
