"""greedy_next with torch.max(..., dim=-1, keepdim=True).indices, which also returns the first maximum.

torch.max along a dim gives values and indices at once; students who know it reach for it.
"""

import torch

TASK = "6.1"
KIND = "alternative"


def greedy_next(logits: torch.Tensor) -> torch.Tensor:
    """The most likely next token of every row, from torch.max's indices."""
    if logits.dim() != 2:
        raise ValueError(f"logits must have shape (B, V), got {tuple(logits.shape)}")
    return torch.max(logits, dim=-1, keepdim=True).indices  # (B, 1)
