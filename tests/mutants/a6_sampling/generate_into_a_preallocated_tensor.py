"""generate that writes into a preallocated (B, T + max_new_tokens) tensor and trims it at the end.

Preallocating avoids a torch.cat per step, a habit from writing fast loops.
"""

import torch
from torch import nn

TASK = "6.6"
KIND = "alternative"


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
    """Extend every row of ids, filling a tensor allocated up front."""
    if max_new_tokens < 0:
        raise ValueError(f"max_new_tokens={max_new_tokens} must be >= 0")
    if ids.dim() != 2 or ids.shape[1] < 1:
        raise ValueError(f"ids must have shape (B, T) with T >= 1, got {tuple(ids.shape)}")
    _check_sampling_arguments(temperature, top_k, top_p)
    batch_size, prompt_length = ids.shape
    block_size = model.config.block_size
    out = torch.empty(batch_size, prompt_length + max_new_tokens, dtype=ids.dtype, device=ids.device)  # (B, T + max)
    out[:, :prompt_length] = ids
    length = prompt_length
    finished = [False] * batch_size
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            while length < prompt_length + max_new_tokens and not (eos_id is not None and all(finished)):
                logits, _ = model(out[:, max(0, length - block_size) : length])  # (B, T', V)
                next_ids = sample_next(
                    logits[:, -1, :], temperature=temperature, top_k=top_k, top_p=top_p, generator=generator
                )  # (B, 1)
                for row in range(batch_size):
                    if eos_id is not None and finished[row]:
                        next_ids[row, 0] = eos_id
                    elif eos_id is not None and int(next_ids[row, 0]) == eos_id:
                        finished[row] = True
                out[:, length] = next_ids[:, 0]
                length += 1
    finally:
        model.train(was_training)
    return out[:, :length]
