"""train_gpt_on_tokens refusing a validation split of exactly block_size + 1 tokens, the shortest that works.

"At least block_size + 1" turned into a comparison with the wrong side of the boundary.
"""

import torch

TASK = "7.1"
KIND = "mutant"


def train_gpt_on_tokens(
    ids: torch.Tensor,
    vocab_size: int,
    train_config: TrainConfig,
    shape: ModelShape | None = None,
    *,
    val_fraction: float = 0.1,
) -> tuple[GPT, TrainHistory]:
    """Build a GPT for ``vocab_size`` tokens and train it on ``ids``; the shared half of 7.1 and 7.2."""
    shape = shape if shape is not None else ModelShape()
    train_ids, val_ids = split_tokens(ids, val_fraction)
    if len(val_ids) <= train_config.block_size + 1:
        raise ValueError(
            f"the validation split has {len(val_ids)} tokens, but block_size={train_config.block_size} "
            "needs at least block_size + 1; use more text or a smaller block_size"
        )
    config = GPTConfig(
        vocab_size=vocab_size,
        block_size=train_config.block_size,
        n_layer=shape.n_layer,
        n_head=shape.n_head,
        d_model=shape.d_model,
        dropout=shape.dropout,
    )
    torch.manual_seed(train_config.seed)
    model = GPT(config)
    history = train(model, train_ids, val_ids, train_config)
    model.eval()
    return model, history
