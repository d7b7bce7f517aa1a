"""unflatten the last dim into (n_heads, head_dim), then permute heads before time.

Correct: unflatten(-1, (n_heads, -1)) is the view to (B, T, n_heads, head_dim),
and permute(0, 2, 1, 3) the transpose(1, 2).
"""

import torch

TASK = "3.5"
KIND = "alternative"


def split_heads(x: torch.Tensor, n_heads: int) -> torch.Tensor:
    """Cut the channel dim into ``n_heads`` slices and move heads before time."""
    if x.dim() != 3:
        raise ValueError(f"x must have shape (B, T, C), got shape {tuple(x.shape)}")
    B, T, C = x.shape
    if not (n_heads > 0 and C % n_heads == 0):
        raise ValueError(f"C={C} is not divisible by n_heads={n_heads}")
    return x.unflatten(-1, (n_heads, -1)).permute(0, 2, 1, 3)  # (B, n_heads, T, head_dim)
