"""Public checks of assignment 4: LayerNorm, GELU, the feed-forward network, the block and the GPT."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

from grader.testing import assert_close, assert_equal, assert_raises, assert_shape, assert_true

# Tiny tensors: one torch thread is fastest, and immune to a busy machine.
pytestmark = pytest.mark.usefixtures("single_thread")


@pytest.fixture
def generator() -> torch.Generator:
    return torch.Generator().manual_seed(0)


def tiny_config(impl, **overrides):
    settings = dict(vocab_size=11, block_size=8, n_layer=2, n_head=2, d_model=16)
    settings.update(overrides)
    return impl.a4.GPTConfig(**settings)


# ---------------------------------------------------------------- Task 4.1


@pytest.mark.task4_1
def test_layer_norm_of_the_docstring(impl):
    """Is LayerNorm(3) of [1, 2, 3] equal to [-1.2247, 0, 1.2247] (mean 2, biased variance 2/3)?"""
    out = impl.a4.LayerNorm(3)(torch.tensor([[1.0, 2.0, 3.0]]))
    assert_close(out, [[-1.2247, 0.0, 1.2247]], atol=1e-4, rtol=0, what="LayerNorm(3)([[1, 2, 3]])", hint="use the biased variance (divide by d, not d - 1): x.var(dim=-1, unbiased=False)")


@pytest.mark.task4_1
def test_layer_norm_matches_torch(impl, generator):
    """With the same weight and bias, does LayerNorm match nn.LayerNorm on a (2, 5, 8) input?"""
    ours = impl.a4.LayerNorm(8)
    assert_shape(ours.weight, (8,), what="LayerNorm(8).weight")
    assert_close(ours.weight, torch.ones(8), atol=0, rtol=0, what="LayerNorm(8).weight at creation", hint="the scale starts at ones")
    assert_close(ours.bias, torch.zeros(8), atol=0, rtol=0, what="LayerNorm(8).bias at creation", hint="the shift starts at zeros")
    theirs = torch.nn.LayerNorm(8, eps=1e-5)
    with torch.no_grad():
        for layer in (ours, theirs):
            layer.weight.copy_(torch.linspace(0.5, 2.0, 8))
            layer.bias.copy_(torch.linspace(-1.0, 1.0, 8))
    x = torch.randn(2, 5, 8, generator=generator) * 3 + 1
    assert_close(ours(x), theirs(x), atol=1e-5, rtol=1e-5, what="LayerNorm(8)(x) against nn.LayerNorm", hint="normalise over the last dim only (dim=-1, keepdim=True), then * weight + bias")


@pytest.mark.task4_1
def test_layer_norm_of_a_constant_vector_is_finite(impl):
    """Does a constant vector (variance 0) come out as zeros instead of NaN, thanks to eps?"""
    out = impl.a4.LayerNorm(4)(torch.full((1, 4), 7.0))
    assert_close(out, torch.zeros(1, 4), atol=1e-6, rtol=0, what="LayerNorm(4)([[7, 7, 7, 7]])", hint="add eps to the variance inside the square root")


# ---------------------------------------------------------------- Task 4.2


@pytest.mark.task4_2
def test_gelu_at_zero_and_plus_minus_one(impl):
    """Is gelu(0, 1, -1) equal to 0, 0.8413 and -0.1587?"""
    out = impl.a4.gelu(torch.tensor([0.0, 1.0, -1.0]))
    assert_close(out, [0.0, 0.8413, -0.1587], atol=1e-4, rtol=0, what="gelu([0, 1, -1])", hint="gelu(x) = 0.5 * x * (1 + erf(x / sqrt(2)))")


@pytest.mark.task4_2
def test_gelu_matches_torch_exactly(impl):
    """Does gelu match F.gelu (exact erf form, not the tanh approximation) on [-6, 6]?"""
    x = torch.linspace(-6, 6, 241)
    assert_close(impl.a4.gelu(x), F.gelu(x), atol=1e-6, rtol=1e-5, what="gelu(x) for x in [-6, 6]", hint="use the exact erf form, not the tanh approximation")


# ---------------------------------------------------------------- Task 4.3


@pytest.mark.task4_3
def test_feed_forward_widens_four_times(impl, seeded):
    """Are fc1 and fc2 Linear(d_model, 4 d_model) and Linear(4 d_model, d_model) by default, and d_ff honoured?"""
    ffn = impl.a4.FeedForward(d_model=8)
    assert_shape(ffn.fc1.weight, (32, 8), what="FeedForward(8).fc1.weight", hint="d_ff defaults to 4 * d_model")
    assert_shape(ffn.fc2.weight, (8, 32), what="FeedForward(8).fc2.weight")
    assert_true(ffn.fc1.bias is not None and ffn.fc2.bias is not None, "fc1 or fc2 has no bias", hint="nn.Linear with bias (the default)")
    assert_shape(impl.a4.FeedForward(d_model=8, d_ff=12).fc1.weight, (12, 8), what="FeedForward(8, d_ff=12).fc1.weight")


@pytest.mark.task4_3
def test_feed_forward_is_fc2_gelu_fc1(impl, seeded, generator):
    """Is FeedForward(x) = fc2(gelu(fc1(x))), computed here with torch's own GELU?"""
    ffn = impl.a4.FeedForward(d_model=8)
    x = torch.randn(2, 3, 8, generator=generator)
    with torch.no_grad():
        expected = ffn.fc2(F.gelu(ffn.fc1(x)))
    out = ffn(x)
    assert_shape(out, (2, 3, 8), what="FeedForward(8)(x of shape (2, 3, 8))")
    assert_close(out, expected, atol=1e-5, rtol=1e-5, what="FeedForward(8)(x)", hint="fc1, then gelu, then fc2 (then dropout)")


# ---------------------------------------------------------------- Task 4.4


@pytest.mark.task4_4
def test_block_has_its_named_parts(impl, seeded):
    """Does TransformerBlock have ln1, attn (causal), ln2 and ffn of the sizes asked for?"""
    block = impl.a4.TransformerBlock(d_model=16, n_heads=4)
    assert_true(isinstance(block.ln1, impl.a4.LayerNorm) and isinstance(block.ln2, impl.a4.LayerNorm), "ln1 and ln2 must be your LayerNorm", hint="the hidden tests load weights by these names")
    assert_true(isinstance(block.attn, impl.a3.MultiHeadSelfAttention), "attn must be your MultiHeadSelfAttention")
    assert_equal(block.attn.n_heads, 4, what="block.attn.n_heads")
    assert_true(block.attn.causal, "block.attn is not causal", hint="a GPT block may not look at later tokens: causal=True")
    assert_shape(block.ffn.fc1.weight, (64, 16), what="block.ffn.fc1.weight")


@pytest.mark.task4_4
def test_block_is_pre_layer_norm_with_residuals(impl, seeded, generator):
    """Is the block x + attn(ln1(x)), then + ffn(ln2(.)), computed from its own parts?"""
    block = impl.a4.TransformerBlock(d_model=16, n_heads=4)
    with torch.no_grad():
        for norm in (block.ln1, block.ln2):  # not the identity, so a missing LayerNorm shows
            norm.weight.uniform_(0.5, 1.5)
            norm.bias.uniform_(-0.5, 0.5)
    x = torch.randn(2, 5, 16, generator=generator)
    with torch.no_grad():
        middle = x + block.attn(block.ln1(x))
        expected = middle + block.ffn(block.ln2(middle))
    out = block(x)
    assert_shape(out, (2, 5, 16), what="TransformerBlock(16, 4)(x of shape (2, 5, 16))")
    assert_close(out, expected, atol=1e-5, rtol=1e-5, what="TransformerBlock(x)", hint="pre-LN: normalise the input of each branch and add the branch to x (x = x + attn(ln1(x)); x = x + ffn(ln2(x)))")


# ---------------------------------------------------------------- Task 4.5


@pytest.mark.task4_5
def test_gpt_gives_logits_and_cross_entropy_loss(impl, seeded):
    """Are the logits (B, T, vocab_size), the loss None without targets and F.cross_entropy with them?"""
    model = impl.a4.GPT(tiny_config(impl))
    ids = torch.randint(11, (3, 5), generator=torch.Generator().manual_seed(1))
    logits, loss = model(ids)
    assert_shape(logits, (3, 5, 11), what="GPT logits for ids of shape (3, 5)", hint="lm_head maps d_model to vocab_size")
    assert_true(loss is None, f"GPT(ids) returned loss {loss!r} without targets, expected None")
    targets = torch.roll(ids, -1, dims=1)
    logits, loss = model(ids, targets)
    expected = F.cross_entropy(logits.reshape(15, 11), targets.reshape(15))
    assert_close(loss, expected, atol=1e-5, rtol=1e-5, what="GPT(ids, targets) loss", hint="flatten to (B*T, V) and (B*T,) for the cross-entropy")


@pytest.mark.task4_5
def test_gpt_ties_the_output_to_the_token_table(impl, seeded):
    """Is lm_head.weight the very tensor tok_emb.weight, so a 1-layer model has 308 parameters?"""
    model = impl.a4.GPT(impl.a4.GPTConfig(vocab_size=10, block_size=8, n_layer=1, n_head=2, d_model=4))
    assert_true(model.lm_head.weight is model.tok_emb.weight, "lm_head.weight is not tok_emb.weight", hint="tie them: self.lm_head.weight = self.tok_emb.weight")
    assert_equal(model.num_parameters(), 308, what="num_parameters() of GPTConfig(10, 8, n_layer=1, n_head=2, d_model=4)", hint="tok_emb 40 + pos_emb 32 + block 228 + ln_f 8")


@pytest.mark.task4_5
def test_gpt_does_not_look_ahead(impl, seeded):
    """Do the logits of positions 0..3 stay the same when only the last token changes?"""
    model = impl.a4.GPT(tiny_config(impl))
    ids = torch.tensor([[1, 2, 3, 4, 5]])
    changed = torch.tensor([[1, 2, 3, 4, 9]])
    assert_close(model(changed)[0][:, :-1], model(ids)[0][:, :-1], atol=1e-5, rtol=0, what="logits of positions 0..3 after changing token 4", hint="every block's attention must be causal")


@pytest.mark.task4_5
def test_gpt_refuses_inputs_longer_than_the_block(impl, seeded):
    """Is an input of 9 tokens for block_size 8 a ValueError naming both numbers?"""
    model = impl.a4.GPT(tiny_config(impl))
    with assert_raises(ValueError, what="GPT with block_size=8 on 9 tokens", mentions=["9", "8"]):
        model(torch.zeros(1, 9, dtype=torch.long))


# ---------------------------------------------------------------- Task 4.6


def xavier_bound(weight: torch.Tensor) -> float:
    rows, columns = weight.shape
    return math.sqrt(6 / (rows + columns))


@pytest.mark.task4_6
def test_init_fills_xavier_ranges(impl, seeded):
    """Do the weights fill their Xavier ranges, fc2 and o_proj scaled by 1/sqrt(2 n_layer) (0.137 for fc2 here)?"""
    model = impl.a4.GPT(tiny_config(impl, vocab_size=64))
    residual_scale = 1 / math.sqrt(2 * 2)
    for name, parameter in model.named_parameters():
        if parameter.dim() < 2:
            continue
        bound = xavier_bound(parameter)
        if name.endswith(("o_proj.weight", "fc2.weight")):
            bound *= residual_scale
        largest = parameter.abs().max().item()
        assert_true(
            0.8 * bound <= largest <= bound, f"{name}: largest |weight| is {largest:.4f}, expected just below {bound:.4f}",
            hint="Xavier uniform: U(-a, a) with a = sqrt(6 / (fan_in + fan_out)); then scale o_proj and fc2 by 1 / sqrt(2 * n_layer)",
        )


@pytest.mark.task4_6
def test_init_zeroes_biases_and_resets_layer_norms(impl, seeded):
    """Are all Linear biases 0 and all LayerNorms back to weight 1, bias 0 after init_weights?"""
    model = impl.a4.GPT(tiny_config(impl))
    with torch.no_grad():
        for parameter in model.parameters():
            parameter.fill_(0.25)
    model.init_weights()
    for name, parameter in model.named_parameters():
        if name.endswith("bias"):
            assert_close(parameter, torch.zeros_like(parameter), atol=0, rtol=0, what=f"{name} after init_weights()", hint="biases start at 0; LayerNorm bias too")
        elif parameter.dim() == 1:
            assert_close(parameter, torch.ones_like(parameter), atol=0, rtol=0, what=f"{name} after init_weights()", hint="LayerNorm weights start at 1")


@pytest.mark.task4_6
def test_init_draws_new_values_each_time(impl, seeded):
    """Does calling init_weights again draw new token embeddings (not a fixed pattern)?"""
    model = impl.a4.GPT(tiny_config(impl))
    before = model.tok_emb.weight.detach().clone()
    model.init_weights()
    assert_true(not torch.equal(before, model.tok_emb.weight), "tok_emb.weight is the same after a second init_weights()", hint="draw with nn.init.xavier_uniform_, which uses torch's random generator")
