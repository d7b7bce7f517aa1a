"""Benchmark: the cpu-baby preset's validation loss and throughput (a script, not a test).

    python benchmarks/bench_train.py [--iters 2000] [--datasets shakespeare tinyshakespeare]

For each dataset it trains the reference GPT with ``course train``'s own code
path, then times nanoGPT's architecture built from torch's fused kernels
(benchmarks/nanogpt_baseline.py) on the same data and machine. Targets
(nanoGPT's published figures for the same config): val loss <= 1.88 on
tinyshakespeare-char, throughput on a par with the baseline.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import torch
from rich.console import Console
from rich.table import Table

sys.path.insert(0, str(Path(__file__).resolve().parent))

from nanogpt_baseline import baseline_tokens_per_second  # noqa: E402

from grader import data as datasets_registry  # noqa: E402
from grader.commands import train  # noqa: E402
from grader.presets import get_preset  # noqa: E402

TARGET_VAL_LOSS = {"tinyshakespeare": 1.88}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--preset", default="cpu-baby")
    parser.add_argument("--iters", type=int, default=2000, help="optimiser steps per run (default 2000)")
    parser.add_argument("--datasets", nargs="+", default=["shakespeare", "tinyshakespeare"])
    parser.add_argument("--baseline-steps", type=int, default=200, help="steps timed for the baseline")
    parser.add_argument("--data-dir", help="dataset cache folder (default: the course's)")
    args = parser.parse_args()

    console = Console()
    preset = get_preset(args.preset)
    table = Table(title=f"{args.preset}, {args.iters} steps, {torch.get_num_threads()} threads, torch {torch.__version__}")
    for column in ("dataset", "val loss", "target", "ours tok/s", "baseline tok/s", "ours / baseline", "wall s"):
        table.add_column(column, justify="right" if column != "dataset" else "left")
    for name in args.datasets:
        with tempfile.TemporaryDirectory() as out:
            result = train.main(preset=args.preset, dataset=name, max_iters=args.iters, out=Path(out) / "run", device="cpu", data_dir=args.data_dir)
        prepared = datasets_registry.prepare(name, tokenizer=preset.tokenizer, vocab_size=preset.vocab_size, cache_dir=args.data_dir)
        baseline = baseline_tokens_per_second(
            prepared.train,
            vocab_size=prepared.vocab_size,
            block_size=preset.block_size,
            n_layer=preset.n_layer,
            n_head=preset.n_head,
            d_model=preset.d_model,
            batch_size=preset.batch_size,
            steps=args.baseline_steps,
        )
        target = TARGET_VAL_LOSS.get(name)
        table.add_row(
            name,
            f"{result.val_loss:.4f}",
            f"<= {target}" if target else "-",
            f"{result.tokens_per_second:,.0f}",
            f"{baseline:,.0f}",
            f"{result.tokens_per_second / baseline:.2f}",
            f"{result.seconds:.0f}",
        )
    console.print(table)


if __name__ == "__main__":
    main()
