"""The mask as a comparison of position indices, arange(T)[:, None] >= arange(T)[None, :].

Correct: "j <= i" written literally, on the device asked for.
"""

import torch

TASK = "3.1"
KIND = "alternative"


def causal_mask(seq_len: int, device: torch.device | str | None = None) -> torch.Tensor:
    """The causal attention mask, as query index >= key index."""
    if seq_len < 0:
        raise ValueError(f"seq_len={seq_len} must not be negative")
    positions = torch.arange(seq_len, device=device)  # (T,)
    return positions[:, None] >= positions[None, :]  # (T, T)
