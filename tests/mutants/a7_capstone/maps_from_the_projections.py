"""attention_maps recomputing each head's weights from the block's q_proj and k_proj with a3's functions.

Students who wrote a3 themselves often prefer their own attention_weights to the module's return_weights flag.
"""

import torch

from ..a3_attention.attention import attention_weights, causal_mask, split_heads

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
    was_training = model.training
    model.eval()
    try:
        x = model.tok_emb(ids) + model.pos_emb(T)  # (B, T, d_model)
        mask = causal_mask(T, device=ids.device)  # (T, T)
        maps = []
        for block in model.blocks:
            normed = block.ln1(x)  # (B, T, d_model)
            q = split_heads(block.attn.q_proj(normed), block.attn.n_heads)  # (B, n_head, T, head_dim)
            k = split_heads(block.attn.k_proj(normed), block.attn.n_heads)  # (B, n_head, T, head_dim)
            maps.append(attention_weights(q, k, mask))  # (B, n_head, T, T)
            x = block(x)  # (B, T, d_model)
        return torch.stack(maps)  # (n_layer, B, n_head, T, T)
    finally:
        model.train(was_training)
