"""map_location is not passed on: tensors come back on the device they were saved from.

On a CPU-only machine saving and loading happen on the same device, so it never shows."""

TASK = "5.8"
KIND = "mutant"


def load_checkpoint(
    path: str | os.PathLike,
    model: nn.Module | None = None,
    optimizer: torch.optim.Optimizer | None = None,
    map_location: str | torch.device = "cpu",
) -> dict[str, Any]:
    """Read a checkpoint written by ``save_checkpoint``, safely, and optionally restore it."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no checkpoint file at {path}")
    try:
        checkpoint = torch.load(path, weights_only=True)
    except Exception as error:
        raise ValueError(f"{path} is not a valid checkpoint: {type(error).__name__}: {error}") from error
    if not isinstance(checkpoint, dict):
        raise ValueError(f"{path} is not a valid checkpoint: it holds a {type(checkpoint).__name__}, not a dict")
    missing = [key for key in CHECKPOINT_KEYS if key not in checkpoint]
    if missing:
        raise ValueError(f"{path} is not a valid checkpoint: missing keys {missing}")
    if checkpoint["format"] != CHECKPOINT_FORMAT:
        raise ValueError(
            f"{path} is not a valid checkpoint: format {checkpoint['format']!r}, expected {CHECKPOINT_FORMAT!r}"
        )
    if checkpoint["version"] != CHECKPOINT_VERSION:
        raise ValueError(
            f"{path} is not a valid checkpoint: version {checkpoint['version']!r}, "
            f"this code reads version {CHECKPOINT_VERSION}"
        )
    if model is not None:
        _unwrap(model).load_state_dict(checkpoint["model"])
    if optimizer is not None:
        if checkpoint["optimizer"] is None:
            raise ValueError(f"{path} is not a valid checkpoint to resume from: it holds no optimizer state")
        optimizer.load_state_dict(checkpoint["optimizer"])
    return checkpoint
