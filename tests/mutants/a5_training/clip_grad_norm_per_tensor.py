"""Each gradient is clipped to max_norm on its own, instead of scaling all by the global norm.

Clipping one tensor is what most examples show, and doing it in a loop looks equivalent."""

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
    for grad in grads:
        grad.mul_((max_norm / (grad.norm() + 1e-6)).clamp(max=1.0).to(grad.dtype))
    return norm
