"""Tests of assignment 4: LayerNorm, GELU, feed-forward, transformer block and the GPT."""

from __future__ import annotations

import dataclasses
import math

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from solutions.a2_embeddings.embeddings import SinusoidalPositionalEncoding
from solutions.a4_transformer.model import (
    GPT,
    FeedForward,
    GPTConfig,
    LayerNorm,
    TransformerBlock,
    gelu,
)


@pytest.fixture
def generator() -> torch.Generator:
    return torch.Generator().manual_seed(0)


@pytest.fixture
def tiny_config() -> GPTConfig:
    return GPTConfig(vocab_size=23, block_size=12, n_layer=2, n_head=2, d_model=16)


def make_gpt(config: GPTConfig, seed: int = 0) -> GPT:
    torch.manual_seed(seed)
    return GPT(config).eval()


def reference_block(block: TransformerBlock, x: torch.Tensor) -> torch.Tensor:
    """A pre-LN GPT block written with torch's own ops, using the block's weights."""
    B, T, C = x.shape
    n_heads = block.attn.n_heads
    attention = block.attn
    normed = F.layer_norm(x, (C,), block.ln1.weight, block.ln1.bias, eps=1e-5)
    q, k, v = (
        F.linear(normed, projection.weight).view(B, T, n_heads, C // n_heads).transpose(1, 2)
        for projection in (attention.q_proj, attention.k_proj, attention.v_proj)
    )
    heads = F.scaled_dot_product_attention(q, k, v, is_causal=True)
    x = x + F.linear(heads.transpose(1, 2).reshape(B, T, C), attention.o_proj.weight)
    normed = F.layer_norm(x, (C,), block.ln2.weight, block.ln2.bias, eps=1e-5)
    hidden = F.gelu(F.linear(normed, block.ffn.fc1.weight, block.ffn.fc1.bias), approximate="none")
    return x + F.linear(hidden, block.ffn.fc2.weight, block.ffn.fc2.bias)


def brute_force_cross_entropy(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """Mean of -log p(target) over positions whose target is not -100, one position at a time."""
    losses = []
    for row, target in zip(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1)):
        if target.item() != -100:
            losses.append(-torch.log_softmax(row.double(), dim=-1)[target])
    return torch.stack(losses).mean()


# ------------------------------------------------------------------- LayerNorm


def test_layer_norm_matches_torch(generator):
    """Does LayerNorm match nn.LayerNorm with the same (random) weight and bias copied in?"""
    norm = LayerNorm(10)
    reference = nn.LayerNorm(10, eps=1e-5)
    with torch.no_grad():
        norm.weight.copy_(torch.randn(10, generator=generator))
        norm.bias.copy_(torch.randn(10, generator=generator))
        reference.weight.copy_(norm.weight)
        reference.bias.copy_(norm.bias)
    x = torch.randn(3, 4, 10, generator=generator) * 5 + 2
    torch.testing.assert_close(norm(x), reference(x), atol=1e-5, rtol=1e-5)


def test_layer_norm_starts_as_plain_normalisation(generator):
    """Are weight ones and bias zeros at init, with the contract's names and shapes?"""
    norm = LayerNorm(6)
    shapes = {name: tuple(p.shape) for name, p in norm.named_parameters()}
    assert shapes == {"weight": (6,), "bias": (6,)}
    torch.testing.assert_close(norm.weight, torch.ones(6), atol=0.0, rtol=0.0)
    torch.testing.assert_close(norm.bias, torch.zeros(6), atol=0.0, rtol=0.0)
    out = norm(torch.randn(5, 6, generator=generator))
    torch.testing.assert_close(out.mean(dim=-1), torch.zeros(5), atol=1e-6, rtol=0.0)
    # Biased variance: the output's divide-by-d variance is 1 (up to eps).
    torch.testing.assert_close(out.var(dim=-1, unbiased=False), torch.ones(5), atol=1e-3, rtol=0.0)


def test_layer_norm_uses_eps_on_constant_input():
    """Does a constant vector come out as the bias instead of NaN (eps inside the sqrt)?"""
    norm = LayerNorm(4, eps=1e-5)
    with torch.no_grad():
        norm.bias.copy_(torch.tensor([1.0, 2.0, 3.0, 4.0]))
    torch.testing.assert_close(
        norm(torch.full((2, 4), 7.0)), norm.bias.detach().expand(2, 4), atol=0.0, rtol=0.0
    )


def test_layer_norm_gradcheck(generator):
    """Is the gradient of LayerNorm right for input, weight and bias (float64 gradcheck)?"""
    norm = LayerNorm(5).double()
    with torch.no_grad():
        norm.weight.copy_(torch.randn(5, generator=generator, dtype=torch.float64))
    x = torch.randn(3, 5, generator=generator, dtype=torch.float64, requires_grad=True)
    weight = norm.weight.detach().clone().requires_grad_()
    bias = norm.bias.detach().clone().requires_grad_()

    def layer_norm(inputs, weight, bias):
        return torch.func.functional_call(norm, {"weight": weight, "bias": bias}, (inputs,))

    assert torch.autograd.gradcheck(layer_norm, (x, weight, bias), eps=1e-6, atol=1e-5)


def test_layer_norm_is_not_torch_layer_norm():
    """Is LayerNorm written out rather than wrapping nn.LayerNorm?"""
    assert not any(isinstance(module, nn.LayerNorm) for module in LayerNorm(4).modules())


# ------------------------------------------------------------------------ gelu


def test_gelu_matches_torch_exact_form(generator):
    """Does gelu match F.gelu(approximate="none") in float64, far into both tails?"""
    x = torch.cat(
        [
            torch.linspace(-10, 10, 201, dtype=torch.float64),
            torch.randn(50, generator=generator, dtype=torch.float64),
        ]
    )
    torch.testing.assert_close(gelu(x), F.gelu(x, approximate="none"), atol=1e-12, rtol=1e-12)


def test_gelu_is_not_the_tanh_approximation():
    """Is gelu the exact erf form (the tanh approximation differs by ~1e-4 near x = 2)?"""
    x = torch.tensor([2.0], dtype=torch.float64)
    torch.testing.assert_close(gelu(x), F.gelu(x, approximate="none"), atol=1e-9, rtol=0.0)
    assert not torch.allclose(gelu(x), F.gelu(x, approximate="tanh"), atol=1e-5, rtol=0.0)


# ----------------------------------------------------------------- FeedForward


def test_feed_forward_matches_formula(generator):
    """Does FeedForward equal fc2(gelu(fc1(x))) computed with torch's ops?"""
    torch.manual_seed(0)
    ffn = FeedForward(d_model=8, d_ff=20).eval()
    x = torch.randn(2, 3, 8, generator=generator)
    hidden = F.gelu(F.linear(x, ffn.fc1.weight, ffn.fc1.bias), approximate="none")
    expected = F.linear(hidden, ffn.fc2.weight, ffn.fc2.bias)
    torch.testing.assert_close(ffn(x), expected, atol=1e-6, rtol=1e-5)


def test_feed_forward_default_width_and_names():
    """Is d_ff = 4 * d_model by default, with biased fc1 and fc2 as the contract names them?"""
    ffn = FeedForward(d_model=8)
    shapes = {name: tuple(p.shape) for name, p in ffn.named_parameters()}
    assert shapes == {
        "fc1.weight": (32, 8),
        "fc1.bias": (32,),
        "fc2.weight": (8, 32),
        "fc2.bias": (8,),
    }


def test_feed_forward_dropout_only_in_training(generator):
    """Is the dropout after fc2 active in train mode and off in eval mode?"""
    torch.manual_seed(0)
    ffn = FeedForward(d_model=8, dropout=0.5)
    x = torch.randn(4, 8, generator=generator)
    evaluated = ffn.eval()(x)
    torch.testing.assert_close(ffn(x), evaluated, atol=0.0, rtol=0.0)
    assert not torch.allclose(ffn.train()(x), evaluated, atol=1e-4)


# ------------------------------------------------------------ TransformerBlock


@pytest.mark.parametrize("fused_attention", [False, True])
def test_block_matches_torch_reference(fused_attention, generator):
    """Does the block equal x + attn(ln1(x)), then + ffn(ln2(x)), written with torch's ops?"""
    torch.manual_seed(0)
    block = TransformerBlock(d_model=16, n_heads=4, fused_attention=fused_attention).eval()
    with torch.no_grad():
        for norm in (block.ln1, block.ln2):
            norm.weight.copy_(torch.rand(16, generator=generator) + 0.5)
            norm.bias.copy_(torch.randn(16, generator=generator))
    x = torch.randn(2, 7, 16, generator=generator)
    torch.testing.assert_close(block(x), reference_block(block, x), atol=1e-5, rtol=1e-5)


def test_block_submodule_names():
    """Does the block hold ln1, attn, ln2 and ffn, so reference weights load by name?"""
    block = TransformerBlock(d_model=8, n_heads=2, d_ff=12)
    children = dict(block.named_children())
    assert {"ln1", "attn", "ln2", "ffn"} <= children.keys()
    assert isinstance(children["ln1"], LayerNorm) and isinstance(children["ln2"], LayerNorm)
    assert block.ffn.fc1.out_features == 12


def test_block_rejects_indivisible_width():
    """Is d_model % n_heads != 0 refused with a ValueError naming both?"""
    with pytest.raises(ValueError, match="d_model=10.*n_heads=4"):
        TransformerBlock(d_model=10, n_heads=4)


# ------------------------------------------------------------------- GPTConfig


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("vocab_size", 0),
        ("block_size", -3),
        ("n_layer", 0),
        ("n_head", 2.0),
        ("d_model", True),
        ("d_ff", 0),
        ("dropout", -0.1),
        ("dropout", 1.0),
        ("pos_encoding", "rotary"),
    ],
)
def test_config_rejects_bad_fields(field, value, tiny_config):
    """Is every bad field refused with a ValueError naming the field and the value?"""
    with pytest.raises(ValueError, match=field) as error:
        dataclasses.replace(tiny_config, **{field: value})
    assert repr(value) in str(error.value) or str(value) in str(error.value)


def test_config_rejects_indivisible_heads_and_odd_sinusoids(tiny_config):
    """Are d_model % n_head != 0 and sinusoids with odd d_model refused, naming the values?"""
    with pytest.raises(ValueError, match="d_model=18.*n_head=4"):
        dataclasses.replace(tiny_config, d_model=18, n_head=4)
    with pytest.raises(ValueError, match="d_model=15"):
        dataclasses.replace(tiny_config, d_model=15, n_head=3, pos_encoding="sinusoidal")


def test_config_defaults(tiny_config):
    """Are the optional fields' defaults those the contract states?"""
    assert tiny_config.d_ff is None
    assert tiny_config.dropout == 0.0
    assert tiny_config.pos_encoding == "learned"
    assert tiny_config.tie_weights is True
    assert tiny_config.fused_attention is False


# ------------------------------------------------------------------------- GPT


def test_gpt_module_names_and_shapes(tiny_config):
    """Are the submodules named and shaped as the contract says, config kept?"""
    model = make_gpt(tiny_config)
    assert model.config is tiny_config
    assert model.tok_emb.weight.shape == (23, 16)
    assert model.pos_emb.weight.shape == (12, 16)
    assert isinstance(model.blocks, nn.ModuleList) and len(model.blocks) == 2
    assert all(isinstance(block, TransformerBlock) for block in model.blocks)
    assert isinstance(model.ln_f, LayerNorm)
    assert isinstance(model.lm_head, nn.Linear) and model.lm_head.bias is None
    assert isinstance(model.drop, nn.Dropout)


def test_gpt_weights_are_tied(tiny_config):
    """Is lm_head.weight the very same tensor as tok_emb.weight (and separate when untied)?"""
    tied = make_gpt(tiny_config)
    assert tied.lm_head.weight is tied.tok_emb.weight
    untied = make_gpt(dataclasses.replace(tiny_config, tie_weights=False))
    assert untied.lm_head.weight is not untied.tok_emb.weight
    assert untied.lm_head.weight.data_ptr() != untied.tok_emb.weight.data_ptr()


def test_gpt_forward_matches_reference(tiny_config, generator):
    """Do the logits equal embeddings -> torch-op blocks -> F.layer_norm -> lm_head?"""
    model = make_gpt(tiny_config)
    ids = torch.randint(0, 23, (3, 10), generator=generator)
    x = model.tok_emb.weight[ids] + model.pos_emb.weight[:10]
    for block in model.blocks:
        x = reference_block(block, x)
    x = F.layer_norm(x, (16,), model.ln_f.weight, model.ln_f.bias, eps=1e-5)
    expected = x @ model.tok_emb.weight.T
    logits, loss = model(ids)
    assert loss is None
    assert logits.shape == (3, 10, 23)
    torch.testing.assert_close(logits, expected, atol=1e-5, rtol=1e-5)


def test_gpt_loss_is_mean_cross_entropy_with_ignore_index(tiny_config, generator):
    """Is the loss the mean -log p(target) over positions whose target is not -100?"""
    model = make_gpt(tiny_config)
    ids = torch.randint(0, 23, (2, 8), generator=generator)
    targets = torch.randint(0, 23, (2, 8), generator=generator)
    targets[0, :3] = -100
    logits, loss = model(ids, targets)
    assert loss.dim() == 0
    torch.testing.assert_close(
        loss.double(), brute_force_cross_entropy(logits, targets), atol=1e-5, rtol=1e-5
    )


@pytest.mark.parametrize("vocab_size", [65, 500])
def test_gpt_loss_at_init_is_near_uniform(vocab_size, generator):
    """Is the loss at init within 1 nat of ln(V), i.e. is the untrained model close to uniform?

    1 nat is generous on purpose: Xavier-initialised tied embeddings give logits
    with variance ~2 d_model / (V + d_model), which adds about half that to
    ln(V) (~0.7 nat for V=65, d_model=128); an init left at N(0, 1) adds tens.
    """
    config = GPTConfig(vocab_size=vocab_size, block_size=32, n_layer=2, n_head=4, d_model=128)
    model = make_gpt(config)
    ids = torch.randint(0, vocab_size, (8, 32), generator=generator)
    targets = torch.randint(0, vocab_size, (8, 32), generator=generator)
    with torch.no_grad():
        _, loss = model(ids, targets)
    ln_v = math.log(vocab_size)
    assert abs(loss.item() - ln_v) < 1.0, f"loss {loss.item():.3f} vs ln V {ln_v:.3f}"


def test_gpt_init_is_xavier_with_scaled_residual_projections(tiny_config):
    """Are weights Xavier-uniform (o_proj, fc2 scaled by 1/sqrt(2 n_layer)), biases 0, norms 1/0?"""
    config = dataclasses.replace(
        tiny_config, d_model=64, n_head=4, vocab_size=200, n_layer=3, tie_weights=False
    )
    model = make_gpt(config)
    residual_scale = 1.0 / math.sqrt(2 * config.n_layer)
    for name, parameter in model.named_parameters():
        if name.endswith("bias"):
            torch.testing.assert_close(parameter, torch.zeros_like(parameter), atol=0.0, rtol=0.0)
        elif parameter.dim() == 1:
            torch.testing.assert_close(
                parameter, torch.ones_like(parameter), atol=0.0, rtol=0.0, msg=name
            )
        else:
            fan_out, fan_in = parameter.shape
            bound = math.sqrt(6.0 / (fan_in + fan_out))
            if name.endswith(("o_proj.weight", "fc2.weight")):
                bound *= residual_scale
            assert parameter.abs().max() <= bound + 1e-6, name
            # U(-a, a) has std a / sqrt(3); thousands of draws land within 10% of it.
            assert parameter.std().item() == pytest.approx(bound / math.sqrt(3), rel=0.1), name


def test_gpt_init_weights_redraws(tiny_config):
    """Does calling init_weights again draw fresh weights with the same statistics and ties?"""
    model = make_gpt(tiny_config)
    before = {name: parameter.detach().clone() for name, parameter in model.named_parameters()}
    model.init_weights()
    assert model.lm_head.weight is model.tok_emb.weight
    assert not torch.equal(before["blocks.0.ffn.fc1.weight"], model.blocks[0].ffn.fc1.weight)
    # The residual scaling is applied once per call, not compounded.
    torch.testing.assert_close(
        model.blocks[0].ffn.fc2.weight.std(),
        before["blocks.0.ffn.fc2.weight"].std(),
        atol=0.0,
        rtol=0.2,
    )


def test_gpt_is_causal(tiny_config, generator):
    """Does changing tokens after position t leave the logits at positions <= t unchanged?"""
    for pos_encoding in ("learned", "sinusoidal"):
        model = make_gpt(dataclasses.replace(tiny_config, pos_encoding=pos_encoding))
        ids = torch.randint(0, 23, (2, 12), generator=generator)
        logits, _ = model(ids)
        for t in (0, 5, 10):
            changed = ids.clone()
            changed[:, t + 1 :] = torch.randint(0, 23, (2, 11 - t), generator=generator)
            changed_logits, _ = model(changed)
            torch.testing.assert_close(
                changed_logits[:, : t + 1], logits[:, : t + 1], atol=1e-5, rtol=1e-5
            )


def test_gpt_sinusoidal_positions(tiny_config, generator):
    """With pos_encoding="sinusoidal", is the position table fixed and outside the parameters?"""
    model = make_gpt(dataclasses.replace(tiny_config, pos_encoding="sinusoidal"))
    assert isinstance(model.pos_emb, SinusoidalPositionalEncoding)
    assert not any(name.startswith("pos_emb") for name, _ in model.named_parameters())
    logits, _ = model(torch.randint(0, 23, (2, 12), generator=generator))
    assert torch.isfinite(logits).all()


def test_gpt_fused_attention_gives_same_logits(tiny_config, generator):
    """Does fused_attention=True give the unfused logits with the same weights?"""
    unfused = make_gpt(tiny_config)
    fused = make_gpt(dataclasses.replace(tiny_config, fused_attention=True))
    fused.load_state_dict(unfused.state_dict())
    ids = torch.randint(0, 23, (2, 12), generator=generator)
    torch.testing.assert_close(fused(ids)[0], unfused(ids)[0], atol=1e-5, rtol=1e-5)


def test_gpt_num_parameters_counts_tied_weights_once(tiny_config):
    """Does num_parameters count each tensor once, and drop the position table on request?"""
    for config in (tiny_config, dataclasses.replace(tiny_config, tie_weights=False)):
        model = make_gpt(config)
        distinct = {
            parameter.data_ptr(): parameter.numel()
            for _, parameter in model.named_parameters(remove_duplicate=False)
        }
        assert model.num_parameters() == sum(distinct.values())
        assert model.num_parameters(exclude_embeddings=True) == sum(distinct.values()) - 12 * 16
    tied = make_gpt(tiny_config)
    untied = make_gpt(dataclasses.replace(tiny_config, tie_weights=False))
    assert untied.num_parameters() - tied.num_parameters() == 23 * 16
    sinusoidal = make_gpt(dataclasses.replace(tiny_config, pos_encoding="sinusoidal"))
    assert sinusoidal.num_parameters() == sinusoidal.num_parameters(exclude_embeddings=True)


def test_gpt_gradients_reach_every_parameter(tiny_config, generator):
    """Does one backward pass give every parameter a finite, non-zero gradient?"""
    model = make_gpt(tiny_config).train()
    ids = torch.randint(0, 23, (2, 12), generator=generator)
    _, loss = model(ids, torch.roll(ids, -1, dims=1))
    loss.backward()
    for name, parameter in model.named_parameters():
        assert parameter.grad is not None and torch.isfinite(parameter.grad).all(), name
        assert parameter.grad.abs().sum() > 0, name


def test_gpt_dropout_only_in_training(tiny_config, generator):
    """With dropout > 0, is the model random in train mode and deterministic in eval mode?"""
    model = make_gpt(dataclasses.replace(tiny_config, dropout=0.3))
    ids = torch.randint(0, 23, (2, 12), generator=generator)
    evaluated = model(ids)[0]
    torch.testing.assert_close(model(ids)[0], evaluated, atol=0.0, rtol=0.0)
    assert not torch.allclose(model.train()(ids)[0], evaluated, atol=1e-4)


def test_gpt_rejects_bad_inputs(tiny_config):
    """Are non-2-D ids, ids longer than block_size and mismatched targets refused, with values?"""
    model = make_gpt(tiny_config)
    with pytest.raises(ValueError, match=r"\(12,\)"):
        model(torch.zeros(12, dtype=torch.long))
    with pytest.raises(ValueError, match=r"\(1, 2, 3\)"):
        model(torch.zeros(1, 2, 3, dtype=torch.long))
    with pytest.raises(ValueError, match="T=13.*block_size=12"):
        model(torch.zeros(2, 13, dtype=torch.long))
    with pytest.raises(ValueError, match=r"targets shape \(2, 4\)"):
        model(torch.zeros(2, 5, dtype=torch.long), torch.zeros(2, 4, dtype=torch.long))


def test_gpt_overfits_one_batch(generator):
    """Can the model drive the loss on one fixed batch from ~ln(V) to near 0 in 60 steps?

    Every position of 4 random rows has a distinct prefix, so a working model
    can memorise all targets; a broken mask, residual or gradient path cannot.
    """
    config = GPTConfig(vocab_size=16, block_size=16, n_layer=2, n_head=2, d_model=32)
    model = make_gpt(config).train()
    ids = torch.randint(0, 16, (4, 17), generator=generator)
    inputs, targets = ids[:, :-1], ids[:, 1:]
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-2, weight_decay=0.0)
    for _ in range(60):
        _, loss = model(inputs, targets)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    assert loss.item() < 0.2, f"loss after 60 steps {loss.item():.3f}"
