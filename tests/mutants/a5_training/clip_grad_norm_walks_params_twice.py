"""The parameters are walked once for the norm and again to scale: a generator is empty the second time.

Tests that pass a list never show it; model.parameters() is a generator."""

TASK = "5.5"
KIND = "mutant"


@torch.no_grad()
def clip_grad_norm(params: Iterable[torch.Tensor], max_norm: float) -> torch.Tensor:
    """Scale all gradients down together so their global L2 norm is at most ``max_norm``."""
    if not max_norm > 0:
        raise ValueError(f"max_norm={max_norm} must be > 0")
    squares = [p.grad.pow(2).sum() for p in params if p.grad is not None]
    if not squares:
        return torch.tensor(0.0)
    norm = torch.stack(squares).sum().sqrt()
    grads = [p.grad for p in params if p.grad is not None]
    # A factor of at most 1, applied unconditionally, avoids a host sync on "if norm > max_norm".
    scale = (max_norm / (norm + 1e-6)).clamp(max=1.0)
    for grad in grads:
        grad.mul_(scale.to(grad.dtype))
    return norm
