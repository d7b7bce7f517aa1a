"""Public checks of assignment 3: masks, softmax, attention and multi-head self-attention."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

from grader.testing import assert_close, assert_dtype, assert_equal, assert_raises, assert_shape, assert_true

# Tiny tensors: one torch thread is fastest, and immune to a busy machine.
pytestmark = pytest.mark.usefixtures("single_thread")

SOFTMAX_HINT = "subtract the maximum along dim before exp: exp(x - max) never overflows"


@pytest.fixture
def generator() -> torch.Generator:
    return torch.Generator().manual_seed(0)


# ---------------------------------------------------------------- Task 3.1


@pytest.mark.task3_1
def test_causal_mask_of_three(impl):
    """Is causal_mask(3) the bool lower triangle of its docstring (True = may attend)?"""
    mask = impl.a3.causal_mask(3)
    assert_dtype(mask, torch.bool, what="causal_mask(3)", hint="create it with dtype=torch.bool")
    expected = torch.tensor([[True, False, False], [True, True, False], [True, True, True]])
    assert_equal(mask, expected, what="causal_mask(3)", hint="position i may attend to j iff j <= i: the lower triangle, diagonal included (tril)")


@pytest.mark.task3_1
@pytest.mark.parametrize("seq_len", [1, 6])
def test_causal_mask_is_lower_triangular(impl, seq_len):
    """Is mask[i, j] True exactly when j <= i, for a (T, T) mask?"""
    mask = impl.a3.causal_mask(seq_len)
    assert_shape(mask, (seq_len, seq_len), what=f"causal_mask({seq_len})")
    expected = torch.tensor([[j <= i for j in range(seq_len)] for i in range(seq_len)])
    assert_equal(mask, expected, what=f"causal_mask({seq_len})")


@pytest.mark.task3_1
def test_causal_mask_refuses_negative_length(impl):
    """Is a negative seq_len a ValueError naming it?"""
    with assert_raises(ValueError, what="causal_mask(-1)", mentions=["-1"]):
        impl.a3.causal_mask(-1)


# ---------------------------------------------------------------- Task 3.2


@pytest.mark.task3_2
@pytest.mark.parametrize("dim", [-1, 0])
def test_softmax_matches_torch(impl, generator, dim):
    """Does softmax match F.softmax along the dim asked for?"""
    x = torch.randn(4, 6, generator=generator) * 3
    out = impl.a3.softmax(x, dim=dim)
    assert_close(out, F.softmax(x, dim=dim), atol=1e-6, rtol=1e-5, what=f"softmax(x, dim={dim}) for x of shape (4, 6)", hint="exp(x - max) / sum(exp(x - max)), with max and sum taken along dim (keepdim=True)")


@pytest.mark.task3_2
def test_softmax_survives_huge_inputs(impl):
    """Does softmax give the 3 : 1 ratio of its docstring for inputs near 1e4, where exp overflows?"""
    out = impl.a3.softmax(torch.tensor([1e4, 1e4 - math.log(3.0)]))
    # 1e4 - log 3 is rounded to float32 (steps of 1e-3 near 1e4), so the ratio is 3 : 1 to about 1e-3.
    assert_close(out, [0.75, 0.25], atol=1e-3, rtol=0, what="softmax([1e4, 1e4 - log 3])", hint=SOFTMAX_HINT)
    rows = torch.tensor([[1e4, 1e4, 1e4], [-1e4, 0.0, 1e4]])
    assert_close(impl.a3.softmax(rows), F.softmax(rows, dim=-1), atol=1e-6, rtol=0, what="softmax of rows holding 1e4 and -1e4", hint=SOFTMAX_HINT)


@pytest.mark.task3_2
def test_softmax_gives_zero_to_minus_infinity(impl):
    """Do -inf entries (masked positions) get exactly 0, the rest summing to 1?"""
    out = impl.a3.softmax(torch.tensor([0.0, 0.0, float("-inf")]))
    assert_close(out, [0.5, 0.5, 0.0], atol=1e-7, rtol=0, what="softmax([0, 0, -inf])", hint="exp(-inf) is 0; subtract the maximum, which is finite when any entry is")


@pytest.mark.task3_2
def test_softmax_is_written_out(impl, generator, monkeypatch):
    """Is softmax computed without torch.softmax / F.softmax / Tensor.softmax?"""

    def forbidden(*args, **kwargs):
        raise AssertionError("softmax called torch's own softmax\nHint: write it with exp, max and sum")

    x = torch.randn(2, 3, generator=generator)
    monkeypatch.setattr(torch, "softmax", forbidden)
    monkeypatch.setattr(F, "softmax", forbidden)
    monkeypatch.setattr(torch.Tensor, "softmax", forbidden)
    out = impl.a3.softmax(x)
    monkeypatch.undo()
    assert_close(out, F.softmax(x, dim=-1), atol=1e-6, rtol=1e-5, what="softmax(x)")


# ---------------------------------------------------------------- Task 3.3


def reference_weights(q, k, mask=None):
    """softmax(q k^T / sqrt(d_k)) with masked scores at -inf, written with torch's own ops."""
    scores = q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])
    if mask is not None:
        scores = torch.where(mask, scores, torch.full_like(scores, float("-inf")))
    return F.softmax(scores, dim=-1)


@pytest.mark.task3_3
def test_attention_weights_of_the_docstring(impl):
    """Are the weights of q = [1, 0] on keys [1, 0], [0, 1] softmax([1/sqrt 2, 0]) = [0.6698, 0.3302]?"""
    weights = impl.a3.attention_weights(torch.tensor([[1.0, 0.0]]), torch.tensor([[1.0, 0.0], [0.0, 1.0]]))
    assert_close(weights, [[0.6698, 0.3302]], atol=1e-4, rtol=0, what="attention_weights(q=[[1, 0]], k=[[1, 0], [0, 1]])", hint="divide the scores q k^T by sqrt(d_k) before the softmax")


@pytest.mark.task3_3
def test_attention_weights_with_a_causal_mask(impl, generator):
    """With a causal mask, do the weights match torch, sum to 1 per row and put exactly 0 on the future?"""
    q, k = torch.randn(2, 5, 4, generator=generator), torch.randn(2, 5, 4, generator=generator)
    mask = torch.ones(5, 5, dtype=torch.bool).tril()
    weights = impl.a3.attention_weights(q, k, mask)
    assert_shape(weights, (2, 5, 5), what="attention_weights(q (2, 5, 4), k (2, 5, 4), mask (5, 5))")
    assert_close(weights, reference_weights(q, k, mask), atol=1e-6, rtol=1e-5, what="attention_weights with a causal mask", hint="set masked scores to -inf (masked_fill(~mask, -inf)) before the softmax, not after")
    assert_close(weights.sum(-1), torch.ones(2, 5), atol=1e-6, rtol=0, what="row sums of the weights")
    assert_close(weights.triu(1), torch.zeros(2, 5, 5), atol=0, rtol=0, what="weights on future positions (j > i)")


@pytest.mark.task3_3
def test_attention_weights_refuse_a_float_mask(impl):
    """Is a 0/1 float mask a ValueError naming its dtype (it would be read the wrong way)?"""
    q = torch.zeros(2, 4)
    with assert_raises(ValueError, what="attention_weights(q, k, mask of dtype float32)", mentions=["float32"]):
        impl.a3.attention_weights(q, q, torch.ones(2, 2))


# ---------------------------------------------------------------- Task 3.4


@pytest.mark.task3_4
def test_attention_averages_the_values(impl):
    """Does a query that matches both keys equally get the average of their values, [1, 2]?"""
    q, k, v = torch.tensor([[0.0, 0.0]]), torch.tensor([[1.0, 0.0], [0.0, 1.0]]), torch.tensor([[2.0, 0.0], [0.0, 4.0]])
    assert_close(impl.a3.scaled_dot_product_attention(q, k, v), [[1.0, 2.0]], atol=1e-6, rtol=0, what="scaled_dot_product_attention of the docstring", hint="output = weights @ v")


@pytest.mark.task3_4
@pytest.mark.parametrize("causal", [False, True], ids=["no-mask", "causal"])
def test_attention_matches_torchs_fused_attention(impl, generator, causal):
    """Does the output match F.scaled_dot_product_attention for inputs of shape (2, 3, T, d)?"""
    q = torch.randn(2, 3, 5, 4, generator=generator)
    k = torch.randn(2, 3, 7 if not causal else 5, 4, generator=generator)
    v = torch.randn(2, 3, k.shape[-2], 6, generator=generator)
    mask = torch.ones(5, 5, dtype=torch.bool).tril() if causal else None
    out = impl.a3.scaled_dot_product_attention(q, k, v, mask)
    assert_shape(out, (2, 3, 5, 6), what="scaled_dot_product_attention(q, k, v) for q (2, 3, 5, 4), v (.., 6)", hint="the result is (..., T_q, d_v)")
    expected = F.scaled_dot_product_attention(q, k, v, attn_mask=mask)
    assert_close(out, expected, atol=1e-5, rtol=1e-5, what="scaled_dot_product_attention", hint="transpose only the last two dims of k: k.transpose(-2, -1)")


@pytest.mark.task3_4
def test_attention_refuses_keys_and_values_of_different_lengths(impl):
    """Are k and v with different numbers of positions a ValueError naming both?"""
    q = torch.zeros(1, 4)
    with assert_raises(ValueError, what="scaled_dot_product_attention(q, k (3, 4), v (2, 4))", mentions=["3", "2"]):
        impl.a3.scaled_dot_product_attention(q, torch.zeros(3, 4), torch.zeros(2, 4))


# ---------------------------------------------------------------- Task 3.5


@pytest.mark.task3_5
def test_split_heads_of_the_docstring(impl):
    """Does split_heads give head 0 channels [0, 1] and head 1 channels [2, 3]?"""
    out = impl.a3.split_heads(torch.arange(4.0).view(1, 1, 4), 2)
    assert_shape(out, (1, 2, 1, 2), what="split_heads(x of shape (1, 1, 4), 2)", hint="(B, T, C) -> (B, n_heads, T, C // n_heads)")
    assert_close(out, [[[[0.0, 1.0]], [[2.0, 3.0]]]], atol=0, rtol=0, what="split_heads(arange(4).view(1, 1, 4), 2)")


@pytest.mark.task3_5
def test_split_heads_keeps_each_positions_channels(impl, generator):
    """Is out[b, h, t] the h-th slice of channels of x[b, t], for x of shape (2, 3, 12) and 4 heads?"""
    x = torch.randn(2, 3, 12, generator=generator)
    out = impl.a3.split_heads(x, 4)
    assert_shape(out, (2, 4, 3, 3), what="split_heads(x of shape (2, 3, 12), 4)")
    expected = torch.stack([x[:, :, 3 * h : 3 * (h + 1)] for h in range(4)], dim=1)
    assert_close(out, expected, atol=0, rtol=0, what="split_heads(x, 4)", hint="view as (B, T, n_heads, head_dim), then transpose(1, 2); a plain view to (B, n_heads, T, head_dim) mixes positions")


@pytest.mark.task3_5
def test_split_heads_refuses_indivisible_width(impl):
    """Is a width not divisible by n_heads a ValueError naming both?"""
    with assert_raises(ValueError, what="split_heads(x with C=10, 4)", mentions=["10", "4"]):
        impl.a3.split_heads(torch.zeros(1, 2, 10), 4)


# ---------------------------------------------------------------- Task 3.6


@pytest.mark.task3_6
def test_merge_heads_of_the_docstring(impl):
    """Does merge_heads put the heads side by side: [[0, 1]], [[2, 3]] -> [0, 1, 2, 3]?"""
    out = impl.a3.merge_heads(torch.tensor([[[[0.0, 1.0]], [[2.0, 3.0]]]]))
    assert_close(out, [[[0.0, 1.0, 2.0, 3.0]]], atol=0, rtol=0, what="merge_heads of shape (1, 2, 1, 2)")


@pytest.mark.task3_6
def test_merge_heads_inverts_the_split(impl, generator):
    """Does merge_heads turn x split by view + transpose back into x, shape (2, 3, 12)?"""
    x = torch.randn(2, 3, 12, generator=generator)
    heads = x.view(2, 3, 4, 3).transpose(1, 2)  # (B, n_heads, T, head_dim)
    out = impl.a3.merge_heads(heads)
    assert_shape(out, (2, 3, 12), what="merge_heads(heads of shape (2, 4, 3, 3))")
    assert_close(out, x, atol=0, rtol=0, what="merge_heads(split x)", hint="transpose(1, 2) first, then .contiguous().view(B, T, C)")


@pytest.mark.task3_6
def test_merge_heads_refuses_3d_input(impl):
    """Is a tensor that is not 4-D a ValueError naming its shape?"""
    with assert_raises(ValueError, what="merge_heads(x of shape (2, 3, 4))", mentions=["(2, 3, 4)"]):
        impl.a3.merge_heads(torch.zeros(2, 3, 4))


# ---------------------------------------------------------------- Task 3.7


def torch_self_attention(module, x, causal):
    """The module's computation with its own projection weights and torch's fused attention."""
    B, T, C = x.shape
    n_heads = module.n_heads

    def heads(linear):
        return linear(x).view(B, T, n_heads, C // n_heads).transpose(1, 2)

    out = F.scaled_dot_product_attention(heads(module.q_proj), heads(module.k_proj), heads(module.v_proj), is_causal=causal)
    return module.o_proj(out.transpose(1, 2).reshape(B, T, C))


@pytest.mark.task3_7
def test_self_attention_has_four_bias_free_projections(impl, seeded):
    """Are q_proj, k_proj, v_proj and o_proj nn.Linear(d_model, d_model, bias=False)?"""
    attention = impl.a3.MultiHeadSelfAttention(d_model=8, n_heads=2)
    for name in ("q_proj", "k_proj", "v_proj", "o_proj"):
        layer = getattr(attention, name, None)
        assert_true(isinstance(layer, torch.nn.Linear), f"MultiHeadSelfAttention.{name} is {type(layer).__name__}, expected nn.Linear", hint="the hidden tests load weights by these names")
        assert_shape(layer.weight, (8, 8), what=f"{name}.weight")
        assert_true(layer.bias is None, f"{name} has a bias", hint="nn.Linear(d_model, d_model, bias=False)")


@pytest.mark.task3_7
@pytest.mark.parametrize("causal", [True, False], ids=["causal", "bidirectional"])
def test_self_attention_matches_torch(impl, seeded, generator, causal):
    """Do output and weights match torch's attention on the module's own projections?"""
    attention = impl.a3.MultiHeadSelfAttention(d_model=8, n_heads=2, causal=causal)
    x = torch.randn(3, 5, 8, generator=generator)
    out, weights = attention(x, return_weights=True)
    assert_shape(out, (3, 5, 8), what="output for x of shape (3, 5, 8)")
    assert_shape(weights, (3, 2, 5, 5), what="weights for x of shape (3, 5, 8) and 2 heads", hint="weights are (B, n_heads, T, T)")
    with torch.no_grad():
        expected = torch_self_attention(attention, x, causal)
    assert_close(out, expected, atol=1e-5, rtol=1e-5, what=f"MultiHeadSelfAttention(8, 2, causal={causal})(x)", hint="split q, k and v into heads, attend per head with head_dim = d_model // n_heads, merge, then o_proj")
    assert_close(weights.sum(-1), torch.ones(3, 2, 5), atol=1e-5, rtol=0, what="row sums of the weights")
    assert_close(attention(x), out, atol=1e-6, rtol=0, what="forward(x) without return_weights")


@pytest.mark.task3_7
def test_self_attention_does_not_look_ahead(impl, seeded, generator):
    """Does changing the last position leave the outputs of all earlier positions unchanged?"""
    attention = impl.a3.MultiHeadSelfAttention(d_model=8, n_heads=2)
    x = torch.randn(1, 6, 8, generator=generator)
    changed = x.clone()
    changed[:, -1] += 10.0
    assert_close(attention(changed)[:, :-1], attention(x)[:, :-1], atol=1e-5, rtol=0, what="outputs of positions 0..4 after changing position 5", hint="apply causal_mask(T) to the scores when causal=True")


@pytest.mark.task3_7
def test_self_attention_refuses_indivisible_heads(impl):
    """Is d_model not divisible by n_heads a ValueError naming both?"""
    with assert_raises(ValueError, what="MultiHeadSelfAttention(d_model=10, n_heads=4)", mentions=["10", "4"]):
        impl.a3.MultiHeadSelfAttention(d_model=10, n_heads=4)
