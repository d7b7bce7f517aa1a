"""Benchmark: the cpu-baby preset's validation loss and throughput (a script, not a test).

    python benchmarks/bench_train.py [--iters 2000] [--datasets shakespeare tinyshakespeare]

Quality: for each dataset it trains the reference GPT through ``course
train``'s own code path and reports the validation loss after ``--iters``
steps. Target (nanoGPT's published figure for the same config): <= 1.88 on
tinyshakespeare-char.

Speed: wall-clock throughput on a shared 2-core machine drifts by +-20% from
minute to minute, so the two contenders are timed in interleaved rounds in
one process, on the same batches: the reference's full training step
(assignment 5's ``train_step``: get_batch, the hand-written GPT,
cross-entropy, clipping and AdamW) against nanoGPT's architecture built from
torch's fused kernels (benchmarks/nanogpt_baseline.py). The median round of
each is reported. Target: on a par with the baseline.
"""

from __future__ import annotations

import argparse
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
from grader.commands import train  # noqa: E402
from grader.presets import get_preset  # noqa: E402
from solutions.a4_transformer.model import GPT, GPTConfig  # noqa: E402
from solutions.a5_training.training import AdamW, TrainConfig, get_batch, optimizer_param_groups, train_step  # noqa: E402

TARGET_VAL_LOSS = {"tinyshakespeare": 1.88}


def throughput(prepared, preset, *, rounds: int, steps: int, fused_attention: bool) -> tuple[float, float]:
    """Median tokens/s of (reference train_step, baseline step) over interleaved rounds."""
    torch.manual_seed(0)
    shape = dict(block_size=preset.block_size, n_layer=preset.n_layer, n_head=preset.n_head, d_model=preset.d_model)
    ours = GPT(GPTConfig(vocab_size=prepared.vocab_size, fused_attention=fused_attention, **shape))
    ours_optimizer = AdamW(optimizer_param_groups(ours, preset.weight_decay), lr=preset.max_lr, betas=(0.9, preset.beta2))
    config = TrainConfig(batch_size=preset.batch_size, block_size=preset.block_size, warmup_steps=1, max_iters=steps)
    baseline = BaselineGPT(prepared.vocab_size, **shape)
    optimizer = baseline_optimizer(baseline)
    ours_generator = torch.Generator().manual_seed(0)
    baseline_generator = torch.Generator().manual_seed(0)

    def our_step():
        train_step(ours, ours_optimizer, prepared.train, config, ours_generator)

    def their_step():
        x, y = get_batch(prepared.train, preset.batch_size, preset.block_size, generator=baseline_generator)
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
    args = parser.parse_args()

    console = Console(width=120)
    preset = get_preset(args.preset)
    table = Table(title=f"{args.preset}: {args.iters} steps, {torch.get_num_threads()} threads, torch {torch.__version__}", title_justify="left")
    table.add_column("dataset", no_wrap=True)
    for column in ("val loss", "target", "train s", "ours tok/s", "ours fused-attn tok/s", "baseline tok/s", "ours / baseline"):
        table.add_column(column, justify="right")
    for name in args.datasets:
        with tempfile.TemporaryDirectory() as out:
            result = train.main(preset=args.preset, dataset=name, max_iters=args.iters, out=Path(out) / "run", device="cpu", data_dir=args.data_dir)
        prepared = datasets_registry.prepare(name, tokenizer=preset.tokenizer, vocab_size=preset.vocab_size, cache_dir=args.data_dir)
        ours, baseline = throughput(prepared, preset, rounds=args.rounds, steps=args.round_steps, fused_attention=False)
        ours_fused, _ = throughput(prepared, preset, rounds=args.rounds, steps=args.round_steps, fused_attention=True)
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
