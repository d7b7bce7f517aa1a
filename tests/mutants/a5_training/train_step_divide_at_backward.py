"""train_step that keeps each micro-batch's undivided loss and divides only when calling backward, outside autocast.

Keeping the real loss for logging and scaling just the gradient is how many training scripts read."""

TASK = "5.10"
KIND = "alternative"


def train_step(
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    train_data: TokenData,
    config: TrainConfig,
    generator: torch.Generator | None = None,
) -> float:
    """One optimisation step with gradient accumulation and clipping; returns its loss."""
    losses = []
    for _ in range(config.grad_accum_steps):
        x, y = get_batch(train_data, config.batch_size, config.block_size, generator, config.device)  # (B, T)
        with autocast_context(config):
            logits, _ = model(x)  # (B, T, V)
            loss = cross_entropy(logits, y)
        (loss / config.grad_accum_steps).backward()
        losses.append(loss.item())
    if config.grad_clip > 0:
        clip_grad_norm(model.parameters(), config.grad_clip)
    optimizer.step()
    optimizer.zero_grad(set_to_none=True)
    return sum(losses) / len(losses)
