"""top_p_filter writes -inf into the caller's logits with masked_fill_ and returns them.

The trailing underscore is easy to type, and the returned value is right.
"""

import torch

TASK = "6.4"
KIND = "mutant"


def top_p_filter(logits: torch.Tensor, p: float) -> torch.Tensor:
    """Nucleus filter (bug: modifies its input in place)."""
    if not 0 < p <= 1:
        raise ValueError(f"p={p} must lie in (0, 1]")
    if p == 1:
        return logits.clone()
    probs = torch.softmax(logits.float(), dim=-1)  # (..., V)
    sorted_probs, sorted_indices = torch.sort(probs, dim=-1, descending=True, stable=True)  # (..., V)
    cumulative = sorted_probs.cumsum(dim=-1)  # (..., V)
    mass_before = torch.cat([torch.zeros_like(cumulative[..., :1]), cumulative[..., :-1]], dim=-1)  # (..., V)
    remove_sorted = mass_before >= p  # (..., V)
    remove = torch.empty_like(remove_sorted).scatter_(-1, sorted_indices, remove_sorted)  # (..., V)
    return logits.masked_fill_(remove, float("-inf"))
