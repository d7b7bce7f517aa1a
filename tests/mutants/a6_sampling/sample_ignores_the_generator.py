"""sample_next calls torch.multinomial without the generator: draws come from the global stream, not the seed given.

The generator argument is easy to leave behind when the call already "works".
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
    """Draw the next token of every row (bug: the generator is not used)."""
    _check_sampling_arguments(temperature, top_k, top_p)
    if logits.dim() != 2:
        raise ValueError(f"logits must have shape (B, V), got {tuple(logits.shape)}")
    if temperature == 0:
        return greedy_next(logits)
    logits = apply_temperature(logits, temperature)  # (B, V)
    if top_k is not None:
        logits = top_k_filter(logits, top_k)
    if top_p is not None:
        logits = top_p_filter(logits, top_p)
    probs = torch.softmax(logits.float(), dim=-1)  # (B, V)
    return torch.multinomial(probs, 1)  # (B, 1)
