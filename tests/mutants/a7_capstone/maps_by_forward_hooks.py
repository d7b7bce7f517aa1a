"""attention_maps capturing each block's weights with forward hooks during one ordinary forward pass.

The model's own forward does the replay, so the maps cannot drift from what the model computes.
"""

import torch

TASK = "7.3"
KIND = "alternative"


@torch.no_grad()
def attention_maps(model: GPT, ids: torch.Tensor) -> torch.Tensor:
    """Every head's attention weights in every block of ``model`` for the input ``ids``."""
    if ids.dim() != 2:
        raise ValueError(f"ids must have shape (B, T), got shape {tuple(ids.shape)}")
    T = ids.shape[1]
    if T > model.config.block_size:
        raise ValueError(f"sequence length T={T} is longer than block_size={model.config.block_size}")
    captured = []

    def keep_weights(attention, inputs, output):
        # .forward, not the module call: calling the module would run this hook again.
        _, weights = attention.forward(inputs[0], return_weights=True)  # (B, n_head, T, T)
        captured.append(weights)

    was_training = model.training
    hooks = [block.attn.register_forward_hook(keep_weights) for block in model.blocks]
    model.eval()
    try:
        model(ids)
    finally:
        for hook in hooks:
            hook.remove()
        model.train(was_training)
    return torch.stack(captured)  # (n_layer, B, n_head, T, T)
