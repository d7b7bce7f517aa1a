"""get_batch by one fancy index: every window and its targets gathered at once.

Students who know numpy build a (B, T + 1) index grid instead of a Python loop over windows."""

TASK = "5.1"
KIND = "alternative"


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
        raise ValueError(f"len(data)={len(data)} must exceed block_size={block_size}")
    starts = torch.randint(len(data) - block_size, (batch_size,), generator=generator)  # (B,)
    index = starts[:, None] + torch.arange(block_size + 1)  # (B, T + 1)
    if isinstance(data, torch.Tensor):
        windows = data[index].to(torch.int64)  # (B, T + 1)
    else:
        windows = torch.from_numpy(np.asarray(data[index.numpy()], dtype=np.int64))  # (B, T + 1)
    return _to_device(windows[:, :-1], windows[:, 1:], device)
