"""Max and sum taken along dim without keepdim, so they broadcast along the wrong dim.

Square inputs even run without an error; the result is still wrong.
"""

import torch

TASK = "3.2"
KIND = "mutant"


def softmax(x: torch.Tensor, dim: int = -1) -> torch.Tensor:
    """Numerically stable softmax along ``dim``, written without ``torch.softmax``."""
    shift = x.amax(dim=dim).detach()
    exponentials = torch.exp(x - shift)
    return exponentials / exponentials.sum(dim=dim)
