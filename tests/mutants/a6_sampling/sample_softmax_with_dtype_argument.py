"""sample_next that asks softmax for float32 with its dtype argument and chains the filters in a loop.

torch.softmax(z, dim=-1, dtype=torch.float32) is the documented way to get float32 probabilities.
"""

import torch

TASK = "6.5"
KIND = "alternative"


def sample_next(
    logits: torch.Tensor,
    *,
    temperature: float = 1.0,
    top_k: int | None = None,
    top_p: float | None = None,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """Draw the next token of every row, with the filters applied in a loop."""
    _check_sampling_arguments(temperature, top_k, top_p)
    if logits.dim() != 2:
        raise ValueError(f"logits must have shape (B, V), got {tuple(logits.shape)}")
    if temperature == 0:
        return greedy_next(logits)
    scaled = apply_temperature(logits, temperature)  # (B, V)
    for chosen_filter, setting in ((top_k_filter, top_k), (top_p_filter, top_p)):
        if setting is not None:
            scaled = chosen_filter(scaled, setting)
    probs = torch.softmax(scaled, dim=-1, dtype=torch.float32)  # (B, V)
    return torch.multinomial(probs, 1, generator=generator)  # (B, 1)
