"""Puts head_dim before n_heads when flattening: channels interleave the heads instead of placing them side by side.

permute(0, 2, 3, 1) also brings T to the front, but lays channels out the wrong way.
"""

import torch

TASK = "3.6"
KIND = "mutant"


def merge_heads(x: torch.Tensor) -> torch.Tensor:
    """Inverse of :func:`split_heads`: put the heads side by side again."""
    if x.dim() != 4:
        raise ValueError(f"x must have shape (B, n_heads, T, head_dim), got shape {tuple(x.shape)}")
    B, n_heads, T, head_dim = x.shape
    return x.permute(0, 2, 3, 1).reshape(B, T, n_heads * head_dim)  # (B, T, C)
