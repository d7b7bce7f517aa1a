"""train_bpe_model sizing the GPT by the vocab_size asked for, not the tokenizer's (smaller when BPE stops early).

The two are equal on long texts, so the difference only shows when train_bpe runs out of pairs.
"""

import torch

TASK = "7.2"
KIND = "mutant"


def train_bpe_model(
    text: str,
    vocab_size: int,
    train_config: TrainConfig,
    shape: ModelShape | None = None,
    *,
    val_fraction: float = 0.1,
) -> CapstoneRun:
    """Train a GPT on byte-level BPE tokens of ``text``: a1's ``train_bpe``, then ``train_gpt_on_tokens``."""
    if not text:
        raise ValueError("text must not be empty")
    tokenizer = train_bpe(text, vocab_size)
    ids = torch.tensor(tokenizer.encode(text), dtype=torch.long)
    model, history = train_gpt_on_tokens(ids, vocab_size, train_config, shape, val_fraction=val_fraction)
    return CapstoneRun(model=model, tokenizer=tokenizer, history=history)
