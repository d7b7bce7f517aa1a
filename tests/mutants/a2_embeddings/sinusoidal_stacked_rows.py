"""Builds one row per position and torch.stack's them: right values, but seq_len=0 crashes.

A loop over positions is the direct reading of the formula; ``torch.stack([])``
raises, so the valid empty table is never returned.
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
    even_columns = torch.arange(0, d_model, 2, dtype=torch.float64)  # (d_model / 2,)
    frequencies = torch.exp(-math.log(10000.0) * even_columns / d_model)  # (d_model / 2,)
    rows = []
    for position in range(seq_len):
        angles = position * frequencies  # (d_model / 2,)
        rows.append(torch.stack([torch.sin(angles), torch.cos(angles)], dim=1).flatten())  # (d_model,)
    return torch.stack(rows).to(torch.float32)
