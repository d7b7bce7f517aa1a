"""tril(diagonal=-1): a position may not attend to itself, and row 0 attends to nothing.

"Only the past" read strictly leaves out the diagonal.
"""

import torch

TASK = "3.1"
KIND = "mutant"


def causal_mask(seq_len: int, device: torch.device | str | None = None) -> torch.Tensor:
    """The causal attention mask: position ``i`` may attend to ``j`` iff ``j <= i``."""
    if seq_len < 0:
        raise ValueError(f"seq_len={seq_len} must not be negative")
    return torch.ones(seq_len, seq_len, dtype=torch.bool, device=device).tril(diagonal=-1)
