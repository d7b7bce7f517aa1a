"""Every entry written by two Python loops with math.sin and math.cos.

Correct, and the most literal reading of the formula: a table of zeros filled
entry by entry, so seq_len=0 simply leaves it empty.
"""

import math

import torch

TASK = "2.2"
KIND = "alternative"


def sinusoidal_positional_encoding(seq_len: int, d_model: int) -> torch.Tensor:
    """The fixed sinusoidal position table, one entry at a time."""
    if d_model <= 0 or d_model % 2 != 0:
        raise ValueError(f"d_model={d_model} must be a positive even number")
    if seq_len < 0:
        raise ValueError(f"seq_len={seq_len} must not be negative")
    table = torch.zeros(seq_len, d_model)
    for position in range(seq_len):
        for column in range(0, d_model, 2):
            angle = position / 10000 ** (column / d_model)
            table[position, column] = math.sin(angle)
            table[position, column + 1] = math.cos(angle)
    return table
