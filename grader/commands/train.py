"""``course train``: train a GPT on a registered dataset.

The loop itself is assignment 5's ``train``; this module only chooses the
configuration and the code, prepares the data, shows progress and writes
the artefacts beside the checkpoint::

    OUT/ckpt.pt        model, optimiser, RNG states, history, model config, tokenizer, implementation
    OUT/loss.png       the loss curve
    OUT/metrics.json   final losses, throughput and timings, for scripts

Whose code trains (``impl``): the reference solutions by default; with
``"mine"`` (or a tree's path) the GPT composed from the learner's pieces,
each borrowed from the reference while its public tests do not pass
(grader/pieces.py, grader/composed.py). A table says which pieces are
whose before training starts, and a short sample from the learner's
sampler ends the run.

Started by ``torchrun`` the run trains on all its processes with
DistributedDataParallel (grader/distributed.py); only rank 0 prints and
writes files.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from pathlib import Path

import torch
import torch.distributed as dist
from rich.console import Console
from rich.table import Table
from torch import nn

from .. import data as datasets_registry
from .. import distributed
from ..atomic import atomic_write_json
from ..composed import REFERENCE, ModelCode, code_from_record, implementation_name, learner_code, reference_code
from ..console import console, plain_output, print_table
from ..devices import autocast_dtype_for, resolve_device
from ..distributed import DistributedContext
from ..errors import CourseError
from ..pieces import Owner, Piece, pieces_table
from ..plots import save_loss_curve
from ..presets import DEFAULT_PRESET, Preset, get_preset
from ..progress import TrainingProgress

CHECKPOINT_NAME = "ckpt.pt"
SAMPLE_TOKENS = 200  # the sample that ends an --impl run: long enough to read as text, seconds on a CPU


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
    """Training throughput of all processes together, evaluation time excluded."""
    seconds: float
    """Wall time of the run, evaluation included."""
    model: nn.Module
    """The trained model itself, without a ``torch.compile`` or DDP wrapper."""


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
    impl: str | None = None,
    **shape_overrides,
) -> TrainResult:
    """Train a GPT and return where its artefacts are.

    ``shape_overrides`` replace preset fields (n_layer, n_head, d_model,
    block_size, batch_size, dropout, max_lr, eval_interval, eval_iters, ...).
    A fresh run refuses to overwrite an existing checkpoint; ``resume``
    continues the run in ``out`` to ``max_iters`` (the preset's or the given one).

    ``impl`` chooses whose code trains: ``"reference"`` (the default for a
    fresh run), ``"mine"`` (assignments/) or the path of a tree laid out like
    it. A resumed run keeps the code and the owners of its checkpoint;
    naming another ``impl`` then is an error. With a learner's tree, torch's
    fused attention stays off unless ``fused_attention`` asks for it: it
    would bypass their attention arithmetic.

    Under ``torchrun`` (``RANK``, ``LOCAL_RANK``, ``WORLD_SIZE`` set) every
    process runs this function: the model is wrapped in DDP, each rank
    trains on its own slice of the data, and only rank 0 prints and writes
    the checkpoint, the curve and the metrics.
    """
    context = distributed.from_environment()
    with distributed.process_group(context, resolve_device(device)) as device:
        shown = console if context is None or context.is_main else Console(quiet=True)
        return _train(
            context=context, shown=shown, preset=preset, dataset=dataset, tokenizer=tokenizer, vocab_size=vocab_size,
            max_iters=max_iters, out=out, resume=resume, device=device, compile=compile, fused_attention=fused_attention,
            seed=seed, data_dir=data_dir, impl=impl, shape_overrides=shape_overrides,
        )


def _train(
    *, context: DistributedContext | None, shown: Console, preset, dataset, tokenizer, vocab_size, max_iters, out, resume,
    device: str, compile, fused_attention, seed, data_dir, impl, shape_overrides,
) -> TrainResult:
    """``main`` in one process, once the process group (if any) is joined and ``device`` is this process's."""
    is_main = context is None or context.is_main
    world_size = 1 if context is None else context.world_size
    recipe = get_preset(preset).with_overrides(
        dataset=dataset, tokenizer=tokenizer, vocab_size=vocab_size, max_iters=max_iters, **shape_overrides
    )
    out_dir = Path(out) if out is not None else Path("runs") / f"{recipe.name}-{recipe.dataset}"
    checkpoint_path = out_dir / CHECKPOINT_NAME

    recorded = None
    if resume:
        if not checkpoint_path.is_file():
            raise CourseError(f"nothing to resume: {checkpoint_path} does not exist (train without --resume first)")
        saved = reference_code().training.load_checkpoint(checkpoint_path)
        # The model, data and code of a resumed run are the checkpoint's; only the length may change.
        recipe = Preset(**saved["extra"]["preset"]).with_overrides(max_iters=max_iters)
        recorded = saved["extra"].get("implementation")
        if saved["step"] >= recipe.max_iters - 1:
            raise CourseError(
                f"the run in {out_dir} already finished at step {saved['step']}; "
                f"pass --max-iters larger than {recipe.max_iters} to train further"
            )
    elif checkpoint_path.exists():
        raise CourseError(
            f"{checkpoint_path} already exists; pass --resume to continue that run or --out to start a new one"
        )
    code = _choose_code(impl, resume=resume, recorded=recorded, context=context)
    if code.pieces and is_main:
        title = f"pieces of the model (--impl {code.implementation}" + (", as when the run started)" if resume else ")")
        print_table(pieces_table(code.pieces, title=title))

    decay_steps = recipe.lr_decay_steps or recipe.max_iters
    if recipe.warmup_steps >= decay_steps:
        # A run shorter than the preset's warmup: warm up for its first tenth instead.
        recipe = recipe.with_overrides(warmup_steps=max(1, decay_steps // 10))
    with distributed.local_main_first(context):
        prepared = datasets_registry.prepare(
            recipe.dataset, tokenizer=recipe.tokenizer, vocab_size=recipe.vocab_size, cache_dir=data_dir
        )
    train_data = distributed.shard(prepared.train, context)
    if len(train_data) <= recipe.block_size:
        raise CourseError(
            f"{world_size} processes leave {len(train_data)} training tokens each, too few for block_size {recipe.block_size}"
        )
    device_type = torch.device(device).type
    if fused_attention is None:
        # The fused kernel replaces the learner's attention arithmetic (only their projections would run).
        fused_attention = recipe.fused_attention and code.is_reference
    model_config = code.model.GPTConfig(
        vocab_size=prepared.vocab_size,
        block_size=recipe.block_size,
        n_layer=recipe.n_layer,
        n_head=recipe.n_head,
        d_model=recipe.d_model,
        dropout=recipe.dropout,
        pos_encoding=recipe.pos_encoding,
        fused_attention=fused_attention,
    )
    grad_accum_steps = distributed.per_rank_grad_accum_steps(recipe.grad_accum_steps, context)
    train_config = code.training.TrainConfig(
        max_iters=recipe.max_iters,
        batch_size=recipe.batch_size,
        block_size=recipe.block_size,
        grad_accum_steps=grad_accum_steps,
        max_lr=recipe.max_lr,
        min_lr=recipe.min_lr,
        warmup_steps=recipe.warmup_steps,
        lr_decay_steps=recipe.lr_decay_steps,
        weight_decay=recipe.weight_decay,
        beta2=recipe.beta2,
        grad_clip=recipe.grad_clip,
        eval_interval=recipe.eval_interval,
        eval_iters=recipe.eval_iters,
        checkpoint_path=str(checkpoint_path) if is_main else None,
        seed=seed,
        device=device,
        autocast_dtype=autocast_dtype_for(device_type),
    )

    torch.manual_seed(seed)
    model = code.model.GPT(model_config).to(device)
    use_compile = (recipe.compile and device_type == "cuda") if compile is None else compile
    trained_model = torch.compile(model) if use_compile else model
    if context is not None:
        trained_model = distributed.wrap(trained_model, context, device, grad_accum_steps=grad_accum_steps)

    tokens_per_step = recipe.batch_size * recipe.block_size * grad_accum_steps * world_size
    _print_summary(shown, recipe, prepared, model, device, train_config, use_compile, fused_attention, tokens_per_step, context)
    if is_main:
        out_dir.mkdir(parents=True, exist_ok=True)
    extra = {
        "preset": asdict(recipe),
        "model_config": asdict(model_config),
        "tokenizer": datasets_registry.tokenizer_to_dict(prepared.tokenizer),
        "dataset": recipe.dataset,
        "implementation": code.record(),
    }
    progress = TrainingProgress(
        total_steps=recipe.max_iters, tokens_per_step=tokens_per_step, plain=plain_output() or not is_main, console=shown
    )
    started = time.perf_counter()
    # On the CPU the only nondeterministic kernel here is the scatter-add behind
    # the embedding lookup's gradient; the deterministic one costs nothing
    # measurable and makes a run resumed in a new process equal, bit for bit,
    # to the run that never stopped. GPU runs keep torch's faster defaults.
    deterministic_before = torch.are_deterministic_algorithms_enabled()
    torch.use_deterministic_algorithms(deterministic_before or device_type == "cpu")
    try:
        with progress:
            history = code.training.train(
                trained_model,
                train_data,
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
    result = TrainResult(
        out_dir=out_dir,
        final_step=history_dict["step"][-1] if history_dict["step"] else -1,
        train_loss=history_dict["train_loss"][-1] if history_dict["train_loss"] else None,
        val_loss=history_dict["val_loss"][-1] if history_dict["val_loss"] else None,
        tokens_per_second=progress.tokens_per_second(),
        seconds=seconds,
        model=model,
    )
    if is_main:
        save_loss_curve(history_dict, out_dir / "loss.png", title=f"{recipe.name} on {recipe.dataset} ({recipe.tokenizer})")
        _write_metrics(result, recipe, code, device, world_size, out_dir / "metrics.json")
    val_text = f"{result.val_loss:.4f}" if result.val_loss is not None else "n/a"
    shown.print(
        f"done: step {result.final_step}, val loss {val_text}, "
        f"{result.tokens_per_second:,.0f} tokens/s, {seconds:.1f} s; checkpoint {checkpoint_path}, curve {out_dir / 'loss.png'}",
        soft_wrap=True,
    )
    if code.pieces and is_main:
        _print_sample(shown, code, model, prepared.tokenizer, device, seed)
    return result


def _choose_code(impl: str | None, *, resume: bool, recorded: dict | None, context: DistributedContext | None) -> ModelCode:
    """The code to train with: ``impl``'s for a fresh run, the checkpoint's ``recorded`` one on resume.

    Only rank 0 runs the public checks that decide the owners; the other
    ranks compose from its verdict, so every rank builds the same model.
    """
    if resume:
        code = _on_main_then_everywhere(lambda: code_from_record(recorded), context)
        if impl is not None and implementation_name(impl) != code.implementation:
            raise CourseError(
                f"the run being resumed was trained with --impl {code.implementation}; "
                f"resume it with that (or without --impl), not --impl {impl}"
            )
        return code
    if impl is None or impl == REFERENCE:
        return reference_code()
    return _on_main_then_everywhere(lambda: learner_code(impl), context)


def _on_main_then_everywhere(build, context: DistributedContext | None) -> ModelCode:
    """``build()`` on rank 0; the other ranks compose the same code from rank 0's pieces."""
    if context is None:
        return build()
    code = build() if context.is_main else None
    record = distributed.broadcast_from_main(code.record() if code is not None else None, context)
    if code is not None:
        return code
    if record["implementation"] == REFERENCE:
        return reference_code()
    return learner_code(record["implementation"], pieces=[Piece.from_json(piece) for piece in record["pieces"]])


def _print_summary(shown, recipe, prepared, model, device, train_config, use_compile, fused, tokens_per_step, context) -> None:
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
        f"{recipe.max_iters} steps of {tokens_per_step // recipe.block_size} x {recipe.block_size} tokens, "
        f"lr {recipe.max_lr:g} to {recipe.min_lr:g}, warmup {recipe.warmup_steps}",
    )
    speedups = [name for name, on in (("bf16 autocast", train_config.autocast_dtype), ("fused attention", fused), ("torch.compile", use_compile)) if on]
    where = device if context is None else f"{context.world_size} processes (DDP over {dist.get_backend()}), {device} on rank 0"
    table.add_row("device", where + (f" ({', '.join(speedups)})" if speedups else ""))
    shown.print(table)


def _print_sample(shown: Console, code: ModelCode, model: nn.Module, tokenizer, device: str, seed: int) -> None:
    """Continue a newline for ``SAMPLE_TOKENS`` tokens with the composed sampler, and print it."""
    generate = next(piece for piece in code.pieces if piece.name == "generate")
    generator = torch.Generator(device=device).manual_seed(seed)
    ids = torch.tensor([tokenizer.encode("\n")], dtype=torch.long, device=device)
    out = code.sampling.generate(model, ids, SAMPLE_TOKENS, temperature=0.8, top_k=200, top_p=None, generator=generator)
    who = "your" if generate.owner is Owner.YOURS else "the reference's"
    shown.print(f"[bold]sample[/] ({SAMPLE_TOKENS} tokens from {who} generate):")
    shown.print(tokenizer.decode(out[0].tolist()), markup=False, soft_wrap=True)


def _write_metrics(result: TrainResult, recipe: Preset, code: ModelCode, device: str, world_size: int, path: Path) -> None:
    record = {
        "preset": recipe.name,
        "dataset": recipe.dataset,
        "tokenizer": recipe.tokenizer,
        "device": device,
        "processes": world_size,
        "implementation": code.implementation,
        "pieces_yours": [piece.task for piece in code.pieces if piece.owner is Owner.YOURS],
        "parameters": result.model.num_parameters(),
        "final_step": result.final_step,
        "train_loss": result.train_loss,
        "val_loss": result.val_loss,
        "tokens_per_second": result.tokens_per_second,
        "seconds": result.seconds,
        "torch": torch.__version__,
    }
    atomic_write_json(path, record)
