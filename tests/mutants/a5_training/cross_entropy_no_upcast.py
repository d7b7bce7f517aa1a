"""Half-precision logits are used as they are: exp and the sum over V run in 16 bits and the loss comes back in 16 bits.

In float32 tests nothing is wrong; the loss of 16-bit logits only drifts under mixed precision."""

TASK = "5.3"
KIND = "mutant"


def cross_entropy(
    logits: torch.Tensor, targets: torch.Tensor, ignore_index: int = -100
) -> torch.Tensor:
    """Mean negative log-likelihood of the targets, computed stably without ``F.cross_entropy``."""
    if targets.shape != logits.shape[:-1]:
        raise ValueError(
            f"targets shape {tuple(targets.shape)} must equal the logits shape without its "
            f"last dimension, {tuple(logits.shape[:-1])}"
        )
    if targets.dtype.is_floating_point or targets.dtype.is_complex or targets.dtype == torch.bool:
        raise ValueError(f"targets must hold integer class indices, got dtype {targets.dtype}")
    vocab_size = logits.shape[-1]
    flat_logits = logits.reshape(-1, vocab_size)  # (N, V)
    flat_targets = targets.reshape(-1)  # (N,)
    keep = flat_targets != ignore_index  # (N,)
    # Ignored positions still need a valid index for gather; their loss is dropped below.
    safe_targets = torch.where(keep, flat_targets, torch.zeros_like(flat_targets))  # (N,)
    # The shift cancels between the two terms, so no gradient needs to flow through it.
    shift = flat_logits.amax(dim=-1, keepdim=True).detach()  # (N, 1)
    shifted = flat_logits - shift  # (N, V)
    log_sum_exp = shifted.exp().sum(dim=-1).log()  # (N,)
    target_logit = shifted.gather(1, safe_targets.unsqueeze(1)).squeeze(1)  # (N,)
    losses = (log_sum_exp - target_logit)[keep]  # (kept,)
    return losses.sum() / keep.sum()
