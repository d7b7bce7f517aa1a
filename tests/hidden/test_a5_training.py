"""Hidden checks of assignment 5: the training loop's pieces against the reference, and how they behave.

Beyond the public suite: every piece is compared with the reference on
seeded inputs of several shapes, dtypes and data kinds; the properties a
training loop relies on are checked directly (the optimizer sees clipped
gradients, accumulation equals the big batch, a resumed run equals the one
that never stopped, a checkpoint replaces the old file in one step); and the
documented errors are provoked. The models are tiny modules written here, so
a task's tests fail only through that task's code and the pieces it calls.
"""

from __future__ import annotations

import copy
import math
import os
from collections.abc import Mapping

import numpy as np
import pytest
import torch

# torch imports torch._dynamo when the first optimizer is created, which takes
# seconds; importing it while the module is collected keeps that time out of
# the first optimizer test, so an unfinished stub still fails at once.
import torch._dynamo  # noqa: F401
from torch import nn

from grader.testing import assert_close, assert_dtype, assert_equal, assert_raises, assert_shape, assert_true, fail
from tests.stand_ins import BigramLM, CompiledLike, FailsOnSecondCall, ModelBroke, RecordingSGD, RecordsDevice, StateHolder
from tests.hidden.support import (
    DEVICES,
    assert_matches_reference,
    assert_not_modified,
    assert_same_as_reference,
    generator,
    random_ids,
    random_tensor,
)

# Tiny tensors: one torch thread is fastest, and immune to a busy machine.
pytestmark = pytest.mark.usefixtures("single_thread")

VOCAB = 13








def make_model(seed: int, **settings) -> BigramLM:
    """A BigramLM whose initial weights depend only on ``seed`` (torch's global RNG is left as it was)."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return BigramLM(**{"vocab_size": VOCAB, "block_size": 16, "width": 12, **settings})


def corpus(length: int, *, seed: int, vocab_size: int = VOCAB) -> torch.Tensor:
    """A random token stream of ``length`` int64 ids."""
    return random_ids(length, vocab_size=vocab_size, seed=seed)


def assert_models_match(model: nn.Module, expected: nn.Module, *, what: str, hint: str | None = None, **tolerances) -> None:
    """Every parameter of ``model`` against the same-named one of ``expected`` (the reference's run)."""
    __tracebackhide__ = True
    reference = dict(expected.named_parameters())
    for name, parameter in model.named_parameters():
        assert_matches_reference(parameter, reference[name], what=f"{name} {what}", hint=hint, **tolerances)


def assert_same_structure(actual, expected, *, what: str, hint: str | None = None) -> None:
    """``actual`` equals ``expected`` exactly, through nested dicts, lists and tensors (a checkpoint's contents)."""
    __tracebackhide__ = True
    if isinstance(expected, Mapping):
        assert_true(isinstance(actual, Mapping), f"{what}: expected a dict, got a {type(actual).__name__}", hint=hint)
        assert_same_as_reference(sorted(map(repr, actual)), sorted(map(repr, expected)), what=f"the keys of {what}", hint=hint)
        for key in expected:
            assert_same_structure(actual[key], expected[key], what=f"{what}[{key!r}]", hint=hint)
    elif isinstance(expected, (list, tuple)):
        assert_true(
            isinstance(actual, (list, tuple)) and len(actual) == len(expected),
            f"{what}: expected a sequence of {len(expected)} items, got {type(actual).__name__}"
            + (f" of {len(actual)}" if isinstance(actual, (list, tuple)) else ""),
            hint=hint,
        )
        for index, (got, want) in enumerate(zip(actual, expected)):
            assert_same_structure(got, want, what=f"{what}[{index}]", hint=hint)
    elif (actual is None) != (expected is None):
        fail(f"{what}: expected {_kind(expected)}, got {_kind(actual)}", hint=hint)
    else:
        assert_same_as_reference(actual, expected, what=what, hint=hint)


def _kind(value) -> str:
    """``None`` or ``a Tensor``: what a value is, without its content."""
    return "None" if value is None else f"a {type(value).__name__}"


def token_data(kind: str, length: int, *, seed: int, tmp_path) -> torch.Tensor | np.ndarray:
    """A token stream of ``kind``: torch int64/int32, numpy uint16 with ids up to 65535, or a uint16 memmap on disk."""
    ids = torch.randint(65536 if kind.startswith("numpy") else 1000, (length,), generator=generator(seed))
    if kind == "torch-int64":
        return ids
    if kind == "torch-int32":
        return ids.to(torch.int32)
    array = ids.numpy().astype(np.uint16)
    if kind == "numpy-uint16":
        return array
    path = tmp_path / "tokens.bin"
    array.tofile(path)
    return np.memmap(path, dtype=np.uint16, mode="r")


def train_config(module, **overrides):
    """A small TrainConfig of ``module`` (the implementation's or the reference's class)."""
    settings = dict(max_iters=6, batch_size=4, block_size=8, warmup_steps=2, lr_decay_steps=6, eval_interval=3, eval_iters=1, max_lr=1e-2, min_lr=1e-3, seed=11)
    settings.update(overrides)
    return module.TrainConfig(**settings)


# ---------------------------------------------------------------- Task 5.1


@pytest.mark.task5_1
@pytest.mark.parametrize("kind", ["torch-int64", "torch-int32", "numpy-uint16", "numpy-memmap"])
@pytest.mark.parametrize("batch_size, block_size, length", [(1, 1, 2), (3, 5, 40), (8, 16, 17), (5, 7, 300)])
def test_get_batch_matches_reference(impl, ref, tmp_path, kind, batch_size, block_size, length):
    """For the same seed, are x and y the reference's windows, as int64, for torch and numpy token streams?"""
    data = token_data(kind, length, seed=length, tmp_path=tmp_path)
    x, y = impl.a5.get_batch(data, batch_size, block_size, generator=generator(7))
    expected_x, expected_y = ref.a5.get_batch(data, batch_size, block_size, generator=generator(7))
    what = f"get_batch({kind} data of {length} tokens, batch_size={batch_size}, block_size={block_size})"
    assert_dtype(x, torch.int64, what=f"x of {what}", hint="convert the windows to int64 (numpy: .astype(np.int64) before torch.from_numpy)")
    assert_dtype(y, torch.int64, what=f"y of {what}", hint="convert the windows to int64")
    hint = "starts = torch.randint(len(data) - block_size, (batch_size,), generator=generator), one call; x = data[s : s + T], y = data[s + 1 : s + T + 1]"
    assert_same_as_reference(x, expected_x, what=f"x of {what}", hint=hint)
    assert_same_as_reference(y, expected_y, what=f"y of {what}", hint=hint)


@pytest.mark.task5_1
def test_get_batch_reaches_the_last_valid_start(impl):
    """With len(data) = T + 2, do both valid starts (0 and 1) occur, and never a window without a full target?"""
    data = torch.arange(10) * 3  # T = 8: starts 0 and 1 are the only valid ones
    x, y = impl.a5.get_batch(data, 64, 8, generator=generator(0))
    assert_shape(x, (64, 8), what="x of get_batch(10 tokens, 64, 8)")
    assert_shape(y, (64, 8), what="y of get_batch(10 tokens, 64, 8)", hint="every y row needs T tokens: the last start is len(data) - T - 1")
    starts = sorted(set((x[:, 0] // 3).tolist()))
    assert_equal(starts, [0, 1], what="the window starts drawn in 64 windows of 10 tokens with T = 8", hint="randint's upper bound is exclusive: torch.randint(len(data) - block_size, ...) draws 0 .. len(data) - T - 1")
    x, y = impl.a5.get_batch(data[:9], 4, 8, generator=generator(0))
    assert_equal(x, data[:8].expand(4, 8), what="x of get_batch(9 tokens, 4, 8)", hint="with len(data) = T + 1 the only start is 0")
    assert_equal(y, data[1:9].expand(4, 8), what="y of get_batch(9 tokens, 4, 8)")


@pytest.mark.task5_1
@pytest.mark.parametrize("device", [*DEVICES, "meta"])
def test_get_batch_puts_the_batch_on_the_device(impl, device):
    """Are x and y created on the device asked for (the data stays on the CPU)?"""
    data = torch.arange(50)
    x, y = impl.a5.get_batch(data, 3, 4, generator=generator(1), device=device)
    for name, tensor in (("x", x), ("y", y)):
        assert_equal(tensor.device.type, torch.device(device).type, what=f"{name}.device of get_batch(..., device={device!r})", hint="move the batch with the provided _to_device(x, y, device)")
    assert_shape(x, (3, 4), what=f"x of get_batch(50 tokens, 3, 4, device={device!r})")
    assert_dtype(y, torch.int64, what=f"y of get_batch(..., device={device!r})")


@pytest.mark.task5_1
def test_get_batch_refuses_bad_arguments(impl):
    """Are 2-D data, batch_size 0 and block_size -1 ValueErrors (the sizes named in the message)?"""
    with assert_raises(ValueError, what="get_batch(data of shape (4, 5), 2, 3)", hint="check data.ndim == 1 first"):
        impl.a5.get_batch(torch.zeros(4, 5, dtype=torch.long), 2, 3)
    with assert_raises(ValueError, what="get_batch(100 tokens, batch_size=0, 4)", mentions=["0"]):
        impl.a5.get_batch(torch.arange(100), 0, 4)
    with assert_raises(ValueError, what="get_batch(100 tokens, 2, block_size=-1)", mentions=["-1"]):
        impl.a5.get_batch(torch.arange(100), 2, -1)


# ---------------------------------------------------------------- Task 5.2


@pytest.mark.task5_2
def test_sliding_window_count_matches_reference(impl, ref):
    """For many lengths, block sizes and strides, is len(dataset) the reference's number of windows?"""
    for block_size in (1, 3, 4):
        for stride in sorted({1, 2, 3, block_size, block_size + 2}):
            for length in range(block_size + 1, block_size + 3 * stride + 3):
                data = torch.arange(length)
                got = len(impl.a5.SlidingWindowDataset(data, block_size, stride=stride))
                expected = len(ref.a5.SlidingWindowDataset(data, block_size, stride=stride))
                assert_same_as_reference(got, expected, what=f"len(SlidingWindowDataset({length} tokens, block_size={block_size}, stride={stride}))", hint="windows are taken while the target fits: (N - T - 1) // stride + 1")


@pytest.mark.task5_2
@pytest.mark.parametrize("kind", ["torch-int64", "numpy-uint16", "numpy-memmap"])
@pytest.mark.parametrize("block_size, stride, length", [(4, None, 23), (5, 2, 30), (3, 7, 26), (6, 1, 7)])
def test_sliding_windows_match_reference(impl, ref, tmp_path, kind, block_size, stride, length):
    """Is every window, by positive and negative index, the reference's (x, y), as int64 of shape (T,)?"""
    data = token_data(kind, length, seed=block_size, tmp_path=tmp_path)
    dataset = impl.a5.SlidingWindowDataset(data, block_size, stride=stride)
    expected = ref.a5.SlidingWindowDataset(data, block_size, stride=stride)
    count = len(expected)
    for index in [*range(count), *range(-count, 0)]:
        x, y = dataset[index]
        want_x, want_y = expected[index]
        what = f"window {index} of SlidingWindowDataset({kind} data of {length} tokens, {block_size}, stride={stride})"
        assert_dtype(x, torch.int64, what=f"x of {what}", hint="return int64 tensors, also for numpy data")
        assert_same_as_reference(x, want_x, what=f"x of {what}", hint="window i starts at i * stride; a negative index counts from the end (index % len)")
        assert_same_as_reference(y, want_y, what=f"y of {what}", hint="y = data[s + 1 : s + T + 1]")


@pytest.mark.task5_2
def test_sliding_windows_refuse_indices_out_of_range(impl):
    """Are index len and index -len - 1 IndexErrors naming the index?"""
    dataset = impl.a5.SlidingWindowDataset(torch.arange(20), 4, stride=3)  # (20 - 4 - 1) // 3 + 1 = 6 windows
    for index in (6, 7, -7):
        with assert_raises(IndexError, what=f"dataset[{index}] of 6 windows", mentions=[str(index)], hint="valid indices are -len .. len - 1; raise IndexError outside them"):
            dataset[index]


@pytest.mark.task5_2
def test_sliding_windows_feed_a_dataloader(impl, ref):
    """Does a DataLoader over the dataset yield every window once, in order, batched like the reference's?"""
    data = corpus(41, seed=3)
    dataset = impl.a5.SlidingWindowDataset(data, 5, stride=4)
    expected = ref.a5.SlidingWindowDataset(data, 5, stride=4)
    batches = list(torch.utils.data.DataLoader(dataset, batch_size=3))
    want = list(torch.utils.data.DataLoader(expected, batch_size=3))
    assert_same_as_reference(len(batches), len(want), what="number of batches of DataLoader(dataset, batch_size=3) over 41 tokens, T = 5, stride 4", hint="len(dataset) = (N - T - 1) // stride + 1")
    for index, ((x, y), (want_x, want_y)) in enumerate(zip(batches, want)):
        assert_same_as_reference(x, want_x, what=f"x of DataLoader batch {index}")
        assert_same_as_reference(y, want_y, what=f"y of DataLoader batch {index}")
    windows = list(iter(dataset))
    assert_same_as_reference(len(windows), len(expected), what="windows seen by a for loop over the dataset", hint="raise IndexError past the last window: that is how iteration stops")


# ---------------------------------------------------------------- Task 5.3


CE_SHAPES = [(6, 5), (2, 7, 11), (2, 3, 4, 9), (1, 1, 2)]


@pytest.mark.task5_3
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64], ids=["float32", "float64"])
@pytest.mark.parametrize("shape", CE_SHAPES, ids=lambda shape: "x".join(map(str, shape)))
def test_cross_entropy_matches_reference(impl, ref, shape, dtype):
    """On random logits of several shapes, are the loss and its dtype the reference's?"""
    logits = random_tensor(*shape, seed=sum(shape), dtype=dtype, scale=3.0)
    targets = random_ids(*shape[:-1], vocab_size=shape[-1], seed=len(shape))
    loss = impl.a5.cross_entropy(logits, targets)
    expected = ref.a5.cross_entropy(logits, targets)
    what = f"cross_entropy(logits {tuple(shape)} {dtype}, targets {tuple(shape[:-1])})"
    assert_shape(loss, (), what=what, hint="return the mean as a 0-dim tensor")
    assert_dtype(loss, expected.dtype, what=what, hint="keep the logits' dtype")
    assert_matches_reference(loss, expected, what=what, dtype=dtype, hint="loss = logsumexp(z) - z[target], averaged over every position; the classes lie along the last dim")


@pytest.mark.task5_3
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64], ids=["float32", "float64"])
def test_cross_entropy_gradient_matches_reference(impl, ref, dtype):
    """Does the gradient of the loss with respect to the logits match the reference's (softmax - one-hot) / N?"""
    base = random_tensor(3, 4, 6, seed=5, dtype=dtype, scale=2.0)
    targets = random_ids(3, 4, vocab_size=6, seed=6)
    targets[0, 1] = -100
    logits, reference_logits = base.clone().requires_grad_(True), base.clone().requires_grad_(True)
    impl.a5.cross_entropy(logits, targets).backward()
    ref.a5.cross_entropy(reference_logits, targets).backward()
    assert_true(logits.grad is not None, "cross_entropy(logits (3, 4, 6), ...).backward() left no gradient on the logits", hint="keep the computation in torch (no .item(), .numpy() or .detach() of the logits)")
    assert_matches_reference(logits.grad, reference_logits.grad, what=f"d loss / d logits for logits (3, 4, 6) {dtype} with one ignored target", dtype=dtype, hint="ignored positions get no gradient; the mean is over the kept positions")


@pytest.mark.task5_3
@pytest.mark.parametrize("dtype", [torch.bfloat16, torch.float16], ids=["bfloat16", "float16"])
def test_cross_entropy_upcasts_half_precision(impl, ref, dtype):
    """For 16-bit logits, is the loss float32, computed after upcasting (as the reference)?"""
    logits = random_tensor(4, 8, 50, seed=9, dtype=dtype, scale=4.0)
    targets = random_ids(4, 8, vocab_size=50, seed=10)
    loss = impl.a5.cross_entropy(logits, targets)
    what = f"cross_entropy(logits (4, 8, 50) {dtype}, targets (4, 8))"
    assert_dtype(loss, torch.float32, what=what, hint="upcast 16-bit logits with logits.float() before exp and sum")
    # Both sides compute in float32 from the same 16-bit values, so the float32 row applies;
    # summing 50 exponentials in 16 bits first is off by far more.
    assert_matches_reference(loss, ref.a5.cross_entropy(logits, targets), what=what, dtype=torch.float32, hint="upcast first (logits.float()), then compute as in float32")


@pytest.mark.task5_3
def test_cross_entropy_is_stable_for_extreme_logits(impl, ref):
    """Are logits of magnitude 1e4 and -inf entries (masked classes) handled without inf or NaN, as the reference?"""
    logits = random_tensor(5, 6, seed=11, scale=1e4)
    logits[:, 0] = -math.inf
    logits[2] = -1e30
    targets = torch.tensor([1, 2, 3, 4, 5])
    loss = impl.a5.cross_entropy(logits, targets)
    assert_true(bool(torch.isfinite(loss)), f"cross_entropy of logits scaled by 1e4 with a masked class is {loss.item()}", hint="subtract each row's maximum before exp: logsumexp(z) = m + log sum exp(z - m)")
    # Losses near 1e4 in float32: an ulp there is 1e-3, well inside the float32 row's relative 1e-4.
    assert_matches_reference(loss, ref.a5.cross_entropy(logits, targets), what="cross_entropy(logits (5, 6) scaled by 1e4, column 0 = -inf, row 2 = -1e30)", hint="subtract the row maximum; never take log of a softmax that underflowed to 0", dtype=torch.float32)


@pytest.mark.task5_3
@pytest.mark.parametrize("ignore_index", [0, 9, -1], ids=["a-real-class", "past-the-vocabulary", "minus-one"])
def test_cross_entropy_respects_ignore_index(impl, ref, ignore_index):
    """With another ignore_index (a real class, one past the vocabulary, -1), are exactly those positions skipped?"""
    logits = random_tensor(4, 5, 7, seed=12)
    targets = random_ids(4, 5, vocab_size=7, seed=13)
    targets[0, :2] = ignore_index
    targets[3, 4] = ignore_index
    loss = impl.a5.cross_entropy(logits, targets, ignore_index=ignore_index)
    assert_matches_reference(loss, ref.a5.cross_entropy(logits, targets, ignore_index=ignore_index), what=f"cross_entropy(logits (4, 5, 7), targets, ignore_index={ignore_index})", hint="compare the targets with the ignore_index argument (not a hard-coded -100), and gather with a valid index at ignored positions", dtype=torch.float32)


@pytest.mark.task5_3
def test_cross_entropy_leaves_its_inputs_alone(impl):
    """Are the logits and targets unchanged after the call?"""
    logits = random_tensor(3, 4, 5, seed=14, scale=5.0)
    targets = random_ids(3, 4, vocab_size=5, seed=15)
    targets[1, 1] = -100
    logits_before, targets_before = logits.clone(), targets.clone()
    impl.a5.cross_entropy(logits, targets)
    assert_not_modified(logits, logits_before, what="cross_entropy(logits, targets) (the logits)")
    assert_not_modified(targets, targets_before, what="cross_entropy(logits, targets) (the targets)")


@pytest.mark.task5_3
@pytest.mark.parametrize("device", DEVICES)
def test_cross_entropy_stays_on_the_logits_device(impl, ref, device):
    """Is the loss on the logits' device, with the reference's value?"""
    logits = random_tensor(2, 3, 4, seed=16)
    targets = random_ids(2, 3, vocab_size=4, seed=17)
    loss = impl.a5.cross_entropy(logits.to(device), targets.to(device))
    assert_equal(loss.device.type, torch.device(device).type, what=f"the loss's device for logits on {device}", hint="create helper tensors with device=logits.device (or *_like)")
    assert_matches_reference(loss, ref.a5.cross_entropy(logits, targets), what=f"cross_entropy on {device}", dtype=torch.float32)


@pytest.mark.task5_3
def test_cross_entropy_refuses_bad_targets(impl):
    """Are targets of the wrong shape, and float targets, ValueErrors (the dtype named)?"""
    logits = random_tensor(4, 5, seed=18)
    with assert_raises(ValueError, what="cross_entropy(logits (4, 5), targets (5,))", hint="check targets.shape == logits.shape[:-1]"):
        impl.a5.cross_entropy(logits, torch.zeros(5, dtype=torch.long))
    with assert_raises(ValueError, what="cross_entropy(logits (4, 5), targets (4, 5))", hint="check targets.shape == logits.shape[:-1]"):
        impl.a5.cross_entropy(logits, torch.zeros(4, 5, dtype=torch.long))
    with assert_raises(ValueError, what="cross_entropy(logits (4, 5), float targets (4,))", mentions=["float"], hint="class indices must be an integer tensor; name the dtype seen"):
        impl.a5.cross_entropy(logits, torch.zeros(4))


# ---------------------------------------------------------------- Task 5.4


SCHEDULES = [
    dict(max_lr=6e-4, min_lr=6e-5, warmup_steps=10, total_steps=100),
    dict(max_lr=1.0, min_lr=0.0, warmup_steps=0, total_steps=7),
    dict(max_lr=3e-3, min_lr=3e-3, warmup_steps=4, total_steps=9),
    dict(max_lr=2e-2, min_lr=1e-4, warmup_steps=5, total_steps=5),
    dict(max_lr=5e-3, min_lr=5e-4, warmup_steps=1, total_steps=2),
]


@pytest.mark.task5_4
@pytest.mark.parametrize("settings", SCHEDULES, ids=lambda s: f"warmup{s['warmup_steps']}-total{s['total_steps']}")
def test_lr_schedule_matches_reference(impl, ref, settings):
    """At every step from 0 to past the end, is the rate the reference's, as a Python float?"""
    steps = range(settings["total_steps"] + 5)
    rates = [impl.a5.lr_schedule(step, **settings) for step in steps]
    expected = [ref.a5.lr_schedule(step, **settings) for step in steps]
    described = ", ".join(f"{key}={value}" for key, value in settings.items())
    assert_true(all(isinstance(rate, float) for rate in rates), f"lr_schedule({described}) returned {sorted({type(r).__name__ for r in rates})}, expected Python floats", hint="return a float (math.cos, not torch.cos)")
    assert_matches_reference(rates, expected, what=f"lr_schedule(step, {described}) for steps 0..{len(steps) - 1}", dtype=torch.float64, hint="warmup: max_lr * (step + 1) / (warmup_steps + 1); then ratio = (step - warmup) / (total - warmup); min_lr from total_steps on")


@pytest.mark.task5_4
def test_lr_schedule_has_the_shape_of_warmup_then_decay(impl):
    """Does the rate rise strictly through warmup, peak at max_lr right after it, then fall without going below min_lr?"""
    settings = dict(max_lr=1e-3, min_lr=1e-4, warmup_steps=6, total_steps=30)
    rates = [impl.a5.lr_schedule(step, **settings) for step in range(40)]
    rising, falling = rates[:7], rates[6:]
    assert_true(all(a < b for a, b in zip(rising, rising[1:])), "the rate does not rise strictly over steps 0..6 (warmup 6)", f"rates: {[f'{r:.3g}' for r in rising]}", hint="warmup is linear: max_lr * (step + 1) / (warmup_steps + 1)")
    assert_true(abs(rates[6] - 1e-3) <= 1e-15, f"the rate at step 6 (the first after 6 warmup steps) is {rates[6]:.6g}, expected max_lr = 0.001", hint="the cosine starts at ratio 0 at step == warmup_steps")
    assert_true(all(a >= b for a, b in zip(falling, falling[1:])), "the rate rises somewhere after warmup", f"rates from step 6: {[f'{r:.3g}' for r in falling]}", hint="clamp to min_lr from total_steps on: the cosine rises again after ratio 1")
    assert_true(min(falling) >= 1e-4, f"the rate falls below min_lr = 0.0001 after warmup: {min(falling):.6g}", hint="lr = min_lr + coeff * (max_lr - min_lr), coeff from 1 to 0")
    assert_true(all(rate == 1e-4 for rate in rates[30:]), f"the rates from total_steps = 30 on are {sorted(set(rates[30:]))}, expected min_lr = 0.0001", hint="return min_lr when step >= total_steps")


@pytest.mark.task5_4
def test_lr_schedule_refuses_bad_arguments(impl):
    """Are negative warmup, total_steps below warmup_steps and a negative min_lr ValueErrors naming the value?"""
    with assert_raises(ValueError, what="lr_schedule(0, warmup_steps=-2, ...)", mentions=["-2"]):
        impl.a5.lr_schedule(0, max_lr=1.0, min_lr=0.1, warmup_steps=-2, total_steps=10)
    with assert_raises(ValueError, what="lr_schedule(0, warmup_steps=5, total_steps=3)", mentions=["3"]):
        impl.a5.lr_schedule(0, max_lr=1.0, min_lr=0.1, warmup_steps=5, total_steps=3)
    with assert_raises(ValueError, what="lr_schedule(0, min_lr=-0.5, ...)", mentions=["-0.5"]):
        impl.a5.lr_schedule(0, max_lr=1.0, min_lr=-0.5, warmup_steps=1, total_steps=10)


# ---------------------------------------------------------------- Task 5.5


def parameters_with_gradients(shapes, *, seed: int, dtype=torch.float32, scale: float = 1.0, device="cpu"):
    """Parameters of ``shapes`` whose ``.grad`` is seeded random (``None`` for a shape given as None)."""
    parameters = []
    for index, shape in enumerate(shapes):
        if shape is None:
            parameters.append(nn.Parameter(torch.zeros(2, dtype=dtype, device=device)))
            continue
        parameter = nn.Parameter(torch.zeros(shape, dtype=dtype, device=device))
        parameter.grad = random_tensor(*shape, seed=seed + index, dtype=dtype, scale=scale).to(device)
        parameters.append(parameter)
    return parameters


@pytest.mark.task5_5
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64], ids=["float32", "float64"])
@pytest.mark.parametrize("max_norm", [0.05, 1.0, 1e3], ids=["clips-hard", "clips", "leaves-alone"])
def test_clip_grad_norm_matches_reference(impl, ref, dtype, max_norm):
    """Over parameters of several shapes (one without a gradient), are the returned norm and clipped gradients the reference's?"""
    shapes = [(4, 6), (6,), None, (2, 3, 5), (1,)]
    ours = parameters_with_gradients(shapes, seed=20, dtype=dtype, scale=0.4)
    theirs = parameters_with_gradients(shapes, seed=20, dtype=dtype, scale=0.4)
    norm = impl.a5.clip_grad_norm(ours, max_norm)
    expected = ref.a5.clip_grad_norm(theirs, max_norm)
    assert_true(isinstance(norm, torch.Tensor) and norm.dim() == 0, f"clip_grad_norm returned {type(norm).__name__}, expected a 0-dim tensor", hint="return the global norm as a 0-dim tensor")
    assert_matches_reference(norm, expected, what=f"the norm returned by clip_grad_norm(4 {dtype} gradients, max_norm={max_norm})", dtype=dtype, hint="the norm before clipping, of all gradients together: sqrt(sum of every squared entry)")
    for index, (mine, reference) in enumerate(zip(ours, theirs)):
        if reference.grad is None:
            assert_true(mine.grad is None, f"clip_grad_norm gave parameter {index}, which had no gradient, a gradient", hint="skip parameters whose .grad is None")
            continue
        assert_dtype(mine.grad, dtype, what=f"gradient {index} after clipping", hint="scale the gradients in place, keeping their dtype")
        assert_matches_reference(mine.grad, reference.grad, what=f"gradient {index} {tuple(reference.shape)} after clip_grad_norm(max_norm={max_norm})", dtype=dtype, hint="multiply every gradient by max_norm / (norm + 1e-6) only when norm > max_norm")


@pytest.mark.task5_5
def test_clip_grad_norm_clips_the_global_norm_not_each_tensor(impl):
    """With four gradients of norm 0.8 each (global norm 1.6) and max_norm 1, are all scaled by 1 / 1.6 together?"""
    parameters = [nn.Parameter(torch.zeros(2)) for _ in range(4)]
    for parameter in parameters:
        parameter.grad = torch.tensor([0.48, 0.64])  # norm 0.8
    norm = impl.a5.clip_grad_norm(parameters, 1.0)
    # Known answers worked out by hand; 1e-6 covers float32 rounding and the 1e-6 in 1 / (1.6 + 1e-6).
    assert_close(norm, 1.6, atol=1e-6, rtol=1e-6, what="the returned norm of four gradients [0.48, 0.64]", hint="one norm over every gradient: sqrt(sum over all tensors of the squared entries)")
    for index, parameter in enumerate(parameters):
        assert_close(parameter.grad, [0.3, 0.4], atol=1e-6, rtol=1e-6, what=f"gradient {index} after clipping the global norm 1.6 to 1", hint="clip the global norm: each tensor here is below max_norm, together they are not")


@pytest.mark.task5_5
def test_clip_grad_norm_takes_a_one_pass_iterable(impl, ref):
    """Given model.parameters()-like generator (it can be walked only once), are the gradients still clipped?"""
    shapes = [(3, 3), (3,), (2, 4)]
    ours = parameters_with_gradients(shapes, seed=30)
    theirs = parameters_with_gradients(shapes, seed=30)
    norm = impl.a5.clip_grad_norm((parameter for parameter in ours), 0.1)
    expected = ref.a5.clip_grad_norm(list(theirs), 0.1)
    assert_matches_reference(norm, expected, what="the norm from clip_grad_norm(generator of 3 parameters, 0.1)", dtype=torch.float32)
    for index, (mine, reference) in enumerate(zip(ours, theirs)):
        assert_matches_reference(mine.grad, reference.grad, what=f"gradient {index} after clip_grad_norm(a generator of parameters, 0.1)", hint="params may be a generator such as model.parameters(): turn it into a list once before walking it twice", dtype=torch.float32)


@pytest.mark.task5_5
def test_clip_grad_norm_below_the_limit_changes_nothing(impl):
    """When the global norm is below max_norm, are the gradients left exactly as they were?"""
    parameters = parameters_with_gradients([(5, 4), (4,)], seed=40, scale=0.1)
    before = [parameter.grad.clone() for parameter in parameters]
    impl.a5.clip_grad_norm(parameters, 50.0)
    for index, (parameter, original) in enumerate(zip(parameters, before)):
        assert_equal(parameter.grad, original, what=f"gradient {index} after clip_grad_norm with max_norm far above its norm", hint="scale by min(1, max_norm / (norm + 1e-6)): never scale gradients up")


@pytest.mark.task5_5
def test_clip_grad_norm_without_gradients_returns_zero(impl):
    """With no parameter holding a gradient, is the returned norm a 0-dim tensor equal to 0?"""
    norm = impl.a5.clip_grad_norm([nn.Parameter(torch.ones(3)), nn.Parameter(torch.ones(2, 2))], 1.0)
    assert_shape(norm, (), what="clip_grad_norm of parameters without gradients", hint="return torch.tensor(0.0) when no parameter has a gradient")
    assert_equal(float(norm), 0.0, what="clip_grad_norm of parameters without gradients")


@pytest.mark.task5_5
@pytest.mark.parametrize("device", DEVICES)
def test_clip_grad_norm_stays_on_the_gradients_device(impl, device):
    """Are the returned norm and the clipped gradients on the gradients' device?"""
    parameters = parameters_with_gradients([(3, 4), (4,)], seed=50, device=device)
    norm = impl.a5.clip_grad_norm(parameters, 0.5)
    assert_equal(norm.device.type, torch.device(device).type, what=f"the device of the norm for gradients on {device}", hint="compute the norm from the gradients themselves (no torch.tensor(0.0) accumulator on the CPU)")
    for index, parameter in enumerate(parameters):
        assert_equal(parameter.grad.device.type, torch.device(device).type, what=f"gradient {index}'s device after clipping")


@pytest.mark.task5_5
def test_clip_grad_norm_refuses_a_limit_that_is_not_positive(impl):
    """Are max_norm 0 and -1 ValueErrors naming the value?"""
    for max_norm in (0.0, -1.0):
        parameters = parameters_with_gradients([(2,)], seed=60)
        with assert_raises(ValueError, what=f"clip_grad_norm(params, max_norm={max_norm})", mentions=[str(max_norm)]):
            impl.a5.clip_grad_norm(parameters, max_norm)


# ---------------------------------------------------------------- Task 5.6


def float64_parameters(seed: int) -> list[nn.Parameter]:
    """Three float64 parameters of different shapes."""
    return [nn.Parameter(random_tensor(*shape, seed=seed + index, dtype=torch.float64)) for index, shape in enumerate([(3, 4), (5,), (2, 2, 3)])]


def run_adamw(optimizer_class, parameters, groups_of, *, steps: int, seed: int, lrs=None, gradient_scale: float = 1.0, skip=()):
    """Take ``steps`` steps with seeded gradients; ``lrs[s]`` (if given) is set on every group before step s;
    ``skip`` holds (step, parameter index) pairs whose gradient is None at that step."""
    optimizer = optimizer_class(groups_of(parameters))
    for step in range(steps):
        if lrs is not None:
            for group in optimizer.param_groups:
                group["lr"] = lrs[step]
        for index, parameter in enumerate(parameters):
            skipped = (step, index) in skip
            parameter.grad = None if skipped else random_tensor(*parameter.shape, seed=seed + 100 * step + index, dtype=parameter.dtype, scale=gradient_scale)
        optimizer.step()
    return optimizer


def two_groups(parameters):
    """A decayed group and an undecayed one with their own lr, betas and eps."""
    return [
        {"params": parameters[:2], "lr": 1e-2, "betas": (0.9, 0.95), "eps": 1e-8, "weight_decay": 0.1},
        {"params": parameters[2:], "lr": 3e-3, "betas": (0.8, 0.999), "eps": 1e-6, "weight_decay": 0.0},
    ]


@pytest.mark.task5_6
def test_adamw_matches_reference_over_several_groups(impl, ref):
    """With two param groups of their own lr, betas, eps and decay, do 6 steps give the reference's parameters and moments?"""
    ours, theirs = float64_parameters(70), float64_parameters(70)
    optimizer = run_adamw(impl.a5.AdamW, ours, two_groups, steps=6, seed=71)
    expected = run_adamw(ref.a5.AdamW, theirs, two_groups, steps=6, seed=71)
    hint = "decay p *= 1 - lr * weight_decay, m and v from g, bias-correct with beta ** t, p -= lr * m^ / (sqrt(v^) + eps); read every setting from the parameter's group"
    for index, (mine, reference) in enumerate(zip(ours, theirs)):
        assert_matches_reference(mine, reference, what=f"parameter {index} {tuple(reference.shape)} after 6 AdamW steps over two groups", dtype=torch.float64, hint=hint)
        state, reference_state = optimizer.state[mine], expected.state[reference]
        assert_equal(int(state["step"]), 6, what=f"state['step'] of parameter {index} after 6 steps")
        for key in ("exp_avg", "exp_avg_sq"):
            assert_matches_reference(state[key], reference_state[key], what=f"state[{key!r}] of parameter {index} after 6 steps", dtype=torch.float64, hint="keep the raw moments in the state (no bias correction stored)")


@pytest.mark.task5_6
def test_adamw_adds_eps_to_the_corrected_root(impl, ref):
    """With a large eps (0.1) and small gradients, is eps added to sqrt(v^), outside the square root?"""
    ours, theirs = float64_parameters(80), float64_parameters(80)

    def groups(parameters):
        return [{"params": parameters, "lr": 0.05, "betas": (0.9, 0.99), "eps": 0.1, "weight_decay": 0.0}]

    run_adamw(impl.a5.AdamW, ours, groups, steps=3, seed=81, gradient_scale=0.01)
    run_adamw(ref.a5.AdamW, theirs, groups, steps=3, seed=81, gradient_scale=0.01)
    for index, (mine, reference) in enumerate(zip(ours, theirs)):
        assert_matches_reference(mine, reference, what=f"parameter {index} after 3 AdamW steps with eps=0.1", dtype=torch.float64, hint="denominator = sqrt(v) / sqrt(1 - beta2 ** t) + eps: eps outside the root and after the bias correction")


@pytest.mark.task5_6
def test_adamw_reads_the_learning_rate_at_every_step(impl, ref):
    """When the lr of the param groups changes between steps (as the schedule does), does each step use the current one?"""
    ours, theirs = float64_parameters(90), float64_parameters(90)
    lrs = [1e-3, 5e-2, 2e-2, 0.0, 1e-2]
    run_adamw(impl.a5.AdamW, ours, two_groups, steps=5, seed=91, lrs=lrs)
    run_adamw(ref.a5.AdamW, theirs, two_groups, steps=5, seed=91, lrs=lrs)
    for index, (mine, reference) in enumerate(zip(ours, theirs)):
        assert_matches_reference(mine, reference, what=f"parameter {index} after 5 AdamW steps with the lr changed before each", dtype=torch.float64, hint="read group['lr'] inside step(): train() changes it before every step")


@pytest.mark.task5_6
def test_adamw_counts_steps_per_parameter(impl, ref):
    """Is a parameter without a gradient left alone (no decay, no state), and does one joining later get its own step count?"""
    ours, theirs = float64_parameters(100), float64_parameters(100)
    never, late = 1, 2
    skip = {(step, never) for step in range(4)} | {(0, late), (1, late)}
    untouched = ours[never].detach().clone()
    optimizer = run_adamw(impl.a5.AdamW, ours, two_groups, steps=4, seed=101, skip=skip)
    run_adamw(ref.a5.AdamW, theirs, two_groups, steps=4, seed=101, skip=skip)
    assert_equal(ours[never], untouched, what="a parameter whose .grad stayed None over 4 steps (weight_decay 0.1)", hint="skip a parameter without a gradient entirely, before decaying it")
    assert_true(len(optimizer.state.get(ours[never], {})) == 0, "the optimizer holds state for a parameter that never had a gradient", hint="create the state only when a parameter first has a gradient")
    assert_equal(int(optimizer.state[ours[late]]["step"]), 2, what="state['step'] of a parameter with gradients at steps 3 and 4 only", hint="count steps per parameter in self.state[p]['step'], not one counter for the optimizer")
    for index, (mine, reference) in enumerate(zip(ours, theirs)):
        assert_matches_reference(mine, reference, what=f"parameter {index} after 4 steps, gradients missing at some", dtype=torch.float64, hint="bias-correct with the parameter's own step count")


@pytest.mark.task5_6
def test_adamw_resumes_from_its_state_dict(impl):
    """Does an AdamW loaded from another's state_dict after 3 steps continue exactly as the original does?"""
    original = float64_parameters(110)
    optimizer = run_adamw(impl.a5.AdamW, original, two_groups, steps=3, seed=111)
    copies = [nn.Parameter(parameter.detach().clone()) for parameter in original]
    resumed = impl.a5.AdamW(two_groups(copies))
    resumed.load_state_dict(copy.deepcopy(optimizer.state_dict()))
    for step in range(2):
        for index, (parameter, twin) in enumerate(zip(original, copies)):
            gradient = random_tensor(*parameter.shape, seed=200 + 10 * step + index, dtype=torch.float64)
            parameter.grad, twin.grad = gradient.clone(), gradient.clone()
        optimizer.step()
        resumed.step()
    for index, (parameter, twin) in enumerate(zip(original, copies)):
        # The same float64 arithmetic on the same state: any difference is a lost moment or step count.
        assert_matches_reference(twin, parameter, what=f"parameter {index} two steps after resuming from state_dict()", dtype=torch.float64, hint="keep m, v and step in self.state[param] (what state_dict saves), not in attributes of your own")


@pytest.mark.task5_6
@pytest.mark.parametrize("device", [*DEVICES, "meta"])
def test_adamw_keeps_its_state_on_the_parameters_device(impl, device):
    """After a step on parameters living on a device, are the moments created there too?"""
    parameter = nn.Parameter(torch.ones(3, 2, device=device))
    parameter.grad = torch.full((3, 2), 0.5, device=device)
    optimizer = impl.a5.AdamW([parameter], lr=0.1)
    optimizer.step()
    for key in ("exp_avg", "exp_avg_sq"):
        assert_equal(optimizer.state[parameter][key].device.type, torch.device(device).type, what=f"the device of state[{key!r}] for a parameter on {device}", hint="create the moments with torch.zeros_like(param)")
    assert_equal(parameter.device.type, torch.device(device).type, what=f"the parameter's device after a step on {device}")


# ---------------------------------------------------------------- Task 5.7


def optimizer_after_a_step(model: nn.Module) -> torch.optim.Optimizer:
    """torch's own AdamW over ``model`` after one step: an optimizer state that is not the student's code."""
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-2)
    for parameter in model.parameters():
        parameter.grad = torch.ones_like(parameter)
    optimizer.step()
    optimizer.zero_grad(set_to_none=True)
    return optimizer


def save_both(impl, ref, tmp_path, *, wrap: bool = False, full: bool = True):
    """The same checkpoint written by the implementation and by the reference, with the global RNG in the same state;
    returns both files read back with torch.load(weights_only=True)."""
    model = make_model(120)
    optimizer = optimizer_after_a_step(model)
    batches = generator(121)
    torch.randint(10, (7,), generator=batches)  # a generator part-way through its stream
    history = dict(step=[0, 1, 2], loss=[2.5, 2.25, 2.0], lr=[1e-3] * 3, eval_step=[2], train_loss=[2.1], val_loss=[2.2])
    files = {}
    for name, module in (("ours", impl.a5), ("theirs", ref.a5)):
        torch.manual_seed(122)
        module.save_checkpoint(
            tmp_path / name / "ckpt.pt",
            model=CompiledLike(model) if wrap else model,
            optimizer=optimizer if full else None,
            step=2,
            config=train_config(module, checkpoint_path="out/ckpt.pt"),
            history=module.TrainHistory(**history),
            generator=batches if full else None,
            extra={"tokenizer": "char", "vocab": [3, 1, 2]} if full else None,
        )
        files[name] = torch.load(tmp_path / name / "ckpt.pt", weights_only=True)
    return files["ours"], files["theirs"]


@pytest.mark.task5_7
@pytest.mark.parametrize("full", [True, False], ids=["with-optimizer-generator-extra", "model-only"])
def test_checkpoint_holds_what_the_reference_saves(impl, ref, seeded, tmp_path, full):
    """Is every entry of the checkpoint (weights, optimizer, rng states, config, history, extra) the reference's?"""
    ours, theirs = save_both(impl, ref, tmp_path, full=full)
    assert_same_structure(ours, theirs, what="the saved checkpoint", hint="save the dict of save_checkpoint's docstring: state_dict()s, torch.get_rng_state(), generator.get_state() (None without one), asdict(config), history.to_dict(), extra or {}")


@pytest.mark.task5_7
def test_checkpoint_of_a_wrapped_model_holds_the_plain_weights(impl, ref, seeded, tmp_path):
    """For a model wrapped as torch.compile wraps it, are the weights saved without the _orig_mod. prefix?"""
    ours, theirs = save_both(impl, ref, tmp_path, wrap=True)
    assert_same_structure(ours["model"], theirs["model"], what="checkpoint['model'] of a wrapped model", hint="save _unwrap(model).state_dict(), so the keys have no '_orig_mod.' or 'module.' prefix")


@pytest.mark.task5_7
def test_checkpoint_replaces_the_old_file_instead_of_rewriting_it(impl, tmp_path):
    """Does saving over a checkpoint put a new file in its place (a reader of the old one still sees it whole)?"""
    model = make_model(130)
    path = tmp_path / "ckpt.pt"

    def save(step):
        impl.a5.save_checkpoint(str(path), model=model, optimizer=None, step=step, config=train_config(impl.a5), history=impl.a5.TrainHistory())

    save(1)
    reader_view = tmp_path / "held-by-a-reader.pt"
    os.link(path, reader_view)  # another name for the old file, as an open reader holds it
    save(2)
    assert_equal(torch.load(path, weights_only=True)["step"], 2, what="step of the checkpoint after saving step 2 over step 1")
    assert_equal(torch.load(reader_view, weights_only=True)["step"], 1, what="step seen through the old file after saving over it", hint="never write into path itself: write a temporary file in the same folder, then os.replace(temporary, path)")
    assert_equal(sorted(p.name for p in tmp_path.iterdir()), ["ckpt.pt", "held-by-a-reader.pt"], what="files in the folder after two saves", hint="os.replace the temporary file; leave nothing else behind")


@pytest.mark.task5_7
def test_failed_checkpoint_leaves_no_temporary_file(impl, tmp_path):
    """When the final rename fails (path is a folder), does an OSError come out with no temporary file left behind?"""
    (tmp_path / "ckpt.pt").mkdir()
    (tmp_path / "ckpt.pt" / "keep").write_text("in the way")
    with assert_raises(OSError, what="save_checkpoint to a path that is a folder"):
        impl.a5.save_checkpoint(tmp_path / "ckpt.pt", model=make_model(131), optimizer=None, step=0, config=train_config(impl.a5), history=impl.a5.TrainHistory())
    assert_equal(sorted(p.name for p in tmp_path.iterdir()), ["ckpt.pt"], what="files beside the checkpoint after a failed save", hint="remove the temporary file when writing or renaming fails (try/except BaseException: unlink, raise)")


@pytest.mark.task5_7
def test_run_resumed_from_your_checkpoint_equals_the_uninterrupted_run(impl, ref, seeded, tmp_path):
    """Does the reference's train, resumed from a checkpoint you saved at step 3, end with the weights of a run that never stopped?"""
    data, val = corpus(300, seed=140), corpus(100, seed=141)
    uninterrupted = make_model(142)
    ref.a5.train(uninterrupted, data, val, train_config(ref.a5))

    first_half = make_model(142)
    ref.a5.train(first_half, data, val, train_config(ref.a5, max_iters=4, checkpoint_path=str(tmp_path / "reference.pt")))
    model = make_model(143)
    optimizer = ref.a5.AdamW(ref.a5.optimizer_param_groups(model, 0.1))
    checkpoint = ref.a5.load_checkpoint(tmp_path / "reference.pt", model, optimizer)
    batches = torch.Generator()
    batches.set_state(checkpoint["rng"]["generator"])
    torch.set_rng_state(checkpoint["rng"]["torch"])
    impl.a5.save_checkpoint(
        tmp_path / "yours.pt", model=model, optimizer=StateHolder(optimizer.state_dict()), step=checkpoint["step"],
        config=impl.a5.TrainConfig(**checkpoint["train_config"]), history=impl.a5.TrainHistory.from_dict(checkpoint["history"]),
        generator=batches, extra=checkpoint["extra"],
    )

    torch.manual_seed(999)  # a resumed run must not depend on the RNG state it starts in
    resumed = make_model(144)
    history = ref.a5.train(resumed, data, val, train_config(ref.a5), resume_from=tmp_path / "yours.pt")
    hint = "save everything a run needs: model and optimizer state, step, history, torch.get_rng_state() and the batch generator's get_state()"
    assert_equal(history.step, list(range(6)), what="the steps in the history of the resumed run", hint=hint)
    # Bit-for-bit: the same float32 operations in the same order, as train's docstring promises.
    assert_models_match(resumed, uninterrupted, what="after resuming from your checkpoint at step 3 and training to step 5", hint=hint, atol=0.0, rtol=0.0)


# ---------------------------------------------------------------- Task 5.8


def reference_checkpoint(ref, tmp_path, *, optimizer: bool = True, name: str = "ckpt.pt"):
    """A checkpoint written by the reference's save_checkpoint, of a model and torch's AdamW after one step."""
    model = make_model(150)
    path = tmp_path / name
    ref.a5.save_checkpoint(
        path, model=model, optimizer=optimizer_after_a_step(model) if optimizer else None, step=4,
        config=train_config(ref.a5), history=ref.a5.TrainHistory(step=[0, 1], loss=[3.0, 2.0]),
        generator=generator(151), extra={"note": "reference"},
    )
    return path, model


def fresh_model_and_optimizer(seed: int):
    """A model of other weights and torch's AdamW over it with no state yet."""
    model = make_model(seed)
    return model, torch.optim.AdamW(model.parameters(), lr=1e-2)


@pytest.mark.task5_8
def test_load_checkpoint_restores_what_the_reference_restores(impl, ref, seeded, tmp_path):
    """Loading a reference checkpoint into a fresh model and optimizer: are the weights, optimizer state and returned dict the reference's?"""
    path, _ = reference_checkpoint(ref, tmp_path)
    model, optimizer = fresh_model_and_optimizer(152)
    expected_model, expected_optimizer = fresh_model_and_optimizer(152)
    checkpoint = impl.a5.load_checkpoint(path, model, optimizer)
    expected = ref.a5.load_checkpoint(path, expected_model, expected_optimizer)
    assert_same_structure(checkpoint, expected, what="the dict load_checkpoint returned", hint="return the whole dict torch.load read")
    assert_models_match(model, expected_model, what="after load_checkpoint", atol=0.0, rtol=0.0, hint="model.load_state_dict(checkpoint['model'])")
    assert_same_structure(optimizer.state_dict(), expected_optimizer.state_dict(), what="the optimizer's state_dict() after load_checkpoint", hint="optimizer.load_state_dict(checkpoint['optimizer'])")


@pytest.mark.task5_8
def test_load_checkpoint_into_a_wrapped_model(impl, ref, seeded, tmp_path):
    """Are the weights loaded into a model wrapped as torch.compile wraps it (the checkpoint has no _orig_mod. prefix)?"""
    path, saved = reference_checkpoint(ref, tmp_path)
    model = make_model(153)
    impl.a5.load_checkpoint(path, CompiledLike(model))
    assert_models_match(model, saved, what="of the wrapped model after load_checkpoint", atol=0.0, rtol=0.0, hint="load into _unwrap(model)")


@pytest.mark.task5_8
def test_load_checkpoint_uses_map_location(impl, ref, seeded, tmp_path):
    """With map_location='meta', are the returned tensors on that device (not where they were saved)?"""
    path, _ = reference_checkpoint(ref, tmp_path)
    checkpoint = impl.a5.load_checkpoint(path, map_location="meta")
    for name, tensor in checkpoint["model"].items():
        assert_equal(tensor.device.type, "meta", what=f"the device of checkpoint['model'][{name!r}] loaded with map_location='meta'", hint="pass map_location on to torch.load")


@pytest.mark.task5_8
def test_load_checkpoint_never_runs_code_from_the_file(impl, ref, seeded, tmp_path):
    """Is a file whose pickle would run code refused with a ValueError naming it, without the code running?"""
    marker = tmp_path / "code-ran"

    class RunsCode:
        """Unpickling this object calls open(marker, 'w'): what a hostile checkpoint could do."""

        def __reduce__(self):
            return (open, (str(marker), "w"))

    model = make_model(160)
    hostile = {
        "format": ref.a5.CHECKPOINT_FORMAT, "version": ref.a5.CHECKPOINT_VERSION, "model": model.state_dict(),
        "optimizer": None, "step": 0, "train_config": {}, "history": ref.a5.TrainHistory().to_dict(),
        "rng": {"torch": torch.get_rng_state(), "generator": None}, "extra": {"payload": RunsCode()},
    }
    torch.save(hostile, tmp_path / "hostile.pt")
    with assert_raises(ValueError, what="load_checkpoint of a file whose pickle calls a function", mentions=["hostile.pt"], hint="torch.load(path, map_location=..., weights_only=True), and turn its error into a ValueError naming the path"):
        impl.a5.load_checkpoint(tmp_path / "hostile.pt")
    assert_true(not marker.exists(), "loading the hostile checkpoint ran the code inside it", hint="weights_only=True refuses to call anything while unpickling")


@pytest.mark.task5_8
def test_load_checkpoint_refuses_a_truncated_file(impl, ref, seeded, tmp_path):
    """Is a checkpoint cut off half-way (a crash during a non-atomic write) a ValueError naming the file?"""
    path, _ = reference_checkpoint(ref, tmp_path)
    content = path.read_bytes()
    (tmp_path / "truncated.pt").write_bytes(content[: len(content) // 2])
    with assert_raises(ValueError, what="load_checkpoint of the first half of a checkpoint", mentions=["truncated.pt"], hint="catch every error torch.load raises (not just pickle's), and name the path"):
        impl.a5.load_checkpoint(tmp_path / "truncated.pt")


def altered(path, change):
    """The reference checkpoint at ``path`` with ``change(checkpoint)`` applied, saved beside it."""
    checkpoint = torch.load(path, weights_only=True)
    changed = change(checkpoint)
    target = path.with_name(f"altered-{path.name}")
    torch.save(changed, target)
    return target


ALTERATIONS = {
    "future-version": lambda c: {**c, "version": 99},
    "other-format": lambda c: {**c, "format": "someone-elses-checkpoint"},
    "missing-history": lambda c: {key: value for key, value in c.items() if key != "history"},
    "a-list": lambda c: [c["model"]],
}


@pytest.mark.task5_8
@pytest.mark.parametrize("alteration", sorted(ALTERATIONS))
def test_load_checkpoint_refuses_a_foreign_layout(impl, ref, seeded, tmp_path, alteration):
    """Is a torch file of another version, format or layout a ValueError naming the file?"""
    path, _ = reference_checkpoint(ref, tmp_path)
    target = altered(path, ALTERATIONS[alteration])
    with assert_raises(ValueError, what=f"load_checkpoint of a checkpoint altered so: {alteration}", mentions=[target.name], hint="check: a dict, every key of CHECKPOINT_KEYS, format == CHECKPOINT_FORMAT, version == CHECKPOINT_VERSION"):
        impl.a5.load_checkpoint(target)


@pytest.mark.task5_8
def test_load_checkpoint_without_optimizer_state_refuses_to_resume(impl, ref, seeded, tmp_path):
    """Asked to restore an optimizer from a checkpoint that holds none, is that a ValueError naming the file?"""
    path, _ = reference_checkpoint(ref, tmp_path, optimizer=False, name="weights-only.pt")
    model, optimizer = fresh_model_and_optimizer(170)
    with assert_raises(ValueError, what="load_checkpoint(checkpoint saved with optimizer=None, model, optimizer)", mentions=["weights-only.pt"], hint="checkpoint['optimizer'] is None: say the file cannot resume an optimizer"):
        impl.a5.load_checkpoint(path, model, optimizer)


@pytest.mark.task5_8
def test_run_resumed_through_your_load_equals_the_uninterrupted_run(impl, ref, seeded, tmp_path):
    """Continuing the reference's steps after your load_checkpoint of its step-3 checkpoint, are the final weights those of the run that never stopped?"""
    data, val = corpus(300, seed=180), corpus(100, seed=181)
    config = train_config(ref.a5)
    uninterrupted = make_model(182)
    ref.a5.train(uninterrupted, data, val, config)
    ref.a5.train(make_model(182), data, val, train_config(ref.a5, max_iters=4, checkpoint_path=str(tmp_path / "ckpt.pt")))

    torch.manual_seed(999)  # the restored RNG state must come from the checkpoint
    model = make_model(183)
    optimizer = ref.a5.AdamW(ref.a5.optimizer_param_groups(model, config.weight_decay), betas=(config.beta1, config.beta2))
    restored = StateHolder()
    checkpoint = impl.a5.load_checkpoint(tmp_path / "ckpt.pt", model, restored)
    optimizer.load_state_dict(restored.state)
    batches = torch.Generator()
    batches.set_state(checkpoint["rng"]["generator"])
    torch.set_rng_state(checkpoint["rng"]["torch"])
    for step in range(checkpoint["step"] + 1, config.max_iters):
        for group in optimizer.param_groups:
            group["lr"] = config.lr_at(step)
        ref.a5.train_step(model, optimizer, data, config, batches)
    # Bit-for-bit: the same float32 operations in the same order, as train's docstring promises.
    assert_models_match(model, uninterrupted, what="after your load_checkpoint at step 3 and steps 4, 5", atol=0.0, rtol=0.0, hint="restore both the model and the optimizer state, and return the checkpoint dict as saved")


# ---------------------------------------------------------------- Task 5.9


@pytest.mark.task5_9
@pytest.mark.parametrize("eval_iters", [1, 4])
def test_estimate_loss_matches_reference(impl, ref, eval_iters):
    """On three splits given in a non-alphabetical order, are the losses and their order the reference's?"""
    model = make_model(190)
    splits = {"val": corpus(60, seed=191), "train": corpus(200, seed=192), "extra": corpus(30, seed=193)}
    settings = dict(batch_size=3, block_size=7, eval_iters=eval_iters)
    losses = impl.a5.estimate_loss(model, splits, generator=generator(194), **settings)
    expected = ref.a5.estimate_loss(model, splits, generator=generator(194), **settings)
    what = f"estimate_loss(3 splits, batch_size=3, block_size=7, eval_iters={eval_iters})"
    assert_same_as_reference(list(losses), list(expected), what=f"the keys of {what}", hint="one entry per split, in the order given")
    assert_matches_reference([losses[name] for name in expected], [expected[name] for name in expected], what=what, hint="for each split in turn: the mean over eval_iters batches (drawn with get_batch and the generator) of cross_entropy", dtype=torch.float32)


@pytest.mark.task5_9
def test_estimate_loss_turns_dropout_off(impl, ref):
    """For a model with dropout 0.5 in train mode, is the loss the reference's deterministic eval-mode loss?"""
    model = make_model(200, dropout=0.5)
    model.train()
    data = {"val": corpus(80, seed=201)}
    losses = impl.a5.estimate_loss(model, data, batch_size=4, block_size=6, eval_iters=3, generator=generator(202))
    expected = ref.a5.estimate_loss(model, data, batch_size=4, block_size=6, eval_iters=3, generator=generator(202))
    assert_matches_reference(losses["val"], expected["val"], what="estimate_loss of a model with dropout 0.5", hint="model.eval() before evaluating: dropout must be off", dtype=torch.float32)
    assert_true(model.training, "the model is in eval mode after estimate_loss, having come in train mode", hint="restore the mode with model.train(was_training)")






@pytest.mark.task5_9
def test_estimate_loss_restores_the_mode_when_interrupted(impl):
    """When the model raises part-way, does the error come out with the model back in train mode and gradients on?"""
    model = FailsOnSecondCall()
    model.train()
    with assert_raises(ModelBroke, what="estimate_loss of a model that raises on its second batch", hint="let the model's error through"):
        impl.a5.estimate_loss(model, {"val": corpus(40, seed=210, vocab_size=5)}, batch_size=2, block_size=4, eval_iters=3, generator=generator(211))
    assert_true(model.training, "the model stayed in eval mode after estimate_loss was interrupted by an error", hint="put model.train(was_training) in a finally: block")
    assert_true(torch.is_grad_enabled(), "gradients are still disabled after estimate_loss was interrupted", hint="use torch.no_grad() as a with block, so it ends with the error")




@pytest.mark.task5_9
@pytest.mark.parametrize("device", DEVICES)
def test_estimate_loss_sends_batches_to_the_device(impl, device):
    """Are the batches the model sees on the device asked for, and the results Python floats?"""
    model = RecordsDevice()
    losses = impl.a5.estimate_loss(model, {"val": corpus(40, seed=220, vocab_size=5)}, batch_size=2, block_size=4, eval_iters=2, generator=generator(221), device=device)
    assert_equal(model.devices, [torch.device(device).type] * 2, what=f"the device of each batch for device={device!r}", hint="pass device on to get_batch")
    assert_true(isinstance(losses["val"], float), f"losses['val'] is a {type(losses['val']).__name__}, expected a Python float", hint="use loss.item()")


@pytest.mark.task5_9
def test_estimate_loss_refuses_zero_iterations(impl):
    """Is eval_iters=0 (a mean of nothing) a ValueError naming the value?"""
    with assert_raises(ValueError, what="estimate_loss(..., eval_iters=0)", mentions=["0"]):
        impl.a5.estimate_loss(make_model(230), {"val": corpus(40, seed=231)}, batch_size=2, block_size=4, eval_iters=0, generator=generator(232))


# ---------------------------------------------------------------- Task 5.10


@pytest.mark.task5_10
@pytest.mark.parametrize("grad_accum_steps, grad_clip", [(1, 1.0), (3, 0.05), (2, 0.0)], ids=["plain", "accumulate-and-clip", "no-clipping"])
def test_train_step_matches_reference(impl, ref, seeded, grad_accum_steps, grad_clip):
    """With torch's SGD with momentum, are the returned loss, new weights and batch stream the reference's?"""
    data = corpus(300, seed=240)
    config = train_config(impl.a5, grad_accum_steps=grad_accum_steps, grad_clip=grad_clip)
    model, expected_model = make_model(241), make_model(241)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.3, momentum=0.9)
    expected_optimizer = torch.optim.SGD(expected_model.parameters(), lr=0.3, momentum=0.9)
    batches, expected_batches = generator(242), generator(242)
    for step in range(2):
        loss = impl.a5.train_step(model, optimizer, data, config, batches)
        expected = ref.a5.train_step(expected_model, expected_optimizer, data, train_config(ref.a5, grad_accum_steps=grad_accum_steps, grad_clip=grad_clip), expected_batches)
        what = f"step {step} of train_step(grad_accum_steps={grad_accum_steps}, grad_clip={grad_clip})"
        assert_true(isinstance(loss, float), f"{what} returned a {type(loss).__name__}, expected a Python float", hint="return the loss with .item()")
        assert_matches_reference(loss, expected, what=f"the loss returned by {what}", hint="return the mean of the micro-batch losses: the sum of loss / grad_accum_steps", dtype=torch.float32)
        assert_models_match(model, expected_model, what=f"after {what}", hint="draw grad_accum_steps batches, backward each loss / grad_accum_steps, clip once if grad_clip > 0, step, zero the gradients", dtype=torch.float32)
    assert_same_as_reference(torch.randint(1000, (3,), generator=batches), torch.randint(1000, (3,), generator=expected_batches), what="the next draws of the batch generator after two train_steps", hint="draw each micro-batch with get_batch(..., generator): exactly grad_accum_steps batches per step")


@pytest.mark.task5_10
def test_train_step_accumulates_the_gradient_of_the_big_batch(impl, ref, seeded):
    """With 3 micro-batches and no clipping, is the gradient the optimizer applies that of the mean loss over all 3 batches at once?"""
    data = corpus(300, seed=250)
    config = train_config(impl.a5, grad_accum_steps=3, grad_clip=0.0)
    model, big_batch_model = make_model(251), make_model(251)
    optimizer = RecordingSGD(model.parameters(), lr=0.0)
    impl.a5.train_step(model, optimizer, data, config, generator(252))
    assert_equal(len(optimizer.gradients), 1, what="optimizer.step() calls in one train_step with grad_accum_steps=3", hint="step once, after all micro-batches")
    batches = generator(252)
    micro_batches = [ref.a5.get_batch(data, 4, 8, generator=batches) for _ in range(3)]
    x = torch.cat([x for x, _ in micro_batches])  # (12, 8): the three micro-batches as one
    y = torch.cat([y for _, y in micro_batches])
    logits, _ = big_batch_model(x)
    ref.a5.cross_entropy(logits, y).backward()
    expected = [parameter.grad for parameter in big_batch_model.parameters()]
    for index, (gradient, reference) in enumerate(zip(optimizer.gradients[0], expected)):
        assert_matches_reference(gradient, reference, what=f"gradient {index} seen by optimizer.step() after 3 micro-batches of (4, 8)", hint="divide each micro-batch loss by grad_accum_steps and let the gradients add up: no zero_grad between micro-batches", dtype=torch.float32)


@pytest.mark.task5_10
def test_train_step_clips_before_the_optimizer_steps(impl, seeded):
    """With grad_clip 0.01, is the global norm of the gradients the optimizer sees at most 0.01 (clipped, not zeroed)?"""
    model = make_model(260)
    optimizer = RecordingSGD(model.parameters(), lr=0.0)
    impl.a5.train_step(model, optimizer, corpus(200, seed=261), train_config(impl.a5, grad_accum_steps=2, grad_clip=0.01), generator(262))
    assert_equal(len(optimizer.gradients), 1, what="optimizer.step() calls in one train_step", hint="step once, after all micro-batches")
    norm = math.sqrt(sum(float(gradient.double().pow(2).sum()) for gradient in optimizer.gradients[0]))
    # The clipped norm is 0.01 * n / (n + 1e-6); 1e-4 relative leaves room for float32 rounding only.
    assert_true(0.01 * (1 - 1e-4) <= norm <= 0.01 * (1 + 1e-4), f"the optimizer stepped with gradients of global norm {norm:.6g}, expected 0.01 (grad_clip)", hint="clip_grad_norm(model.parameters(), grad_clip) after the backward passes and before optimizer.step()")


@pytest.mark.task5_10
def test_train_step_bf16_autocast_matches_reference(impl, ref, seeded):
    """With autocast_dtype 'bfloat16', are the loss and new weights those of the reference's mixed-precision step?"""
    data = corpus(200, seed=270)
    model, expected_model = make_model(271), make_model(271)
    settings = dict(grad_accum_steps=2, grad_clip=1.0, autocast_dtype="bfloat16")
    loss = impl.a5.train_step(model, torch.optim.SGD(model.parameters(), lr=0.5), data, train_config(impl.a5, **settings), generator(272))
    expected = ref.a5.train_step(expected_model, torch.optim.SGD(expected_model.parameters(), lr=0.5), data, train_config(ref.a5, **settings), generator(272))
    # Both run the same bfloat16 matmuls, so they agree to float32 rounding; a forward
    # pass outside autocast differs by about 1e-2.
    assert_matches_reference(loss, expected, what="the loss of train_step with autocast_dtype='bfloat16'", hint="run the forward pass and the loss inside `with autocast_context(config):`")
    assert_models_match(model, expected_model, what="after train_step with autocast_dtype='bfloat16'", hint="run the forward pass and the loss inside `with autocast_context(config):`")


@pytest.mark.task5_10
def test_train_step_brings_the_loss_down_on_a_tiny_corpus(impl, ref, seeded):
    """After 40 steps on a corpus where each token fixes the next, is the loss under a fifth of its start?"""
    data = torch.arange(400) % VOCAB  # token t is always followed by t + 1 (mod V): learnable by a bigram model
    model = make_model(280)
    optimizer = torch.optim.AdamW(model.parameters(), lr=0.05)
    config = train_config(impl.a5, grad_accum_steps=2, grad_clip=1.0)
    batches = generator(281)

    def whole_corpus_loss():
        with torch.no_grad():
            logits, _ = model(data[:-1].unsqueeze(0))
            return float(ref.a5.cross_entropy(logits, data[1:].unsqueeze(0)))

    start = whole_corpus_loss()
    for _ in range(40):
        impl.a5.train_step(model, optimizer, data, config, batches)
    end = whole_corpus_loss()
    assert_true(end < start / 5, f"the loss on the whole corpus went from {start:.3f} to {end:.3f} in 40 steps, expected below {start / 5:.3f}", hint="every step must backward the loss of real (x, y) batches and call optimizer.step(), then zero the gradients")


@pytest.mark.task5_10
@pytest.mark.parametrize("device", DEVICES)
def test_train_step_trains_on_the_configured_device(impl, ref, seeded, device):
    """With config.device set and the model there, does a step run there and give the reference's weights?"""
    data = corpus(200, seed=290)
    model, expected_model = make_model(291).to(device), make_model(291)
    settings = dict(grad_accum_steps=2, device=device)
    impl.a5.train_step(model, torch.optim.SGD(model.parameters(), lr=0.5), data, train_config(impl.a5, **settings), generator(292))
    ref.a5.train_step(expected_model, torch.optim.SGD(expected_model.parameters(), lr=0.5), data, train_config(ref.a5, grad_accum_steps=2), generator(292))
    assert_models_match(model, expected_model, what=f"after train_step on {device}", hint="pass config.device to get_batch", dtype=torch.float32)
