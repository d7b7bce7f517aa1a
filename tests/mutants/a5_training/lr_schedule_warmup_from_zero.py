"""Warmup is max_lr * step / warmup_steps: step 0 gets a rate of 0 and warmup peaks one step early.

The textbook 'linear from 0' formula looks right but is off by one against nanoGPT's (step + 1) / (warmup + 1)."""

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
        return max_lr * step / warmup_steps
    if step >= total_steps:
        return min_lr
    ratio = (step - warmup_steps) / (total_steps - warmup_steps)
    coeff = 0.5 * (1.0 + math.cos(math.pi * ratio))
    return min_lr + coeff * (max_lr - min_lr)
