"""generate samples from logits[:, 0, :]: the prediction after the first token of the context, not the last.

Index 0 and index -1 look alike when one only checks shapes.
"""

import torch
from torch import nn

TASK = "6.6"
KIND = "mutant"


def generate(
    model: nn.Module,
    ids: torch.Tensor,
    max_new_tokens: int,
    *,
    temperature: float = 1.0,
    top_k: int | None = None,
    top_p: float | None = None,
    eos_id: int | None = None,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """Extend every row of ids (bug: samples from the first position's logits)."""
    if max_new_tokens < 0:
        raise ValueError(f"max_new_tokens={max_new_tokens} must be >= 0")
    if ids.dim() != 2 or ids.shape[1] < 1:
        raise ValueError(f"ids must have shape (B, T) with T >= 1, got {tuple(ids.shape)}")
    _check_sampling_arguments(temperature, top_k, top_p)
    block_size = model.config.block_size
    finished = torch.zeros(ids.shape[0], dtype=torch.bool, device=ids.device)  # (B,)
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            for _ in range(max_new_tokens):
                context = ids[:, -block_size:]  # (B, min(T, block_size))
                logits, _ = model(context)  # (B, T', V)
                next_ids = sample_next(
                    logits[:, 0, :], temperature=temperature, top_k=top_k, top_p=top_p, generator=generator
                )  # (B, 1)
                if eos_id is not None:
                    next_ids = next_ids.masked_fill(finished.unsqueeze(1), eos_id)  # (B, 1)
                    finished = finished | (next_ids.squeeze(1) == eos_id)
                ids = torch.cat([ids, next_ids], dim=1)  # (B, T + 1)
                if eos_id is not None and bool(finished.all()):
                    break
    finally:
        model.train(was_training)
    return ids
