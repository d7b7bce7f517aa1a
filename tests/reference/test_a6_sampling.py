"""Tests of the reference sampler (assignment 6) against brute-force references and sampling statistics."""

from __future__ import annotations

import math
from types import SimpleNamespace

import pytest
import torch
from torch import nn

from solutions.a6_sampling.sampling import (
    apply_temperature,
    generate,
    greedy_next,
    sample_next,
    top_k_filter,
    top_p_filter,
)

NEG_INF = float("-inf")


@pytest.fixture
def logits() -> torch.Tensor:
    """Random (6, 12) logits without ties."""
    return 2 * torch.randn(6, 12, generator=torch.Generator().manual_seed(0))


@pytest.fixture
def tied_logits() -> torch.Tensor:
    """(20, 9) logits drawn from 4 values, so ties are everywhere."""
    return torch.randint(4, (20, 9), generator=torch.Generator().manual_seed(1)).float()


def reference_top_k(row: list[float], k: int) -> list[bool]:
    """Keep mask: a logit stays iff it is >= the k-th largest of its row."""
    threshold = sorted(row, reverse=True)[min(k, len(row)) - 1]
    return [value >= threshold for value in row]


def reference_top_p(row: list[float], p: float) -> list[bool]:
    """Keep mask: walk the probabilities from large to small, keeping while the mass before is below p."""
    peak = max(row)
    weights = [math.exp(value - peak) for value in row]
    total = sum(weights)
    order = sorted(range(len(row)), key=lambda index: (-weights[index], index))
    keep = [False] * len(row)
    mass_before = 0.0
    for index in order:
        if mass_before >= p:
            break
        keep[index] = True
        mass_before += weights[index] / total
    return keep


class CountingModel(nn.Module):
    """Deterministic GPT stand-in: strongly predicts (last token + 1) % V; records what it saw.

    Raises ValueError for contexts longer than block_size, as the real GPT does.
    """

    def __init__(self, vocab_size: int = 10, block_size: int = 4) -> None:
        super().__init__()
        self.config = SimpleNamespace(vocab_size=vocab_size, block_size=block_size)
        self.seen_lengths: list[int] = []
        self.seen_training: list[bool] = []
        self.seen_grad_enabled: list[bool] = []

    def forward(self, ids, targets=None):
        if ids.shape[1] > self.config.block_size:
            raise ValueError(f"context of {ids.shape[1]} exceeds block_size={self.config.block_size}")
        self.seen_lengths.append(ids.shape[1])
        self.seen_training.append(self.training)
        self.seen_grad_enabled.append(torch.is_grad_enabled())
        following = (ids + 1) % self.config.vocab_size  # (B, T)
        return 20.0 * nn.functional.one_hot(following, self.config.vocab_size).float(), None


class BigramModel(nn.Module):
    """A random bigram table: logits of the next token depend on the last one only."""

    def __init__(self, vocab_size: int = 7, block_size: int = 5) -> None:
        super().__init__()
        self.config = SimpleNamespace(vocab_size=vocab_size, block_size=block_size)
        self.table = nn.Parameter(torch.randn(vocab_size, vocab_size, generator=torch.Generator().manual_seed(3)))

    def forward(self, ids, targets=None):
        return self.table[ids], None  # (B, T, V)


class BrokenModel(CountingModel):
    def forward(self, ids, targets=None):
        raise RuntimeError("the model broke")


# --------------------------------------------------------------------------- greedy_next


def test_greedy_next_is_rowwise_argmax(logits):
    """Is greedy_next the index of each row's maximum, as an int64 (B, 1) tensor?"""
    chosen = greedy_next(logits)
    assert chosen.shape == (6, 1) and chosen.dtype == torch.int64
    assert chosen.squeeze(1).tolist() == [row.index(max(row)) for row in logits.tolist()]


def test_greedy_next_ties_take_lowest_index():
    """Among equal maxima, does the lowest index win?"""
    assert greedy_next(torch.tensor([[0.1, 2.0, -1.0], [3.0, 3.0, 0.0], [1.0, 5.0, 5.0]])).tolist() == [[1], [0], [1]]


def test_greedy_next_rejects_non_2d():
    """Is a 1-D logits vector a ValueError naming its shape?"""
    with pytest.raises(ValueError, match=r"\(5,\)"):
        greedy_next(torch.zeros(5))


# --------------------------------------------------------------------------- apply_temperature


@pytest.mark.parametrize("temperature", [0.25, 1.0, 3.0])
def test_apply_temperature_divides_without_mutating(logits, temperature):
    """Is the result logits / t, in a new tensor, the input untouched?"""
    before = logits.clone()
    scaled = apply_temperature(logits, temperature)
    torch.testing.assert_close(scaled, before / temperature, atol=0, rtol=1e-7)
    assert torch.equal(logits, before)
    assert scaled.data_ptr() != logits.data_ptr()


@pytest.mark.parametrize("temperature", [0.0, -0.5])
def test_apply_temperature_rejects_nonpositive(temperature):
    """Is a temperature of 0 or below a ValueError naming it?"""
    with pytest.raises(ValueError, match="temperature"):
        apply_temperature(torch.zeros(2, 3), temperature)


# --------------------------------------------------------------------------- top_k_filter


@pytest.mark.parametrize("k", [1, 2, 3, 5, 8, 9, 50])
def test_top_k_matches_brute_force_with_ties(tied_logits, k):
    """Does top-k keep exactly the logits >= the k-th largest (ties kept), others -inf, values unchanged?"""
    filtered = top_k_filter(tied_logits, k)
    for row, out in zip(tied_logits.tolist(), filtered.tolist()):
        keep = reference_top_k(row, k)
        assert out == [value if kept else NEG_INF for value, kept in zip(row, keep)]
        assert sum(keep) >= min(k, len(row))


def test_top_k_without_ties_keeps_exactly_k(logits):
    """With distinct logits, are exactly k kept per row, and k >= V all of them?"""
    assert (top_k_filter(logits, 4) > NEG_INF).sum(dim=-1).tolist() == [4] * 6
    kept_all = top_k_filter(logits, 12)
    assert torch.equal(kept_all, logits) and kept_all.data_ptr() != logits.data_ptr()


def test_top_k_hand_examples_and_no_mutation():
    """Do the docstring examples hold, leaving the input as it was?"""
    row = torch.tensor([1.0, 3.0, 2.0, 3.0])
    assert top_k_filter(row, 1).tolist() == [NEG_INF, 3.0, NEG_INF, 3.0]
    assert top_k_filter(torch.tensor([1.0, 3.0, 2.0, 0.0]), 2).tolist() == [NEG_INF, 3.0, 2.0, NEG_INF]
    assert row.tolist() == [1.0, 3.0, 2.0, 3.0]


@pytest.mark.parametrize("k", [0, -3])
def test_top_k_rejects_k_below_one(k):
    """Is k < 1 a ValueError naming k?"""
    with pytest.raises(ValueError, match="k="):
        top_k_filter(torch.zeros(1, 4), k)


# --------------------------------------------------------------------------- top_p_filter


@pytest.mark.parametrize("p", [1e-6, 0.1, 0.3, 0.5, 0.75, 0.9, 0.999])
def test_top_p_matches_brute_force(logits, p):
    """Does top-p keep exactly the brute-force nucleus, in the original order, values unchanged?"""
    filtered = top_p_filter(logits, p)
    for row, out in zip(logits.tolist(), filtered.tolist()):
        keep = reference_top_p(row, p)
        assert out == pytest.approx([value if kept else NEG_INF for value, kept in zip(row, keep)], abs=0)


@pytest.mark.parametrize("p", [0.2, 0.5, 0.8, 0.95])
def test_top_p_keeps_smallest_set_reaching_p(logits, p):
    """Does the kept mass reach p, and would dropping its least likely token fall below p?"""
    probs = torch.softmax(logits, dim=-1)
    kept = top_p_filter(logits, p) > NEG_INF
    for row_probs, row_kept in zip(probs, kept):
        mass = row_probs[row_kept].sum().item()
        assert mass >= p - 1e-6
        assert mass - row_probs[row_kept].min().item() < p
        if not row_kept.all():
            assert row_probs[row_kept].min() >= row_probs[~row_kept].max()


def test_top_p_hand_example_and_edges():
    """Does the docstring example hold, p=1 keep even tiny tails, and a tiny p keep the top token?"""
    logits = torch.tensor([0.1, 0.5, 0.4]).log()
    assert top_p_filter(logits, 0.8).tolist() == [NEG_INF, logits[1].item(), logits[2].item()]
    assert top_p_filter(logits, 0.5).tolist() == [NEG_INF, logits[1].item(), NEG_INF]
    tail = torch.tensor([[0.0, -40.0, -60.0]])
    assert torch.equal(top_p_filter(tail, 1.0), tail)
    assert (top_p_filter(tail, 1e-9) > NEG_INF).tolist() == [[True, False, False]]
    assert logits.tolist() == torch.tensor([0.1, 0.5, 0.4]).log().tolist()


def test_top_p_ties_keep_the_right_count():
    """With four equally likely tokens and p=0.5, are exactly two kept (the mass reaches 0.5 at two)?"""
    assert int((top_p_filter(torch.zeros(3, 4), 0.5) > NEG_INF).sum(dim=-1).unique().item()) == 2


@pytest.mark.parametrize("p", [0.0, -0.1, 1.5])
def test_top_p_rejects_p_outside_unit_interval(p):
    """Is p outside (0, 1] a ValueError naming p?"""
    with pytest.raises(ValueError, match="p="):
        top_p_filter(torch.zeros(1, 4), p)


# --------------------------------------------------------------------------- sample_next


def test_sample_next_temperature_zero_is_greedy(logits):
    """Does temperature 0 give greedy_next, whatever the generator?"""
    assert torch.equal(sample_next(logits, temperature=0.0), greedy_next(logits))


def test_sample_next_low_temperature_tends_to_greedy(logits):
    """Does a tiny positive temperature (1e-4) pick the argmax every time?"""
    for seed in range(5):
        chosen = sample_next(logits, temperature=1e-4, generator=torch.Generator().manual_seed(seed))
        assert torch.equal(chosen, greedy_next(logits))


@pytest.mark.parametrize("temperature,top_k,top_p", [(1.0, None, None), (0.7, 5, None), (1.3, None, 0.8), (0.9, 6, 0.7)])
def test_sample_next_matches_reference_pipeline(logits, temperature, top_k, top_p):
    """Is sample_next the reference chain temperature -> top-k -> top-p -> softmax -> multinomial, draw for draw?"""
    scaled = logits / temperature
    keep = torch.ones_like(scaled, dtype=torch.bool)
    rows = scaled.tolist()
    for r, row in enumerate(rows):
        mask = [True] * len(row)
        if top_k is not None:
            mask = reference_top_k(row, top_k)
        if top_p is not None:
            masked_row = [value if kept else NEG_INF for value, kept in zip(row, mask)]
            nucleus = reference_top_p(masked_row, top_p)
            mask = [a and b for a, b in zip(mask, nucleus)]
        keep[r] = torch.tensor(mask)
    probs = torch.softmax(scaled.masked_fill(~keep, NEG_INF), dim=-1)
    expected = torch.multinomial(probs, 1, generator=torch.Generator().manual_seed(11))
    got = sample_next(
        logits, temperature=temperature, top_k=top_k, top_p=top_p, generator=torch.Generator().manual_seed(11)
    )
    assert got.shape == (6, 1) and got.dtype == torch.int64
    assert torch.equal(got, expected)


def test_sample_next_top_k_and_top_p_never_leave_their_set():
    """Over 20000 draws, does top-k stay in the top k and top-p in the nucleus?"""
    row = torch.tensor([2.0, 1.5, 1.0, 0.5, 0.0, -0.5, -1.0, -2.0])
    many = row.expand(20000, -1)
    generator = torch.Generator().manual_seed(0)
    assert set(sample_next(many, top_k=3, generator=generator).unique().tolist()) == {0, 1, 2}
    nucleus = {index for index, kept in enumerate(reference_top_p(row.tolist(), 0.6)) if kept}
    assert set(sample_next(many, top_p=0.6, generator=generator).unique().tolist()) == nucleus


def test_sample_next_frequencies_follow_softmax():
    """With 40000 draws at temperature 2, is each token's frequency within 0.01 of softmax(logits / 2)?"""
    row = torch.tensor([1.0, 0.0, -1.0, 2.0])
    draws = sample_next(row.expand(40000, -1), temperature=2.0, generator=torch.Generator().manual_seed(5))
    frequencies = torch.bincount(draws.squeeze(1), minlength=4).float() / 40000
    torch.testing.assert_close(frequencies, torch.softmax(row / 2.0, dim=-1), atol=0.01, rtol=0)


def test_sample_next_same_seed_same_tokens_and_no_mutation(logits):
    """Does the same generator seed give the same tokens, leaving the logits untouched?"""
    before = logits.clone()
    first = sample_next(logits, top_k=5, top_p=0.9, generator=torch.Generator().manual_seed(2))
    second = sample_next(logits, top_k=5, top_p=0.9, generator=torch.Generator().manual_seed(2))
    assert torch.equal(first, second)
    assert torch.equal(logits, before)


@pytest.mark.parametrize(
    "arguments",
    [dict(temperature=-1.0), dict(top_k=0), dict(top_p=0.0), dict(top_p=1.5), dict(temperature=0.0, top_k=0)],
)
def test_sample_next_rejects_bad_arguments(arguments):
    """Are a negative temperature, top_k < 1 and top_p outside (0, 1] ValueErrors, even when greedy?"""
    with pytest.raises(ValueError):
        sample_next(torch.zeros(2, 5), **arguments)


def test_sample_next_rejects_non_2d():
    """Are (B, T, V) logits a ValueError (sample from logits[:, -1, :])?"""
    with pytest.raises(ValueError, match="shape"):
        sample_next(torch.zeros(2, 3, 5))


# --------------------------------------------------------------------------- generate


def test_generate_greedy_counts_and_crops_context():
    """Does greedy generation follow the model, feeding it at most block_size tokens?"""
    model = CountingModel(vocab_size=10, block_size=4)
    ids = torch.tensor([[1, 2], [7, 8]])
    out = generate(model, ids, 6, temperature=0.0)
    assert out.tolist() == [[1, 2, 3, 4, 5, 6, 7, 8], [7, 8, 9, 0, 1, 2, 3, 4]]
    assert model.seen_lengths == [2, 3, 4, 4, 4, 4]
    assert ids.tolist() == [[1, 2], [7, 8]]


def test_generate_stops_when_every_row_hit_eos():
    """Do finished rows keep emitting eos_id, and does the loop stop once all rows have it?"""
    model = CountingModel(vocab_size=10, block_size=4)
    out = generate(model, torch.tensor([[3], [0]]), 20, temperature=0.0, eos_id=5)
    assert out.tolist() == [[3, 4, 5, 5, 5, 5], [0, 1, 2, 3, 4, 5]]
    assert len(model.seen_lengths) == 5


def test_generate_eos_in_prompt_does_not_count():
    """Is an eos_id inside the prompt ignored, so all max_new_tokens are produced?"""
    out = generate(CountingModel(vocab_size=10), torch.tensor([[5]]), 3, temperature=0.0, eos_id=5)
    assert out.tolist() == [[5, 6, 7, 8]]


def test_generate_matches_plain_sampling_loop():
    """With the same seed, does generate draw exactly the tokens of a plain softmax + multinomial loop?"""
    model = BigramModel(vocab_size=7, block_size=5)
    ids = torch.tensor([[0, 1], [4, 4], [6, 2]])
    out = generate(model, ids, 9, generator=torch.Generator().manual_seed(8))
    generator = torch.Generator().manual_seed(8)
    expected = ids
    with torch.no_grad():
        for _ in range(9):
            last_logits = model(expected[:, -5:])[0][:, -1, :]
            next_ids = torch.multinomial(torch.softmax(last_logits, dim=-1), 1, generator=generator)
            expected = torch.cat([expected, next_ids], dim=1)
    assert out.shape == (3, 11) and out.dtype == torch.int64
    assert torch.equal(out, expected)
    assert torch.equal(out, generate(model, ids, 9, generator=torch.Generator().manual_seed(8)))


@pytest.mark.parametrize("training", [True, False])
def test_generate_uses_eval_no_grad_and_restores_mode(training):
    """Does the model run in eval mode without grad, and return to the mode it was in?"""
    model = CountingModel()
    model.train(training)
    generate(model, torch.tensor([[1]]), 3)
    assert model.seen_training == [False] * 3 and model.seen_grad_enabled == [False] * 3
    assert model.training is training


def test_generate_restores_mode_on_error():
    """When the model raises mid-generation, does the error propagate with train mode restored?"""
    model = BrokenModel()
    with pytest.raises(RuntimeError, match="broke"):
        generate(model, torch.tensor([[1]]), 3)
    assert model.training


def test_generate_zero_tokens_returns_prompt():
    """Does max_new_tokens=0 return the prompt unchanged without calling the model?"""
    model = CountingModel()
    ids = torch.tensor([[1, 2, 3]])
    assert torch.equal(generate(model, ids, 0), ids)
    assert model.seen_lengths == []


@pytest.mark.parametrize(
    "ids,max_new_tokens,arguments",
    [
        (torch.tensor([[1]]), -1, {}),
        (torch.tensor([1, 2]), 2, {}),
        (torch.zeros(2, 0, dtype=torch.long), 2, {}),
        (torch.tensor([[1]]), 2, dict(temperature=-0.1)),
        (torch.tensor([[1]]), 2, dict(top_k=0)),
        (torch.tensor([[1]]), 2, dict(top_p=2.0)),
    ],
)
def test_generate_rejects_bad_arguments(ids, max_new_tokens, arguments):
    """Are a negative max_new_tokens, ids that are not (B, T>=1) and bad sampling settings ValueErrors?"""
    with pytest.raises(ValueError):
        generate(CountingModel(), ids, max_new_tokens, **arguments)


def test_generate_with_real_gpt():
    """Does generate drive the course's own GPT (assignment 4), cropping prompts longer than its block_size?"""
    from solutions.a4_transformer.model import GPT, GPTConfig

    torch.manual_seed(0)
    model = GPT(GPTConfig(vocab_size=13, block_size=6, n_layer=1, n_head=2, d_model=16))
    ids = torch.randint(13, (2, 9))
    out = generate(model, ids, 5, top_k=4, generator=torch.Generator().manual_seed(0))
    assert out.shape == (2, 14) and torch.equal(out[:, :9], ids)
    assert model.training
