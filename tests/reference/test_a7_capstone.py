"""Tests of the reference capstone (assignment 7): the GPT of all the pieces, trained end to end."""

from __future__ import annotations

import pytest
import torch

from solutions.a1_tokenizer.tokenizer import BPETokenizer, CharTokenizer
from solutions.a4_transformer.model import GPT, GPTConfig
from solutions.a5_training.training import TrainConfig
from solutions.a7_capstone.capstone import (
    CapstoneRun,
    ModelShape,
    attention_maps,
    split_tokens,
    train_bpe_model,
    train_char_model,
    train_gpt_on_tokens,
)

VERSE = (
    "First Citizen:\nBefore we proceed any further, hear me speak.\n\n"
    "All:\nSpeak, speak.\n\n"
    "First Citizen:\nYou are all resolved rather to die than to famish?\n\n"
) * 30
TINY = ModelShape(n_layer=2, n_head=2, d_model=32)


def tiny_config(**overrides) -> TrainConfig:
    settings = dict(max_iters=60, batch_size=8, block_size=24, warmup_steps=4, max_lr=5e-3, eval_interval=30, eval_iters=4)
    settings.update(overrides)
    return TrainConfig(**settings)


@pytest.fixture(scope="module")
def char_run() -> CapstoneRun:
    """One tiny character-level run, shared by the read-only tests."""
    return train_char_model(VERSE, tiny_config(), TINY)


def test_split_is_contiguous_and_sized_by_the_fraction():
    """Does split_tokens keep the first 90% for training and the rest, in order, for validation?"""
    train_ids, val_ids = split_tokens(torch.arange(100))
    assert torch.equal(train_ids, torch.arange(90)) and torch.equal(val_ids, torch.arange(90, 100))
    for bad in (0.0, 1.0, -0.5):
        with pytest.raises(ValueError, match="val_fraction"):
            split_tokens(torch.arange(10), bad)


def test_char_run_learns_and_returns_an_eval_model_with_its_tokenizer(char_run):
    """Does the char model's loss fall well below the uniform guess ln(V), and come back ready to sample?"""
    assert isinstance(char_run.tokenizer, CharTokenizer)
    assert char_run.model.config.vocab_size == char_run.tokenizer.vocab_size == len(set(VERSE))
    uniform = torch.log(torch.tensor(float(char_run.tokenizer.vocab_size))).item()
    assert char_run.history.val_loss[0] > uniform - 0.5
    assert char_run.history.val_loss[-1] < uniform - 1.0
    assert not char_run.model.training
    text = char_run.complete("First", max_new_tokens=20, seed=3)
    assert text.startswith("First") and len(text) == len("First") + 20
    assert text == char_run.complete("First", max_new_tokens=20, seed=3)


def test_same_config_same_run():
    """Is a capstone run reproducible: same seed, same initial weights, same losses?"""
    config = tiny_config(max_iters=5, eval_interval=5)
    first = train_char_model(VERSE, config, TINY)
    second = train_char_model(VERSE, config, TINY)
    assert first.history.loss == second.history.loss


def test_bpe_run_uses_a_trained_byte_level_tokenizer():
    """Does train_bpe_model learn vocab_size - 256 merges from the text and train a model over them?"""
    run = train_bpe_model(VERSE, 280, tiny_config(block_size=16), TINY)
    assert isinstance(run.tokenizer, BPETokenizer)
    assert run.tokenizer.vocab_size == 280 and len(run.tokenizer.merges) == 24
    assert run.model.config.vocab_size == 280
    assert run.history.val_loss[-1] < run.history.val_loss[0]


def test_too_little_text_names_the_lengths():
    """Is a validation split shorter than a window an error naming both lengths?"""
    with pytest.raises(ValueError, match=r"validation split has 10 tokens, but block_size=24"):
        train_gpt_on_tokens(torch.zeros(100, dtype=torch.long), 5, tiny_config(), TINY)
    with pytest.raises(ValueError, match="empty"):
        train_char_model("", tiny_config(), TINY)


def captured_weights(model: GPT, ids: torch.Tensor) -> list[torch.Tensor]:
    """The weights each block's attention computes inside GPT.forward, caught with forward hooks."""
    inputs_seen = []
    handles = [
        block.attn.register_forward_pre_hook(lambda attention, inputs: inputs_seen.append((attention, inputs[0])))
        for block in model.blocks
    ]
    try:
        with torch.no_grad():
            model(ids)
    finally:
        for handle in handles:
            handle.remove()
    with torch.no_grad():
        return [attention(x, return_weights=True)[1] for attention, x in inputs_seen]


@pytest.mark.parametrize("pos_encoding", ["learned", "sinusoidal"])
def test_attention_maps_equal_the_weights_inside_the_forward_pass(pos_encoding):
    """Are the maps exactly what each block's attention sees in a real forward pass, rows summing to 1, causal?"""
    torch.manual_seed(0)
    model = GPT(GPTConfig(vocab_size=11, block_size=8, n_layer=3, n_head=2, d_model=16, dropout=0.2, pos_encoding=pos_encoding))
    model.eval()
    ids = torch.randint(11, (2, 7), generator=torch.Generator().manual_seed(1))
    maps = attention_maps(model, ids)
    assert maps.shape == (3, 2, 2, 7, 7)
    expected = torch.stack(captured_weights(model, ids))
    torch.testing.assert_close(maps, expected, atol=1e-6, rtol=1e-6)
    torch.testing.assert_close(maps.sum(-1), torch.ones(3, 2, 2, 7), atol=1e-5, rtol=0)
    assert torch.count_nonzero(maps.triu(diagonal=1)) == 0


def test_attention_maps_restore_training_mode_and_check_the_input():
    """Does attention_maps leave a training model training, and refuse 1-D or too long input?"""
    model = GPT(GPTConfig(vocab_size=5, block_size=4, n_layer=1, n_head=1, d_model=8))
    model.train()
    attention_maps(model, torch.zeros(1, 3, dtype=torch.long))
    assert model.training
    with pytest.raises(ValueError, match=r"shape \(B, T\)"):
        attention_maps(model, torch.zeros(3, dtype=torch.long))
    with pytest.raises(ValueError, match="T=5 is longer than block_size=4"):
        attention_maps(model, torch.zeros(1, 5, dtype=torch.long))
