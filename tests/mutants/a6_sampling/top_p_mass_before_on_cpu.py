"""top_p_filter builds the leading zero of "mass before" with torch.zeros(...): on the CPU, whatever the input's device.

torch.zeros without device= works on every laptop; it breaks only on a GPU.
"""

import torch

TASK = "6.4"
KIND = "mutant"


def top_p_filter(logits: torch.Tensor, p: float) -> torch.Tensor:
    """Nucleus filter (bug: a helper tensor is created on the CPU)."""
    if not 0 < p <= 1:
        raise ValueError(f"p={p} must lie in (0, 1]")
    if p == 1:
        return logits.clone()
    probs = torch.softmax(logits.float(), dim=-1)  # (..., V)
    sorted_probs, sorted_indices = torch.sort(probs, dim=-1, descending=True, stable=True)  # (..., V)
    cumulative = sorted_probs.cumsum(dim=-1)  # (..., V)
    nothing_before = torch.zeros(*cumulative.shape[:-1], 1)  # (..., 1)
    mass_before = torch.cat([nothing_before, cumulative[..., :-1]], dim=-1)  # (..., V)
    remove_sorted = mass_before >= p  # (..., V)
    remove = torch.empty_like(remove_sorted).scatter_(-1, sorted_indices, remove_sorted)  # (..., V)
    return logits.masked_fill(remove, float("-inf"))
