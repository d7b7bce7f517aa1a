"""estimate_loss under torch.inference_mode, averaging a stacked tensor of batch losses.

inference_mode is the newer, faster no_grad, and collecting losses in a tensor is the vectorised habit."""

TASK = "5.9"
KIND = "alternative"


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
        raise ValueError(f"eval_iters must be at least 1, got {eval_iters}")
    was_training = model.training
    model.eval()
    try:
        with torch.inference_mode():
            losses = {}
            for name, data in splits.items():
                batch_losses = []
                for _ in range(eval_iters):
                    x, y = get_batch(data, batch_size, block_size, generator=generator, device=device)  # (B, T)
                    batch_losses.append(cross_entropy(model(x)[0], y))
                losses[name] = torch.stack(batch_losses).mean().item()
            return losses
    finally:
        model.train(was_training)
