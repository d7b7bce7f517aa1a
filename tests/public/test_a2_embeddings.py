"""Public checks of assignment 2: token embeddings and positional encodings."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

from grader.testing import assert_close, assert_dtype, assert_equal, assert_raises, assert_shape, assert_true

# Tiny tensors: one torch thread is fastest, and immune to a busy machine.
pytestmark = pytest.mark.usefixtures("single_thread")

# ---------------------------------------------------------------- Task 2.1


@pytest.mark.task2_1
def test_token_embedding_selects_rows_of_weight(impl):
    """Does TokenEmbedding return row ids[b, t] of weight for every token, as in its docstring?"""
    embedding = impl.a2.TokenEmbedding(vocab_size=3, d_model=2)
    with torch.no_grad():
        embedding.weight.copy_(torch.tensor([[0.0, 0.0], [1.0, 2.0], [3.0, 4.0]]))
    out = embedding(torch.tensor([[2, 1, 2]]))
    assert_shape(out, (1, 3, 2), what="TokenEmbedding(3, 2)(ids of shape (1, 3))", hint="the output shape is ids.shape + (d_model,)")
    assert_close(out, [[[3.0, 4.0], [1.0, 2.0], [3.0, 4.0]]], atol=0, rtol=0, what="embedding of ids [[2, 1, 2]]", hint="index the rows of weight: weight[ids]")


@pytest.mark.task2_1
def test_token_embedding_matches_f_embedding(impl, seeded):
    """Does TokenEmbedding agree with F.embedding on a (2, 5) batch, and train only the rows used?"""
    embedding = impl.a2.TokenEmbedding(vocab_size=10, d_model=4)
    assert_shape(embedding.weight, (10, 4), what="TokenEmbedding(10, 4).weight")
    ids = torch.tensor([[0, 3, 3, 9, 1], [2, 2, 7, 0, 5]])
    out = embedding(ids)
    assert_close(out, F.embedding(ids, embedding.weight), atol=0, rtol=0, what="TokenEmbedding(ids)")
    out.sum().backward()
    unused = [row for row in range(10) if row not in ids.tolist()[0] + ids.tolist()[1]]
    assert_true(embedding.weight.grad is not None, "weight.grad is None after backward", hint="return weight[ids] so the gradient flows into weight")
    assert_close(embedding.weight.grad[unused], torch.zeros(len(unused), 4), atol=0, rtol=0, what=f"gradient of the unused rows {unused}")


@pytest.mark.task2_1
def test_token_embedding_refuses_float_ids(impl):
    """Are float ids (2.0 instead of 2) a ValueError naming the dtype?"""
    embedding = impl.a2.TokenEmbedding(vocab_size=3, d_model=2)
    with assert_raises(ValueError, what="TokenEmbedding(ids of dtype float32)", mentions=["float32"]):
        embedding(torch.tensor([[2.0, 1.0]]))


# ---------------------------------------------------------------- Task 2.2


@pytest.mark.task2_2
def test_sinusoidal_table_of_the_docstring(impl):
    """Is sinusoidal_positional_encoding(2, 4) the table of the docstring, row 0 being [0, 1, 0, 1]?"""
    table = impl.a2.sinusoidal_positional_encoding(2, 4)
    assert_shape(table, (2, 4), what="sinusoidal_positional_encoding(2, 4)")
    assert_dtype(table, torch.float32, what="sinusoidal_positional_encoding(2, 4)")
    expected = [[0.0, 1.0, 0.0, 1.0], [math.sin(1), math.cos(1), math.sin(0.01), math.cos(0.01)]]
    assert_close(table, expected, atol=1e-6, rtol=0, what="sinusoidal_positional_encoding(2, 4)", hint="sin on even columns, cos on odd; column pair (2i, 2i+1) uses 10000^(2i / d_model)")


@pytest.mark.task2_2
def test_sinusoidal_table_matches_the_formula(impl):
    """Does every entry of a (50, 16) table match sin/cos(pos / 10000^(2i / d_model))?"""
    seq_len, d_model = 50, 16
    expected = torch.empty(seq_len, d_model, dtype=torch.float64)
    for pos in range(seq_len):
        for i in range(d_model // 2):
            angle = pos / 10000 ** (2 * i / d_model)
            expected[pos, 2 * i] = math.sin(angle)
            expected[pos, 2 * i + 1] = math.cos(angle)
    assert_close(
        impl.a2.sinusoidal_positional_encoding(seq_len, d_model), expected, atol=1e-5, rtol=0,
        what="sinusoidal_positional_encoding(50, 16)", hint="the exponent is 2i / d_model where 2i is the even column, not the column itself",
    )


@pytest.mark.task2_2
def test_sinusoidal_refuses_odd_width(impl):
    """Is an odd d_model a ValueError naming it?"""
    with assert_raises(ValueError, what="sinusoidal_positional_encoding(4, 5)", mentions=["5"]):
        impl.a2.sinusoidal_positional_encoding(4, 5)


# ---------------------------------------------------------------- Task 2.3


@pytest.mark.task2_3
def test_learned_positions_are_the_first_rows(impl, seeded):
    """Does LearnedPositionalEmbedding(4, 2)(3) return rows 0, 1, 2 of a (4, 2) weight?"""
    positions = impl.a2.LearnedPositionalEmbedding(max_seq_len=4, d_model=2)
    assert_shape(positions.weight, (4, 2), what="LearnedPositionalEmbedding(4, 2).weight")
    assert_true(isinstance(positions.weight, torch.nn.Parameter), "weight is not an nn.Parameter", hint="make weight an nn.Parameter so it is trained")
    out = positions(3)
    assert_shape(out, (3, 2), what="LearnedPositionalEmbedding(4, 2)(3)")
    assert_close(out, positions.weight[:3], atol=0, rtol=0, what="LearnedPositionalEmbedding(4, 2)(3)", hint="positions 0 .. seq_len - 1 are weight[:seq_len]")
    assert_equal(tuple(positions(4).shape), (4, 2), what="shape of LearnedPositionalEmbedding(4, 2)(4)")


@pytest.mark.task2_3
def test_learned_positions_refuse_too_long_inputs(impl):
    """Is asking for more positions than max_seq_len a ValueError naming both numbers?"""
    positions = impl.a2.LearnedPositionalEmbedding(max_seq_len=4, d_model=2)
    with assert_raises(ValueError, what="LearnedPositionalEmbedding(4, 2)(5)", mentions=["5", "4"], hint="slicing weight[:5] would silently return only 4 rows"):
        positions(5)
