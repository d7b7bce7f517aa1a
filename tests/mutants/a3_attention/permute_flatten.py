"""permute(0, 2, 1, 3) then flatten(2): transpose and join the last two dims in one go.

Correct: flatten copies the non-contiguous view where it must, like contiguous().view().
"""

import torch

TASK = "3.6"
KIND = "alternative"


def merge_heads(x: torch.Tensor) -> torch.Tensor:
    """Inverse of :func:`split_heads`: put the heads side by side again."""
    if x.dim() != 4:
        raise ValueError(f"x must have shape (B, n_heads, T, head_dim), got shape {tuple(x.shape)}")
    B, n_heads, T, head_dim = x.shape
    return x.permute(0, 2, 1, 3).flatten(2)  # (B, T, n_heads * head_dim)
