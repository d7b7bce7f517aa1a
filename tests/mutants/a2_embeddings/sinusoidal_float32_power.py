"""The table computed in float32 with 10000 ** (2i / d_model), sine and cosine interleaved by stack + flatten.

Correct: float32 angles lose a few digits for long sequences (about 2e-5 at
position 512), far less than any wrong formula.
"""

import torch

TASK = "2.2"
KIND = "alternative"


def sinusoidal_positional_encoding(seq_len: int, d_model: int) -> torch.Tensor:
    """The fixed sinusoidal position table, computed in float32."""
    if d_model <= 0 or d_model % 2 != 0:
        raise ValueError(f"d_model={d_model} must be a positive even number")
    if seq_len < 0:
        raise ValueError(f"seq_len={seq_len} must not be negative")
    positions = torch.arange(seq_len, dtype=torch.float32)[:, None]  # (seq_len, 1)
    two_i = torch.arange(0, d_model, 2, dtype=torch.float32)  # (d_model / 2,)
    angles = positions / 10000.0 ** (two_i / d_model)  # (seq_len, d_model / 2)
    return torch.stack([angles.sin(), angles.cos()], dim=-1).flatten(1)  # (seq_len, d_model)
