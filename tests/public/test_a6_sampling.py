"""Public checks of assignment 6: greedy, temperature, top-k, top-p, sampling and generation."""

from __future__ import annotations

import math

import pytest
import torch

from grader.testing import assert_close, assert_dtype, assert_equal, assert_raises, assert_shape, assert_true
from tests.stand_ins import FavouriteTokenLM

# Tiny tensors: one torch thread is fastest, and immune to a busy machine.
pytestmark = pytest.mark.usefixtures("single_thread")

INF = float("inf")




@pytest.fixture
def generator() -> torch.Generator:
    return torch.Generator().manual_seed(0)


# ---------------------------------------------------------------- Task 6.1


@pytest.mark.task6_1
def test_greedy_of_the_docstring(impl):
    """Is greedy_next the (B, 1) argmax of each row, the lower index winning a tie?"""
    out = impl.a6.greedy_next(torch.tensor([[0.1, 2.0, -1.0], [3.0, 3.0, 0.0]]))
    assert_shape(out, (2, 1), what="greedy_next(logits of shape (2, 3))", hint="keep a dim for concatenation: argmax(dim=-1, keepdim=True)")
    assert_dtype(out, torch.int64, what="greedy_next(...)")
    assert_equal(out, torch.tensor([[1], [0]]), what="greedy_next([[0.1, 2, -1], [3, 3, 0]])")


@pytest.mark.task6_1
def test_greedy_refuses_1d_logits(impl):
    """Are logits that are not (B, V) a ValueError naming their shape?"""
    with assert_raises(ValueError, what="greedy_next(logits of shape (3,))", mentions=["(3,)"]):
        impl.a6.greedy_next(torch.zeros(3))


# ---------------------------------------------------------------- Task 6.2


@pytest.mark.task6_2
def test_temperature_divides_the_logits(impl):
    """Is apply_temperature([2, 1], 0.5) equal to [4, 2], leaving its input unchanged?"""
    logits = torch.tensor([2.0, 1.0])
    out = impl.a6.apply_temperature(logits, 0.5)
    assert_close(out, [4.0, 2.0], atol=0, rtol=1e-6, what="apply_temperature([2, 1], 0.5)", hint="divide by the temperature: logits / t")
    assert_close(logits, [2.0, 1.0], atol=0, rtol=0, what="the input logits afterwards", hint="return a new tensor instead of dividing in place")


@pytest.mark.task6_2
@pytest.mark.parametrize("temperature", [0.0, -1.0])
def test_temperature_must_be_positive(impl, temperature):
    """Is a temperature <= 0 a ValueError naming it?"""
    with assert_raises(ValueError, what=f"apply_temperature(logits, {temperature})", mentions=[str(temperature)]):
        impl.a6.apply_temperature(torch.zeros(3), temperature)


# ---------------------------------------------------------------- Task 6.3


@pytest.mark.task6_3
def test_top_k_of_the_docstring(impl):
    """Does top_k_filter keep the k largest (and every logit tied with the k-th), the rest -inf?"""
    assert_close(impl.a6.top_k_filter(torch.tensor([1.0, 3.0, 2.0, 0.0]), 2), [-INF, 3.0, 2.0, -INF], atol=0, rtol=0, what="top_k_filter([1, 3, 2, 0], 2)", hint="keep logits >= the k-th largest (torch.topk(...).values[..., -1:])")
    assert_close(impl.a6.top_k_filter(torch.tensor([1.0, 3.0, 2.0, 3.0]), 1), [-INF, 3.0, -INF, 3.0], atol=0, rtol=0, what="top_k_filter([1, 3, 2, 3], 1)", hint="a logit tied with the k-th largest is kept too")


@pytest.mark.task6_3
def test_top_k_on_a_batch_matches_sorting(impl, generator):
    """On (3, 10) random logits, does each row keep exactly its 4 largest, unchanged, and leave the input alone?"""
    logits = torch.randn(3, 10, generator=generator)
    original = logits.clone()
    out = impl.a6.top_k_filter(logits, 4)
    expected = torch.full_like(logits, -INF)
    for row in range(3):
        keep = sorted(range(10), key=lambda i: -logits[row, i].item())[:4]
        expected[row, keep] = logits[row, keep]
    assert_close(out, expected, atol=0, rtol=0, what="top_k_filter(logits (3, 10), 4)", hint="take the k-th largest per row (dim=-1)")
    assert_close(logits, original, atol=0, rtol=0, what="the input logits afterwards", hint="return a new tensor (masked_fill, not masked_fill_)")
    assert_close(impl.a6.top_k_filter(logits, 10), logits, atol=0, rtol=0, what="top_k_filter(logits, k = V)")


@pytest.mark.task6_3
def test_top_k_must_keep_something(impl):
    """Is k = 0 a ValueError naming it?"""
    with assert_raises(ValueError, what="top_k_filter(logits, 0)", mentions=["0"]):
        impl.a6.top_k_filter(torch.zeros(3), 0)


# ---------------------------------------------------------------- Task 6.4


@pytest.mark.task6_4
def test_top_p_of_the_docstring(impl):
    """With probabilities [0.1, 0.5, 0.4] and p = 0.8, are 0.5 and 0.4 kept (0.4 crosses p) and 0.1 dropped?"""
    logits = torch.tensor([0.1, 0.5, 0.4]).log()
    out = impl.a6.top_p_filter(logits, 0.8)
    expected = torch.tensor([-INF, math.log(0.5), math.log(0.4)])
    assert_close(out, expected, atol=1e-6, rtol=0, what="top_p_filter(log [0.1, 0.5, 0.4], 0.8)", hint="keep a sorted token while the mass BEFORE it is < p, so the token that crosses p stays")


@pytest.mark.task6_4
def test_top_p_always_keeps_the_most_likely_token(impl):
    """With a tiny p, is exactly the most likely token kept; and with p = 1 everything?"""
    logits = torch.tensor([[1.0, 4.0, 2.0], [0.0, -1.0, 3.0]])
    out = impl.a6.top_p_filter(logits, 0.01)
    assert_close(out, [[-INF, 4.0, -INF], [-INF, -INF, 3.0]], atol=0, rtol=0, what="top_p_filter(logits, 0.01)", hint="nothing comes before the most likely token, so it is always kept")
    assert_close(impl.a6.top_p_filter(logits, 1.0), logits, atol=0, rtol=0, what="top_p_filter(logits, 1.0)", hint="p = 1 keeps everything, even where rounding makes the running sum reach 1 early")


@pytest.mark.task6_4
def test_top_p_matches_a_sorted_walk(impl, generator):
    """On (4, 12) random logits and p = 0.7, does each row keep exactly the tokens of a plain sorted walk?"""
    logits = torch.randn(4, 12, generator=generator) * 2
    out = impl.a6.top_p_filter(logits, 0.7)
    probs = torch.softmax(logits, dim=-1)
    expected = torch.full_like(logits, -INF)
    for row in range(4):
        mass = 0.0
        for index in sorted(range(12), key=lambda i: -probs[row, i].item()):
            if mass >= 0.7:
                break
            expected[row, index] = logits[row, index]
            mass += probs[row, index].item()
    assert_close(out, expected, atol=0, rtol=0, what="top_p_filter(logits (4, 12), 0.7)", hint="sort each row (dim=-1), cumsum, and scatter the keep/remove decision back to the original order")


@pytest.mark.task6_4
@pytest.mark.parametrize("p", [0.0, 1.5])
def test_top_p_must_lie_in_zero_one(impl, p):
    """Is p outside (0, 1] a ValueError naming it?"""
    with assert_raises(ValueError, what=f"top_p_filter(logits, {p})", mentions=[str(p)]):
        impl.a6.top_p_filter(torch.zeros(3), p)


# ---------------------------------------------------------------- Task 6.5


@pytest.mark.task6_5
def test_sample_with_temperature_zero_is_greedy(impl):
    """Does temperature 0 return the argmax of each row as (B, 1) int64?"""
    logits = torch.tensor([[0.1, 2.0, -1.0], [3.0, 1.0, 0.0]])
    out = impl.a6.sample_next(logits, temperature=0.0)
    assert_dtype(out, torch.int64, what="sample_next(..., temperature=0)")
    assert_equal(out, torch.tensor([[1], [0]]), what="sample_next(logits, temperature=0)", hint="temperature 0 means greedy_next(logits)")


@pytest.mark.task6_5
def test_sample_draws_with_multinomial(impl):
    """With the same seed, does sample_next draw what torch.multinomial(softmax(logits / t), 1) draws?"""
    logits = torch.randn(5, 8, generator=torch.Generator().manual_seed(1))
    out = impl.a6.sample_next(logits, temperature=0.7, generator=torch.Generator().manual_seed(4))
    expected = torch.multinomial(torch.softmax(logits / 0.7, dim=-1), 1, generator=torch.Generator().manual_seed(4))
    assert_shape(out, (5, 1), what="sample_next(logits (5, 8))")
    assert_equal(out, expected, what="sample_next(logits, temperature=0.7) with seed 4", hint="one call torch.multinomial(probs, 1, generator=generator) on softmax(logits / temperature)")


@pytest.mark.task6_5
def test_sample_respects_the_filters(impl, generator):
    """Is a filtered-out token never drawn: top_k=1 always gives the argmax, and -inf logits never come out?"""
    logits = torch.tensor([[0.0, 1.0, 0.5, -1.0]]).repeat(50, 1)
    out = impl.a6.sample_next(logits, temperature=1.0, top_k=1, generator=generator)
    assert_equal(out, torch.ones(50, 1, dtype=torch.long), what="50 draws with top_k=1", hint="apply top_k_filter before the softmax")
    out = impl.a6.sample_next(logits, temperature=2.0, top_p=0.5, generator=generator)
    assert_true(set(out.flatten().tolist()) <= {1, 2}, f"draws with top_p=0.5 include tokens {sorted(set(out.flatten().tolist()))}, expected only 1 and 2", hint="temperature first, then top-k, then top-p, then softmax")


@pytest.mark.task6_5
def test_sample_refuses_bad_settings(impl):
    """Are a negative temperature and top_k = 0 ValueErrors naming them?"""
    with assert_raises(ValueError, what="sample_next(logits, temperature=-1)", mentions=["-1"]):
        impl.a6.sample_next(torch.zeros(1, 3), temperature=-1.0)
    with assert_raises(ValueError, what="sample_next(logits, top_k=0)", mentions=["0"]):
        impl.a6.sample_next(torch.zeros(1, 3), top_k=0)


# ---------------------------------------------------------------- Task 6.6


@pytest.mark.task6_6
def test_generate_appends_the_models_tokens(impl):
    """Greedy, from the prompt [[1, 2]], does a model that always favours 7 give [[1, 2, 7, 7, 7]]?"""
    prompt = torch.tensor([[1, 2]])
    out = impl.a6.generate(FavouriteTokenLM(7), prompt, 3, temperature=0.0)
    assert_equal(out, torch.tensor([[1, 2, 7, 7, 7]]), what="generate(model, [[1, 2]], 3, temperature=0)", hint="sample from logits[:, -1, :] (the last position) and torch.cat onto ids")
    assert_equal(prompt, torch.tensor([[1, 2]]), what="the prompt afterwards")


@pytest.mark.task6_6
def test_generate_crops_the_context_to_the_block(impl):
    """With block_size 4 and a 3-token prompt, does the model never see more than 4 tokens, in eval mode without grad?"""
    model = FavouriteTokenLM(5, block_size=4)
    model.train()
    out = impl.a6.generate(model, torch.tensor([[1, 2, 3]]), 4, temperature=0.0)
    assert_shape(out, (1, 7), what="generate(3-token prompt, 4 new tokens)")
    assert_equal([length for length, _, _ in model.calls], [3, 4, 4, 4], what="context lengths the model saw", hint="crop the context: ids[:, -block_size:]")
    assert_true(all(not training and not grad for _, training, grad in model.calls), "the model ran in train mode or with gradients on", hint="model.eval() and torch.no_grad() while generating")
    assert_true(model.training, "the model is left in eval mode after generate", hint="restore the mode it was in: model.train(was_training)")


@pytest.mark.task6_6
def test_generate_stops_at_end_of_sequence(impl):
    """With eos_id set to the favoured token, does generation stop after one round?"""
    out = impl.a6.generate(FavouriteTokenLM(7), torch.tensor([[1, 2]]), 5, temperature=0.0, eos_id=7)
    assert_equal(out, torch.tensor([[1, 2, 7]]), what="generate(..., max_new_tokens=5, eos_id=7)", hint="stop as soon as every row has produced eos_id")


@pytest.mark.task6_6
def test_generate_refuses_a_negative_count(impl):
    """Is max_new_tokens = -1 a ValueError naming it?"""
    with assert_raises(ValueError, what="generate(model, ids, -1)", mentions=["-1"]):
        impl.a6.generate(FavouriteTokenLM(7), torch.tensor([[1]]), -1)
