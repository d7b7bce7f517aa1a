"""top_p_filter removes tokens whose running sum (their own probability included) passes p: the crossing token goes.

"Keep while cumsum <= p" is the first reading of "the tokens that hold mass p"; it keeps too little.
"""

import torch

TASK = "6.4"
KIND = "mutant"


def top_p_filter(logits: torch.Tensor, p: float) -> torch.Tensor:
    """Nucleus filter (bug: the token that makes the sum cross p is removed; the top one is kept)."""
    if not 0 < p <= 1:
        raise ValueError(f"p={p} must lie in (0, 1]")
    if p == 1:
        return logits.clone()
    probs = torch.softmax(logits.float(), dim=-1)  # (..., V)
    sorted_probs, sorted_indices = torch.sort(probs, dim=-1, descending=True, stable=True)  # (..., V)
    cumulative = sorted_probs.cumsum(dim=-1)  # (..., V)
    remove_sorted = cumulative > p  # (..., V)
    remove_sorted[..., 0] = False
    remove = torch.empty_like(remove_sorted).scatter_(-1, sorted_indices, remove_sorted)  # (..., V)
    return logits.masked_fill(remove, float("-inf"))
