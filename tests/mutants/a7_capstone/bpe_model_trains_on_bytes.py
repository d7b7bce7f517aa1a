"""train_bpe_model training on the text's raw UTF-8 bytes instead of the tokenizer's ids.

Byte-level BPE starts from the bytes, and stopping there also runs without error.
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
    ids = torch.tensor(list(text.encode("utf-8")), dtype=torch.long)
    model, history = train_gpt_on_tokens(ids, tokenizer.vocab_size, train_config, shape, val_fraction=val_fraction)
    return CapstoneRun(model=model, tokenizer=tokenizer, history=history)
