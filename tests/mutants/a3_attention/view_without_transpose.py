"""Views (B, T, C) straight as (B, n_heads, T, head_dim): the shape is right, positions and heads are mixed.

The target shape is written in the docstring, and one view reaches it.
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
    return x.view(B, n_heads, T, C // n_heads)  # (B, n_heads, T, head_dim)
