"""Tests of assignment 2: token embeddings and positional encodings."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

from solutions.a2_embeddings.embeddings import (
    LearnedPositionalEmbedding,
    SinusoidalPositionalEncoding,
    TokenEmbedding,
    sinusoidal_positional_encoding,
)


@pytest.fixture
def generator() -> torch.Generator:
    return torch.Generator().manual_seed(0)


def brute_force_sinusoids(seq_len: int, d_model: int) -> torch.Tensor:
    """The formula of Vaswani et al. (2017), one entry at a time, in float64."""
    table = torch.zeros(seq_len, d_model, dtype=torch.float64)
    for pos in range(seq_len):
        for i in range(d_model // 2):
            angle = pos / 10000 ** (2 * i / d_model)
            table[pos, 2 * i] = math.sin(angle)
            table[pos, 2 * i + 1] = math.cos(angle)
    return table


# ---------------------------------------------------------------- TokenEmbedding


def test_token_embedding_matches_torch_embedding(generator):
    """Does indexing the table give what F.embedding gives, for every id?"""
    torch.manual_seed(0)
    embedding = TokenEmbedding(vocab_size=11, d_model=6)
    ids = torch.randint(0, 11, (3, 7), generator=generator)
    out = embedding(ids)
    assert out.shape == (3, 7, 6)
    torch.testing.assert_close(out, F.embedding(ids, embedding.weight), atol=0.0, rtol=0.0)


def test_token_embedding_parameter_is_named_weight():
    """Is the table one parameter called `weight` of shape (vocab_size, d_model)?"""
    embedding = TokenEmbedding(vocab_size=5, d_model=3)
    assert dict(embedding.named_parameters()).keys() == {"weight"}
    assert embedding.weight.shape == (5, 3)


def test_token_embedding_gradient_touches_only_used_rows(generator):
    """Does the gradient reach exactly the rows that were looked up, summed per use?"""
    torch.manual_seed(0)
    embedding = TokenEmbedding(vocab_size=6, d_model=4)
    ids = torch.tensor([[1, 3, 1]])
    upstream = torch.randn(1, 3, 4, generator=generator)
    (embedding(ids) * upstream).sum().backward()
    expected = torch.zeros(6, 4)
    expected[1] = upstream[0, 0] + upstream[0, 2]
    expected[3] = upstream[0, 1]
    torch.testing.assert_close(embedding.weight.grad, expected, atol=1e-6, rtol=0.0)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_token_embedding_rejects_float_ids(dtype):
    """Are float token ids refused with a ValueError naming the dtype?"""
    embedding = TokenEmbedding(vocab_size=5, d_model=3)
    with pytest.raises(ValueError, match="float"):
        embedding(torch.tensor([[1.0, 2.0]], dtype=dtype))


# ------------------------------------------------------- sinusoidal positions


def test_sinusoidal_known_answers():
    """Is row 0 [0, 1, 0, 1, ...], PE[1, 0] = sin 1 and PE[1, 1] = cos 1?"""
    table = sinusoidal_positional_encoding(4, 8)
    expected_row0 = torch.tensor([0.0, 1.0] * 4)
    torch.testing.assert_close(table[0], expected_row0, atol=0.0, rtol=0.0)
    assert table[1, 0].item() == pytest.approx(math.sin(1.0), abs=1e-6)
    assert table[1, 1].item() == pytest.approx(math.cos(1.0), abs=1e-6)
    # Column 2 of d_model=8 has frequency 1 / 10000^(2/8) = 0.1.
    assert table[3, 2].item() == pytest.approx(math.sin(0.3), abs=1e-6)


@pytest.mark.parametrize(("seq_len", "d_model"), [(1, 2), (7, 6), (50, 32), (128, 64)])
def test_sinusoidal_matches_brute_force(seq_len, d_model):
    """Does the table match the formula evaluated entry by entry, shape and float32 included?"""
    table = sinusoidal_positional_encoding(seq_len, d_model)
    assert table.shape == (seq_len, d_model)
    assert table.dtype == torch.float32
    expected = brute_force_sinusoids(seq_len, d_model).to(torch.float32)
    torch.testing.assert_close(table, expected, atol=1e-5, rtol=0.0)


@pytest.mark.parametrize("d_model", [1, 3, 15])
def test_sinusoidal_rejects_odd_width(d_model):
    """Is an odd d_model refused with a ValueError naming it?"""
    with pytest.raises(ValueError, match=f"d_model={d_model}"):
        sinusoidal_positional_encoding(4, d_model)


def test_sinusoidal_module_holds_a_non_persistent_buffer():
    """Does the provided module serve the table's rows and keep it out of state_dict?"""
    module = SinusoidalPositionalEncoding(max_seq_len=16, d_model=8)
    torch.testing.assert_close(
        module(5), sinusoidal_positional_encoding(16, 8)[:5], atol=0.0, rtol=0.0
    )
    assert list(module.parameters()) == []
    assert "table" not in module.state_dict()
    with pytest.raises(ValueError, match="max_seq_len=16"):
        module(17)


# ------------------------------------------------------ learned positions


def test_learned_positions_are_the_first_rows():
    """Does forward(seq_len) return rows 0 .. seq_len - 1 of `weight`, up to max_seq_len?"""
    torch.manual_seed(0)
    positions = LearnedPositionalEmbedding(max_seq_len=10, d_model=4)
    assert dict(positions.named_parameters()).keys() == {"weight"}
    assert positions.weight.shape == (10, 4)
    for seq_len in (1, 3, 10):
        out = positions(seq_len)
        assert out.shape == (seq_len, 4)
        torch.testing.assert_close(out, positions.weight[:seq_len], atol=0.0, rtol=0.0)


def test_learned_positions_carry_gradient():
    """Does the gradient flow back into the rows that were used, and only those?"""
    positions = LearnedPositionalEmbedding(max_seq_len=6, d_model=3)
    positions(4).sum().backward()
    expected = torch.zeros(6, 3)
    expected[:4] = 1.0
    torch.testing.assert_close(positions.weight.grad, expected, atol=0.0, rtol=0.0)


def test_learned_positions_reject_too_long():
    """Is seq_len > max_seq_len refused with a ValueError naming both numbers?"""
    positions = LearnedPositionalEmbedding(max_seq_len=8, d_model=4)
    with pytest.raises(ValueError, match="9") as error:
        positions(9)
    assert "8" in str(error.value)
