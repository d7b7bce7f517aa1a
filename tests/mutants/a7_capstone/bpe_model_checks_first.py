"""train_bpe_model checking vocab_size itself before training, and sizing the model by len(tokenizer.vocab).

A careful student validates arguments up front and counts the vocabulary directly.
"""

import torch

TASK = "7.2"
KIND = "alternative"


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
    if vocab_size < 256:
        raise ValueError(f"vocab_size={vocab_size} must be at least 256, the number of byte values")
    tokenizer = train_bpe(text, vocab_size)
    ids = torch.tensor(tokenizer.encode(text), dtype=torch.long)
    model, history = train_gpt_on_tokens(ids, len(tokenizer.vocab), train_config, shape, val_fraction=val_fraction)
    return CapstoneRun(model=model, tokenizer=tokenizer, history=history)
