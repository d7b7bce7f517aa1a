"""Views C as (head_dim, n_heads): head h gets channels h, h + n_heads, ... instead of one slice.

The two factors of C are easy to write in the wrong order before the permute.
"""

import torch

TASK = "3.5"
KIND = "mutant"


def split_heads(x: torch.Tensor, n_heads: int) -> torch.Tensor:
    """Cut the channel dim into ``n_heads`` slices and move heads before time."""
    if x.dim() != 3:
        raise ValueError(f"x must have shape (B, T, C), got shape {tuple(x.shape)}")
    B, T, C = x.shape
    if n_heads <= 0 or C % n_heads != 0:
        raise ValueError(f"C={C} is not divisible by n_heads={n_heads}")
    return x.view(B, T, C // n_heads, n_heads).permute(0, 3, 1, 2)  # (B, n_heads, T, head_dim)
