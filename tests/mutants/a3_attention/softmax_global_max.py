"""Subtracts the maximum of the whole tensor, not of each slice: slices far below it underflow to 0 / 0.

``x.max()`` is the shorter call, and it passes every test whose rows share a scale.
"""

import torch

TASK = "3.2"
KIND = "mutant"


def softmax(x: torch.Tensor, dim: int = -1) -> torch.Tensor:
    """Numerically stable softmax along ``dim``, written without ``torch.softmax``."""
    shift = x.max().detach()
    exponentials = torch.exp(x - shift)
    return exponentials / exponentials.sum(dim=dim, keepdim=True)
