"""Gradients are clipped after optimizer.step(): the update used the unclipped gradients.

'Clip the gradients' gets appended at the end of the step, where it no longer changes anything."""

TASK = "5.10"
KIND = "mutant"


def train_step(
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    train_data: TokenData,
    config: TrainConfig,
    generator: torch.Generator | None = None,
) -> float:
    """One optimisation step with gradient accumulation and clipping; returns its loss."""
    total_loss = 0.0
    for _ in range(config.grad_accum_steps):
        x, y = get_batch(train_data, config.batch_size, config.block_size, generator, config.device)  # (B, T)
        with autocast_context(config):
            logits, _ = model(x)  # (B, T, V)
            loss = cross_entropy(logits, y) / config.grad_accum_steps
        loss.backward()
        total_loss += loss.item()
    optimizer.step()
    if config.grad_clip > 0:
        clip_grad_norm(model.parameters(), config.grad_clip)
    optimizer.zero_grad(set_to_none=True)
    return total_loss
