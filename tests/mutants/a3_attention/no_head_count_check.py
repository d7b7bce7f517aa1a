"""Checks only C % n_heads: n_heads = 0 is a ZeroDivisionError and negative counts a RuntimeError.

The divisibility check is the one the docstring names; a non-positive count
slips past it.
"""

import torch

TASK = "3.5"
KIND = "mutant"


def split_heads(x: torch.Tensor, n_heads: int) -> torch.Tensor:
    """Cut the channel dim into ``n_heads`` slices and move heads before time."""
    if x.dim() != 3:
        raise ValueError(f"x must have shape (B, T, C), got shape {tuple(x.shape)}")
    B, T, C = x.shape
    if C % n_heads != 0:
        raise ValueError(f"C={C} is not divisible by n_heads={n_heads}")
    return x.view(B, T, n_heads, C // n_heads).transpose(1, 2)  # (B, n_heads, T, head_dim)
