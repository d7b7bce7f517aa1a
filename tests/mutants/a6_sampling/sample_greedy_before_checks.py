"""sample_next returns greedy for temperature 0 before checking top_k and top_p: bad settings pass silently.

The shortcut looks like the cheapest first line, and the checks seem to matter only when sampling.
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
    """Draw the next token of every row (bug: the settings are not checked at temperature 0)."""
    if temperature == 0:
        return greedy_next(logits)
    _check_sampling_arguments(temperature, top_k, top_p)
    if logits.dim() != 2:
        raise ValueError(f"logits must have shape (B, V), got {tuple(logits.shape)}")
    logits = apply_temperature(logits, temperature)  # (B, V)
    if top_k is not None:
        logits = top_k_filter(logits, top_k)
    if top_p is not None:
        logits = top_p_filter(logits, top_p)
    probs = torch.softmax(logits.float(), dim=-1)  # (B, V)
    return torch.multinomial(probs, 1, generator=generator)  # (B, 1)
