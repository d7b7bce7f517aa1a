"""top_k_filter builds its -inf fill with torch.full(logits.shape, ...): on the CPU and in float32.

torch.where(mask, fill, logits) reads naturally, and torch.full's defaults go unnoticed on a CPU.
"""

import torch

TASK = "6.3"
KIND = "mutant"


def top_k_filter(logits: torch.Tensor, k: int) -> torch.Tensor:
    """Keep the k largest logits of every row (bug: the fill tensor has the default device and dtype)."""
    if k < 1:
        raise ValueError(f"k={k} must be >= 1")
    if k >= logits.shape[-1]:
        return logits.clone()
    kth_largest = torch.topk(logits, k, dim=-1).values[..., -1:]  # (..., 1)
    minus_infinity = torch.full(logits.shape, float("-inf"))
    return torch.where(logits < kth_largest, minus_infinity, logits)
