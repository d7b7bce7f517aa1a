"""The batch generator's state is not saved, so a resumed run draws different batches.

torch.get_rng_state() looks like 'the RNG'; the batch stream has its own generator."""

TASK = "5.7"
KIND = "mutant"


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
    rng: dict[str, Any] = {
        "torch": torch.get_rng_state(),
        "generator": None,
    }
    if torch.cuda.is_available():
        rng["cuda"] = torch.cuda.get_rng_state_all()
    checkpoint = {
        "format": CHECKPOINT_FORMAT,
        "version": CHECKPOINT_VERSION,
        "model": _unwrap(model).state_dict(),
        "optimizer": None if optimizer is None else optimizer.state_dict(),
        "step": step,
        "train_config": asdict(config),
        "history": history.to_dict(),
        "rng": rng,
        "extra": {} if extra is None else extra,
    }
    temporary = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        with open(temporary, "wb") as file:
            torch.save(checkpoint, file)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    if os.name == "posix":
        # Make the rename itself durable: it lives in the directory's entry list.
        directory = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)
