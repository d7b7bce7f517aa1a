"""save_checkpoint through tempfile.NamedTemporaryFile in the checkpoint's folder, then os.replace.

tempfile picks a unique name for the temporary file, which students reach for instead of building one."""

import tempfile

TASK = "5.7"
KIND = "alternative"


def save_checkpoint(
    path: str | os.PathLike,
    *,
    model: nn.Module,
    optimizer: torch.optim.Optimizer | None,
    step: int,
    config: TrainConfig,
    history: TrainHistory,
    generator: torch.Generator | None = None,
    extra: dict[str, Any] | None = None,
) -> None:
    """Write everything needed to resume a run to ``path``, atomically."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    rng: dict[str, Any] = {"torch": torch.get_rng_state(), "generator": generator.get_state() if generator is not None else None}
    if torch.cuda.is_available():
        rng["cuda"] = torch.cuda.get_rng_state_all()
    checkpoint = dict(
        format=CHECKPOINT_FORMAT, version=CHECKPOINT_VERSION, model=_unwrap(model).state_dict(),
        optimizer=optimizer.state_dict() if optimizer is not None else None, step=step,
        train_config=asdict(config), history=history.to_dict(), rng=rng, extra=extra if extra is not None else {},
    )
    with tempfile.NamedTemporaryFile(dir=path.parent, prefix=f".{path.name}.", delete=False) as file:
        temporary = Path(file.name)
    try:
        torch.save(checkpoint, temporary)
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
