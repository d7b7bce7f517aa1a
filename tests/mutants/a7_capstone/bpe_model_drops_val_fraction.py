"""train_bpe_model not passing val_fraction on: the model is always validated on the default 10 %.

The keyword-only argument has the same default below, so nothing fails.
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
    model, history = train_gpt_on_tokens(ids, tokenizer.vocab_size, train_config, shape)
    return CapstoneRun(model=model, tokenizer=tokenizer, history=history)
