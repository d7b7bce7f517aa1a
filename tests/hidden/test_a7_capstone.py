"""Hidden checks of assignment 7: the capstone's wiring, and its attention maps against the reference.

Tasks 7.1 and 7.2 glue earlier pieces together, so they are checked as
wiring: the run a student's function makes must be, bit for bit, the run the
docstring describes when it is built here from the student's *own* pieces
(their tokenizer, GPT and train loop). A bug in a1-a6 then costs points there,
not here; a bug in the glue (the split, the seed, the config, the tokenizer,
an argument not passed on) shows as a different history or different weights.
Task 7.3 is compared with the reference: the reference's randomised weights
are loaded into the student's GPT, and both compute the maps.

The runs are tiny (one or two blocks of width 16, a few steps) and use one
torch thread, so each takes a fraction of a second and is deterministic.
"""

from __future__ import annotations

import pytest
import torch

from grader.testing import assert_equal, assert_raises, assert_shape, assert_true, fail
from tests.hidden.support import DEVICES, assert_matches_reference, copy_weights, random_ids, randomise_parameters

# Tiny tensors: one torch thread is fastest, and immune to a busy machine.
pytestmark = pytest.mark.usefixtures("single_thread")


def corpus(words: int, *, seed: int) -> str:
    """A reproducible text of ``words`` words drawn from a small vocabulary with a few non-ASCII characters.

    Drawn at random so that its training and validation parts differ (a
    repeated verse would hide a wrong split), and small enough in distinct
    words that byte-level BPE runs out of pairs before 400 ids.
    """
    vocabulary = ["to", "be", "or", "not", "that", "is", "the", "question", "whether", "’tis",
                  "nobler", "in", "mind", "café", "and", "suffer"]
    picks = torch.randint(len(vocabulary), (words,), generator=torch.Generator().manual_seed(seed)).tolist()
    return " ".join(vocabulary[pick] for pick in picks) + "."


TEXT = corpus(130, seed=7)


def tiny_config(impl, **overrides):
    settings = dict(max_iters=6, batch_size=2, block_size=8, warmup_steps=1, max_lr=1e-2, eval_interval=3, eval_iters=1, seed=11)
    settings.update(overrides)
    return impl.a5.TrainConfig(**settings)


def tiny_shape(impl, **overrides):
    settings = dict(n_layer=1, n_head=2, d_model=16, dropout=0.0)
    settings.update(overrides)
    return impl.a7.ModelShape(**settings)


def run_as_documented(impl, ids: torch.Tensor, vocab_size: int, config, shape, *, val_fraction: float):
    """``train_gpt_on_tokens``'s documented steps, made here from the student's own split_tokens, GPT and train."""
    train_ids, val_ids = impl.a7.split_tokens(ids, val_fraction)
    gpt_config = impl.a4.GPTConfig(
        vocab_size=vocab_size, block_size=config.block_size,
        n_layer=shape.n_layer, n_head=shape.n_head, d_model=shape.d_model, dropout=shape.dropout,
    )
    torch.manual_seed(config.seed)
    model = impl.a4.GPT(gpt_config)
    history = impl.a5.train(model, train_ids, val_ids, config)
    model.eval()
    return model, history


def assert_same_run(model, history, expected_model, expected_history, *, what: str, hint: str) -> None:
    """The two runs have the same history and end with the same weights, exactly (same code, same seeds, one thread)."""
    __tracebackhide__ = True
    assert_equal(history.to_dict(), expected_history.to_dict(), what=f"{what}: the TrainHistory", hint=hint, show_expected=False)
    expected_state = expected_model.state_dict()
    state = model.state_dict()
    assert_equal(sorted(state), sorted(expected_state), what=f"{what}: the names of the model's weights", hint=hint)
    for name, value in expected_state.items():
        assert_equal(state[name], value, what=f"{what}: the trained {name}", hint=hint, show_expected=False)


# The fields of GPTConfig that assignment 4 documents.
GPT_CONFIG_FIELDS = ("vocab_size", "block_size", "n_layer", "n_head", "d_model", "d_ff", "dropout", "pos_encoding", "tie_weights", "fused_attention")


def config_fields(config) -> dict:
    """The fields of a GPTConfig as a dict (read one by one: the student's config may live in a grading worker)."""
    return {name: getattr(config, name) for name in GPT_CONFIG_FIELDS}


# ---------------------------------------------------------------- Task 7.1


@pytest.mark.task7_1
def test_char_run_builds_the_documented_model(impl, seeded):
    """Does train_char_model build a GPT for every character of the text, with block_size from the TrainConfig and the shape's sizes and dropout?"""
    shape = tiny_shape(impl, n_layer=2, n_head=4, dropout=0.1)
    run = impl.a7.train_char_model(TEXT, tiny_config(impl, max_iters=1), shape, val_fraction=0.3)
    tokenizer = impl.a1.CharTokenizer.from_text(TEXT)
    expected = impl.a4.GPTConfig(vocab_size=tokenizer.vocab_size, block_size=8, n_layer=2, n_head=4, d_model=16, dropout=0.1)
    assert_equal(
        config_fields(run.model.config), config_fields(expected), what="the GPTConfig of train_char_model(text, TrainConfig(block_size=8), ModelShape(2, 4, 16, dropout=0.1))",
        hint="GPTConfig(vocab_size=tokenizer.vocab_size, block_size=train_config.block_size, n_layer, n_head, d_model and dropout from the shape)",
    )
    assert_equal(run.tokenizer.encode(TEXT), tokenizer.encode(TEXT), what="run.tokenizer.encode(text)", hint="CharTokenizer.from_text(text) over the whole text", show_expected=False)
    assert_equal(run.tokenizer.decode(run.tokenizer.encode(TEXT)), TEXT, what="run.tokenizer.decode(run.tokenizer.encode(text))", show_expected=False)


@pytest.mark.task7_1
def test_char_run_is_the_documented_run(impl, seeded):
    """With val_fraction=0.3 and dropout, is the char run exactly split_tokens + seeded GPT + train, made from your own pieces?"""
    config, shape = tiny_config(impl), tiny_shape(impl, dropout=0.1)
    run = impl.a7.train_char_model(TEXT, config, shape, val_fraction=0.3)
    tokenizer = impl.a1.CharTokenizer.from_text(TEXT)
    ids = torch.tensor(tokenizer.encode(TEXT), dtype=torch.long)
    model, history = run_as_documented(impl, ids, tokenizer.vocab_size, config, shape, val_fraction=0.3)
    assert_same_run(
        run.model, run.history, model, history, what="train_char_model(text, config, shape, val_fraction=0.3)",
        hint="split with split_tokens(ids, val_fraction) (train first, validation last), pass val_fraction on, "
        "torch.manual_seed(train_config.seed) right before GPT(config), then train(model, train_ids, val_ids, train_config)",
    )


@pytest.mark.task7_1
def test_char_run_does_not_depend_on_the_global_seed(impl, seeded):
    """Do two char runs with the same TrainConfig end with the same weights whatever torch's global seed was before?"""
    config, shape = tiny_config(impl, max_iters=1), tiny_shape(impl)
    torch.manual_seed(1)
    first = impl.a7.train_char_model(TEXT, config, shape)
    torch.manual_seed(2)
    second = impl.a7.train_char_model(TEXT, config, shape)
    for name, value in first.model.state_dict().items():
        assert_true(
            torch.equal(value, second.model.state_dict()[name]), f"{name} differs between two runs of the same TrainConfig started from different global seeds",
            hint="call torch.manual_seed(train_config.seed) before building the GPT, so its initial weights follow the config",
        )


@pytest.mark.task7_1
def test_char_run_uses_model_shape_by_default(impl, seeded):
    """Without a shape, is the GPT built with ModelShape()'s defaults (4 blocks, 4 heads, width 128)?"""
    run = impl.a7.train_char_model(TEXT, tiny_config(impl, max_iters=1, batch_size=1), None)
    default = impl.a7.ModelShape()
    for field in ("n_layer", "n_head", "d_model", "dropout"):
        assert_equal(getattr(run.model.config, field), getattr(default, field), what=f"run.model.config.{field} with shape=None", hint="shape = ModelShape() when shape is None")


@pytest.mark.task7_1
def test_char_run_trains_on_the_shortest_validation_split(impl, seeded):
    """Does a 90-character text with val_fraction=0.1 (9 validation tokens, block_size 8: the fewest that work) train?"""
    text = TEXT[:90]
    run = impl.a7.train_char_model(text, tiny_config(impl, max_iters=1), tiny_shape(impl), val_fraction=0.1)
    assert_equal(len(run.history.val_loss), 1, what="evaluations in a 1-step run on a validation split of block_size + 1 tokens", hint="refuse only when len(val_ids) <= block_size: block_size + 1 tokens give one window and its targets")


@pytest.mark.task7_1
def test_char_run_refuses_a_too_short_validation_split(impl, seeded):
    """Is a 70-character text with val_fraction=0.1 (7 validation tokens for block_size 8) a ValueError naming 7 and 8?"""
    with assert_raises(ValueError, what="train_char_model on 70 characters, val_fraction=0.1, block_size=8", mentions=["7", "8"]):
        impl.a7.train_char_model(TEXT[:70], tiny_config(impl, max_iters=1), tiny_shape(impl), val_fraction=0.1)


# ---------------------------------------------------------------- Task 7.2


@pytest.mark.task7_2
def test_bpe_run_is_the_documented_run(impl, seeded):
    """Is the BPE run exactly train_bpe(text, vocab_size), the whole text encoded, then train_gpt_on_tokens with the tokenizer's vocab_size and every argument?"""
    config, shape = tiny_config(impl), tiny_shape(impl, n_layer=2)
    # The same global seed before both runs, so a seeding slip in train_gpt_on_tokens (Task 7.1) costs nothing here.
    torch.manual_seed(0)
    # 400 ids asked for, but this text runs out of pairs sooner: the model must size itself by the tokenizer.
    run = impl.a7.train_bpe_model(TEXT, 400, config, shape, val_fraction=0.3)
    tokenizer = impl.a1.train_bpe(TEXT, 400)
    hint = "tokenizer = train_bpe(text, vocab_size); ids = the whole text encoded; train_gpt_on_tokens(ids, tokenizer.vocab_size, train_config, shape, val_fraction=val_fraction)"
    assert_equal(run.tokenizer.merges, tokenizer.merges, what="run.tokenizer.merges", hint=hint, show_expected=False)
    assert_equal(run.model.config.vocab_size, tokenizer.vocab_size, what="the model's vocab_size for a tokenizer that stopped early", hint="size the model by tokenizer.vocab_size: train_bpe may learn fewer merges than asked")
    ids = torch.tensor(tokenizer.encode(TEXT), dtype=torch.long)
    torch.manual_seed(0)
    model, history = impl.a7.train_gpt_on_tokens(ids, tokenizer.vocab_size, config, shape, val_fraction=0.3)
    assert_same_run(run.model, run.history, model, history, what="train_bpe_model(text, 400, config, shape, val_fraction=0.3)", hint=hint)


@pytest.mark.task7_2
def test_bpe_run_refuses_a_vocabulary_below_the_bytes(impl, seeded):
    """Is vocab_size=255 (fewer ids than the 256 bytes) a ValueError naming 255?"""
    with assert_raises(ValueError, what="train_bpe_model(text, 255, ...)", mentions=["255"]):
        impl.a7.train_bpe_model(TEXT, 255, tiny_config(impl, max_iters=1), tiny_shape(impl))


# ---------------------------------------------------------------- Task 7.3

MAP_CASES = {
    "1-layer-learned": (dict(vocab_size=12, block_size=8, n_layer=1, n_head=2, d_model=16), (2, 6)),
    "3-layers-sinusoidal-full-block": (dict(vocab_size=10, block_size=6, n_layer=3, n_head=4, d_model=16, pos_encoding="sinusoidal"), (3, 6)),
    "2-layers-fused-one-sequence": (dict(vocab_size=9, block_size=8, n_layer=2, n_head=2, d_model=8, fused_attention=True), (1, 5)),
}




def gpt_twins(impl, ref, settings: dict, *, seed: int):
    """The student's GPT and the reference's GPT for ``settings``, both holding the reference's randomised weights."""
    student = impl.a4.GPT(impl.a4.GPTConfig(**settings))
    reference = ref.a4.GPT(ref.a4.GPTConfig(**settings))
    randomise_parameters(reference, seed=seed)
    copy_weights(reference, student, what=f"GPT(GPTConfig({settings}))")
    return student, reference


@pytest.mark.task7_3
@pytest.mark.parametrize("case", list(MAP_CASES), ids=str)
def test_attention_maps_match_reference(impl, ref, seeded, case):
    """With the reference's weights in your GPT, are the attention maps the reference's, for several depths, encodings and lengths?"""
    settings, (B, T) = MAP_CASES[case]
    student, reference = gpt_twins(impl, ref, settings, seed=50)
    ids = random_ids(B, T, vocab_size=settings["vocab_size"], seed=51)
    maps = impl.a7.attention_maps(student, ids)
    assert_shape(maps, (settings["n_layer"], B, settings["n_head"], T, T), what=f"attention_maps of a GPT ({case}) on ids {(B, T)}", hint="torch.stack the (B, n_head, T, T) weights of each block along a new first dim")
    assert_matches_reference(
        maps, ref.a7.attention_maps(reference, ids), what=f"attention_maps of a GPT ({case}) on ids {(B, T)}", dtype=torch.float32,
        hint="x = tok_emb(ids) + pos_emb(T); per block: weights of block.attn(block.ln1(x), return_weights=True), then x = block(x)",
    )


@pytest.mark.task7_3
def test_attention_maps_of_a_training_model_have_no_dropout(impl, ref, seeded):
    """For a GPT in train mode with dropout 0.5, are the maps those of eval mode, and is the model left in train mode?"""
    settings = dict(vocab_size=12, block_size=8, n_layer=2, n_head=2, d_model=16, dropout=0.5)
    student, reference = gpt_twins(impl, ref, settings, seed=52)
    ids = random_ids(2, 7, vocab_size=12, seed=53)
    student.train()
    maps = impl.a7.attention_maps(student, ids)
    assert_matches_reference(maps, ref.a7.attention_maps(reference, ids), what="attention_maps of a GPT with dropout=0.5 called in train mode", dtype=torch.float32, hint="switch to model.eval() while replaying, so no dropout touches x between blocks")
    assert_true(student.training, "attention_maps left a model that was training in eval mode", hint="remember model.training first and call model.train(was_training) afterwards (try/finally)")


@pytest.mark.task7_3
def test_attention_maps_leave_an_eval_model_in_eval_mode(impl, seeded):
    """Is a model that was in eval mode still in eval mode after attention_maps?"""
    model = impl.a4.GPT(impl.a4.GPTConfig(vocab_size=12, block_size=8, n_layer=1, n_head=2, d_model=8))
    model.eval()
    impl.a7.attention_maps(model, random_ids(1, 4, vocab_size=12, seed=54))
    assert_true(not model.training, "attention_maps put a model that was in eval mode into train mode", hint="restore the mode the model was in (model.train(was_training)), not always train mode")


@pytest.mark.task7_3
def test_attention_maps_refuse_ids_that_are_not_two_dimensional(impl, seeded):
    """Are ids of shape (2, 3, 4) a ValueError?"""
    model = impl.a4.GPT(impl.a4.GPTConfig(vocab_size=12, block_size=8, n_layer=1, n_head=2, d_model=8))
    with assert_raises(ValueError, what="attention_maps(model, ids of shape (2, 3, 4))", hint="check ids.dim() == 2 first"):
        impl.a7.attention_maps(model, random_ids(2, 3, 4, vocab_size=12, seed=55))


@pytest.mark.task7_3
@pytest.mark.parametrize("device", [*DEVICES, "meta"])
def test_attention_maps_stay_on_the_device_of_the_model(impl, seeded, device):
    """Are the maps on the device of the model and ids ('meta': a device with no data, to see where tensors are made)?"""
    model = impl.a4.GPT(impl.a4.GPTConfig(vocab_size=12, block_size=8, n_layer=2, n_head=2, d_model=8)).to(device)
    ids = random_ids(2, 5, vocab_size=12, seed=56).to(device)
    problem = None
    try:
        maps = impl.a7.attention_maps(model, ids)
    except (RuntimeError, NotImplementedError) as error:
        if str(error).startswith("Task "):
            raise  # a stub: "not started" must stay distinguishable from "wrong"
        problem = f"{type(error).__name__}: {str(error)[:200]}"
    if problem is not None:
        # Outside the except block, so the failure is not shown chained to torch's traceback.
        fail(
            f"attention_maps(model, ids) on device {device!r} raised {problem}",
            hint="collect each block's weights and torch.stack them, or make any new tensor with device=ids.device",
        )
    assert_equal(maps.device.type, torch.device(device).type, what=f"device of attention_maps for a model and ids on {device}")
