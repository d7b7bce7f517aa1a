"""greedy_next with torch.topk(logits, 1): among equal maxima it may pick any index, not the lowest.

topk(1) reads as "the best one", and on distinct logits it is the argmax.
"""

import torch

TASK = "6.1"
KIND = "mutant"


def greedy_next(logits: torch.Tensor) -> torch.Tensor:
    """The most likely next token of every row (bug: topk breaks ties arbitrarily)."""
    if logits.dim() != 2:
        raise ValueError(f"logits must have shape (B, V), got {tuple(logits.shape)}")
    return torch.topk(logits, 1, dim=-1).indices  # (B, 1)
