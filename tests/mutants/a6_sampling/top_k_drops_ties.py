"""top_k_filter keeps exactly the k indices torch.topk returns: logits tied with the k-th largest are dropped.

Scattering topk's indices into a mask is the textbook way to "keep the top k".
"""

import torch

TASK = "6.3"
KIND = "mutant"


def top_k_filter(logits: torch.Tensor, k: int) -> torch.Tensor:
    """Keep the k largest logits of every row (bug: ties with the k-th largest are dropped)."""
    if k < 1:
        raise ValueError(f"k={k} must be >= 1")
    if k >= logits.shape[-1]:
        return logits.clone()
    top_indices = torch.topk(logits, k, dim=-1).indices  # (..., k)
    keep = torch.zeros_like(logits, dtype=torch.bool).scatter_(-1, top_indices, True)  # (..., V)
    return logits.masked_fill(~keep, float("-inf"))
