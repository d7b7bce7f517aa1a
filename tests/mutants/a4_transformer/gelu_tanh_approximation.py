"""GELU by GPT-2's tanh approximation instead of the exact erf form: off by up to 5e-4.

GPT-2 and many blog posts use the tanh form, so it is what students find first.
"""

import math

import torch

TASK = "4.2"
KIND = "mutant"


def gelu(x: torch.Tensor) -> torch.Tensor:
    """The Gaussian Error Linear Unit (tanh approximation)."""
    return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * x**3)))
