"""top_p_filter sorted ascending (the Hugging Face way): among equal probabilities the higher index is kept.

Removing the low tail "cumsum <= 1 - p" from an ascending sort is a widely copied recipe.
"""

import torch

TASK = "6.4"
KIND = "mutant"


def top_p_filter(logits: torch.Tensor, p: float) -> torch.Tensor:
    """Nucleus filter (bug: ties broken towards the higher index)."""
    if not 0 < p <= 1:
        raise ValueError(f"p={p} must lie in (0, 1]")
    if p == 1:
        return logits.clone()
    probs = torch.softmax(logits.float(), dim=-1)  # (..., V)
    sorted_probs, sorted_indices = torch.sort(probs, dim=-1, stable=True)  # (..., V) ascending
    mass_from_top = sorted_probs.flip(-1).cumsum(dim=-1).flip(-1)  # (..., V): this token and all larger ones
    remove_sorted = mass_from_top - sorted_probs >= p  # (..., V): the larger ones already reach p
    remove = torch.empty_like(remove_sorted).scatter_(-1, sorted_indices, remove_sorted)  # (..., V)
    return logits.masked_fill(remove, float("-inf"))
