"""GELU with erf(x / 2) instead of erf(x / sqrt(2)): the CDF of a normal of variance 2.

Phi(x) = (1 + erf(x / sqrt(2))) / 2 is easy to misremember as a division by 2.
"""

import torch

TASK = "4.2"
KIND = "mutant"


def gelu(x: torch.Tensor) -> torch.Tensor:
    """The Gaussian Error Linear Unit, with the wrong scale inside erf."""
    return 0.5 * x * (1.0 + torch.erf(x / 2.0))
