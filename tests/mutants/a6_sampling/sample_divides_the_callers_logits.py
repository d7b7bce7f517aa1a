"""sample_next applies the temperature with logits /= temperature: the caller's tensor is divided in place.

On tensors, /= is an in-place operation, unlike on Python numbers.
"""

import torch

TASK = "6.5"
KIND = "mutant"


def sample_next(
    logits: torch.Tensor,
    *,
    temperature: float = 1.0,
    top_k: int | None = None,
    top_p: float | None = None,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """Draw the next token of every row (bug: divides the input in place)."""
    _check_sampling_arguments(temperature, top_k, top_p)
    if logits.dim() != 2:
        raise ValueError(f"logits must have shape (B, V), got {tuple(logits.shape)}")
    if temperature == 0:
        return greedy_next(logits)
    logits /= temperature  # (B, V)
    if top_k is not None:
        logits = top_k_filter(logits, top_k)
    if top_p is not None:
        logits = top_p_filter(logits, top_p)
    probs = torch.softmax(logits.float(), dim=-1)  # (B, V)
    return torch.multinomial(probs, 1, generator=generator)  # (B, 1)
