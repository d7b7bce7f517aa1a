"""No min_lr clamp past total_steps: the cosine rises again after the decay ends.

The cosine reaches min_lr exactly at total_steps, so the clamp looks redundant."""

TASK = "5.4"
KIND = "mutant"


def lr_schedule(
    step: int, *, max_lr: float, min_lr: float, warmup_steps: int, total_steps: int
) -> float:
    """nanoGPT's learning rate at ``step``: linear warmup, then cosine decay to ``min_lr``."""
    if step < 0:
        raise ValueError(f"step={step} must not be negative")
    if min_lr < 0 or max_lr < min_lr:
        raise ValueError(f"need 0 <= min_lr <= max_lr, got min_lr={min_lr}, max_lr={max_lr}")
    if warmup_steps < 0:
        raise ValueError(f"warmup_steps={warmup_steps} must not be negative")
    if total_steps < warmup_steps:
        raise ValueError(f"total_steps={total_steps} must be >= warmup_steps={warmup_steps}")
    if step < warmup_steps:
        return max_lr * (step + 1) / (warmup_steps + 1)
    ratio = (step - warmup_steps) / (total_steps - warmup_steps)
    coeff = 0.5 * (1.0 + math.cos(math.pi * ratio))
    return min_lr + coeff * (max_lr - min_lr)
