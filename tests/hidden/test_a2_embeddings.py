"""Hidden checks of assignment 2: token embeddings and positional encodings.

They go past the public suite: the student's modules, loaded with the
reference's weights, must agree with the reference over several id shapes,
id dtypes and float dtypes; gradients must reach exactly the rows used; the
documented errors must come for every bad argument; and outputs must stay on
the device of the module.
"""

from __future__ import annotations

import pytest
import torch

from grader.testing import assert_dtype, assert_raises, assert_shape, assert_true
from tests.hidden.support import DEVICES, assert_matches_reference, copy_weights, random_ids, random_tensor

# Tiny tensors: one torch thread is fastest, and immune to a busy machine.
pytestmark = pytest.mark.usefixtures("single_thread")

FLOAT_DTYPES = [torch.float32, torch.float64, torch.bfloat16]


def table_pair(impl, ref, class_name: str, rows: int, d_model: int, *, seed: int, dtype: torch.dtype = torch.float32):
    """The student's and the reference's ``class_name(rows, d_model)`` holding the same seeded weight, cast to ``dtype``.

    Returns ``(student, reference)``.
    """
    reference = getattr(ref.a2, class_name)(rows, d_model)
    with torch.no_grad():
        reference.weight.copy_(random_tensor(rows, d_model, seed=seed))
    reference = reference.to(dtype)
    student = getattr(impl.a2, class_name)(rows, d_model).to(dtype)
    copy_weights(reference, student, what=f"{class_name}({rows}, {d_model})")
    return student, reference


def weight_gradient(module: torch.nn.Module, output: torch.Tensor, upstream: torch.Tensor, *, what: str) -> torch.Tensor:
    """``d(sum(output * upstream)) / d(module.weight)``, failing with a hint when no gradient reaches the weight."""
    __tracebackhide__ = True
    assert_true(
        output.requires_grad,
        f"{what}: the output does not depend on weight in autograd (requires_grad is False)",
        hint="index the parameter itself (self.weight[...]), not self.weight.data or a detached copy",
    )
    (output * upstream).sum().backward()
    assert_true(module.weight.grad is not None, f"{what}: weight.grad is None after backward", hint="index the parameter itself so the gradient flows into it")
    return module.weight.grad


# ---------------------------------------------------------------- Task 2.1


@pytest.mark.task2_1
@pytest.mark.parametrize("dtype", FLOAT_DTYPES, ids=str)
@pytest.mark.parametrize("ids_shape", [(), (7,), (3, 5), (2, 3, 4)], ids=str)
def test_token_embedding_matches_reference(impl, ref, ids_shape, dtype):
    """Does TokenEmbedding(11, 6) return the reference's rows for ids of any shape, in the weight's dtype?"""
    student, reference = table_pair(impl, ref, "TokenEmbedding", 11, 6, seed=21, dtype=dtype)
    ids = random_ids(*ids_shape, vocab_size=11, seed=22)
    what = f"TokenEmbedding(11, 6) in {dtype} on ids of shape {ids_shape}"
    with torch.no_grad():
        out = student(ids)
        expected = reference(ids)
    assert_shape(out, (*ids_shape, 6), what=what, hint="the output shape is ids.shape + (d_model,), whatever the number of dims of ids")
    assert_dtype(out, dtype, what=what, hint="the vectors are rows of weight, so they keep weight's dtype")
    assert_matches_reference(out, expected, what=what, dtype=dtype, hint="row ids[...] of weight for every id: weight[ids]; a one-hot needs num_classes=vocab_size")


@pytest.mark.task2_1
def test_token_embedding_takes_int32_ids(impl, ref):
    """Are int32 ids (an integer dtype, though not int64) looked up like int64 ones?"""
    student, reference = table_pair(impl, ref, "TokenEmbedding", 9, 4, seed=23)
    ids = random_ids(2, 5, vocab_size=9, seed=24).to(torch.int32)
    with torch.no_grad():
        out = student(ids)
        expected = reference(ids.long())
    assert_matches_reference(
        out, expected, what="TokenEmbedding(9, 4) on int32 ids of shape (2, 5)",
        hint="any integer dtype is a valid id tensor: refuse only floating point, complex and bool ids",
    )


@pytest.mark.task2_1
def test_token_embedding_gradient_matches_reference(impl, ref):
    """Does the gradient reach exactly the rows used, summed over repeated ids, as in the reference?"""
    student, reference = table_pair(impl, ref, "TokenEmbedding", 8, 5, seed=25, dtype=torch.float64)
    # Repeated ids: the gradient of a row used twice is the sum of both upstream gradients.
    ids = torch.tensor([[1, 4, 4, 0], [7, 1, 4, 2]])
    upstream = random_tensor(2, 4, 5, seed=26, dtype=torch.float64)
    what = "gradient of TokenEmbedding(8, 5).weight for ids of shape (2, 4) with repeats"
    got = weight_gradient(student, student(ids), upstream, what=what)
    expected = weight_gradient(reference, reference(ids), upstream, what="the reference")
    assert_matches_reference(got, expected, what=what, dtype=torch.float64, hint="indexing weight[ids] gives autograd the right gradient, repeats included")


@pytest.mark.task2_1
@pytest.mark.parametrize("dtype", [torch.float64, torch.float16, torch.bool, torch.complex64], ids=str)
def test_token_embedding_refuses_non_integer_ids(impl, dtype):
    """Are float, complex and bool ids a ValueError naming their dtype (bool ids would select rows by mask)?"""
    embedding = impl.a2.TokenEmbedding(vocab_size=3, d_model=2)
    ids = torch.tensor([[1, 0, 1]]).to(dtype)
    name = str(dtype).removeprefix("torch.")
    with assert_raises(ValueError, what=f"TokenEmbedding(ids of dtype {name})", mentions=[name], hint="refuse every dtype that is not an integer: floating point, complex and bool"):
        embedding(ids)


@pytest.mark.task2_1
@pytest.mark.parametrize("device", [*DEVICES, "meta"])
def test_token_embedding_stays_on_the_weights_device(impl, ref, device):
    """Is the output on the device of weight and ids (no table built on the CPU)?"""
    student, reference = table_pair(impl, ref, "TokenEmbedding", 6, 4, seed=27)
    ids = random_ids(2, 3, vocab_size=6, seed=28)
    with torch.no_grad():
        out = student.to(device)(ids.to(device))
    what = f"TokenEmbedding(6, 4) moved to {device}, ids on {device}"
    assert_true(
        out.device.type == torch.device(device).type,
        f"{what}: the output is on {out.device}, expected {device}",
        hint="build every tensor from weight or ids (or pass device=ids.device), never on the default device",
    )
    if device != "meta":  # meta tensors hold no values
        assert_matches_reference(out, reference(ids), what=what)


# ---------------------------------------------------------------- Task 2.2


@pytest.mark.task2_2
@pytest.mark.parametrize("seq_len, d_model", [(1, 2), (7, 6), (33, 10), (128, 64), (512, 32)])
def test_sinusoidal_table_matches_reference(impl, ref, seq_len, d_model):
    """Does sinusoidal_positional_encoding(seq_len, d_model) match the reference for short and long tables?"""
    table = impl.a2.sinusoidal_positional_encoding(seq_len, d_model)
    what = f"sinusoidal_positional_encoding({seq_len}, {d_model})"
    assert_shape(table, (seq_len, d_model), what=what)
    assert_dtype(table, torch.float32, what=what, hint="compute in any precision, but return float32")
    # An angle pos * frequency computed in float32 is off by up to ~2e-5 at pos 512, a
    # correct way to write it; every real bug (sin and cos swapped, the exponent 2i / d_model
    # miswritten, sines and cosines in two halves) is off by 1e-1 or more.
    assert_matches_reference(
        table, ref.a2.sinusoidal_positional_encoding(seq_len, d_model), what=what, atol=1e-4, rtol=0,
        hint="PE[pos, 2i] = sin(pos / 10000^(2i / d_model)) and PE[pos, 2i+1] = cos of the same angle, interleaved column by column",
    )


@pytest.mark.task2_2
def test_sinusoidal_table_of_no_positions(impl):
    """Is sinusoidal_positional_encoding(0, 8) an empty float32 table of shape (0, 8)?"""
    table = impl.a2.sinusoidal_positional_encoding(0, 8)
    assert_shape(table, (0, 8), what="sinusoidal_positional_encoding(0, 8)", hint="seq_len=0 is valid: build the table from arange(seq_len), not by stacking rows one by one")
    assert_dtype(table, torch.float32, what="sinusoidal_positional_encoding(0, 8)")


@pytest.mark.task2_2
@pytest.mark.parametrize(
    "seq_len, d_model, wrong_value",
    [(4, 0, "0"), (4, -2, "-2"), (4, 7, "7"), (-1, 4, "-1")],
    ids=["zero-width", "negative-width", "odd-width", "negative-length"],
)
def test_sinusoidal_refuses_bad_sizes(impl, seq_len, d_model, wrong_value):
    """Is a d_model that is not a positive even number, or a negative seq_len, a ValueError naming the value?"""
    with assert_raises(
        ValueError, what=f"sinusoidal_positional_encoding({seq_len}, {d_model})", mentions=[wrong_value],
        hint="check d_model > 0 and d_model % 2 == 0 (0 and negative numbers are even too), and seq_len >= 0",
    ):
        impl.a2.sinusoidal_positional_encoding(seq_len, d_model)


# ---------------------------------------------------------------- Task 2.3


@pytest.mark.task2_3
@pytest.mark.parametrize("dtype", FLOAT_DTYPES, ids=str)
@pytest.mark.parametrize("seq_len", [0, 1, 5, 8])
def test_learned_positions_match_reference(impl, ref, seq_len, dtype):
    """Does LearnedPositionalEmbedding(8, 3)(seq_len) return the reference's rows, up to seq_len = max_seq_len?"""
    student, reference = table_pair(impl, ref, "LearnedPositionalEmbedding", 8, 3, seed=31, dtype=dtype)
    what = f"LearnedPositionalEmbedding(8, 3) in {dtype}, forward({seq_len})"
    with torch.no_grad():
        out = student(seq_len)
        expected = reference(seq_len)
    assert_shape(out, (seq_len, 3), what=what, hint="positions 0 .. seq_len - 1, and seq_len = max_seq_len is allowed")
    assert_dtype(out, dtype, what=what)
    assert_matches_reference(out, expected, what=what, dtype=dtype, hint="position p is row p of weight: weight[:seq_len], starting at row 0")


@pytest.mark.task2_3
def test_learned_positions_gradient_matches_reference(impl, ref):
    """Does the gradient of forward(5) reach rows 0..4 of weight, and only those?"""
    student, reference = table_pair(impl, ref, "LearnedPositionalEmbedding", 7, 4, seed=32, dtype=torch.float64)
    upstream = random_tensor(5, 4, seed=33, dtype=torch.float64)
    what = "gradient of LearnedPositionalEmbedding(7, 4).weight after forward(5)"
    got = weight_gradient(student, student(5), upstream, what=what)
    expected = weight_gradient(reference, reference(5), upstream, what="the reference")
    assert_matches_reference(got, expected, what=what, dtype=torch.float64, hint="slice the parameter itself (self.weight[:seq_len]) so the positions are trained")


@pytest.mark.task2_3
def test_learned_positions_refuse_negative_length(impl):
    """Is a negative seq_len a ValueError naming it (weight[:-3] would silently drop 3 rows)?"""
    positions = impl.a2.LearnedPositionalEmbedding(max_seq_len=6, d_model=2)
    with assert_raises(ValueError, what="LearnedPositionalEmbedding(6, 2)(-3)", mentions=["-3"], hint="check seq_len >= 0 as well as seq_len <= max_seq_len"):
        positions(-3)
