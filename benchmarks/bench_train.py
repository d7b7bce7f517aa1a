"""Benchmark: the cpu-baby preset's validation loss and throughput (a script, not a test).

    python benchmarks/bench_train.py [--iters 2000] [--datasets shakespeare tinyshakespeare] [--impl SPEC]

Quality: for each dataset it trains the GPT through ``course train``'s own
code path and reports the validation loss after ``--iters`` steps. Target
(nanoGPT's published figure for the same config): <= 1.88 on
tinyshakespeare-char.

``--impl`` trains ``course train --impl SPEC``'s model instead of the
reference: ``mine`` (assignments/), a tree's path, or ``alternatives``: a
copy of solutions/ with one correct alternative of tests/mutants applied to
every task that has one (einsum attention, LayerNorm from var and sqrt,
AdamW with folded bias correction, ...), the closest stand-in for a learner
who finished every piece in their own way. Its validation loss should match
the reference's within noise.

Speed: wall-clock throughput on a shared 2-core machine drifts by +-20% from
minute to minute, so the two contenders are timed in interleaved rounds in
one process, on the same batches: the reference's (or ``--impl``'s) full
training step (assignment 5's ``train_step``: get_batch, the hand-written
GPT, cross-entropy, clipping and AdamW) against nanoGPT's architecture built from
torch's fused kernels (benchmarks/nanogpt_baseline.py). The median round of
each is reported. Target: on a par with the baseline.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

import torch
from rich.console import Console
from rich.table import Table

sys.path.insert(0, str(Path(__file__).resolve().parent))

from nanogpt_baseline import BaselineGPT, baseline_optimizer, baseline_step, time_steps  # noqa: E402

from grader import data as datasets_registry  # noqa: E402
from grader.catalogue import EntryKind, apply_entry, load_catalogue  # noqa: E402
from grader.commands import train  # noqa: E402
from grader.composed import REFERENCE, ModelCode, learner_code, reference_code  # noqa: E402
from grader.paths import SOLUTIONS  # noqa: E402
from grader.pieces import MODEL_ASSIGNMENTS  # noqa: E402
from grader.presets import get_preset  # noqa: E402

TARGET_VAL_LOSS = {"tinyshakespeare": 1.88}
ALTERNATIVES = "alternatives"


def alternatives_tree(destination: Path) -> list[str]:
    """Write solutions/ to ``destination`` with the first correct alternative of every task applied; their names."""
    shutil.copytree(SOLUTIONS, destination, ignore=shutil.ignore_patterns("*.ipynb", "__pycache__"))
    applied: dict[str, str] = {}
    for entry in load_catalogue():
        if entry.kind is EntryKind.ALTERNATIVE and entry.assignment.id in MODEL_ASSIGNMENTS and entry.task.id not in applied:
            module = destination / entry.assignment.id / f"{entry.assignment.module}.py"
            module.write_text(apply_entry(module.read_text(), entry.path.read_text(), entry_name=str(entry.path)))
            applied[entry.task.id] = entry.name
    return list(applied.values())


def throughput(code: ModelCode, prepared, preset, *, rounds: int, steps: int, fused_attention: bool) -> tuple[float, float]:
    """Median tokens/s of (``code``'s train_step, baseline step) over interleaved rounds."""
    torch.manual_seed(0)
    shape = dict(block_size=preset.block_size, n_layer=preset.n_layer, n_head=preset.n_head, d_model=preset.d_model)
    training = code.training
    ours = code.model.GPT(code.model.GPTConfig(vocab_size=prepared.vocab_size, fused_attention=fused_attention, **shape))
    ours_optimizer = training.AdamW(training.optimizer_param_groups(ours, preset.weight_decay), lr=preset.max_lr, betas=(0.9, preset.beta2))
    config = training.TrainConfig(batch_size=preset.batch_size, block_size=preset.block_size, warmup_steps=1, max_iters=steps)
    baseline = BaselineGPT(prepared.vocab_size, **shape)
    optimizer = baseline_optimizer(baseline)
    ours_generator = torch.Generator().manual_seed(0)
    baseline_generator = torch.Generator().manual_seed(0)

    def our_step():
        training.train_step(ours, ours_optimizer, prepared.train, config, ours_generator)

    def their_step():
        x, y = training.get_batch(prepared.train, preset.batch_size, preset.block_size, generator=baseline_generator)
        baseline_step(baseline, optimizer, x, y)

    tokens = steps * preset.batch_size * preset.block_size
    time_steps(our_step, 10), time_steps(their_step, 10)  # warm-up: allocator, first-call setup
    ours_rates, their_rates = [], []
    for _ in range(rounds):
        ours_rates.append(tokens / time_steps(our_step, steps))
        their_rates.append(tokens / time_steps(their_step, steps))
    return statistics.median(ours_rates), statistics.median(their_rates)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--preset", default="cpu-baby")
    parser.add_argument("--iters", type=int, default=2000, help="optimiser steps per training run (default 2000)")
    parser.add_argument("--datasets", nargs="+", default=["shakespeare", "tinyshakespeare"])
    parser.add_argument("--rounds", type=int, default=5, help="interleaved timing rounds (default 5)")
    parser.add_argument("--round-steps", type=int, default=50, help="steps per timing round (default 50)")
    parser.add_argument("--data-dir", help="dataset cache folder (default: the course's)")
    parser.add_argument(
        "--impl", default=REFERENCE,
        help=f"whose code trains: {REFERENCE} (default), mine, a tree's path, or {ALTERNATIVES} (see above)",
    )
    args = parser.parse_args()

    console = Console(width=120)
    with tempfile.TemporaryDirectory() as scratch:
        impl = args.impl
        if impl == ALTERNATIVES:
            impl = str(Path(scratch) / "alternatives")
            console.print("alternatives applied: " + ", ".join(alternatives_tree(Path(impl))))
        code = reference_code() if impl == REFERENCE else learner_code(impl)
        run(args, impl, code, console)


def run(args: argparse.Namespace, impl: str, code: ModelCode, console: Console) -> None:
    """Train on each dataset with ``impl``, time ``code``'s step against the baseline, print the table."""
    preset = get_preset(args.preset)
    title = f"{args.preset}, --impl {args.impl}: {args.iters} steps, {torch.get_num_threads()} threads, torch {torch.__version__}"
    table = Table(title=title, title_justify="left")
    table.add_column("dataset", no_wrap=True)
    for column in ("val loss", "target", "train s", "ours tok/s", "ours fused-attn tok/s", "baseline tok/s", "ours / baseline"):
        table.add_column(column, justify="right")
    for name in args.datasets:
        with tempfile.TemporaryDirectory() as out:
            result = train.main(
                preset=args.preset, dataset=name, max_iters=args.iters, out=Path(out) / "run", device="cpu", data_dir=args.data_dir, impl=impl
            )
        prepared = datasets_registry.prepare(name, tokenizer=preset.tokenizer, vocab_size=preset.vocab_size, cache_dir=args.data_dir)
        ours, baseline = throughput(code, prepared, preset, rounds=args.rounds, steps=args.round_steps, fused_attention=False)
        ours_fused, _ = throughput(code, prepared, preset, rounds=args.rounds, steps=args.round_steps, fused_attention=True)
        target = TARGET_VAL_LOSS.get(name)
        table.add_row(
            name,
            f"{result.val_loss:.4f}",
            f"<= {target}" if target else "-",
            f"{result.seconds:.0f}",
            f"{ours:,.0f}",
            f"{ours_fused:,.0f}",
            f"{baseline:,.0f}",
            f"{ours / baseline:.2f}",
        )
    console.print(table)


if __name__ == "__main__":
    main()
