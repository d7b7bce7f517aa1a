"""Softmax computed in float32 for bfloat16 and float16 inputs, the shift left in the graph, cast back at the end.

Correct: mixed-precision code does exactly this; upcasting only makes the sum
more accurate, and the shift's gradient cancels whether or not it is detached.
"""

import torch

TASK = "3.2"
KIND = "alternative"


def softmax(x: torch.Tensor, dim: int = -1) -> torch.Tensor:
    """Numerically stable softmax along ``dim``, accumulated in at least float32."""
    work = x.float() if x.dtype in (torch.float16, torch.bfloat16) else x
    exponentials = torch.exp(work - work.max(dim=dim, keepdim=True).values)
    return (exponentials / exponentials.sum(dim=dim, keepdim=True)).to(x.dtype)
