"""top_p_filter without the p = 1 case: once the float32 running sum rounds to 1, the tail is dropped.

The rule "mass before < p" looks complete, and with a few tokens p = 1 keeps everything.
"""

import torch

TASK = "6.4"
KIND = "mutant"


def top_p_filter(logits: torch.Tensor, p: float) -> torch.Tensor:
    """Nucleus filter (bug: p = 1 can drop a tail of tiny probabilities)."""
    if not 0 < p <= 1:
        raise ValueError(f"p={p} must lie in (0, 1]")
    probs = torch.softmax(logits.float(), dim=-1)  # (..., V)
    sorted_probs, sorted_indices = torch.sort(probs, dim=-1, descending=True, stable=True)  # (..., V)
    cumulative = sorted_probs.cumsum(dim=-1)  # (..., V)
    mass_before = torch.cat([torch.zeros_like(cumulative[..., :1]), cumulative[..., :-1]], dim=-1)  # (..., V)
    remove_sorted = mass_before >= p  # (..., V)
    remove = torch.empty_like(remove_sorted).scatter_(-1, sorted_indices, remove_sorted)  # (..., V)
    return logits.masked_fill(remove, float("-inf"))
