"""get_batch returns the inputs as their own targets: y is the same window as x, not shifted by one.

Both windows are "the block at start"; forgetting the + 1 makes the model learn to copy its input.
"""

TASK = "5.1"
KIND = "mutant"


def get_batch(
    data: TokenData,
    batch_size: int,
    block_size: int,
    generator: torch.Generator | None = None,
    device: torch.device | str | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Draw a random batch of (input, target) windows (bug: targets not shifted)."""
    if data.ndim != 1:
        raise ValueError(f"data must be 1-D, got shape {tuple(data.shape)}")
    if batch_size < 1 or block_size < 1:
        raise ValueError(f"batch_size={batch_size} and block_size={block_size} must both be >= 1")
    if len(data) <= block_size:
        raise ValueError(
            f"len(data)={len(data)} must exceed block_size={block_size}: "
            "a window needs one more token as the target of its last position"
        )
    starts = torch.randint(len(data) - block_size, (batch_size,), generator=generator).tolist()
    x = torch.stack([_token_window(data, start, block_size) for start in starts])  # (B, T)
    y = torch.stack([_token_window(data, start, block_size) for start in starts])  # (B, T)
    return _to_device(x, y, device)
