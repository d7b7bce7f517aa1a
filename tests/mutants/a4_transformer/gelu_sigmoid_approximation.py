"""GELU as x * sigmoid(1.702 x), the "quick GELU" of CLIP: off by up to 2e-2.

The sigmoid form is short and appears in well-known code bases.
"""

import torch

TASK = "4.2"
KIND = "mutant"


def gelu(x: torch.Tensor) -> torch.Tensor:
    """The Gaussian Error Linear Unit (sigmoid approximation)."""
    return x * torch.sigmoid(1.702 * x)
