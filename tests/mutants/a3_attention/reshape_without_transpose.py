"""Reshapes (B, n_heads, T, head_dim) straight to (B, T, C): rows mix positions of different heads.

reshape never complains, so the missing transpose goes unnoticed.
"""

import torch

TASK = "3.6"
KIND = "mutant"


def merge_heads(x: torch.Tensor) -> torch.Tensor:
    """Inverse of :func:`split_heads`: put the heads side by side again."""
    if x.dim() != 4:
        raise ValueError(f"x must have shape (B, n_heads, T, head_dim), got shape {tuple(x.shape)}")
    B, n_heads, T, head_dim = x.shape
    return x.reshape(B, T, n_heads * head_dim)  # (B, T, C)
