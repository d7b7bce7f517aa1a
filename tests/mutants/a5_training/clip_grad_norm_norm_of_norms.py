"""clip_grad_norm as the vector norm of the per-tensor norms, scaling only when it is too large.

The norm of the tensors' norms equals the norm of all entries, and an if reads more naturally than a clamp."""

TASK = "5.5"
KIND = "alternative"


@torch.no_grad()
def clip_grad_norm(params: Iterable[torch.Tensor], max_norm: float) -> torch.Tensor:
    """Scale all gradients down together so their global L2 norm is at most ``max_norm``."""
    if not max_norm > 0:
        raise ValueError(f"max_norm must be positive, got {max_norm}")
    grads = [p.grad for p in params if p.grad is not None]
    if not grads:
        return torch.tensor(0.0)
    norm = torch.linalg.vector_norm(torch.stack([torch.linalg.vector_norm(grad) for grad in grads]))
    if norm > max_norm:
        for grad in grads:
            grad.mul_(max_norm / (norm + 1e-6))
    return norm
