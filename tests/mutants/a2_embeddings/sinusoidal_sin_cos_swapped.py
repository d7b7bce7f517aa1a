"""Cosine on the even columns and sine on the odd ones: the pairs swapped.

Both functions appear in the formula; which column gets which is easy to flip
when writing the two slice assignments.
"""

import math

import torch

TASK = "2.2"
KIND = "mutant"


def sinusoidal_positional_encoding(seq_len: int, d_model: int) -> torch.Tensor:
    """The fixed sinusoidal position table of Vaswani et al. (2017)."""
    if d_model <= 0 or d_model % 2 != 0:
        raise ValueError(f"d_model={d_model} must be a positive even number")
    if seq_len < 0:
        raise ValueError(f"seq_len={seq_len} must not be negative")
    positions = torch.arange(seq_len, dtype=torch.float64).unsqueeze(1)  # (seq_len, 1)
    even_columns = torch.arange(0, d_model, 2, dtype=torch.float64)  # (d_model / 2,)
    frequencies = torch.exp(-math.log(10000.0) * even_columns / d_model)  # (d_model / 2,)
    angles = positions * frequencies  # (seq_len, d_model / 2)
    table = torch.empty(seq_len, d_model, dtype=torch.float64)
    table[:, 0::2] = torch.cos(angles)
    table[:, 1::2] = torch.sin(angles)
    return table.to(torch.float32)
