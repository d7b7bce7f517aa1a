"""sample_next never checks that logits are (B, V): one row of shape (V,) gives a (1,) result instead of an error.

torch.multinomial accepts 1-D probabilities, so nothing complains.
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
    """Draw the next token of every row (bug: the shape of logits is not checked)."""
    _check_sampling_arguments(temperature, top_k, top_p)
    if temperature == 0:
        return greedy_next(logits)
    logits = apply_temperature(logits, temperature)  # (B, V)
    if top_k is not None:
        logits = top_k_filter(logits, top_k)
    if top_p is not None:
        logits = top_p_filter(logits, top_p)
    probs = torch.softmax(logits.float(), dim=-1)  # (B, V)
    return torch.multinomial(probs, 1, generator=generator)  # (B, 1)
