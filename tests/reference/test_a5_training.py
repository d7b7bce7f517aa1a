"""Tests of the reference training loop (assignment 5) against torch's own ops and plain re-implementations."""

from __future__ import annotations

import copy
import math
import os
from dataclasses import asdict
from types import SimpleNamespace

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from solutions.a5_training.training import (
    CHECKPOINT_FORMAT,
    AdamW,
    SlidingWindowDataset,
    TrainConfig,
    TrainHistory,
    clip_grad_norm,
    cross_entropy,
    estimate_loss,
    get_batch,
    load_checkpoint,
    lr_schedule,
    optimizer_param_groups,
    save_checkpoint,
    train,
    train_step,
)


class TinyLM(nn.Module):
    """A bigram language model with the GPT protocol: ``model(ids, targets=None) -> (logits, loss)``.

    It has a matrix, a bias and a LayerNorm (to exercise the weight-decay
    groups) and optional dropout (to exercise the global RNG).
    """

    def __init__(self, vocab_size: int = 11, block_size: int = 8, width: int = 16, dropout: float = 0.0) -> None:
        super().__init__()
        self.config = SimpleNamespace(vocab_size=vocab_size, block_size=block_size)
        self.embedding = nn.Embedding(vocab_size, width)
        self.norm = nn.LayerNorm(width)
        self.dropout = nn.Dropout(dropout)
        self.head = nn.Linear(width, vocab_size)

    def forward(self, ids: torch.Tensor, targets: torch.Tensor | None = None):
        if ids.shape[1] > self.config.block_size:
            raise ValueError(f"sequence length {ids.shape[1]} exceeds block_size={self.config.block_size}")
        logits = self.head(self.dropout(self.norm(self.embedding(ids))))  # (B, T, V)
        loss = None if targets is None else F.cross_entropy(logits.flatten(0, 1), targets.flatten())
        return logits, loss


class ZeroLogits(nn.Module):
    """Predicts the uniform distribution: every logit 0, so the loss is exactly log V."""

    def __init__(self, vocab_size: int) -> None:
        super().__init__()
        self.config = SimpleNamespace(vocab_size=vocab_size, block_size=64)
        self.unused = nn.Parameter(torch.zeros(1))
        self.seen_grad_enabled: list[bool] = []
        self.seen_training: list[bool] = []

    def forward(self, ids, targets=None):
        self.seen_grad_enabled.append(torch.is_grad_enabled())
        self.seen_training.append(self.training)
        return torch.zeros(*ids.shape, self.config.vocab_size) + 0 * self.unused, None


class CompiledLike(nn.Module):
    """Stands in for ``torch.compile``'s wrapper: the real model sits in ``_orig_mod``."""

    def __init__(self, inner: nn.Module) -> None:
        super().__init__()
        self._orig_mod = inner

    def forward(self, *args, **kwargs):
        return self._orig_mod(*args, **kwargs)


@pytest.fixture
def corpus() -> torch.Tensor:
    """A learnable token stream: a fixed random walk over 11 tokens, some noise."""
    generator = torch.Generator().manual_seed(0)
    pattern = torch.randint(11, (23,), generator=generator)
    stream = pattern.repeat(60)
    noise = torch.rand(len(stream), generator=generator) < 0.05
    return torch.where(noise, torch.randint(11, stream.shape, generator=generator), stream)


def tiny_config(**overrides) -> TrainConfig:
    settings = dict(
        max_iters=20, batch_size=4, block_size=8, max_lr=1e-2, min_lr=1e-3, warmup_steps=3,
        eval_interval=5, eval_iters=2, seed=7,
    )
    settings.update(overrides)
    return TrainConfig(**settings)


def make_model(seed: int = 0, **kwargs) -> TinyLM:
    torch.manual_seed(seed)
    return TinyLM(**kwargs)


# --------------------------------------------------------------------------- get_batch


def reference_batch(data: torch.Tensor, batch_size: int, block_size: int, generator: torch.Generator):
    starts = torch.randint(len(data) - block_size, (batch_size,), generator=generator)
    x = torch.stack([data[s : s + block_size] for s in starts.tolist()])
    y = torch.stack([data[s + 1 : s + block_size + 1] for s in starts.tolist()])
    return x.long(), y.long()


def test_get_batch_matches_reference_and_consumes_one_draw():
    """Does get_batch give the reference's windows for the same seed, drawing the starts with one randint?"""
    data = torch.randint(1000, (500,), generator=torch.Generator().manual_seed(1))
    generator = torch.Generator().manual_seed(3)
    reference_generator = torch.Generator().manual_seed(3)
    for _ in range(3):
        x, y = get_batch(data, 5, 16, generator=generator)
        expected_x, expected_y = reference_batch(data, 5, 16, reference_generator)
        assert torch.equal(x, expected_x) and torch.equal(y, expected_y)
    assert torch.equal(generator.get_state(), reference_generator.get_state())


def test_get_batch_targets_are_inputs_shifted_by_one():
    """Is y[b, t] the token after x[b, t], with int64 (B, T) tensors?"""
    data = torch.arange(100, dtype=torch.int32)
    x, y = get_batch(data, 7, 9, generator=torch.Generator().manual_seed(0))
    assert x.shape == y.shape == (7, 9)
    assert x.dtype == y.dtype == torch.int64
    assert torch.equal(y, x + 1)
    assert torch.equal(x, x[:, :1] + torch.arange(9))


@pytest.mark.parametrize("dtype", [np.uint16, np.uint32, np.int64])
def test_get_batch_reads_numpy_and_memmap(tmp_path, dtype):
    """Do numpy arrays and on-disk memmaps (uint16 as nanoGPT stores them) give the same batches as a tensor?"""
    values = np.random.default_rng(0).integers(0, 60000, size=300).astype(dtype)
    path = tmp_path / "tokens.bin"
    values.tofile(path)
    memmap = np.memmap(path, dtype=dtype, mode="r")
    expected = get_batch(torch.from_numpy(values.astype(np.int64)), 4, 10, torch.Generator().manual_seed(5))
    for source in (values, memmap):
        x, y = get_batch(source, 4, 10, torch.Generator().manual_seed(5))
        assert x.dtype == torch.int64
        assert torch.equal(x, expected[0]) and torch.equal(y, expected[1])


def test_get_batch_smallest_data_and_device():
    """With len(data) == block_size + 1, is the only window the whole stream, on the requested device?"""
    data = torch.arange(6)
    x, y = get_batch(data, 3, 5, device="cpu")
    assert x.device.type == "cpu"
    assert torch.equal(x, torch.arange(5).expand(3, 5)) and torch.equal(y, torch.arange(1, 6).expand(3, 5))


@pytest.mark.parametrize("length", [0, 4, 5])
def test_get_batch_rejects_data_too_short(length):
    """Does data no longer than block_size raise a ValueError naming both numbers?"""
    with pytest.raises(ValueError, match=rf"len\(data\)={length}.*block_size=5"):
        get_batch(torch.arange(length), 2, 5)


def test_get_batch_rejects_bad_shapes():
    """Are 2-D data and a zero batch size rejected?"""
    with pytest.raises(ValueError, match="1-D"):
        get_batch(torch.zeros(4, 20, dtype=torch.long), 2, 3)
    with pytest.raises(ValueError, match="batch_size=0"):
        get_batch(torch.arange(20), 0, 3)


# --------------------------------------------------------------------------- SlidingWindowDataset


@pytest.mark.parametrize("length,block_size,stride", [(7, 3, None), (20, 4, 1), (21, 5, 3), (6, 5, 2), (50, 8, 8)])
def test_sliding_windows_match_brute_force(length, block_size, stride):
    """Are the windows exactly those of a brute-force enumeration, in order?"""
    data = torch.randint(100, (length,), generator=torch.Generator().manual_seed(length))
    step = block_size if stride is None else stride
    expected = []
    start = 0
    while start + block_size + 1 <= length:
        expected.append((data[start : start + block_size], data[start + 1 : start + block_size + 1]))
        start += step
    dataset = SlidingWindowDataset(data, block_size, stride)
    assert len(dataset) == len(expected)
    for index, (x, y) in enumerate(expected):
        got_x, got_y = dataset[index]
        assert got_x.shape == (block_size,) and got_x.dtype == torch.int64
        assert torch.equal(got_x, x) and torch.equal(got_y, y)
    assert torch.equal(dataset[-1][0], expected[-1][0])
    assert len(list(dataset)) == len(expected)


def test_sliding_windows_hand_example_and_out_of_range():
    """Does the docstring's example hold, and is index len an IndexError?"""
    dataset = SlidingWindowDataset(np.arange(7, dtype=np.uint16), 3)
    assert len(dataset) == 2
    assert dataset[1][0].tolist() == [3, 4, 5] and dataset[1][1].tolist() == [4, 5, 6]
    with pytest.raises(IndexError):
        dataset[2]
    with pytest.raises(IndexError):
        dataset[-3]


def test_sliding_windows_feed_a_dataloader():
    """Does a DataLoader stack the windows into (B, T) batches?"""
    dataset = SlidingWindowDataset(torch.arange(41), 4)
    x, y = next(iter(torch.utils.data.DataLoader(dataset, batch_size=3)))
    assert x.shape == (3, 4)
    assert torch.equal(y, x + 1)
    assert x[:, 0].tolist() == [0, 4, 8]


@pytest.mark.parametrize("length,block_size,stride", [(5, 5, None), (10, 0, None), (10, 3, 0)])
def test_sliding_windows_reject_bad_arguments(length, block_size, stride):
    """Are too-short data, a zero block size and a zero stride ValueErrors?"""
    with pytest.raises(ValueError):
        SlidingWindowDataset(torch.arange(length), block_size, stride)


# --------------------------------------------------------------------------- cross_entropy


@pytest.mark.parametrize("dtype,tolerance", [(torch.float32, 1e-5), (torch.float64, 1e-12)])
def test_cross_entropy_matches_torch_with_gradients(dtype, tolerance):
    """Do the loss and its gradient match F.cross_entropy on random (B, T, V) logits?"""
    generator = torch.Generator().manual_seed(0)
    logits = (3 * torch.randn(4, 6, 13, generator=generator)).to(dtype).requires_grad_()
    targets = torch.randint(13, (4, 6), generator=generator)
    reference_logits = logits.detach().clone().requires_grad_()
    loss = cross_entropy(logits, targets)
    expected = F.cross_entropy(reference_logits.flatten(0, 1), targets.flatten())
    torch.testing.assert_close(loss, expected, atol=tolerance, rtol=tolerance)
    loss.backward()
    expected.backward()
    torch.testing.assert_close(logits.grad, reference_logits.grad, atol=tolerance, rtol=tolerance)
    assert loss.dtype == dtype and loss.dim() == 0


def test_cross_entropy_survives_huge_logits():
    """Does cross_entropy stay finite and exact for logits of +-1e4 (where exp overflows)?"""
    logits = torch.tensor([[1e4, 0.0, -1e4], [1e4, 1e4 - 1.0, 5.0], [-1e4, -1e4, -1e4]])
    targets = torch.tensor([1, 1, 2])
    loss = cross_entropy(logits, targets)
    assert torch.isfinite(loss)
    torch.testing.assert_close(loss, F.cross_entropy(logits, targets), atol=1e-3, rtol=1e-5)


def test_cross_entropy_ignores_ignore_index():
    """Are positions whose target is ignore_index left out of the mean, as in torch?"""
    generator = torch.Generator().manual_seed(1)
    logits = torch.randn(3, 5, 7, generator=generator)
    targets = torch.randint(7, (3, 5), generator=generator)
    targets[0, :3] = -100
    targets[2, 4] = -100
    torch.testing.assert_close(
        cross_entropy(logits, targets), F.cross_entropy(logits.flatten(0, 1), targets.flatten()), atol=1e-6, rtol=1e-6
    )
    padded = torch.randint(7, (3, 5), generator=generator)
    padded[1, 1:] = 0
    custom = cross_entropy(logits, padded, ignore_index=0)
    expected = F.cross_entropy(logits.flatten(0, 1), padded.flatten(), ignore_index=0)
    torch.testing.assert_close(custom, expected, atol=1e-6, rtol=1e-6)


def test_cross_entropy_all_ignored_is_nan_like_torch():
    """When every target is ignored, is the loss NaN, as F.cross_entropy's?"""
    logits = torch.randn(2, 4)
    targets = torch.full((2,), -100)
    assert torch.isnan(F.cross_entropy(logits, targets))
    assert torch.isnan(cross_entropy(logits, targets))


def test_cross_entropy_hand_example_and_no_mutation():
    """Is uniform over two classes log 2, and are the inputs left untouched?"""
    logits = torch.zeros(1, 2)
    targets = torch.tensor([0])
    torch.testing.assert_close(cross_entropy(logits, targets), torch.tensor(math.log(2.0)), atol=1e-7, rtol=0)
    assert torch.equal(logits, torch.zeros(1, 2)) and targets.tolist() == [0]


def test_cross_entropy_rejects_bad_targets():
    """Are mismatched shapes and float targets ValueErrors naming the shapes / dtype?"""
    with pytest.raises(ValueError, match=r"\(2, 3\)"):
        cross_entropy(torch.zeros(2, 4, 5), torch.zeros(2, 3, dtype=torch.long))
    with pytest.raises(ValueError, match="float32"):
        cross_entropy(torch.zeros(2, 5), torch.zeros(2))


# --------------------------------------------------------------------------- lr_schedule


def nanogpt_lr(it, learning_rate, min_lr, warmup_iters, lr_decay_iters):
    """nanoGPT's get_lr, copied as written."""
    if it < warmup_iters:
        return learning_rate * (it + 1) / (warmup_iters + 1)
    if it > lr_decay_iters:
        return min_lr
    decay_ratio = (it - warmup_iters) / (lr_decay_iters - warmup_iters)
    coeff = 0.5 * (1.0 + math.cos(math.pi * decay_ratio))
    return min_lr + coeff * (learning_rate - min_lr)


@pytest.mark.parametrize("warmup,total", [(0, 10), (5, 40), (10, 11), (100, 2000)])
def test_lr_schedule_matches_nanogpt(warmup, total):
    """Does lr_schedule equal nanoGPT's get_lr at every step, past the end included?"""
    for step in range(total + 15):
        got = lr_schedule(step, max_lr=6e-4, min_lr=6e-5, warmup_steps=warmup, total_steps=total)
        assert got == pytest.approx(nanogpt_lr(step, 6e-4, 6e-5, warmup, total), rel=1e-12, abs=1e-15)


def test_lr_schedule_hand_example_and_shape():
    """Does the docstring example hold, rising during warmup and never rising afterwards?"""
    values = [lr_schedule(s, max_lr=1.0, min_lr=0.0, warmup_steps=1, total_steps=3) for s in range(5)]
    assert values == pytest.approx([0.5, 1.0, 0.5, 0.0, 0.0], abs=1e-12)
    curve = [lr_schedule(s, max_lr=1.0, min_lr=0.1, warmup_steps=10, total_steps=50) for s in range(60)]
    assert all(a < b for a, b in zip(curve[:10], curve[1:11]))
    assert all(a >= b for a, b in zip(curve[10:], curve[11:]))
    assert curve[10] == pytest.approx(1.0, abs=1e-12) and curve[-1] == pytest.approx(0.1, abs=1e-12)


def test_lr_schedule_warmup_equal_to_total():
    """With total_steps == warmup_steps, is there no 0/0: warmup, then min_lr?"""
    values = [lr_schedule(s, max_lr=1.0, min_lr=0.25, warmup_steps=3, total_steps=3) for s in range(5)]
    assert values == pytest.approx([0.25, 0.5, 0.75, 0.25, 0.25], abs=1e-12)


@pytest.mark.parametrize(
    "arguments",
    [
        dict(step=-1, max_lr=1.0, min_lr=0.0, warmup_steps=0, total_steps=5),
        dict(step=0, max_lr=1.0, min_lr=-0.1, warmup_steps=0, total_steps=5),
        dict(step=0, max_lr=0.1, min_lr=1.0, warmup_steps=0, total_steps=5),
        dict(step=0, max_lr=1.0, min_lr=0.0, warmup_steps=-2, total_steps=5),
        dict(step=0, max_lr=1.0, min_lr=0.0, warmup_steps=6, total_steps=5),
    ],
)
def test_lr_schedule_rejects_bad_arguments(arguments):
    """Are a negative step, negative or inverted rates and a warmup past the end ValueErrors?"""
    step = arguments.pop("step")
    with pytest.raises(ValueError):
        lr_schedule(step, **arguments)


# --------------------------------------------------------------------------- clip_grad_norm


def params_with_grads(scale: float, seed: int = 0) -> list[nn.Parameter]:
    generator = torch.Generator().manual_seed(seed)
    params = [nn.Parameter(torch.randn(shape, generator=generator)) for shape in [(3, 4), (5,), (2, 2, 2)]]
    for param in params:
        param.grad = scale * torch.randn(param.shape, generator=generator)
    return params


@pytest.mark.parametrize("scale,max_norm", [(10.0, 1.0), (0.01, 1.0), (1.0, 0.5), (1.0, 100.0)])
def test_clip_grad_norm_matches_torch(scale, max_norm):
    """Do the returned norm and the clipped gradients match torch.nn.utils.clip_grad_norm_?"""
    params = params_with_grads(scale)
    reference = copy.deepcopy(params)
    for param, twin in zip(params, reference):
        twin.grad = param.grad.clone()
    norm = clip_grad_norm(params, max_norm)
    expected = torch.nn.utils.clip_grad_norm_(reference, max_norm)
    torch.testing.assert_close(norm, expected, atol=1e-6, rtol=1e-6)
    for param, twin in zip(params, reference):
        torch.testing.assert_close(param.grad, twin.grad, atol=1e-7, rtol=1e-6)


def test_clip_grad_norm_hand_example():
    """Does grad [3, 4] with max_norm 1 report 5 and become [0.6, 0.8]?"""
    param = nn.Parameter(torch.zeros(2))
    param.grad = torch.tensor([3.0, 4.0])
    norm = clip_grad_norm([param], 1.0)
    torch.testing.assert_close(norm, torch.tensor(5.0), atol=1e-6, rtol=0)
    torch.testing.assert_close(param.grad, torch.tensor([0.6, 0.8]), atol=1e-6, rtol=0)


def test_clip_grad_norm_skips_params_without_grad_and_takes_generators():
    """Are parameters without .grad skipped, a generator of params accepted, and no grads at all a 0 norm?"""
    params = params_with_grads(10.0)
    bare = nn.Parameter(torch.ones(3))
    expected = torch.cat([p.grad.flatten() for p in params]).norm()
    norm = clip_grad_norm((p for p in [*params, bare]), 1.0)
    assert bare.grad is None
    torch.testing.assert_close(norm, expected, atol=1e-5, rtol=1e-6)
    assert torch.cat([p.grad.flatten() for p in params]).norm().item() == pytest.approx(1.0, rel=1e-5)
    assert clip_grad_norm([bare], 1.0).item() == 0.0


@pytest.mark.parametrize("max_norm", [0.0, -1.0])
def test_clip_grad_norm_rejects_nonpositive_max_norm(max_norm):
    """Is a max_norm of 0 or below a ValueError naming it?"""
    with pytest.raises(ValueError, match="max_norm"):
        clip_grad_norm(params_with_grads(1.0), max_norm)


# --------------------------------------------------------------------------- AdamW


def run_optimizers(dtype: torch.dtype, steps: int):
    """Drive our AdamW and torch's side by side on the same gradients, changing lr midway."""
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(6, 5), nn.LayerNorm(5), nn.Linear(5, 3)).to(dtype)
    twin = copy.deepcopy(model)
    groups = optimizer_param_groups(model, 0.1)
    twin_groups = optimizer_param_groups(twin, 0.1)
    ours = AdamW(groups, lr=3e-2, betas=(0.9, 0.95), eps=1e-8, weight_decay=0.1)
    theirs = torch.optim.AdamW(twin_groups, lr=3e-2, betas=(0.9, 0.95), eps=1e-8, weight_decay=0.1, foreach=False)
    generator = torch.Generator().manual_seed(1)
    for step in range(steps):
        if step == steps // 2:
            for group in [*ours.param_groups, *theirs.param_groups]:
                group["lr"] = 1e-2
        inputs = torch.randn(8, 6, generator=generator).to(dtype)
        for net, optimizer in ((model, ours), (twin, theirs)):
            optimizer.zero_grad()
            net(inputs).pow(2).mean().backward()
            optimizer.step()
    return model, twin


@pytest.mark.parametrize("dtype,tolerance", [(torch.float64, 1e-12), (torch.float32, 1e-5)])
def test_adamw_matches_torch_over_many_steps(dtype, tolerance):
    """Do 60 AdamW steps (two param groups, lr changed midway) match torch.optim.AdamW?"""
    model, twin = run_optimizers(dtype, 60)
    for (name, param), twin_param in zip(model.named_parameters(), twin.parameters()):
        torch.testing.assert_close(param, twin_param, atol=tolerance, rtol=tolerance, msg=name)


def test_adamw_hand_example():
    """Does one step move p=1 with g=0.5 to 0.9, and to 0.89 with weight decay 0.1?"""
    for weight_decay, expected in ((0.0, 0.9), (0.1, 0.89)):
        param = nn.Parameter(torch.tensor([1.0], dtype=torch.float64))
        param.grad = torch.tensor([0.5], dtype=torch.float64)
        AdamW([param], lr=0.1, weight_decay=weight_decay).step()
        torch.testing.assert_close(param.detach(), torch.tensor([expected], dtype=torch.float64), atol=1e-7, rtol=0)


def test_adamw_skips_params_without_grad():
    """Is a parameter without a gradient left exactly as it was, weight decay included?"""
    used, unused = nn.Parameter(torch.ones(2)), nn.Parameter(torch.ones(2))
    used.grad = torch.ones(2)
    optimizer = AdamW([used, unused], lr=0.1, weight_decay=0.5)
    optimizer.step()
    assert torch.equal(unused.detach(), torch.ones(2))
    assert unused not in optimizer.state


def test_adamw_state_dict_round_trip(tmp_path):
    """Does an AdamW restored from a saved state_dict continue exactly like the original?"""
    torch.manual_seed(0)
    model = nn.Linear(4, 3)
    optimizer = AdamW(model.parameters(), lr=1e-2)
    inputs = torch.randn(5, 4)

    def step(net, opt):
        opt.zero_grad()
        net(inputs).square().mean().backward()
        opt.step()

    for _ in range(3):
        step(model, optimizer)
    torch.save({"model": model.state_dict(), "optimizer": optimizer.state_dict()}, tmp_path / "state.pt")
    loaded = torch.load(tmp_path / "state.pt", weights_only=True)
    restored_model = nn.Linear(4, 3)
    restored_model.load_state_dict(loaded["model"])
    restored = AdamW(restored_model.parameters(), lr=5.0)
    restored.load_state_dict(loaded["optimizer"])
    assert restored.param_groups[0]["lr"] == 1e-2
    for _ in range(3):
        step(model, optimizer)
        step(restored_model, restored)
    for param, twin in zip(model.parameters(), restored_model.parameters()):
        assert torch.equal(param, twin)


@pytest.mark.parametrize(
    "arguments",
    [dict(lr=-1e-3), dict(betas=(1.0, 0.9)), dict(betas=(0.9, -0.1)), dict(eps=-1e-8), dict(weight_decay=-0.1)],
)
def test_adamw_rejects_bad_hyperparameters(arguments):
    """Are a negative lr, eps or weight decay and a beta outside [0, 1) ValueErrors?"""
    with pytest.raises(ValueError):
        AdamW([nn.Parameter(torch.zeros(1))], **arguments)


def test_optimizer_param_groups_split_and_tied_weights():
    """Are matrices decayed, vectors not, and a tied weight listed only once?"""
    model = TinyLM()
    model.head.weight = model.embedding.weight  # tie, as GPT does
    groups = optimizer_param_groups(model, 0.1)
    decayed, undecayed = groups
    assert decayed["weight_decay"] == 0.1 and undecayed["weight_decay"] == 0.0
    assert all(p.dim() >= 2 for p in decayed["params"]) and all(p.dim() < 2 for p in undecayed["params"])
    listed = [id(p) for group in groups for p in group["params"]]
    assert len(listed) == len(set(listed)) == len(list(model.parameters()))
    assert len(decayed["params"]) == 1


# --------------------------------------------------------------------------- TrainConfig / TrainHistory


def test_train_config_defaults():
    """Are the documented defaults in place, with lr_decay_steps None meaning max_iters?"""
    config = TrainConfig()
    assert (config.max_iters, config.batch_size, config.block_size, config.max_lr) == (2000, 12, 64, 1e-3)
    assert (config.beta1, config.beta2, config.grad_clip, config.seed) == (0.9, 0.99, 1.0, 1337)
    assert config.decay_steps == 2000
    assert TrainConfig(lr_decay_steps=500).decay_steps == 500


@pytest.mark.parametrize(
    "name,value",
    [
        ("max_iters", 0), ("batch_size", 0), ("block_size", -1), ("grad_accum_steps", 0),
        ("max_lr", -1.0), ("min_lr", 0.1), ("warmup_steps", -1), ("warmup_steps", 3000),
        ("lr_decay_steps", 0), ("weight_decay", -0.1), ("beta1", 1.0), ("beta2", -0.5),
        ("grad_clip", -1.0), ("eval_interval", 0), ("eval_iters", 0), ("device", "no-such-device"),
        ("autocast_dtype", "float64"),
    ],
)
def test_train_config_rejects_bad_values(name, value):
    """Does every out-of-range setting raise a ValueError naming the field?"""
    overrides = {name: value}
    if name == "min_lr":
        overrides["max_lr"] = 0.01
    with pytest.raises(ValueError, match=name if name != "min_lr" else "min_lr"):
        TrainConfig(**overrides)


def test_train_history_round_trip():
    """Does TrainHistory survive to_dict/from_dict as plain lists, and reject unknown keys?"""
    history = TrainHistory(step=[0, 1], loss=[2.0, 1.5], lr=[0.1, 0.2], eval_step=[1], train_loss=[1.4], val_loss=[1.6])
    data = history.to_dict()
    assert all(type(value) is list for value in data.values())
    assert TrainHistory.from_dict(data) == history
    with pytest.raises(ValueError, match="keys"):
        TrainHistory.from_dict({**data, "bogus": []})


# --------------------------------------------------------------------------- checkpoints


def saved_run(tmp_path, name: str = "ckpt.pt"):
    model = make_model()
    optimizer = AdamW(model.parameters(), lr=1e-2)
    model(torch.randint(11, (2, 8)))[0].sum().backward()
    optimizer.step()
    history = TrainHistory(step=[0], loss=[2.5], lr=[1e-2])
    generator = torch.Generator().manual_seed(9)
    path = tmp_path / name
    saved_run.torch_rng_state = torch.get_rng_state()
    save_checkpoint(
        path, model=model, optimizer=optimizer, step=41, config=tiny_config(), history=history,
        generator=generator, extra={"model_config": {"vocab_size": 11}, "tokenizer": "char"},
    )
    return path, model, optimizer, generator


def test_checkpoint_round_trip(tmp_path):
    """Does load_checkpoint restore weights, optimizer state and every stored field exactly?"""
    path, model, optimizer, generator = saved_run(tmp_path)
    assert sorted(os.listdir(tmp_path)) == ["ckpt.pt"]
    fresh = make_model(seed=1)
    fresh_optimizer = AdamW(fresh.parameters(), lr=1.0)
    checkpoint = load_checkpoint(path, fresh, fresh_optimizer)
    for param, twin in zip(model.parameters(), fresh.parameters()):
        assert torch.equal(param, twin)
    assert str(fresh_optimizer.state_dict()) == str(optimizer.state_dict())
    assert checkpoint["format"] == CHECKPOINT_FORMAT
    assert checkpoint["step"] == 41
    assert checkpoint["train_config"] == asdict(tiny_config())
    assert TrainHistory.from_dict(checkpoint["history"]).loss == [2.5]
    assert checkpoint["extra"] == {"model_config": {"vocab_size": 11}, "tokenizer": "char"}
    assert torch.equal(checkpoint["rng"]["generator"], generator.get_state())
    assert torch.equal(checkpoint["rng"]["torch"], saved_run.torch_rng_state)


def test_checkpoint_of_wrapped_model_has_plain_keys(tmp_path):
    """Does a torch.compile-style wrapper save and load the inner model's state dict, without prefixes?"""
    inner = make_model()
    wrapped = CompiledLike(inner)
    path = tmp_path / "wrapped.pt"
    save_checkpoint(path, model=wrapped, optimizer=None, step=0, config=tiny_config(), history=TrainHistory())
    checkpoint = load_checkpoint(path)
    assert set(checkpoint["model"]) == set(inner.state_dict())
    target = CompiledLike(make_model(seed=3))
    load_checkpoint(path, target)
    assert torch.equal(target._orig_mod.head.weight, inner.head.weight)


def test_load_checkpoint_missing_file(tmp_path):
    """Is a missing checkpoint a FileNotFoundError naming the path?"""
    with pytest.raises(FileNotFoundError, match="nowhere.pt"):
        load_checkpoint(tmp_path / "nowhere.pt")


def test_load_checkpoint_rejects_broken_files(tmp_path):
    """Are a truncated file, random bytes and torch files that are not checkpoints clean ValueErrors?"""
    path, *_ = saved_run(tmp_path)
    truncated = tmp_path / "truncated.pt"
    truncated.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    garbage = tmp_path / "garbage.pt"
    garbage.write_bytes(np.random.default_rng(0).bytes(4096))
    keyless = tmp_path / "keyless.pt"
    torch.save({"weights": torch.zeros(2)}, keyless)
    tensor = tmp_path / "tensor.pt"
    torch.save(torch.zeros(3), tensor)
    wrong_format = tmp_path / "wrong_format.pt"
    checkpoint = torch.load(path, weights_only=True)
    torch.save({**checkpoint, "format": "someone-else"}, wrong_format)
    future = tmp_path / "future.pt"
    torch.save({**checkpoint, "version": 99}, future)
    for broken in (truncated, garbage, keyless, tensor, wrong_format, future):
        with pytest.raises(ValueError, match=rf"{broken.name} is not a valid checkpoint"):
            load_checkpoint(broken)


class Exploit:
    """Pickles into a call of ``open(marker, "w")``: loading it unsafely would create the file."""

    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __reduce__(self):
        return (open, (self.marker, "w"))


def test_load_checkpoint_never_unpickles_code(tmp_path):
    """Does a checkpoint carrying a pickled function call fail cleanly without running it?"""
    marker = tmp_path / "pwned"
    path = tmp_path / "evil.pt"
    torch.save({"format": CHECKPOINT_FORMAT, "payload": Exploit(str(marker))}, path)
    with pytest.raises(ValueError, match="is not a valid checkpoint"):
        load_checkpoint(path)
    assert not marker.exists()


def test_crash_during_save_keeps_previous_checkpoint(tmp_path, monkeypatch):
    """If the process dies before the rename, are the old checkpoint and directory left intact?"""
    path, model, _, _ = saved_run(tmp_path)
    before = path.read_bytes()

    def crash(*args, **kwargs):
        raise KeyboardInterrupt("power cut")

    monkeypatch.setattr(os, "replace", crash)
    with torch.no_grad():
        model.head.weight.add_(1.0)
    with pytest.raises(KeyboardInterrupt):
        save_checkpoint(path, model=model, optimizer=None, step=99, config=tiny_config(), history=TrainHistory())
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert load_checkpoint(path)["step"] == 41
    assert sorted(os.listdir(tmp_path)) == ["ckpt.pt"]


def test_load_checkpoint_without_optimizer_state(tmp_path):
    """Is asking for optimizer state from a checkpoint saved without one a ValueError?"""
    path = tmp_path / "weights_only.pt"
    save_checkpoint(path, model=make_model(), optimizer=None, step=0, config=tiny_config(), history=TrainHistory())
    model = make_model()
    with pytest.raises(ValueError, match="optimizer"):
        load_checkpoint(path, model, AdamW(model.parameters()))


# --------------------------------------------------------------------------- estimate_loss


def test_estimate_loss_uniform_model_is_log_vocab():
    """Does a model with all-zero logits score exactly log V on every split?"""
    model = ZeroLogits(vocab_size=17)
    data = torch.randint(17, (200,))
    losses = estimate_loss(model, {"train": data, "val": data[:50]}, batch_size=3, block_size=8, eval_iters=4)
    assert list(losses) == ["train", "val"]
    for value in losses.values():
        assert isinstance(value, float)
        assert value == pytest.approx(math.log(17), abs=1e-6)


def test_estimate_loss_matches_plain_loop(corpus):
    """Is the estimate the mean of F.cross_entropy over the same seeded batches?"""
    model = make_model()
    splits = {"train": corpus[:800], "val": corpus[800:]}
    losses = estimate_loss(
        model, splits, batch_size=4, block_size=8, eval_iters=5, generator=torch.Generator().manual_seed(2)
    )
    generator = torch.Generator().manual_seed(2)
    with torch.no_grad():
        for name, data in splits.items():
            values = []
            for _ in range(5):
                x, y = reference_batch(data, 4, 8, generator)
                values.append(F.cross_entropy(model(x)[0].flatten(0, 1), y.flatten()).item())
            assert losses[name] == pytest.approx(sum(values) / 5, rel=1e-5)


@pytest.mark.parametrize("training", [True, False])
def test_estimate_loss_runs_in_eval_mode_without_grad_and_restores_mode(training):
    """Does the model run in eval mode under no_grad, and come back in the mode it was in?"""
    model = ZeroLogits(vocab_size=5)
    model.train(training)
    estimate_loss(model, {"val": torch.randint(5, (50,))}, batch_size=2, block_size=4, eval_iters=3)
    assert model.seen_training == [False] * 3 and model.seen_grad_enabled == [False] * 3
    assert model.training is training


def test_estimate_loss_restores_mode_on_error():
    """When get_batch fails mid-evaluation, is the train mode still restored?"""
    model = ZeroLogits(vocab_size=5)
    with pytest.raises(ValueError):
        estimate_loss(model, {"val": torch.arange(3)}, batch_size=2, block_size=4, eval_iters=1)
    assert model.training
    with pytest.raises(ValueError, match="eval_iters=0"):
        estimate_loss(model, {"val": torch.arange(30)}, batch_size=2, block_size=4, eval_iters=0)


# --------------------------------------------------------------------------- train_step


@pytest.mark.parametrize("grad_clip", [0.0, 0.05])
def test_train_step_accumulates_like_one_big_batch(corpus, grad_clip):
    """Are 3 accumulated micro-batches (then clipping) the same SGD update as one batch of all of them?"""
    config = tiny_config(grad_accum_steps=3, grad_clip=grad_clip)
    model = make_model()
    twin = copy.deepcopy(model)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.5)
    loss = train_step(model, optimizer, corpus, config, torch.Generator().manual_seed(4))

    generator = torch.Generator().manual_seed(4)
    batches = [reference_batch(corpus, 4, 8, generator) for _ in range(3)]
    x, y = torch.cat([b[0] for b in batches]), torch.cat([b[1] for b in batches])
    expected_loss = F.cross_entropy(twin(x)[0].flatten(0, 1), y.flatten())
    expected_loss.backward()
    if grad_clip > 0:
        torch.nn.utils.clip_grad_norm_(twin.parameters(), grad_clip)
    torch.optim.SGD(twin.parameters(), lr=0.5).step()

    assert loss == pytest.approx(expected_loss.item(), rel=1e-5)
    for param, twin_param in zip(model.parameters(), twin.parameters()):
        torch.testing.assert_close(param, twin_param, atol=1e-6, rtol=1e-5)
        assert param.grad is None


# --------------------------------------------------------------------------- train


def test_train_learns_and_records_history(corpus):
    """Does train lower the validation loss, record every step with the scheduled lr, and call back?"""
    config = tiny_config(max_iters=60, eval_interval=25, eval_iters=4, max_lr=3e-2, warmup_steps=5)
    steps, evals = [], []
    history = train(
        make_model(), corpus[:1000], corpus[1000:], config,
        on_step=lambda step, loss, lr: steps.append((step, loss, lr)),
        on_eval=lambda step, losses: evals.append((step, losses)),
    )
    assert history.step == list(range(60))
    assert history.lr == pytest.approx([config.lr_at(s) for s in range(60)], rel=1e-12)
    assert [(s, lr) for s, _, lr in steps] == list(zip(history.step, history.lr))
    assert [loss for _, loss, _ in steps] == history.loss
    assert history.eval_step == [0, 25, 50, 59] == [step for step, _ in evals]
    assert history.val_loss == [losses["val"] for _, losses in evals]
    assert history.val_loss[-1] < 0.6 * history.val_loss[0]


def test_train_evaluation_does_not_shift_training(corpus):
    """Do runs that evaluate every step and almost never end with bit-identical parameters?"""
    models = []
    for eval_interval in (1, 1000):
        model = make_model(dropout=0.1)
        train(model, corpus[:1000], corpus[1000:], tiny_config(max_iters=8, eval_interval=eval_interval))
        models.append(model)
    for param, twin in zip(models[0].parameters(), models[1].parameters()):
        assert torch.equal(param, twin)


def test_train_resume_is_bit_for_bit(corpus, tmp_path):
    """Do 10 steps, a checkpoint and 10 resumed steps give exactly the parameters of 20 straight steps?"""
    straight = make_model(dropout=0.2)
    straight_history = train(
        straight, corpus[:1000], corpus[1000:], tiny_config(max_iters=20, lr_decay_steps=20, grad_accum_steps=2)
    )

    path = tmp_path / "run" / "ckpt.pt"
    first_half = make_model(dropout=0.2)
    train(
        first_half, corpus[:1000], corpus[1000:],
        tiny_config(max_iters=10, lr_decay_steps=20, grad_accum_steps=2, checkpoint_path=str(path)),
        extra={"note": "first half"},
    )
    assert load_checkpoint(path)["step"] == 9
    torch.manual_seed(12345)  # scramble the global RNG: resuming must restore it
    resumed = make_model(seed=99, dropout=0.2)
    resumed_history = train(
        resumed, corpus[:1000], corpus[1000:],
        tiny_config(max_iters=20, lr_decay_steps=20, grad_accum_steps=2, checkpoint_path=str(path)),
        resume_from=path,
    )
    for (name, param), twin in zip(straight.named_parameters(), resumed.parameters()):
        assert torch.equal(param, twin), name
    assert resumed_history.step == straight_history.step
    assert resumed_history.loss == straight_history.loss
    assert resumed_history.lr == straight_history.lr
    final = load_checkpoint(path)
    assert final["step"] == 19 and final["extra"] == {"note": "first half"}
    assert final["train_config"]["max_iters"] == 20


def test_train_with_wrapper_custom_optimizer_and_autocast(corpus, tmp_path):
    """Does train accept a compile-style wrapper, a torch optimizer and bfloat16 autocast, saving plain keys?"""
    inner = make_model()
    optimizer = torch.optim.SGD(inner.parameters(), lr=123.0)
    config = tiny_config(max_iters=4, checkpoint_path=str(tmp_path / "ckpt.pt"), autocast_dtype="bfloat16")
    history = train(CompiledLike(inner), corpus[:1000], corpus[1000:], config, optimizer=optimizer)
    assert optimizer.param_groups[0]["lr"] == config.lr_at(3)
    assert all(math.isfinite(loss) for loss in history.loss)
    assert set(load_checkpoint(tmp_path / "ckpt.pt")["model"]) == set(inner.state_dict())


def test_train_rejects_block_size_beyond_model(corpus):
    """Is a TrainConfig.block_size larger than the model's a ValueError naming both?"""
    with pytest.raises(ValueError, match="block_size=16.*block_size=8"):
        train(make_model(), corpus, corpus, tiny_config(block_size=16))


@pytest.mark.slow
def test_train_real_gpt_learns(corpus):
    """Does the course's own GPT (assignment 4) train through this loop and lower its loss?"""
    from solutions.a4_transformer.model import GPT, GPTConfig

    torch.manual_seed(0)
    model = GPT(GPTConfig(vocab_size=11, block_size=16, n_layer=1, n_head=2, d_model=32, dropout=0.0))
    config = tiny_config(max_iters=30, block_size=16, eval_interval=29, eval_iters=2, max_lr=2e-2)
    history = train(model, corpus[:1000], corpus[1000:], config)
    assert history.val_loss[-1] < 0.7 * math.log(11)
