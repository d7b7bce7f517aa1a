"""top_k_filter without the k >= V case: torch.topk raises for k larger than the vocabulary.

k = V works, so the public example with k = V passes; k > V only comes up with a small vocabulary.
"""

import torch

TASK = "6.3"
KIND = "mutant"


def top_k_filter(logits: torch.Tensor, k: int) -> torch.Tensor:
    """Keep the k largest logits of every row (bug: k > V raises)."""
    if k < 1:
        raise ValueError(f"k={k} must be >= 1")
    kth_largest = torch.topk(logits, k, dim=-1).values[..., -1:]  # (..., 1)
    return logits.masked_fill(logits < kth_largest, float("-inf"))
