"""greedy_next loops over rows and builds the result with torch.tensor: it ends up on the CPU.

A loop with .item() is the first thing that works; torch.tensor(list) forgets the logits' device.
"""

import torch

TASK = "6.1"
KIND = "mutant"


def greedy_next(logits: torch.Tensor) -> torch.Tensor:
    """The most likely next token of every row (bug: the result is always on the CPU)."""
    if logits.dim() != 2:
        raise ValueError(f"logits must have shape (B, V), got {tuple(logits.shape)}")
    best = [int(row.argmax().item()) for row in logits]
    return torch.tensor(best, dtype=torch.long).unsqueeze(1)  # (B, 1)
