"""Gradients are always rescaled to max_norm, also when their norm is below it (scaled up).

The formula max_norm / norm is remembered without the 'only if larger' half."""

TASK = "5.5"
KIND = "mutant"


@torch.no_grad()
def clip_grad_norm(params: Iterable[torch.Tensor], max_norm: float) -> torch.Tensor:
    """Scale all gradients down together so their global L2 norm is at most ``max_norm``."""
    if not max_norm > 0:
        raise ValueError(f"max_norm={max_norm} must be > 0")
    grads = [p.grad for p in params if p.grad is not None]
    if not grads:
        return torch.tensor(0.0)
    norm = torch.stack([grad.pow(2).sum() for grad in grads]).sum().sqrt()
    # A factor of at most 1, applied unconditionally, avoids a host sync on "if norm > max_norm".
    scale = max_norm / (norm + 1e-6)
    for grad in grads:
        grad.mul_(scale.to(grad.dtype))
    return norm
