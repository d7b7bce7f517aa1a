"""Scores by einsum on pre-scaled queries; masked scores set to the dtype's most negative number, not -inf.

Correct for every row that keeps a key: exp(finfo.min - max) is exactly 0, as
exp(-inf) is (only a row with no key at all differs, and the contract gives it NaN).
"""

import math

import torch

TASK = "3.3"
KIND = "alternative"


def attention_weights(
    q: torch.Tensor, k: torch.Tensor, mask: torch.Tensor | None = None
) -> torch.Tensor:
    """How much each query attends to each key, with einsum and a large negative fill."""
    if q.shape[-1] != k.shape[-1]:
        raise ValueError(f"q has d_k={q.shape[-1]} but k has d_k={k.shape[-1]}; they must match")
    if mask is not None and mask.dtype != torch.bool:
        raise ValueError(f"mask must be a bool tensor (True = may attend), got dtype={mask.dtype}")
    scores = torch.einsum("...qd,...kd->...qk", q / math.sqrt(q.shape[-1]), k)  # (..., T_q, T_k)
    if mask is not None:
        scores = scores.masked_fill(~mask, torch.finfo(scores.dtype).min)
    return softmax(scores, dim=-1)  # (..., T_q, T_k)
