"""softmax as exp(x - logsumexp(x)): never overflows, but loses float32 digits for inputs near 1e4.

logsumexp is the textbook stable tool; its result near 1e4 is rounded to a
step of 1e-3 before the subtraction, so the weights are off by about 1e-4
where the explicit shift (x - max, then exp) stays exact.
"""

import torch

TASK = "3.2"
KIND = "mutant"


def softmax(x: torch.Tensor, dim: int = -1) -> torch.Tensor:
    """Numerically stable softmax along ``dim``, as exp(x - logsumexp(x))."""
    return torch.exp(x - torch.logsumexp(x, dim=dim, keepdim=True))
