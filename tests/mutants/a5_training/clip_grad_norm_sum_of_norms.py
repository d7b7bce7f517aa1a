"""The 'global norm' is the sum of the tensors' norms rather than the norm of all entries together.

Adding up per-tensor norms feels like combining them; it overestimates and clips too hard."""

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
    norm = torch.stack([grad.norm() for grad in grads]).sum()
    # A factor of at most 1, applied unconditionally, avoids a host sync on "if norm > max_norm".
    scale = (max_norm / (norm + 1e-6)).clamp(max=1.0)
    for grad in grads:
        grad.mul_(scale.to(grad.dtype))
    return norm
