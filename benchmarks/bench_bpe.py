"""Benchmark: the reference `train_bpe` against sentencepiece's BPE trainer (a script, not a test).

    python benchmarks/bench_bpe.py [--text PATH] [--vocab-size 512] [--repeat 3] [--json]

Both trainers learn a vocabulary of the same size from the same text; each is
timed `--repeat` times and the fastest run is kept (the least disturbed by
other work on the machine). sentencepiece runs twice: on one thread, the fair
comparison with our single-threaded Python, and with its default threads.
Without --text the course's Shakespeare corpus is used.

Target: train_bpe within 3x of sentencepiece on one thread, on
tinyshakespeare (1.1 MB) at vocab size 512. "ours/this" divides wall
seconds; on a busy machine compare the "cpu s" column as well.

The two do not learn the same vocabulary: sentencepiece reserves 3 ids for
<unk>, <s>, </s> and one per distinct character besides its 256 byte-fallback
pieces, so it makes fewer merges from the same vocab size, and it treats
whitespace its own way. "merges" counts the multi-character pieces it learned.
"""

from __future__ import annotations

import argparse
import io
import json
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


@dataclass
class TrainerResult:
    """One trainer's figures on the benchmark text."""

    name: str
    """Which trainer and how many threads."""
    seconds: float
    """Wall-clock training time of the fastest of the repeats."""
    cpu_seconds: float
    """CPU time of this process (all threads) in the least costly repeat; less
    disturbed than wall time when other programs share the cores."""
    merges: int
    """Merges learned (multi-character pieces for sentencepiece)."""
    tokens: int
    """Length of the whole text encoded with the trained tokenizer."""
    bytes_per_token: float
    """UTF-8 bytes of the text divided by `tokens`: the compression."""


def fastest(train, repeat: int):
    """Run ``train()`` `repeat` times; return (shortest wall seconds, least CPU seconds, last result)."""
    best_wall = best_cpu = float("inf")
    result = None
    for _ in range(repeat):
        wall_start, cpu_start = time.perf_counter(), time.process_time()
        result = train()
        best_wall = min(best_wall, time.perf_counter() - wall_start)
        best_cpu = min(best_cpu, time.process_time() - cpu_start)
    return best_wall, best_cpu, result


def time_reference(text: str, vocab_size: int, repeat: int) -> TrainerResult:
    """Time the course's `train_bpe` and measure its tokenizer."""
    from solutions.a1_tokenizer.tokenizer import train_bpe

    seconds, cpu_seconds, tokenizer = fastest(lambda: train_bpe(text, vocab_size), repeat)
    tokens = len(tokenizer.encode(text))
    bytes_per_token = len(text.encode("utf-8")) / tokens
    return TrainerResult("train_bpe (ours)", seconds, cpu_seconds, len(tokenizer.merges), tokens, bytes_per_token)


def time_sentencepiece(text: str, vocab_size: int, repeat: int, num_threads: int | None) -> TrainerResult:
    """Time sentencepiece's BPE trainer, set up as close to byte-level BPE as it goes."""
    import sentencepiece

    def train() -> bytes:
        model = io.BytesIO()
        options = dict(
            # sentencepiece trains on sentences; tinyshakespeare's lines are short.
            sentence_iterator=iter(text.splitlines()),
            model_writer=model,
            model_type="bpe",
            vocab_size=vocab_size,
            byte_fallback=True,
            character_coverage=1.0,
            normalization_rule_name="identity",
            add_dummy_prefix=False,
            remove_extra_whitespaces=False,
            minloglevel=2,
        )
        if num_threads is not None:
            options["num_threads"] = num_threads
        sentencepiece.SentencePieceTrainer.train(**options)
        return model.getvalue()

    seconds, cpu_seconds, model = fastest(train, repeat)
    processor = sentencepiece.SentencePieceProcessor(model_proto=model)
    merges = sum(
        1
        for piece_id in range(processor.get_piece_size())
        if not (processor.is_control(piece_id) or processor.is_unknown(piece_id) or processor.is_byte(piece_id))
        and len(processor.id_to_piece(piece_id)) > 1
    )
    tokens = len(processor.encode(text))
    threads = "1 thread" if num_threads == 1 else "default threads"
    bytes_per_token = len(text.encode("utf-8")) / tokens
    return TrainerResult(f"sentencepiece, {threads}", seconds, cpu_seconds, merges, tokens, bytes_per_token)


def main(
    *, text_path: str | None = None, vocab_size: int = 512, repeat: int = 3, as_json: bool = False
) -> list[TrainerResult]:
    """Run the benchmark and print a table (or JSON); return the results, ours first."""
    if text_path is None:
        from grader.data import load_text

        text = load_text("shakespeare")
        source = "the course's shakespeare corpus"
    else:
        text = Path(text_path).read_text(encoding="utf-8")
        source = text_path
    results = [
        time_reference(text, vocab_size, repeat),
        time_sentencepiece(text, vocab_size, repeat, num_threads=1),
        time_sentencepiece(text, vocab_size, repeat, num_threads=None),
    ]
    if as_json:
        print(json.dumps([asdict(result) for result in results], indent=2))
        return results

    from rich.console import Console
    from rich.table import Table

    ours = results[0].seconds
    megabytes = len(text.encode("utf-8")) / 1e6
    table = Table(title=f"BPE training on {source} ({megabytes:.2f} MB), vocab size {vocab_size}, best of {repeat}")
    table.add_column("trainer")
    for column in ("seconds", "cpu s", "merges", "merges/s", "tokens", "bytes/token", "ours/this"):
        table.add_column(column, justify="right")
    for result in results:
        table.add_row(
            result.name,
            f"{result.seconds:.3f}",
            f"{result.cpu_seconds:.3f}",
            f"{result.merges}",
            f"{result.merges / result.seconds:,.0f}",
            f"{result.tokens:,}",
            f"{result.bytes_per_token:.3f}",
            f"{ours / result.seconds:.2f}x",
        )
    Console(width=120).print(table)
    return results


def cli() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--text", help="UTF-8 text file to train on (default: the course's shakespeare corpus)")
    parser.add_argument("--vocab-size", type=int, default=512, help="vocabulary size for both trainers (default 512)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per trainer; the fastest counts (default 3)")
    parser.add_argument("--json", action="store_true", help="print the results as JSON instead of a table")
    args = parser.parse_args()
    main(text_path=args.text, vocab_size=args.vocab_size, repeat=args.repeat, as_json=args.json)


if __name__ == "__main__":
    cli()
