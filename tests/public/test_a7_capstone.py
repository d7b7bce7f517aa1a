"""Public checks of assignment 7: the GPT of your own pieces, trained end to end, and its attention maps.

The runs here are tiny (one block of width 16, 30 steps) so that they take
about a second; your real runs are in the notebook. Each test takes the
``seeded`` fixture: training reseeds torch's global random generator, and the
fixture puts it back as it was afterwards.
"""

from __future__ import annotations

import math

import pytest
import torch

from grader.testing import assert_close, assert_equal, assert_raises, assert_shape, assert_true
from tests.stand_ins import AttentionWeightsRecorder

# Tiny tensors: one torch thread is fastest, and immune to a busy machine.
pytestmark = pytest.mark.usefixtures("single_thread")

VERSE = "to be or not to be, that is the question. " * 20


def tiny_shape(impl):
    return impl.a7.ModelShape(n_layer=1, n_head=2, d_model=16)


def tiny_config(impl, **overrides):
    settings = dict(max_iters=30, batch_size=4, block_size=16, warmup_steps=2, max_lr=1e-2, eval_interval=15, eval_iters=2)
    settings.update(overrides)
    return impl.a5.TrainConfig(**settings)


# ---------------------------------------------------------------- Task 7.1


@pytest.mark.task7_1
def test_char_model_learns_the_verse(impl, seeded):
    """Does train_char_model return a CapstoneRun whose GPT's validation loss falls below the uniform guess log V?"""
    run = impl.a7.train_char_model(VERSE, tiny_config(impl), tiny_shape(impl))
    assert_true(isinstance(run, impl.a7.CapstoneRun), f"train_char_model returned a {type(run).__name__}, expected a CapstoneRun")
    assert_true(isinstance(run.model, impl.a4.GPT), f"run.model is a {type(run.model).__name__}, expected your GPT")
    assert_true(isinstance(run.tokenizer, impl.a1.CharTokenizer), f"run.tokenizer is a {type(run.tokenizer).__name__}, expected a CharTokenizer")
    vocab_size = len(set(VERSE))
    assert_equal(run.model.config.vocab_size, vocab_size, what="the model's vocab_size", hint="one id per distinct character: CharTokenizer.from_text(text).vocab_size")
    assert_equal(run.model.config.block_size, 16, what="the model's block_size", hint="take block_size from the TrainConfig")
    losses = run.history.val_loss
    assert_true(
        losses[-1] < losses[0] and losses[-1] < math.log(vocab_size), f"validation losses {[round(loss, 3) for loss in losses]} did not fall below log V = {math.log(vocab_size):.3f}",
        hint="train(model, train_ids, val_ids, train_config) on the encoded text; check a5 first",
    )


@pytest.mark.task7_1
def test_char_model_is_ready_to_sample(impl, seeded):
    """Is the returned model in eval mode, and does the same config give the same training losses?"""
    config = tiny_config(impl, max_iters=3, eval_interval=3)
    first = impl.a7.train_char_model(VERSE, config, tiny_shape(impl))
    second = impl.a7.train_char_model(VERSE, config, tiny_shape(impl))
    assert_true(not first.model.training, "the returned model is in train mode", hint="call model.eval() after training")
    assert_close(first.history.loss, second.history.loss, atol=0, rtol=0, what="training losses of two runs with the same config", hint="seed torch with train_config.seed before building the GPT")


@pytest.mark.task7_1
def test_char_model_refuses_empty_text(impl):
    """Is empty text a ValueError?"""
    with assert_raises(ValueError, what='train_char_model("")'):
        impl.a7.train_char_model("", tiny_config(impl), tiny_shape(impl))


# ---------------------------------------------------------------- Task 7.2


@pytest.mark.task7_2
def test_bpe_model_learns_on_its_own_tokens(impl, seeded):
    """Does train_bpe_model learn a 280-token BPE from the text and train a GPT over those ids whose loss falls?"""
    run = impl.a7.train_bpe_model(VERSE, 280, tiny_config(impl, block_size=8), tiny_shape(impl))
    assert_true(isinstance(run.tokenizer, impl.a1.BPETokenizer), f"run.tokenizer is a {type(run.tokenizer).__name__}, expected a BPETokenizer")
    assert_equal(run.tokenizer.vocab_size, 280, what="the tokenizer's vocab_size", hint="train_bpe(text, vocab_size)")
    assert_equal(run.model.config.vocab_size, 280, what="the model's vocab_size", hint="the model needs a row for every tokenizer id")
    losses = run.history.val_loss
    assert_true(losses[-1] < losses[0], f"validation losses {[round(loss, 3) for loss in losses]} did not fall", hint="encode the whole text with the trained tokenizer, then train as in 7.1")


@pytest.mark.task7_2
def test_bpe_model_refuses_empty_text(impl):
    """Is empty text a ValueError?"""
    with assert_raises(ValueError, what='train_bpe_model("", 280, ...)'):
        impl.a7.train_bpe_model("", 280, tiny_config(impl), tiny_shape(impl))


# ---------------------------------------------------------------- Task 7.3


def tiny_gpt(impl):
    return impl.a4.GPT(impl.a4.GPTConfig(vocab_size=12, block_size=8, n_layer=2, n_head=2, d_model=16))


@pytest.mark.task7_3
def test_attention_maps_are_causal_distributions(impl, seeded):
    """Are the maps (n_layer, B, n_head, T, T), every row summing to 1, with zeros above the diagonal?"""
    model = tiny_gpt(impl)
    ids = torch.randint(12, (3, 6), generator=torch.Generator().manual_seed(1))
    maps = impl.a7.attention_maps(model, ids)
    assert_shape(maps, (2, 3, 2, 6, 6), what="attention_maps(model with 2 layers and 2 heads, ids (3, 6))", hint="stack one (B, n_head, T, T) tensor per block")
    assert_close(maps.sum(-1), torch.ones(2, 3, 2, 6), atol=1e-5, rtol=0, what="row sums of the maps")
    assert_close(maps.triu(1), torch.zeros(2, 3, 2, 6, 6), atol=0, rtol=0, what="the maps above the diagonal (later positions)")


@pytest.mark.task7_3
def test_attention_maps_are_the_weights_each_block_computes(impl, seeded):
    """Are the maps what each block's attention returns with return_weights=True inside a normal forward pass?"""
    model = tiny_gpt(impl)
    model.train()
    ids = torch.randint(12, (2, 5), generator=torch.Generator().manual_seed(2))
    recorder = AttentionWeightsRecorder()
    hooks = [block.attn.register_forward_hook(recorder) for block in model.blocks]
    try:
        model.eval()
        with torch.no_grad():
            model(ids)
    finally:
        for hook in hooks:
            hook.remove()
    model.train()
    maps = impl.a7.attention_maps(model, ids)
    assert_close(maps, torch.stack(recorder.weights), atol=1e-6, rtol=1e-5, what="attention_maps(model, ids)", hint="feed each block's attention block.ln1(x), then move on with x = block(x)")
    assert_true(model.training, "attention_maps left the model in eval mode", hint="restore the mode it was in afterwards")


@pytest.mark.task7_3
def test_attention_maps_refuse_too_long_inputs(impl, seeded):
    """Are 9 tokens for block_size 8 a ValueError naming both numbers?"""
    model = tiny_gpt(impl)
    with assert_raises(ValueError, what="attention_maps on 9 tokens with block_size=8", mentions=["9", "8"]):
        impl.a7.attention_maps(model, torch.zeros(1, 9, dtype=torch.long))
