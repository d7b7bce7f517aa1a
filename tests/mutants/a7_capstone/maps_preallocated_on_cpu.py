"""attention_maps filling a torch.zeros(n_layer, B, n_head, T, T) made without a device: fails for a model on a GPU.

Preallocating the result is a habit from NumPy, where there is only one device.
"""

import torch

TASK = "7.3"
KIND = "mutant"


@torch.no_grad()
def attention_maps(model: GPT, ids: torch.Tensor) -> torch.Tensor:
    """Every head's attention weights in every block of ``model`` for the input ``ids``."""
    if ids.dim() != 2:
        raise ValueError(f"ids must have shape (B, T), got shape {tuple(ids.shape)}")
    T = ids.shape[1]
    if T > model.config.block_size:
        raise ValueError(f"sequence length T={T} is longer than block_size={model.config.block_size}")
    was_training = model.training
    model.eval()
    try:
        x = model.tok_emb(ids) + model.pos_emb(T)  # (B, T, d_model)
        maps = torch.zeros(len(model.blocks), ids.shape[0], model.config.n_head, T, T)
        for layer, block in enumerate(model.blocks):
            _, weights = block.attn(block.ln1(x), return_weights=True)  # (B, n_head, T, T)
            maps[layer] = weights
            x = block(x)  # (B, T, d_model)
        return maps  # (n_layer, B, n_head, T, T)
    finally:
        model.train(was_training)
