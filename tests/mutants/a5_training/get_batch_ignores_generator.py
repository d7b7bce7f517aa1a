"""The starts are drawn from torch's global RNG: the generator argument is accepted but not used.

torch.randint(high, (B,)) works without it, so seeded runs only differ in which batches they see."""

TASK = "5.1"
KIND = "mutant"


def get_batch(
    data: TokenData,
    batch_size: int,
    block_size: int,
    generator: torch.Generator | None = None,
    device: torch.device | str | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """A random batch of ``batch_size`` windows of ``block_size`` tokens, and their targets."""
    if data.ndim != 1:
        raise ValueError(f"data must be 1-D, got shape {tuple(data.shape)}")
    if batch_size < 1 or block_size < 1:
        raise ValueError(f"batch_size={batch_size} and block_size={block_size} must both be >= 1")
    if len(data) <= block_size:
        raise ValueError(
            f"len(data)={len(data)} must exceed block_size={block_size}: "
            "a window needs one more token as the target of its last position"
        )
    starts = torch.randint(len(data) - block_size, (batch_size,)).tolist()
    x = torch.stack([_token_window(data, start, block_size) for start in starts])  # (B, T)
    y = torch.stack([_token_window(data, start + 1, block_size) for start in starts])  # (B, T)
    return _to_device(x, y, device)
