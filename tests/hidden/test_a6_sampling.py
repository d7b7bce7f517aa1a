"""Hidden checks of assignment 6: greedy, temperature, top-k, top-p, sampling and generation.

Beyond the public suite: every function against the reference on seeded
inputs of several shapes and dtypes (ties, ``-inf`` entries, ``k > V``,
``p = 1`` over a long tail), the dtype and device of every result, inputs
left alone, sampling statistics (no token outside top-k or the nucleus, the
frequencies ``softmax`` promises, temperature near 0 is greedy, the same seed
draws the same tokens), and generation with models whose last logits depend
on the whole context: cropping, end-of-sequence per row, train/eval mode
restored even after an error, and the arguments checked before any work.

Filters and sampling are compared with the reference exactly: a kept logit is
the input's value unchanged, a removed one is ``-inf``, a token id is an
integer. Top-p inputs are built so that no row's running mass lies within
0.005 of ``p`` (0.03 in bfloat16), so code that adds the probabilities up
in another order or precision keeps the same tokens.
"""

from __future__ import annotations

import math

import pytest
import torch

from grader.testing import assert_dtype, assert_raises, assert_shape, assert_true
from tests.stand_ins import ContextLM, FailingLM, ModelFailure, SuccessorLM
from tests.hidden.support import (
    DEVICES,
    assert_matches_reference,
    assert_not_modified,
    assert_on_device,
    assert_same_as_reference,
    generator,
    random_ids,
    random_tensor,
)

# Tiny tensors: one torch thread is fastest, and immune to a busy machine.
pytestmark = pytest.mark.usefixtures("single_thread")

DTYPES = [torch.float32, torch.float64, torch.bfloat16]

# A sorted probability profile whose running sums (0.22, 0.39, 0.53, 0.64, 0.73,
# 0.80, 0.86, 0.91, 0.95, 0.98, 0.995, 1) leave room around the values of p below.
NUCLEUS_PROFILE = [0.22, 0.17, 0.14, 0.11, 0.09, 0.07, 0.06, 0.05, 0.04, 0.03, 0.015, 0.005]
# p at least 0.005 from every running sum; bfloat16 rounds each probability by up
# to ~1 %, so it gets only the p at least 0.03 away.
NUCLEUS_P = {
    torch.float32: [0.1, 0.3, 0.6, 0.77, 0.93, 0.99],
    torch.float64: [0.1, 0.3, 0.6, 0.77, 0.93, 0.99],
    torch.bfloat16: [0.3, 0.6, 0.77],
}


def tie_rich_logits(*shape: int, seed: int, dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """Random logits rounded to halves in [-2, 2]: most rows hold several equal values."""
    return (random_tensor(*shape, seed=seed, dtype=torch.float64) * 2).round().clamp(-4, 4).div(2).to(dtype)


def nucleus_logits(*batch_shape: int, seed: int, dtype: torch.dtype = torch.float32, temperature: float = 1.0) -> torch.Tensor:
    """Logits ``(*batch_shape, 12)`` whose rows, divided by ``temperature``, are NUCLEUS_PROFILE's
    log-probabilities, each row in its own random order and shifted by its own constant
    (softmax ignores the shift)."""
    rows = math.prod(batch_shape)
    source = generator(seed)
    log_profile = torch.tensor(NUCLEUS_PROFILE, dtype=torch.float64).log()
    order = torch.stack([torch.randperm(len(NUCLEUS_PROFILE), generator=source) for _ in range(rows)])
    shift = torch.rand(rows, 1, generator=source, dtype=torch.float64) * 2 - 1  # (rows, 1) in [-1, 1)
    logits = (log_profile[order] + shift) * temperature  # (rows, 12)
    return logits.reshape(*batch_shape, len(NUCLEUS_PROFILE)).to(dtype)




# ---------------------------------------------------------------- Test models










# ---------------------------------------------------------------- Task 6.1


@pytest.mark.task6_1
@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("shape", [(1, 5), (6, 7), (32, 50)])
def test_greedy_matches_the_reference_with_ties(impl, ref, shape, dtype):
    """On tie-rich logits of several shapes and dtypes (some entries -inf), does greedy_next pick the reference's tokens, the lowest index among equal maxima?"""
    logits = tie_rich_logits(*shape, seed=11, dtype=dtype)
    logits[..., ::3] = -math.inf  # as after a filter
    out = impl.a6.greedy_next(logits)
    what = f"greedy_next(logits {tuple(shape)}, {dtype})"
    assert_shape(out, (shape[0], 1), what=what, hint="argmax(dim=-1, keepdim=True)")
    assert_dtype(out, torch.int64, what=what)
    assert_same_as_reference(out, ref.a6.greedy_next(logits), what=what, hint="among equal maxima the lowest index wins: argmax does that, topk does not promise it")


@pytest.mark.task6_1
@pytest.mark.parametrize("shape", [(2, 3, 5), (), (1, 1, 1, 4)])
def test_greedy_refuses_logits_that_are_not_2d(impl, shape):
    """Are logits of shape other than (B, V) a ValueError naming their shape?"""
    with assert_raises(ValueError, what=f"greedy_next(logits of shape {shape})", mentions=[str(shape)], hint="check logits.dim() == 2"):
        impl.a6.greedy_next(torch.zeros(shape))


@pytest.mark.task6_1
@pytest.mark.parametrize("device", ["meta", *DEVICES])
def test_greedy_stays_on_the_input_device(impl, device):
    """Is greedy_next's result on the device of its logits?"""
    logits = random_tensor(4, 9, seed=12).to(device)
    out = impl.a6.greedy_next(logits)
    assert_on_device(out, device, what=f"greedy_next(logits (4, 9) on {device})")
    assert_shape(out, (4, 1), what=f"greedy_next(logits (4, 9) on {device})")


@pytest.mark.task6_1
def test_greedy_leaves_its_input_alone(impl):
    """Does greedy_next leave its logits unchanged?"""
    logits = random_tensor(3, 8, seed=13)
    original = logits.clone()
    impl.a6.greedy_next(logits)
    assert_not_modified(logits, original, what="greedy_next(logits (3, 8))")


# ---------------------------------------------------------------- Task 6.2


@pytest.mark.task6_2
@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("shape", [(7,), (3, 9), (2, 4, 6)])
def test_temperature_matches_the_reference(impl, ref, shape, dtype):
    """For several shapes, dtypes and temperatures, is apply_temperature the reference's logits / t, in the input's dtype?"""
    logits = random_tensor(*shape, seed=21, dtype=dtype, scale=3.0)
    for temperature in [0.05, 0.7, 1.0, 2.5]:
        what = f"apply_temperature(logits {tuple(shape)}, {temperature}) in {dtype}"
        out = impl.a6.apply_temperature(logits.clone(), temperature)
        assert_dtype(out, dtype, what=what, hint="divide in the input's dtype: logits / temperature (no .float())")
        assert_matches_reference(out, ref.a6.apply_temperature(logits, temperature), what=what, dtype=dtype, hint="divide by the temperature: logits / t (not multiply, not normalised)")


@pytest.mark.task6_2
@pytest.mark.parametrize("temperature", [0.5, 3.0])
def test_temperature_passes_gradients(impl, ref, temperature):
    """Does the gradient flow through apply_temperature as through the reference (1 / t per entry)?"""
    grads = []
    for handle in (impl, ref):
        logits = random_tensor(3, 5, seed=22).requires_grad_()
        weights = random_tensor(3, 5, seed=23)
        (handle.a6.apply_temperature(logits, temperature) * weights).sum().backward()
        grads.append(logits.grad)
    assert_true(grads[0] is not None, f"apply_temperature(logits, {temperature}): no gradient reached the logits", hint="keep the computation in torch (no .detach(), no .item())")
    assert_matches_reference(grads[0], grads[1], what=f"the gradient of apply_temperature(logits (3, 5), {temperature})", dtype=torch.float32)


@pytest.mark.task6_2
@pytest.mark.parametrize("device", ["meta", *DEVICES])
def test_temperature_stays_on_the_input_device(impl, device):
    """Is apply_temperature's result on the device of its logits?"""
    out = impl.a6.apply_temperature(random_tensor(2, 6, seed=24).to(device), 0.8)
    assert_on_device(out, device, what=f"apply_temperature(logits (2, 6) on {device}, 0.8)")


@pytest.mark.task6_2
@pytest.mark.parametrize("temperature", [-1e-3, -5.0])
def test_temperature_refuses_small_negatives(impl, temperature):
    """Is any negative temperature a ValueError naming it?"""
    with assert_raises(ValueError, what=f"apply_temperature(logits, {temperature})", mentions=[str(temperature)]):
        impl.a6.apply_temperature(torch.zeros(2, 3), temperature)


# ---------------------------------------------------------------- Task 6.3


@pytest.mark.task6_3
@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("shape", [(9,), (5, 9), (2, 3, 9)])
def test_top_k_matches_the_reference(impl, ref, shape, dtype):
    """On tie-rich logits of several shapes and dtypes, for k from 1 to past V, does top_k_filter keep exactly the reference's logits, unchanged, in the input's dtype?"""
    logits = tie_rich_logits(*shape, seed=31, dtype=dtype)
    for k in [1, 2, 4, 8, 9]:
        what = f"top_k_filter(logits {tuple(shape)}, {k}) in {dtype}"
        out = impl.a6.top_k_filter(logits.clone(), k)
        assert_shape(out, shape, what=what)
        assert_dtype(out, dtype, what=what, hint="masked_fill on the logits themselves keeps their dtype")
        assert_same_as_reference(out, ref.a6.top_k_filter(logits, k), what=what, hint="keep every logit >= the k-th largest of its row (dim=-1), ties included; the others become -inf")


@pytest.mark.task6_3
def test_top_k_keeps_ties_at_the_boundary(impl, ref):
    """When several logits equal the k-th largest, are they all kept?"""
    logits = torch.tensor([[0.0, 2.0, 1.0, 1.0, -1.0, 1.0], [3.0, 3.0, 3.0, 3.0, 0.0, 1.0], [5.0, 1.0, 4.0, 4.0, 4.0, 2.0]])
    for k in [2, 3]:
        what = f"top_k_filter(logits (3, 6) with ties at the k-th largest, {k})"
        assert_same_as_reference(impl.a6.top_k_filter(logits, k), ref.a6.top_k_filter(logits, k), what=what, hint="a logit equal to the k-th largest is kept: compare with the value, not with topk's indices")


@pytest.mark.task6_3
@pytest.mark.parametrize("k", [7, 50])
def test_top_k_past_the_vocabulary_keeps_everything(impl, k):
    """With k larger than the vocabulary, is every logit kept (no error)?"""
    logits = random_tensor(2, 6, seed=32)
    out = impl.a6.top_k_filter(logits, k)
    assert_matches_reference(out, logits, what=f"top_k_filter(logits (2, 6), {k})", atol=0, rtol=0, hint="with k >= V there is nothing to remove (torch.topk refuses k > V)")  # kept logits are copied: exact


@pytest.mark.task6_3
def test_top_k_with_minus_infinity_in_the_input(impl, ref):
    """When fewer than k logits of a row are finite, are the finite ones kept and the -inf ones left -inf?"""
    logits = random_tensor(3, 8, seed=33)
    logits[0, 1:] = -math.inf
    logits[1, ::2] = -math.inf
    out = impl.a6.top_k_filter(logits, 5)
    assert_same_as_reference(out, ref.a6.top_k_filter(logits, 5), what="top_k_filter(logits (3, 8) with -inf entries, 5)", hint="the k-th largest may itself be -inf: then keep the row as it is")


@pytest.mark.task6_3
def test_top_k_leaves_its_input_alone(impl):
    """Does top_k_filter leave (2, 3, 9) logits unchanged for every k?"""
    logits = random_tensor(2, 3, 9, seed=34)
    original = logits.clone()
    for k in [1, 4, 9, 12]:
        impl.a6.top_k_filter(logits, k)
        assert_not_modified(logits, original, what=f"top_k_filter(logits (2, 3, 9), {k})")


@pytest.mark.task6_3
@pytest.mark.parametrize("device", ["meta", *DEVICES])
def test_top_k_stays_on_the_input_device(impl, device):
    """Is top_k_filter's result on the device of its logits, for k below and above V?"""
    logits = random_tensor(3, 7, seed=35).to(device)
    for k in [2, 9]:
        out = impl.a6.top_k_filter(logits, k)
        assert_on_device(out, device, what=f"top_k_filter(logits (3, 7) on {device}, {k})")


@pytest.mark.task6_3
def test_top_k_refuses_a_negative_k(impl):
    """Is k = -2 a ValueError naming it?"""
    with assert_raises(ValueError, what="top_k_filter(logits, -2)", mentions=["-2"]):
        impl.a6.top_k_filter(torch.zeros(2, 3), -2)


# ---------------------------------------------------------------- Task 6.4


@pytest.mark.task6_4
@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("batch_shape", [(), (6,), (2, 5)])
def test_top_p_matches_the_reference(impl, ref, batch_shape, dtype):
    """On shuffled and shifted logits of several shapes and dtypes, for several p, does top_p_filter keep exactly the reference's logits, unchanged, in the input's dtype?"""
    logits = nucleus_logits(*batch_shape, seed=41, dtype=dtype)
    for p in NUCLEUS_P[dtype]:
        what = f"top_p_filter(logits {tuple(logits.shape)}, {p}) in {dtype}"
        out = impl.a6.top_p_filter(logits.clone(), p)
        assert_shape(out, logits.shape, what=what)
        assert_dtype(out, dtype, what=what, hint="masked_fill on the logits themselves keeps their dtype")
        assert_same_as_reference(out, ref.a6.top_p_filter(logits, p), what=what, hint="softmax over dim=-1, sort descending, keep a token while the mass BEFORE it is < p, and scatter the decision back to the original order")


@pytest.mark.task6_4
def test_top_p_breaks_ties_by_the_lower_index(impl, ref):
    """When p is reached inside a group of equal probabilities, are the lower indices of the group the ones kept?"""
    logits = torch.tensor([[0.0] * 8, [1.0, 0.0, 2.0, 0.0, 2.0, 0.0, 1.0, 0.0], [0.0, 1.0, 0.0, 1.0, 0.0, 1.0, 0.0, 1.0]])
    for p in [0.3, 0.45, 0.7]:
        what = f"top_p_filter(logits (3, 8) with equal probabilities, {p})"
        assert_same_as_reference(impl.a6.top_p_filter(logits, p), ref.a6.top_p_filter(logits, p), what=what, hint="sort descending with stable=True, so equal probabilities keep their index order")


@pytest.mark.task6_4
def test_top_p_of_one_keeps_a_long_tail(impl):
    """With p = 1, is every logit kept, even tiny ones after the running sum has rounded to 1?"""
    logits = torch.cat([torch.zeros(4, 60), torch.full((4, 60), -30.0)], dim=1)  # (4, 120)
    logits[1, 0] = 12.0
    logits[2] = torch.linspace(5, -40, 120)
    logits[3, 60:] = -math.inf
    out = impl.a6.top_p_filter(logits, 1.0)
    assert_matches_reference(out, logits, what="top_p_filter(logits (4, 120) with a tiny tail, 1.0)", atol=0, rtol=0, hint="p = 1 keeps everything: in float32 the running sum reaches 1 before the tail, so mass_before >= 1 would drop it")  # kept logits are copied: exact


@pytest.mark.task6_4
def test_top_p_leaves_its_input_alone(impl):
    """Does top_p_filter leave (2, 3, 12) logits unchanged for every p?"""
    logits = nucleus_logits(2, 3, seed=42)
    original = logits.clone()
    for p in [0.1, 0.6, 1.0]:
        impl.a6.top_p_filter(logits, p)
        assert_not_modified(logits, original, what=f"top_p_filter(logits (2, 3, 12), {p})")


@pytest.mark.task6_4
@pytest.mark.parametrize("device", ["meta", *DEVICES])
def test_top_p_stays_on_the_input_device(impl, device):
    """Is top_p_filter's result on the device of its logits?"""
    logits = nucleus_logits(3, seed=43).to(device)
    for p in [0.6, 1.0]:
        out = impl.a6.top_p_filter(logits, p)
        assert_on_device(out, device, what=f"top_p_filter(logits (3, 12) on {device}, {p})")


@pytest.mark.task6_4
@pytest.mark.parametrize("p", [-0.5, 1.01])
def test_top_p_refuses_more_values_outside_zero_one(impl, p):
    """Is p = -0.5 or p = 1.01 a ValueError naming it?"""
    with assert_raises(ValueError, what=f"top_p_filter(logits, {p})", mentions=[str(p)]):
        impl.a6.top_p_filter(torch.zeros(2, 3), p)


# ---------------------------------------------------------------- Task 6.5

SAMPLING_SETTINGS = [
    dict(temperature=1.0),
    dict(temperature=0.6, top_k=3),
    dict(temperature=1.4, top_p=0.77),
    dict(temperature=0.9, top_k=6, top_p=0.6),
    dict(temperature=2.0, top_k=20, top_p=1.0),
]


def describe(settings: dict) -> str:
    """``"temperature=0.6, top_k=3"``: sampling settings as they read in a call."""
    return ", ".join(f"{name}={value}" for name, value in settings.items())


@pytest.mark.task6_5
@pytest.mark.parametrize("settings", SAMPLING_SETTINGS, ids=describe)
def test_sample_draws_the_reference_tokens(impl, ref, settings):
    """With the same generator seed, does sample_next draw exactly the reference's tokens?"""
    logits = nucleus_logits(40, seed=51, temperature=settings["temperature"])  # (40, 12)
    what = f"sample_next(logits (40, 12), {describe(settings)}) with a seeded generator"
    out = impl.a6.sample_next(logits, **settings, generator=generator(52))
    assert_shape(out, (40, 1), what=what)
    assert_dtype(out, torch.int64, what=what)
    assert_same_as_reference(out, ref.a6.sample_next(logits, **settings, generator=generator(52)), what=what, hint="temperature, then top-k, then top-p, then one torch.multinomial(softmax(z.float(), dim=-1), 1, generator=generator)")


@pytest.mark.task6_5
def test_sample_frequencies_follow_the_filtered_softmax(impl, ref):
    """Over 4000 draws of one row (temperature 1.5, top_k 5, top_p 0.75), does each token come up as often as its filtered probability says?"""
    row = torch.tensor([[2.0, -1.0, 0.5, 1.2, -0.3, 1.6, 0.9, -2.0]])  # (1, 8)
    draws = impl.a6.sample_next(row.repeat(4000, 1), temperature=1.5, top_k=5, top_p=0.75, generator=generator(53))
    assert_shape(draws, (4000, 1), what="sample_next(4000 equal rows)")
    frequencies = torch.bincount(draws.flatten(), minlength=8).double() / 4000
    filtered = ref.a6.top_p_filter(ref.a6.top_k_filter(ref.a6.apply_temperature(row, 1.5), 5), 0.75)
    expected = torch.softmax(filtered.double(), dim=-1).squeeze(0)
    # 4000 draws: a frequency's standard deviation is at most 0.008, so 0.035 is over 4 of them.
    assert_matches_reference(frequencies, expected, what="the frequencies of the tokens in 4000 draws", atol=0.035, rtol=0, hint="temperature first, then top-k, then top-p, then softmax: each step changes what the next one sees")


@pytest.mark.task6_5
@pytest.mark.parametrize("settings", [dict(temperature=1.5, top_k=3), dict(temperature=2.0, top_p=0.6), dict(temperature=0.8, top_k=2, top_p=0.3)], ids=describe)
def test_sample_never_leaves_the_filtered_set(impl, ref, settings):
    """Over 3000 rows of different logits, is every drawn token one the filters keep?"""
    logits = nucleus_logits(3000, seed=54, temperature=settings["temperature"])
    draws = impl.a6.sample_next(logits, **settings, generator=generator(55))
    assert_shape(draws, (3000, 1), what=f"sample_next(logits (3000, 12), {describe(settings)})")
    kept = ref.a6.apply_temperature(logits, settings["temperature"])
    if "top_k" in settings:
        kept = ref.a6.top_k_filter(kept, settings["top_k"])
    if "top_p" in settings:
        kept = ref.a6.top_p_filter(kept, settings["top_p"])
    outside = int((~kept.gather(1, draws.clamp(0, 11)).isfinite()).sum()) + int(((draws < 0) | (draws > 11)).sum())
    assert_true(outside == 0, f"sample_next(logits (3000, 12), {describe(settings)}): {outside} of 3000 draws are tokens the filters remove", hint="sample from softmax of the FILTERED logits: -inf becomes probability 0")


@pytest.mark.task6_5
def test_sample_near_zero_temperature_is_greedy(impl, ref):
    """With temperature 1e-3 (logits up to 60 000 after it, no two within 2 500), is every draw the argmax of its row?"""
    logits = nucleus_logits(64, seed=56, temperature=10.0)
    draws = impl.a6.sample_next(logits, temperature=1e-3, generator=generator(57))
    assert_same_as_reference(draws, ref.a6.greedy_next(logits), what="sample_next(logits (64, 12), temperature=1e-3)", hint="a tiny temperature makes huge logits: softmax must stay stable (torch.softmax subtracts the maximum)")


@pytest.mark.task6_5
def test_sample_at_zero_temperature_ignores_the_filters(impl, ref):
    """With temperature 0, are top_k and top_p ignored and the lowest index among equal maxima returned?"""
    logits = tie_rich_logits(16, 9, seed=58)
    draws = impl.a6.sample_next(logits, temperature=0.0, top_k=2, top_p=0.5, generator=generator(59))
    assert_same_as_reference(draws, ref.a6.greedy_next(logits), what="sample_next(logits (16, 9), temperature=0, top_k=2, top_p=0.5)", hint="temperature 0 means greedy_next(logits), before any filter")


@pytest.mark.task6_5
def test_sample_same_seed_same_tokens(impl):
    """Do two generators with the same seed draw the same tokens, and one generator drawn twice different ones?"""
    logits = torch.zeros(200, 16)  # uniform: every draw is a fresh random choice
    first = impl.a6.sample_next(logits, generator=generator(60))
    again = impl.a6.sample_next(logits, generator=generator(60))
    assert_true(isinstance(first, torch.Tensor) and isinstance(again, torch.Tensor) and torch.equal(first, again), "sample_next(uniform logits (200, 16)) twice with generators seeded 60 drew different tokens", hint="pass the generator to torch.multinomial(..., generator=generator)")
    stream = generator(61)
    differ = impl.a6.sample_next(logits, generator=stream)
    later = impl.a6.sample_next(logits, generator=stream)
    assert_true(not torch.equal(differ, later), "sample_next drew the same 200 tokens twice from one generator", hint="draw from the generator given; do not re-seed it")


@pytest.mark.task6_5
@pytest.mark.parametrize("dtype", [torch.float64, torch.bfloat16], ids=str)
def test_sample_other_dtypes(impl, ref, dtype):
    """For float64 and bfloat16 logits, does sample_next draw (B, 1) int64 tokens from the top-k set, the same for the same seed?"""
    logits = nucleus_logits(500, seed=62, dtype=dtype)
    what = f"sample_next(logits (500, 12) in {dtype}, top_k=4)"
    draws = impl.a6.sample_next(logits, top_k=4, generator=generator(63))
    assert_shape(draws, (500, 1), what=what)
    assert_dtype(draws, torch.int64, what=what, hint="torch.multinomial on float32 probabilities: softmax(z.float(), dim=-1)")
    kept = ref.a6.top_k_filter(logits, 4)
    outside = int((~kept.gather(1, draws.clamp(0, 11)).isfinite()).sum())
    assert_true(outside == 0, f"{what}: {outside} of 500 draws are outside the top 4", hint="apply top_k_filter before the softmax")
    again = impl.a6.sample_next(logits, top_k=4, generator=generator(63))
    assert_true(torch.equal(draws, again), f"{what} drew different tokens with the same seed", hint="pass the generator to torch.multinomial")


@pytest.mark.task6_5
def test_sample_leaves_its_input_alone(impl):
    """Does sample_next leave its logits unchanged, whatever the settings?"""
    logits = nucleus_logits(5, seed=64)
    original = logits.clone()
    for settings in [dict(temperature=0.5), dict(temperature=0.7, top_k=3, top_p=0.6), dict(temperature=0.0)]:
        impl.a6.sample_next(logits, **settings, generator=generator(65))
        assert_not_modified(logits, original, what=f"sample_next(logits (5, 12), {describe(settings)})")


@pytest.mark.task6_5
@pytest.mark.parametrize("device", ["meta", *DEVICES])
def test_sample_stays_on_the_input_device(impl, device):
    """Are the drawn tokens on the device of the logits?"""
    logits = nucleus_logits(4, seed=66).to(device)
    source = torch.Generator(device="cpu" if device == "meta" else device).manual_seed(67)
    out = impl.a6.sample_next(logits, temperature=0.8, top_k=5, top_p=0.9, generator=source)
    assert_on_device(out, device, what=f"sample_next(logits (4, 12) on {device}, temperature=0.8, top_k=5, top_p=0.9)")


@pytest.mark.task6_5
@pytest.mark.parametrize(
    "shape, settings, mentioned",
    [
        ((2, 5), dict(top_p=0.0), "0.0"),
        ((2, 5), dict(top_p=1.5), "1.5"),
        ((2, 5), dict(temperature=0.0, top_k=0), "0"),
        ((2, 5), dict(temperature=0.0, top_p=2.0), "2.0"),
        ((5,), dict(temperature=1.0), "(5,)"),
        ((2, 3, 5), dict(temperature=1.0), "(2, 3, 5)"),
    ],
    ids=["top_p=0", "top_p=1.5", "greedy-top_k=0", "greedy-top_p=2", "1-d", "3-d"],
)
def test_sample_refuses_bad_arguments(impl, shape, settings, mentioned):
    """Are bad settings (checked even at temperature 0) and logits that are not (B, V) ValueErrors naming the value?"""
    what = f"sample_next(logits of shape {shape}, {describe(settings)})"
    with assert_raises(ValueError, what=what, mentions=[mentioned], hint="check every argument first, before the temperature-0 shortcut"):
        impl.a6.sample_next(torch.zeros(shape), **settings, generator=generator(68))


# ---------------------------------------------------------------- Task 6.6

GENERATE_SETTINGS = [
    dict(temperature=0.0),
    dict(temperature=1.0),
    dict(temperature=0.8, top_k=4),
    dict(temperature=1.3, top_p=0.7),
]


@pytest.mark.task6_6
@pytest.mark.parametrize("settings", GENERATE_SETTINGS, ids=describe)
def test_generate_matches_the_reference(impl, ref, settings):
    """With a context-dependent model, a prompt longer than the block and a seeded generator, does generate produce the reference's tokens?"""
    prompt = random_ids(3, 7, vocab_size=11, seed=71)
    original = prompt.clone()
    what = f"generate(model with block_size 5, prompt (3, 7), 9, {describe(settings)})"
    out = impl.a6.generate(ContextLM(seed=72), prompt, 9, **settings, generator=generator(73))
    assert_shape(out, (3, 16), what=what)
    assert_dtype(out, torch.int64, what=what)
    expected = ref.a6.generate(ContextLM(seed=72), prompt, 9, **settings, generator=generator(73))
    assert_same_as_reference(out, expected, what=what, hint="each round: context = ids[:, -block_size:], sample from logits[:, -1, :] with every setting and the generator, torch.cat onto ids")
    assert_not_modified(prompt, original, what=what)


@pytest.mark.task6_6
def test_generate_feeds_the_last_block_size_tokens(impl, ref):
    """Does the model see, each round, the last block_size tokens (the newest included)?"""
    prompt = random_ids(2, 3, vocab_size=11, seed=74)
    seen = []
    for handle in (impl, ref):
        model = ContextLM(seed=75)
        handle.a6.generate(model, prompt, 6, temperature=0.0)
        seen.append(model.contexts)
    assert_same_as_reference(len(seen[0]), len(seen[1]), what="the number of times generate(prompt (2, 3), 6) called the model", hint="one model call per new token")
    for step, (got, want) in enumerate(zip(*seen)):
        assert_same_as_reference(got, want, what=f"the context the model saw in round {step + 1} (block_size 5)", hint="crop from the end: ids[:, -block_size:] keeps the newest tokens")


@pytest.mark.task6_6
def test_generate_finishes_each_row_at_its_own_end(impl, ref):
    """Greedy with eos_id, where rows reach it at different rounds: do finished rows repeat eos_id until every row is done?"""
    prompt = torch.tensor([[3, 5], [9, 1], [0, 6]])  # counts up: reaches 7 after 2, 6 and 1 rounds
    what = "generate(counting model, prompt (3, 2), 10, temperature=0, eos_id=7)"
    out = impl.a6.generate(SuccessorLM(), prompt, 10, temperature=0.0, eos_id=7)
    expected = ref.a6.generate(SuccessorLM(), prompt, 10, temperature=0.0, eos_id=7)
    assert_same_as_reference(out, expected, what=what, hint="a row that produced eos_id keeps emitting eos_id; stop only when EVERY row has finished")


@pytest.mark.task6_6
def test_generate_ignores_end_of_sequence_in_the_prompt(impl, ref):
    """Does an eos_id already in the prompt leave generation running?"""
    prompt = torch.tensor([[7, 2], [1, 7]])
    what = "generate(counting model, prompt (2, 2) holding eos_id 7, 8, temperature=0, eos_id=7)"
    out = impl.a6.generate(SuccessorLM(), prompt, 8, temperature=0.0, eos_id=7)
    expected = ref.a6.generate(SuccessorLM(), prompt, 8, temperature=0.0, eos_id=7)
    assert_same_as_reference(out, expected, what=what, hint="only tokens generated count as the end, not the prompt's")


@pytest.mark.task6_6
def test_generate_with_sampling_and_end_of_sequence(impl, ref):
    """Sampling with eos_id set, does generate keep finished rows at eos_id and stop with the reference?"""
    prompt = random_ids(6, 2, vocab_size=11, seed=76)
    what = "generate(model, prompt (6, 2), 25, temperature=1.5, eos_id=3) with a seeded generator"
    out = impl.a6.generate(ContextLM(seed=77), prompt, 25, temperature=1.5, eos_id=3, generator=generator(78))
    expected = ref.a6.generate(ContextLM(seed=77), prompt, 25, temperature=1.5, eos_id=3, generator=generator(78))
    assert_same_as_reference(out, expected, what=what, hint="after a row's eos_id, overwrite its new tokens with eos_id (the draw still happens for the whole batch)")


@pytest.mark.task6_6
def test_generate_greedy_rows_do_not_affect_each_other(impl):
    """Greedy, does generating a batch give the rows one gets by generating each row alone?"""
    prompt = random_ids(4, 3, vocab_size=11, seed=79)
    together = impl.a6.generate(ContextLM(seed=80), prompt, 6, temperature=0.0)
    alone = torch.cat([impl.a6.generate(ContextLM(seed=80), prompt[row : row + 1], 6, temperature=0.0) for row in range(4)])
    assert_same_as_reference(together, alone, what="generate(prompt (4, 3), 6, temperature=0) against each row alone", hint="every step works row by row: logits[:, -1, :] and argmax over dim=-1")


@pytest.mark.task6_6
def test_generate_keeps_an_eval_model_in_eval_mode(impl):
    """Is a model that was in eval mode still in eval mode after generate?"""
    model = ContextLM(seed=81).eval()
    impl.a6.generate(model, torch.tensor([[1, 2]]), 3, temperature=0.0)
    assert_true(not model.training, "generate left a model that was in eval mode in train mode", hint="remember model.training before and restore it: model.train(was_training)")


@pytest.mark.task6_6
def test_generate_restores_train_mode_after_an_error(impl):
    """When the model raises on the second round, does the error reach the caller with the model back in train mode?"""
    model = FailingLM(fail_on_call=2).train()
    with assert_raises(ModelFailure, what="generate(model that fails in round 2, ...)", mentions=["on purpose"], hint="let the model's error through"):
        impl.a6.generate(model, torch.tensor([[1, 2]]), 4, temperature=0.0)
    assert_true(model.training, "after the model raised inside generate, it was left in eval mode", hint="restore the mode in a finally: block, so it happens even when an error interrupts")


@pytest.mark.task6_6
def test_generate_zero_new_tokens_returns_the_prompt(impl):
    """With max_new_tokens = 0, is the result the prompt itself, int64 (B, T)?"""
    prompt = random_ids(2, 4, vocab_size=11, seed=82)
    out = impl.a6.generate(ContextLM(seed=83), prompt, 0)
    assert_shape(out, (2, 4), what="generate(model, prompt (2, 4), 0)")
    assert_dtype(out, torch.int64, what="generate(model, prompt (2, 4), 0)")
    assert_same_as_reference(out, prompt, what="generate(model, prompt (2, 4), 0)", hint="zero rounds: return the prompt")


@pytest.mark.task6_6
@pytest.mark.parametrize("device", DEVICES)
def test_generate_stays_on_the_prompt_device(impl, device):
    """Are the generated ids on the prompt's device, with eos_id set?"""
    model = ContextLM(seed=84).to(device)
    prompt = random_ids(2, 2, vocab_size=11, seed=85).to(device)
    source = torch.Generator(device=device).manual_seed(86)
    out = impl.a6.generate(model, prompt, 5, temperature=1.0, eos_id=4, generator=source)
    assert_on_device(out, device, what=f"generate(model, prompt (2, 2) on {device}, 5, eos_id=4)")


@pytest.mark.task6_6
@pytest.mark.parametrize(
    "shape, max_new_tokens, settings, mentioned",
    [
        ((3,), 2, dict(), "(3,)"),
        ((2, 0), 2, dict(), "(2, 0)"),
        ((1, 2), 0, dict(top_p=1.5), "1.5"),
        ((1, 2), 0, dict(temperature=-0.5), "-0.5"),
        ((1, 2), 0, dict(top_k=0), "0"),
        ((1, 2), -3, dict(), "-3"),
    ],
    ids=["1-d", "empty", "top_p", "temperature", "top_k", "negative-count"],
)
def test_generate_refuses_bad_arguments(impl, shape, max_new_tokens, settings, mentioned):
    """Are a prompt that is not (B, T >= 1), a negative count and bad sampling settings ValueErrors, even when no token is asked for?"""
    what = f"generate(model, ids of shape {shape}, {max_new_tokens}, {describe(settings)})"
    with assert_raises(ValueError, what=what, mentions=[mentioned], hint="check every argument before the loop, so a bad one fails even with max_new_tokens=0"):
        impl.a6.generate(ContextLM(seed=87), torch.zeros(shape, dtype=torch.long), max_new_tokens, **settings)
