"""Subtracts the maximum with ``x -= shift``: right result, but the caller's tensor is changed.

In-place arithmetic looks like a memory saving; here it overwrites the input.
"""

import torch

TASK = "3.2"
KIND = "mutant"


def softmax(x: torch.Tensor, dim: int = -1) -> torch.Tensor:
    """Numerically stable softmax along ``dim``, written without ``torch.softmax``."""
    shift = x.amax(dim=dim, keepdim=True).detach()
    x -= shift
    exponentials = torch.exp(x)
    return exponentials / exponentials.sum(dim=dim, keepdim=True)
