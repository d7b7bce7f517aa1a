"""top_k_filter that sorts each row and compares with the k-th value, clamping k to V.

Sorting is what students know before they meet torch.topk.
"""

import torch

TASK = "6.3"
KIND = "alternative"


def top_k_filter(logits: torch.Tensor, k: int) -> torch.Tensor:
    """Keep the k largest logits of every row, found by a descending sort."""
    if k < 1:
        raise ValueError(f"k={k} must be >= 1")
    k = min(k, logits.shape[-1])
    sorted_logits = torch.sort(logits, dim=-1, descending=True).values  # (..., V)
    kth_largest = sorted_logits[..., k - 1 : k]  # (..., 1)
    return torch.where(logits >= kth_largest, logits, torch.full_like(logits, float("-inf")))
