"""GELU as x * Phi(x) with torch.special.ndtr, the standard normal CDF, instead of writing out erf.

The definition itself: torch has the CDF under its statistical name.
"""

import torch

TASK = "4.2"
KIND = "alternative"


def gelu(x: torch.Tensor) -> torch.Tensor:
    """The Gaussian Error Linear Unit: x times the standard normal CDF."""
    return x * torch.special.ndtr(x)
