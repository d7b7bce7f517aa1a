"""``course train``: train the reference GPT on a registered dataset.

The loop itself is assignment 5's ``train`` (the reference solution); this
module only chooses the configuration, prepares the data, shows progress and
writes the artefacts beside the checkpoint::

    OUT/ckpt.pt        model, optimiser, RNG states, history, model config, tokenizer
    OUT/loss.png       the loss curve
    OUT/metrics.json   final losses, throughput and timings, for scripts
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from pathlib import Path

import torch
from rich.table import Table

from .. import data as datasets_registry
from ..atomic import atomic_write_json
from ..console import console, plain_output
from ..devices import autocast_dtype_for, resolve_device
from ..errors import CourseError
from ..plots import save_loss_curve
from ..presets import DEFAULT_PRESET, Preset, get_preset
from ..progress import TrainingProgress

CHECKPOINT_NAME = "ckpt.pt"


@dataclass
class TrainResult:
    """What a finished (or interrupted) run produced."""

    out_dir: Path
    """Folder holding ckpt.pt, loss.png and metrics.json."""
    final_step: int
    """Index of the last optimiser step taken."""
    train_loss: float | None
    """Last estimated training loss (None if no evaluation ran)."""
    val_loss: float | None
    """Last estimated validation loss (None if no evaluation ran)."""
    tokens_per_second: float
    """Training throughput, evaluation time excluded."""
    seconds: float
    """Wall time of the run, evaluation included."""


def main(
    *,
    preset: str = DEFAULT_PRESET,
    dataset: str | None = None,
    tokenizer: str | None = None,
    vocab_size: int | None = None,
    max_iters: int | None = None,
    out: str | Path | None = None,
    resume: bool = False,
    device: str = "auto",
    compile: bool | None = None,
    fused_attention: bool | None = None,
    seed: int = 1337,
    data_dir: str | Path | None = None,
    **shape_overrides,
) -> TrainResult:
    """Train a GPT and return where its artefacts are.

    ``shape_overrides`` replace preset fields (n_layer, n_head, d_model,
    block_size, batch_size, dropout, max_lr, eval_interval, eval_iters, ...).
    A fresh run refuses to overwrite an existing checkpoint; ``resume``
    continues the run in ``out`` to ``max_iters`` (the preset's or the given one).
    """
    from solutions.a4_transformer.model import GPT, GPTConfig
    from solutions.a5_training.training import TrainConfig, load_checkpoint, train

    device = resolve_device(device)
    recipe = get_preset(preset).with_overrides(
        dataset=dataset, tokenizer=tokenizer, vocab_size=vocab_size, max_iters=max_iters, **shape_overrides
    )
    out_dir = Path(out) if out is not None else Path("runs") / f"{recipe.name}-{recipe.dataset}"
    checkpoint_path = out_dir / CHECKPOINT_NAME

    if resume:
        if not checkpoint_path.is_file():
            raise CourseError(f"nothing to resume: {checkpoint_path} does not exist (train without --resume first)")
        saved = load_checkpoint(checkpoint_path)
        # The model and data of a resumed run are the checkpoint's; only the length may change.
        recipe = Preset(**saved["extra"]["preset"]).with_overrides(max_iters=max_iters)
        if saved["step"] >= recipe.max_iters - 1:
            raise CourseError(
                f"the run in {out_dir} already finished at step {saved['step']}; "
                f"pass --max-iters larger than {recipe.max_iters} to train further"
            )
    elif checkpoint_path.exists():
        raise CourseError(
            f"{checkpoint_path} already exists; pass --resume to continue that run or --out to start a new one"
        )

    decay_steps = recipe.lr_decay_steps or recipe.max_iters
    if recipe.warmup_steps >= decay_steps:
        # A run shorter than the preset's warmup: warm up for its first tenth instead.
        recipe = recipe.with_overrides(warmup_steps=max(1, decay_steps // 10))
    prepared = datasets_registry.prepare(
        recipe.dataset, tokenizer=recipe.tokenizer, vocab_size=recipe.vocab_size, cache_dir=data_dir
    )
    on_gpu = device == "cuda"
    model_config = GPTConfig(
        vocab_size=prepared.vocab_size,
        block_size=recipe.block_size,
        n_layer=recipe.n_layer,
        n_head=recipe.n_head,
        d_model=recipe.d_model,
        dropout=recipe.dropout,
        pos_encoding=recipe.pos_encoding,
        fused_attention=recipe.fused_attention if fused_attention is None else fused_attention,
    )
    train_config = TrainConfig(
        max_iters=recipe.max_iters,
        batch_size=recipe.batch_size,
        block_size=recipe.block_size,
        grad_accum_steps=recipe.grad_accum_steps,
        max_lr=recipe.max_lr,
        min_lr=recipe.min_lr,
        warmup_steps=recipe.warmup_steps,
        lr_decay_steps=recipe.lr_decay_steps,
        weight_decay=recipe.weight_decay,
        beta2=recipe.beta2,
        grad_clip=recipe.grad_clip,
        eval_interval=recipe.eval_interval,
        eval_iters=recipe.eval_iters,
        checkpoint_path=str(checkpoint_path),
        seed=seed,
        device=device,
        autocast_dtype=autocast_dtype_for(device),
    )

    torch.manual_seed(seed)
    model = GPT(model_config).to(device)
    use_compile = (recipe.compile and on_gpu) if compile is None else compile
    trained_model = torch.compile(model) if use_compile else model

    _print_summary(recipe, prepared, model, device, train_config, use_compile, model_config.fused_attention)
    out_dir.mkdir(parents=True, exist_ok=True)
    extra = {
        "preset": asdict(recipe),
        "model_config": asdict(model_config),
        "tokenizer": datasets_registry.tokenizer_to_dict(prepared.tokenizer),
        "dataset": recipe.dataset,
    }
    tokens_per_step = recipe.batch_size * recipe.block_size * recipe.grad_accum_steps
    progress = TrainingProgress(
        total_steps=recipe.max_iters, tokens_per_step=tokens_per_step, plain=plain_output(), console=console
    )
    started = time.perf_counter()
    # On the CPU the only nondeterministic kernel here is the scatter-add behind
    # the embedding lookup's gradient; the deterministic one costs nothing
    # measurable and makes a run resumed in a new process equal, bit for bit,
    # to the run that never stopped. GPU runs keep torch's faster defaults.
    deterministic_before = torch.are_deterministic_algorithms_enabled()
    torch.use_deterministic_algorithms(deterministic_before or device == "cpu")
    try:
        with progress:
            history = train(
                trained_model,
                prepared.train,
                prepared.val,
                train_config,
                on_step=progress.on_step,
                on_eval=progress.on_eval,
                resume_from=checkpoint_path if resume else None,
                extra=extra,
            )
    except KeyboardInterrupt:
        last = progress.last_eval_step
        where = f"the checkpoint from step {last} is in {checkpoint_path}" if last is not None else "no checkpoint was written"
        raise CourseError(f"interrupted at step {progress.last_step}; {where}; continue with --resume") from None
    finally:
        torch.use_deterministic_algorithms(deterministic_before)
    seconds = time.perf_counter() - started

    history_dict = history.to_dict()
    save_loss_curve(history_dict, out_dir / "loss.png", title=f"{recipe.name} on {recipe.dataset} ({recipe.tokenizer})")
    result = TrainResult(
        out_dir=out_dir,
        final_step=history_dict["step"][-1] if history_dict["step"] else -1,
        train_loss=history_dict["train_loss"][-1] if history_dict["train_loss"] else None,
        val_loss=history_dict["val_loss"][-1] if history_dict["val_loss"] else None,
        tokens_per_second=progress.tokens_per_second(),
        seconds=seconds,
    )
    _write_metrics(result, recipe, model, device, out_dir / "metrics.json")
    val_text = f"{result.val_loss:.4f}" if result.val_loss is not None else "n/a"
    console.print(
        f"done: step {result.final_step}, val loss {val_text}, "
        f"{result.tokens_per_second:,.0f} tokens/s, {seconds:.1f} s; checkpoint {checkpoint_path}, curve {out_dir / 'loss.png'}",
        soft_wrap=True,
    )
    return result


def _print_summary(recipe, prepared, model, device, train_config, use_compile, fused) -> None:
    table = Table(title=f"course train: {recipe.name}", show_header=False, title_justify="left")
    table.add_column(style="bold")
    table.add_column()
    table.add_row("dataset", f"{recipe.dataset} ({recipe.tokenizer}, vocab {prepared.vocab_size:,})")
    table.add_row("tokens", f"{len(prepared.train):,} train / {len(prepared.val):,} val")
    table.add_row(
        "model",
        f"{model.num_parameters():,} parameters, {recipe.n_layer} layers, {recipe.n_head} heads, d_model {recipe.d_model}",
    )
    table.add_row(
        "training",
        f"{recipe.max_iters} steps of {recipe.batch_size * recipe.grad_accum_steps} x {recipe.block_size} tokens, "
        f"lr {recipe.max_lr:g} to {recipe.min_lr:g}, warmup {recipe.warmup_steps}",
    )
    speedups = [name for name, on in (("bf16 autocast", train_config.autocast_dtype), ("fused attention", fused), ("torch.compile", use_compile)) if on]
    table.add_row("device", f"{device}" + (f" ({', '.join(speedups)})" if speedups else ""))
    console.print(table)


def _write_metrics(result: TrainResult, recipe: Preset, model, device: str, path: Path) -> None:
    record = {
        "preset": recipe.name,
        "dataset": recipe.dataset,
        "tokenizer": recipe.tokenizer,
        "device": device,
        "parameters": model.num_parameters(),
        "final_step": result.final_step,
        "train_loss": result.train_loss,
        "val_loss": result.val_loss,
        "tokens_per_second": result.tokens_per_second,
        "seconds": result.seconds,
        "torch": torch.__version__,
    }
    atomic_write_json(path, record)
