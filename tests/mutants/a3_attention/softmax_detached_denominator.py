"""Detaches the sum as well as the shift: the values are right, the gradient is not.

Detaching "the normaliser" by analogy with the shift looks harmless, but the
sum depends on x and its gradient term is lost.
"""

import torch

TASK = "3.2"
KIND = "mutant"


def softmax(x: torch.Tensor, dim: int = -1) -> torch.Tensor:
    """Numerically stable softmax along ``dim``, written without ``torch.softmax``."""
    shift = x.amax(dim=dim, keepdim=True).detach()
    exponentials = torch.exp(x - shift)
    return exponentials / exponentials.sum(dim=dim, keepdim=True).detach()
