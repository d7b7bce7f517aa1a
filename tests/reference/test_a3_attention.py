"""Tests of assignment 3: masks, softmax, attention and multi-head self-attention."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from solutions.a3_attention.attention import (
    MultiHeadSelfAttention,
    attention_weights,
    causal_mask,
    merge_heads,
    scaled_dot_product_attention,
    softmax,
    split_heads,
)

# Leading dims the attention functions must handle: none, batch, batch x heads, and more.
LEADING_DIMS = [(), (3,), (2, 4), (2, 3, 2)]


@pytest.fixture
def generator() -> torch.Generator:
    return torch.Generator().manual_seed(0)


def randn(*shape: int, generator: torch.Generator, dtype: torch.dtype = torch.float32):
    return torch.randn(*shape, generator=generator, dtype=dtype)


def einsum_self_attention(
    x: torch.Tensor, module: MultiHeadSelfAttention, causal: bool
) -> tuple[torch.Tensor, torch.Tensor]:
    """Multi-head self-attention written plainly with einsum from the module's weights."""
    B, T, C = x.shape
    n_heads = module.n_heads
    head_dim = C // n_heads
    q = (x @ module.q_proj.weight.T).reshape(B, T, n_heads, head_dim)
    k = (x @ module.k_proj.weight.T).reshape(B, T, n_heads, head_dim)
    v = (x @ module.v_proj.weight.T).reshape(B, T, n_heads, head_dim)
    scores = torch.einsum("bqhd,bkhd->bhqk", q, k) / math.sqrt(head_dim)
    if causal:
        future = torch.triu(torch.ones(T, T, dtype=torch.bool), diagonal=1)
        scores = scores.masked_fill(future, float("-inf"))
    weights = torch.softmax(scores, dim=-1)
    heads = torch.einsum("bhqk,bkhd->bqhd", weights, v).reshape(B, T, C)
    return heads @ module.o_proj.weight.T, weights


# ------------------------------------------------------------------ causal_mask


@pytest.mark.parametrize("seq_len", [1, 2, 5, 16])
def test_causal_mask_is_lower_triangle(seq_len):
    """Is mask[i, j] True exactly when j <= i, as a bool tensor of shape (T, T)?"""
    mask = causal_mask(seq_len)
    assert mask.dtype == torch.bool
    assert mask.shape == (seq_len, seq_len)
    for i in range(seq_len):
        for j in range(seq_len):
            assert mask[i, j].item() == (j <= i), f"mask[{i}, {j}]"


def test_causal_mask_honours_device():
    """Is the mask created on the device asked for?"""
    assert causal_mask(3, device="cpu").device.type == "cpu"
    assert causal_mask(3, device=torch.device("meta")).device.type == "meta"


# --------------------------------------------------------------------- softmax


@pytest.mark.parametrize("dim", [-1, 0, 1])
def test_softmax_matches_torch(dim, generator):
    """Does softmax match torch.softmax along every dim of a 3-D tensor?"""
    x = randn(4, 5, 6, generator=generator) * 3
    torch.testing.assert_close(softmax(x, dim=dim), torch.softmax(x, dim=dim), atol=1e-6, rtol=1e-5)


def test_softmax_survives_huge_inputs():
    """Does softmax survive inputs of 1e4 (where exp overflows) and still match torch?"""
    x = torch.tensor([[1e4, 1e4 - 1.0, 0.0], [-1e4, 1e4, 1e4], [1e4, 1e4, 1e4]])
    out = softmax(x)
    assert torch.isfinite(out).all()
    torch.testing.assert_close(out, torch.softmax(x, dim=-1), atol=1e-6, rtol=1e-5)


def test_softmax_gives_zero_to_minus_infinity(generator):
    """Do -inf entries get probability exactly 0 while the rest match torch?"""
    x = randn(3, 5, generator=generator)
    x[:, 1] = float("-inf")
    x[0, 3] = float("-inf")
    out = softmax(x)
    assert (out[:, 1] == 0).all() and out[0, 3] == 0
    torch.testing.assert_close(out, torch.softmax(x, dim=-1), atol=1e-6, rtol=1e-5)


def test_softmax_keeps_dtype(generator):
    """Does softmax return the input's dtype (float64 stays float64)?"""
    x = randn(2, 3, generator=generator, dtype=torch.float64)
    assert softmax(x).dtype == torch.float64


def test_softmax_gradcheck(generator):
    """Is the gradient of softmax right (float64 gradcheck)?"""
    x = randn(3, 4, generator=generator, dtype=torch.float64).requires_grad_()
    assert torch.autograd.gradcheck(lambda t: softmax(t, dim=-1), (x,), eps=1e-6, atol=1e-5)


def test_softmax_does_not_call_torch_softmax(monkeypatch, generator):
    """Is softmax written out, not a call to torch.softmax / F.softmax / Tensor.softmax?"""

    def forbidden(*args, **kwargs):
        raise AssertionError("softmax must be written without torch's softmax")

    monkeypatch.setattr(torch, "softmax", forbidden)
    monkeypatch.setattr(F, "softmax", forbidden)
    monkeypatch.setattr(torch.Tensor, "softmax", forbidden)
    x = randn(2, 3, generator=generator)
    expected = torch.exp(x) / torch.exp(x).sum(dim=-1, keepdim=True)
    torch.testing.assert_close(softmax(x), expected, atol=1e-6, rtol=1e-5)


# ------------------------------------------------------------ attention_weights


@pytest.mark.parametrize("leading", LEADING_DIMS)
def test_attention_weights_match_formula(leading, generator):
    """Do the weights equal torch.softmax(q k^T / sqrt(d_k)) over any leading dims?"""
    q = randn(*leading, 5, 8, generator=generator)
    k = randn(*leading, 7, 8, generator=generator)
    expected = torch.softmax(q @ k.transpose(-2, -1) / math.sqrt(8), dim=-1)
    out = attention_weights(q, k)
    assert out.shape == (*leading, 5, 7)
    torch.testing.assert_close(out, expected, atol=1e-6, rtol=1e-5)


def test_attention_weights_rows_sum_to_one_and_mask_is_zero(generator):
    """With a causal mask, does every row sum to 1 and every future weight equal exactly 0?"""
    q = randn(2, 3, 6, 4, generator=generator)
    k = randn(2, 3, 6, 4, generator=generator)
    weights = attention_weights(q, k, causal_mask(6))
    torch.testing.assert_close(weights.sum(dim=-1), torch.ones(2, 3, 6), atol=1e-6, rtol=0.0)
    future = ~causal_mask(6)
    assert (weights[..., future] == 0).all()


def test_attention_weights_mask_is_applied_before_softmax(generator):
    """Are masked scores removed before the softmax (so the kept ones renormalise)?"""
    q = randn(1, 4, generator=generator)
    k = randn(3, 4, generator=generator)
    mask = torch.tensor([[True, False, True]])
    scores = q @ k.T / 2.0
    kept = torch.softmax(scores[:, [0, 2]], dim=-1)
    weights = attention_weights(q, k, mask)
    torch.testing.assert_close(weights[:, [0, 2]], kept, atol=1e-6, rtol=1e-5)


def test_attention_weights_gradcheck(generator):
    """Is the gradient through masked attention weights right (float64 gradcheck)?"""
    q = randn(2, 4, 3, generator=generator, dtype=torch.float64).requires_grad_()
    k = randn(2, 4, 3, generator=generator, dtype=torch.float64).requires_grad_()
    mask = causal_mask(4)
    assert torch.autograd.gradcheck(
        lambda a, b: attention_weights(a, b, mask), (q, k), eps=1e-6, atol=1e-5
    )


def test_attention_weights_reject_bad_arguments(generator):
    """Are mismatched d_k and non-bool masks refused with ValueErrors naming them?"""
    q = randn(3, 4, generator=generator)
    with pytest.raises(ValueError, match="d_k=5"):
        attention_weights(q, randn(3, 5, generator=generator))
    with pytest.raises(ValueError, match="float32"):
        attention_weights(q, q, causal_mask(3).float())


# --------------------------------------------------- scaled_dot_product_attention


@pytest.mark.parametrize("leading", LEADING_DIMS)
@pytest.mark.parametrize("masked", [False, True])
def test_attention_matches_torch_sdpa(leading, masked, generator):
    """Does the attention output match F.scaled_dot_product_attention, with and without a mask?"""
    q = randn(*leading, 6, 8, generator=generator)
    k = randn(*leading, 6, 8, generator=generator)
    v = randn(*leading, 6, 5, generator=generator)
    mask = causal_mask(6) if masked else None
    out = scaled_dot_product_attention(q, k, v, mask)
    expected = F.scaled_dot_product_attention(q, k, v, attn_mask=mask)
    assert out.shape == (*leading, 6, 5)
    torch.testing.assert_close(out, expected, atol=1e-5, rtol=1e-5)


def test_attention_matches_torch_with_broadcast_mask(generator):
    """Does a per-batch padding-style mask broadcast over heads and queries like torch's?"""
    q = randn(2, 3, 5, 4, generator=generator)
    k = randn(2, 3, 7, 4, generator=generator)
    v = randn(2, 3, 7, 4, generator=generator)
    mask = torch.rand(2, 1, 1, 7, generator=generator) > 0.4
    mask[..., 0] = True  # every row keeps at least one key
    expected = F.scaled_dot_product_attention(q, k, v, attn_mask=mask)
    torch.testing.assert_close(
        scaled_dot_product_attention(q, k, v, mask), expected, atol=1e-5, rtol=1e-5
    )


def test_attention_gradcheck(generator):
    """Is the gradient of attention with respect to q, k and v right (float64 gradcheck)?"""
    q = randn(2, 4, 3, generator=generator, dtype=torch.float64).requires_grad_()
    k = randn(2, 4, 3, generator=generator, dtype=torch.float64).requires_grad_()
    v = randn(2, 4, 2, generator=generator, dtype=torch.float64).requires_grad_()
    mask = causal_mask(4)
    assert torch.autograd.gradcheck(
        lambda a, b, c: scaled_dot_product_attention(a, b, c, mask), (q, k, v), eps=1e-6, atol=1e-5
    )


def test_attention_rejects_mismatched_values(generator):
    """Is a v with a different number of positions than k refused, naming both counts?"""
    q = randn(3, 4, generator=generator)
    with pytest.raises(ValueError, match="T_k=3"):
        scaled_dot_product_attention(q, q, randn(5, 4, generator=generator))


# ----------------------------------------------------------- split / merge heads


@pytest.mark.parametrize("n_heads", [1, 2, 3, 6])
def test_split_heads_slices_channels(n_heads, generator):
    """Does head h hold channels h*head_dim .. (h+1)*head_dim - 1 of every position?"""
    x = randn(2, 5, 12, generator=generator)
    heads = split_heads(x, n_heads)
    head_dim = 12 // n_heads
    assert heads.shape == (2, n_heads, 5, head_dim)
    for h in range(n_heads):
        torch.testing.assert_close(
            heads[:, h], x[:, :, h * head_dim : (h + 1) * head_dim], atol=0.0, rtol=0.0
        )


@pytest.mark.parametrize("n_heads", [1, 4])
def test_merge_heads_inverts_split_heads(n_heads, generator):
    """Does merge_heads(split_heads(x)) give back x exactly?"""
    x = randn(3, 7, 8, generator=generator)
    torch.testing.assert_close(merge_heads(split_heads(x, n_heads)), x, atol=0.0, rtol=0.0)


def test_split_and_merge_reject_bad_shapes(generator):
    """Are indivisible channel counts and wrong ranks refused with ValueErrors?"""
    with pytest.raises(ValueError, match="n_heads=5"):
        split_heads(randn(2, 3, 12, generator=generator), 5)
    with pytest.raises(ValueError, match=r"\(3, 12\)"):
        split_heads(randn(3, 12, generator=generator), 2)
    with pytest.raises(ValueError, match=r"\(2, 3, 12\)"):
        merge_heads(randn(2, 3, 12, generator=generator))


# ------------------------------------------------------- MultiHeadSelfAttention


@pytest.fixture
def attention_module() -> MultiHeadSelfAttention:
    torch.manual_seed(0)
    return MultiHeadSelfAttention(d_model=16, n_heads=4).eval()


def test_mhsa_parameters_are_named_by_the_contract(attention_module):
    """Are the parameters exactly the four bias-free (d_model, d_model) projection weights?"""
    shapes = {name: tuple(p.shape) for name, p in attention_module.named_parameters()}
    names = ("q_proj", "k_proj", "v_proj", "o_proj")
    assert shapes == {f"{name}.weight": (16, 16) for name in names}


@pytest.mark.parametrize("causal", [True, False])
def test_mhsa_matches_einsum_reference(causal, generator):
    """Do output and weights match a plain einsum implementation using the same weights?"""
    torch.manual_seed(0)
    module = MultiHeadSelfAttention(d_model=16, n_heads=4, causal=causal).eval()
    x = randn(3, 7, 16, generator=generator)
    out, weights = module(x, return_weights=True)
    expected_out, expected_weights = einsum_self_attention(x, module, causal)
    assert out.shape == (3, 7, 16) and weights.shape == (3, 4, 7, 7)
    torch.testing.assert_close(out, expected_out, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(weights, expected_weights, atol=1e-6, rtol=1e-5)
    torch.testing.assert_close(module(x), out, atol=0.0, rtol=0.0)


def test_mhsa_matches_torch_multihead_attention(attention_module, generator):
    """Does it match nn.MultiheadAttention (causal, no bias) with the weights copied in?"""
    reference = nn.MultiheadAttention(16, 4, bias=False, batch_first=True).eval()
    with torch.no_grad():
        reference.in_proj_weight.copy_(
            torch.cat(
                [
                    attention_module.q_proj.weight,
                    attention_module.k_proj.weight,
                    attention_module.v_proj.weight,
                ]
            )
        )
        reference.out_proj.weight.copy_(attention_module.o_proj.weight)
    x = randn(2, 9, 16, generator=generator)
    # nn.MultiheadAttention's bool mask means the opposite: True = may NOT attend.
    expected, expected_weights = reference(
        x, x, x, attn_mask=~causal_mask(9), need_weights=True, average_attn_weights=False
    )
    out, weights = attention_module(x, return_weights=True)
    torch.testing.assert_close(out, expected, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(weights, expected_weights, atol=1e-6, rtol=1e-5)


@pytest.mark.parametrize("causal", [True, False])
def test_fused_path_equals_unfused(causal, generator):
    """Does the provided fused path give the unfused result with the same weights?"""
    torch.manual_seed(0)
    unfused = MultiHeadSelfAttention(d_model=16, n_heads=2, causal=causal).eval()
    fused = MultiHeadSelfAttention(d_model=16, n_heads=2, causal=causal, fused=True).eval()
    fused.load_state_dict(unfused.state_dict())
    x = randn(2, 6, 16, generator=generator)
    torch.testing.assert_close(fused(x), unfused(x), atol=1e-5, rtol=1e-5)
    # Weights can only come from the unfused path, so fused modules fall back to it.
    out, _ = fused(x, return_weights=True)
    torch.testing.assert_close(out, unfused(x), atol=0.0, rtol=0.0)


def test_mhsa_is_causal(attention_module, generator):
    """Does changing inputs after position t leave the output at positions <= t unchanged?"""
    x = randn(2, 8, 16, generator=generator)
    for t in range(8):
        changed = x.clone()
        changed[:, t + 1 :] = randn(2, 8 - t - 1, 16, generator=generator)
        torch.testing.assert_close(
            attention_module(changed)[:, : t + 1],
            attention_module(x)[:, : t + 1],
            atol=1e-6,
            rtol=1e-5,
        )


def test_mhsa_weights_rows_sum_to_one(attention_module, generator):
    """Are the returned weights causal rows that each sum to 1?"""
    _, weights = attention_module(randn(2, 5, 16, generator=generator), return_weights=True)
    torch.testing.assert_close(weights.sum(dim=-1), torch.ones(2, 4, 5), atol=1e-6, rtol=0.0)
    assert (weights[..., ~causal_mask(5)] == 0).all()


def test_mhsa_dropout_only_in_training(generator):
    """Is dropout active in train mode and off in eval mode, for both paths?"""
    torch.manual_seed(0)
    module = MultiHeadSelfAttention(d_model=16, n_heads=4, dropout=0.5)
    x = randn(2, 6, 16, generator=generator)
    module.eval()
    reference = module(x)
    torch.testing.assert_close(module(x), reference, atol=0.0, rtol=0.0)
    module.train()
    assert not torch.allclose(module(x), reference, atol=1e-4)
    module.fused = True
    assert not torch.allclose(module(x), reference, atol=1e-4)


def test_mhsa_gradients_reach_every_projection(attention_module, generator):
    """Does backward give every projection a finite, non-zero gradient?"""
    attention_module(randn(2, 5, 16, generator=generator)).sum().backward()
    for name, parameter in attention_module.named_parameters():
        assert parameter.grad is not None and torch.isfinite(parameter.grad).all(), name
        assert parameter.grad.abs().sum() > 0, name


@pytest.mark.parametrize(("d_model", "n_heads"), [(10, 3), (16, 5), (8, 0)])
def test_mhsa_rejects_indivisible_width(d_model, n_heads):
    """Is d_model % n_heads != 0 refused with a ValueError naming both?"""
    with pytest.raises(ValueError, match=f"d_model={d_model}.*n_heads={n_heads}"):
        MultiHeadSelfAttention(d_model=d_model, n_heads=n_heads)


@pytest.mark.parametrize("dropout", [-0.1, 1.0])
def test_mhsa_rejects_bad_dropout(dropout):
    """Is a dropout outside [0, 1) refused with a ValueError naming it?"""
    with pytest.raises(ValueError, match=f"dropout={dropout}"):
        MultiHeadSelfAttention(d_model=8, n_heads=2, dropout=dropout)
