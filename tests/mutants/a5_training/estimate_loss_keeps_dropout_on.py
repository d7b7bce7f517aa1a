"""The model is not put in eval mode: dropout stays on while evaluating, and the mode is just kept.

torch.no_grad() feels like 'evaluation mode'; it does not turn dropout off."""

TASK = "5.9"
KIND = "mutant"


def estimate_loss(
    model: nn.Module,
    splits: Mapping[str, TokenData],
    *,
    batch_size: int,
    block_size: int,
    eval_iters: int,
    generator: torch.Generator | None = None,
    device: torch.device | str | None = None,
) -> dict[str, float]:
    """The model's mean loss on ``eval_iters`` random batches of each split."""
    if eval_iters < 1:
        raise ValueError(f"eval_iters={eval_iters} must be >= 1")
    was_training = model.training
    try:
        losses = {}
        with torch.no_grad():
            for name, data in splits.items():
                total = 0.0
                for _ in range(eval_iters):
                    x, y = get_batch(data, batch_size, block_size, generator=generator, device=device)  # (B, T)
                    logits, _ = model(x)  # (B, T, V)
                    total += cross_entropy(logits, y).item()
                losses[name] = total / eval_iters
        return losses
    finally:
        model.train(was_training)
