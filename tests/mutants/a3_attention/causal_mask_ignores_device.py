"""Builds the mask on the default device whatever ``device`` says.

The argument is easy to leave unused when every test so far ran on the CPU;
on a GPU the mask then sits on the wrong device.
"""

import torch

TASK = "3.1"
KIND = "mutant"


def causal_mask(seq_len: int, device: torch.device | str | None = None) -> torch.Tensor:
    """The causal attention mask: position ``i`` may attend to ``j`` iff ``j <= i``."""
    if seq_len < 0:
        raise ValueError(f"seq_len={seq_len} must not be negative")
    return torch.ones(seq_len, seq_len, dtype=torch.bool).tril()
