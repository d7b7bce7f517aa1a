"""top_p_filter that takes "mass before" as cumsum minus the token's own probability and un-sorts with gather.

The inverse permutation (argsort of the sort order) is how some students undo a sort.
"""

import torch

TASK = "6.4"
KIND = "alternative"


def top_p_filter(logits: torch.Tensor, p: float) -> torch.Tensor:
    """Nucleus filter, un-sorted through the inverse permutation."""
    if not 0 < p <= 1:
        raise ValueError(f"p={p} must lie in (0, 1]")
    if p == 1:
        return logits.clone()
    probs = torch.softmax(logits.float(), dim=-1)  # (..., V)
    sorted_probs, order = torch.sort(probs, dim=-1, descending=True, stable=True)  # (..., V)
    mass_before = sorted_probs.cumsum(dim=-1) - sorted_probs  # (..., V)
    keep_sorted = mass_before < p  # (..., V)
    keep_sorted[..., 0] = True  # nothing comes before the most likely token, whatever the rounding
    inverse_order = torch.argsort(order, dim=-1)  # (..., V): where each token went in the sort
    keep = keep_sorted.gather(-1, inverse_order)  # (..., V)
    return torch.where(keep, logits, torch.full_like(logits, float("-inf")))
