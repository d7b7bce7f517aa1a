"""train_char_model not passing val_fraction on: train_gpt_on_tokens always holds out its default 10 %.

The keyword-only argument has the same default below, so nothing fails.
"""

import torch

TASK = "7.1"
KIND = "mutant"


def train_char_model(
    text: str,
    train_config: TrainConfig,
    shape: ModelShape | None = None,
    *,
    val_fraction: float = 0.1,
) -> CapstoneRun:
    """Train a character-level GPT on ``text``: a1's CharTokenizer, then ``train_gpt_on_tokens``."""
    if not text:
        raise ValueError("text must not be empty")
    tokenizer = CharTokenizer.from_text(text)
    ids = torch.tensor(tokenizer.encode(text), dtype=torch.long)
    model, history = train_gpt_on_tokens(ids, tokenizer.vocab_size, train_config, shape)
    return CapstoneRun(model=model, tokenizer=tokenizer, history=history)
