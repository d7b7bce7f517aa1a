"""GELU with sqrt(2) as a 1-element float32 tensor: right values, but bfloat16 inputs come back as float32.

torch.sqrt(torch.tensor([2.0])) reads like the torch way to write a constant; its dimension makes it promote.
"""

import torch

TASK = "4.2"
KIND = "mutant"


def gelu(x: torch.Tensor) -> torch.Tensor:
    """The Gaussian Error Linear Unit, with a tensor constant."""
    return 0.5 * x * (1.0 + torch.erf(x / torch.sqrt(torch.tensor([2.0]))))
