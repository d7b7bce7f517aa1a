"""Public checks of assignment 5: batches, the loss, the schedule, clipping, AdamW, checkpoints and the step."""

from __future__ import annotations

import copy
import math

import numpy as np
import pytest
import torch

# torch imports torch._dynamo when the first optimizer is created, which takes
# seconds; importing it here, while the module is collected, keeps that time
# out of the first AdamW test, so an unfinished stub still fails at once.
import torch._dynamo  # noqa: F401
import torch.nn.functional as F
from torch import nn

from grader.testing import assert_close, assert_dtype, assert_equal, assert_raises, assert_shape, assert_true
from tests.stand_ins import BigramLM, UniformLM

# Tiny tensors: one torch thread is fastest, and immune to a busy machine.
pytestmark = pytest.mark.usefixtures("single_thread")






@pytest.fixture
def generator() -> torch.Generator:
    return torch.Generator().manual_seed(0)


def train_config(impl, **overrides):
    settings = dict(max_iters=10, batch_size=4, block_size=8, warmup_steps=0, eval_interval=5, eval_iters=2)
    settings.update(overrides)
    return impl.a5.TrainConfig(**settings)


# ---------------------------------------------------------------- Task 5.1


@pytest.mark.task5_1
def test_batch_targets_are_the_next_tokens(impl, generator):
    """Are x and y int64 (B, T) windows of the data, y[b, t] the token after x[b, t]?"""
    data = torch.arange(100, dtype=torch.int32)
    x, y = impl.a5.get_batch(data, 7, 9, generator=generator)
    assert_shape(x, (7, 9), what="x of get_batch(data, 7, 9)")
    assert_shape(y, (7, 9), what="y of get_batch(data, 7, 9)")
    assert_dtype(x, torch.int64, what="x", hint="convert the windows with .long() (or .to(torch.int64))")
    assert_equal(x, x[:, :1] + torch.arange(9), what="x for data = 0, 1, 2, ...", hint="each row is data[start : start + T]")
    assert_equal(y, x + 1, what="y for data = 0, 1, 2, ...", hint="y = data[start + 1 : start + T + 1]")


@pytest.mark.task5_1
def test_batch_starts_come_from_one_randint(impl):
    """With the same seed, are the windows those starting at torch.randint(len(data) - T, (B,))?"""
    data = torch.randint(1000, (300,), generator=torch.Generator().manual_seed(1))
    x, _ = impl.a5.get_batch(data, 5, 16, generator=torch.Generator().manual_seed(3))
    starts = torch.randint(300 - 16, (5,), generator=torch.Generator().manual_seed(3))
    expected = torch.stack([data[start : start + 16] for start in starts.tolist()])
    assert_equal(x, expected, what="get_batch(data, 5, 16) with seed 3", hint="draw all starts at once: torch.randint(len(data) - block_size, (batch_size,), generator=generator)")


@pytest.mark.task5_1
def test_batch_reads_numpy_tokens(impl, generator):
    """Does get_batch accept a uint16 numpy array (how a corpus lies on disk) and return int64 tensors?"""
    data = np.arange(50, dtype=np.uint16)
    x, y = impl.a5.get_batch(data, 2, 4, generator=generator)
    assert_dtype(x, torch.int64, what="x from uint16 numpy data", hint="convert numpy windows with torch.from_numpy(window.astype(np.int64))")
    assert_equal(y, x + 1, what="y from numpy data 0, 1, 2, ...")


@pytest.mark.task5_1
def test_batch_refuses_data_too_short(impl):
    """Is data of block_size tokens (no target for the last one) a ValueError naming both lengths?"""
    with assert_raises(ValueError, what="get_batch(8 tokens, block_size=8)", mentions=["8"]):
        impl.a5.get_batch(torch.arange(8), 2, 8)


# ---------------------------------------------------------------- Task 5.2


@pytest.mark.task5_2
def test_sliding_windows_of_the_docstring(impl):
    """Does data 0..6 with T = 3 give 2 windows: ([0, 1, 2], [1, 2, 3]) and ([3, 4, 5], [4, 5, 6])?"""
    dataset = impl.a5.SlidingWindowDataset(torch.arange(7), 3)
    assert_equal(len(dataset), 2, what="len(SlidingWindowDataset(arange(7), 3))", hint="(N - T - 1) // stride + 1")
    x, y = dataset[1]
    assert_equal(x, torch.tensor([3, 4, 5]), what="window 1's x")
    assert_equal(y, torch.tensor([4, 5, 6]), what="window 1's y")
    x, _ = dataset[-1]
    assert_equal(x, torch.tensor([3, 4, 5]), what="window -1's x", hint="negative indices count from the end")


@pytest.mark.task5_2
def test_sliding_windows_with_stride_one_cover_every_start(impl):
    """With stride 1, is window i (data[i : i+T], data[i+1 : i+T+1]) for every valid start, and is the next index an IndexError?"""
    data = torch.arange(10) * 10
    dataset = impl.a5.SlidingWindowDataset(data, 4, stride=1)
    assert_equal(len(dataset), 6, what="len(SlidingWindowDataset(10 tokens, 4, stride=1))")
    for i in range(6):
        x, y = dataset[i]
        assert_equal(x, data[i : i + 4], what=f"window {i}'s x")
        assert_equal(y, data[i + 1 : i + 5], what=f"window {i}'s y")
    with assert_raises(IndexError, what="dataset[6] of 6 windows", hint="raise IndexError past the end: that is how a for loop stops"):
        dataset[6]


# ---------------------------------------------------------------- Task 5.3


@pytest.mark.task5_3
def test_cross_entropy_of_two_equal_logits_is_log_two(impl):
    """Is the loss of logits [0, 0] for target 0 equal to log 2 = 0.6931?"""
    loss = impl.a5.cross_entropy(torch.tensor([[0.0, 0.0]]), torch.tensor([0]))
    assert_shape(loss, (), what="cross_entropy(...)", hint="return the mean as a 0-dim tensor")
    assert_close(loss, math.log(2), atol=1e-6, rtol=0, what="cross_entropy([[0, 0]], [0])", hint="loss = logsumexp(z) - z[target]")


@pytest.mark.task5_3
def test_cross_entropy_matches_torch(impl, generator, monkeypatch):
    """Does cross_entropy on (2, 5, 7) logits match F.cross_entropy, without calling it?"""
    logits = torch.randn(2, 5, 7, generator=generator) * 2
    targets = torch.randint(7, (2, 5), generator=generator)
    expected = F.cross_entropy(logits.reshape(10, 7), targets.reshape(10))

    def forbidden(*args, **kwargs):
        raise AssertionError("cross_entropy called F.cross_entropy\nHint: write it with max, exp, sum, log and gather")

    monkeypatch.setattr(F, "cross_entropy", forbidden)
    loss = impl.a5.cross_entropy(logits, targets)
    monkeypatch.undo()
    assert_close(loss, expected, atol=1e-5, rtol=1e-5, what="cross_entropy(logits (2, 5, 7), targets (2, 5))", hint="average over all B * T positions")


@pytest.mark.task5_3
def test_cross_entropy_survives_huge_logits(impl):
    """Is the loss of logits [1e4, 0] finite and equal to torch's (0 for target 0, 1e4 for target 1)?"""
    logits = torch.tensor([[1e4, 0.0], [1e4, 0.0]])
    loss = impl.a5.cross_entropy(logits, torch.tensor([0, 1]))
    assert_close(loss, 5e3, atol=1e-3, rtol=0, what="cross_entropy([[1e4, 0], [1e4, 0]], [0, 1])", hint="subtract the row maximum before exp: log sum exp(z) = m + log sum exp(z - m)")


@pytest.mark.task5_3
def test_cross_entropy_skips_ignored_targets(impl, generator):
    """Are positions whose target is -100 left out of the mean, as in F.cross_entropy?"""
    logits = torch.randn(6, 4, generator=generator)
    targets = torch.tensor([1, -100, 3, -100, 0, 2])
    expected = F.cross_entropy(logits, targets, ignore_index=-100)
    assert_close(impl.a5.cross_entropy(logits, targets), expected, atol=1e-5, rtol=1e-5, what="cross_entropy with two targets of -100", hint="average over the kept positions only: divide by their number, not by all positions")


# ---------------------------------------------------------------- Task 5.4


def nanogpt_lr(step, max_lr, min_lr, warmup, total):
    if step < warmup:
        return max_lr * (step + 1) / (warmup + 1)
    if step >= total:
        return min_lr
    ratio = (step - warmup) / (total - warmup)
    return min_lr + 0.5 * (1 + math.cos(math.pi * ratio)) * (max_lr - min_lr)


@pytest.mark.task5_4
def test_lr_schedule_of_the_docstring(impl):
    """With max 1, min 0, warmup 1, total 3, are steps 0..4 at 0.5, 1, 0.5, 0, 0?"""
    rates = [impl.a5.lr_schedule(step, max_lr=1.0, min_lr=0.0, warmup_steps=1, total_steps=3) for step in range(5)]
    assert_close(rates, [0.5, 1.0, 0.5, 0.0, 0.0], atol=1e-9, rtol=0, what="lr_schedule(0..4, max 1, min 0, warmup 1, total 3)", hint="warmup: max_lr * (step + 1) / (warmup_steps + 1)")


@pytest.mark.task5_4
def test_lr_schedule_follows_warmup_and_cosine(impl):
    """Does the rate at every step of a 100-step run match linear warmup + cosine decay from 6e-4 to 6e-5?"""
    rates = [impl.a5.lr_schedule(step, max_lr=6e-4, min_lr=6e-5, warmup_steps=10, total_steps=100) for step in range(110)]
    expected = [nanogpt_lr(step, 6e-4, 6e-5, 10, 100) for step in range(110)]
    assert_close(rates, expected, atol=1e-12, rtol=1e-9, what="lr_schedule(step) for steps 0..109", hint="ratio = (step - warmup) / (total - warmup); lr = min + 0.5 * (1 + cos(pi * ratio)) * (max - min)")


@pytest.mark.task5_4
def test_lr_schedule_refuses_bad_arguments(impl):
    """Are a negative step and min_lr above max_lr ValueErrors naming the values?"""
    with assert_raises(ValueError, what="lr_schedule(-1, ...)", mentions=["-1"]):
        impl.a5.lr_schedule(-1, max_lr=1.0, min_lr=0.0, warmup_steps=1, total_steps=3)
    with assert_raises(ValueError, what="lr_schedule with min_lr=2 > max_lr=1", mentions=["2"]):
        impl.a5.lr_schedule(0, max_lr=1.0, min_lr=2.0, warmup_steps=1, total_steps=3)


# ---------------------------------------------------------------- Task 5.5


@pytest.mark.task5_5
def test_clip_grad_norm_of_the_docstring(impl):
    """Does a gradient [3, 4] with max_norm 1 become [0.6, 0.8], returning the norm 5?"""
    parameter = nn.Parameter(torch.zeros(2))
    parameter.grad = torch.tensor([3.0, 4.0])
    norm = impl.a5.clip_grad_norm([parameter], 1.0)
    assert_close(norm, 5.0, atol=1e-6, rtol=0, what="clip_grad_norm's return value", hint="return the norm before clipping")
    assert_close(parameter.grad, [0.6, 0.8], atol=1e-6, rtol=0, what="the gradient after clipping", hint="multiply every gradient in place by max_norm / (norm + 1e-6)")


@pytest.mark.task5_5
@pytest.mark.parametrize("max_norm", [0.5, 100.0], ids=["clips", "leaves-alone"])
def test_clip_grad_norm_matches_torch(impl, generator, max_norm):
    """Over three parameters (one without a gradient), does clipping match torch.nn.utils.clip_grad_norm_?"""
    shapes = [(3, 4), (4,), (2, 2)]
    ours = [nn.Parameter(torch.zeros(shape)) for shape in shapes]
    theirs = [nn.Parameter(torch.zeros(shape)) for shape in shapes]
    for index in (0, 1):
        gradient = torch.randn(shapes[index], generator=generator)
        ours[index].grad, theirs[index].grad = gradient.clone(), gradient.clone()
    norm = impl.a5.clip_grad_norm(ours, max_norm)
    expected_norm = torch.nn.utils.clip_grad_norm_(theirs, max_norm)
    assert_close(norm, expected_norm, atol=1e-6, rtol=1e-6, what="the global norm", hint="one norm over all gradients together: sqrt of the sum of every squared entry; skip .grad None")
    for index in (0, 1):
        assert_close(ours[index].grad, theirs[index].grad, atol=1e-6, rtol=1e-6, what=f"gradient {index} after clip_grad_norm(max_norm={max_norm})", hint="only scale when the norm exceeds max_norm")


# ---------------------------------------------------------------- Task 5.6


@pytest.mark.task5_6
def test_adamw_first_step_of_the_docstring(impl):
    """Does one step on p = 1, g = 0.5, lr 0.1 give 0.9, and 0.89 with weight_decay 0.1?"""
    for weight_decay, expected in ((0.0, 0.9), (0.1, 0.89)):
        parameter = nn.Parameter(torch.tensor([1.0]))
        parameter.grad = torch.tensor([0.5])
        impl.a5.AdamW([parameter], lr=0.1, weight_decay=weight_decay).step()
        assert_close(parameter, [expected], atol=1e-6, rtol=0, what=f"p after one AdamW step (weight_decay={weight_decay})", hint="decay first, p *= 1 - lr * weight_decay, then the bias-corrected Adam step")


@pytest.mark.task5_6
def test_adamw_matches_torch_over_several_steps(impl, seeded, generator):
    """On a tiny model with decayed and undecayed groups, does AdamW track torch.optim.AdamW for 5 steps?"""
    ours_model = BigramLM()
    theirs_model = copy.deepcopy(ours_model)

    def groups(model):
        matrices = [p for p in model.parameters() if p.dim() >= 2]
        vectors = [p for p in model.parameters() if p.dim() < 2]
        return [{"params": matrices, "weight_decay": 0.1}, {"params": vectors, "weight_decay": 0.0}]

    settings = dict(lr=1e-2, betas=(0.9, 0.95), eps=1e-8)
    ours = impl.a5.AdamW(groups(ours_model), **settings)
    theirs = torch.optim.AdamW(groups(theirs_model), **settings)
    for step in range(5):
        ids = torch.randint(11, (4, 8), generator=generator)
        targets = torch.randint(11, (4, 8), generator=generator)
        for model, optimizer in ((ours_model, ours), (theirs_model, theirs)):
            optimizer.zero_grad()
            logits, _ = model(ids)
            F.cross_entropy(logits.reshape(-1, 11), targets.reshape(-1)).backward()
            optimizer.step()
        for (name, mine), reference in zip(ours_model.named_parameters(), theirs_model.parameters()):
            assert_close(mine, reference, atol=1e-6, rtol=1e-5, what=f"{name} after step {step + 1}", hint="bias-correct with beta ** t where t counts this parameter's steps from 1; denominator sqrt(v) / sqrt(1 - beta2 ** t) + eps")


@pytest.mark.task5_6
def test_adamw_keeps_its_state_per_parameter(impl):
    """After two steps, does the state hold step 2 and m, v of the parameter's shape?"""
    parameter = nn.Parameter(torch.ones(3))
    optimizer = impl.a5.AdamW([parameter], lr=0.1)
    for _ in range(2):
        parameter.grad = torch.tensor([0.5, -1.0, 2.0])
        optimizer.step()
    state = optimizer.state[parameter]
    assert_equal(sorted(state), ["exp_avg", "exp_avg_sq", "step"], what="keys of optimizer.state[p]", hint='keep {"step", "exp_avg", "exp_avg_sq"} in self.state[param]')
    assert_equal(int(state["step"]), 2, what="state['step'] after two steps")
    assert_close(state["exp_avg"], [0.095, -0.19, 0.38], atol=1e-6, rtol=0, what="exp_avg after two steps of the same gradient", hint="m = beta1 * m + (1 - beta1) * g, without bias correction in the state")


# ---------------------------------------------------------------- Task 5.7


def save(impl, path, model, optimizer=None, step=3):
    impl.a5.save_checkpoint(path, model=model, optimizer=optimizer, step=step, config=train_config(impl), history=impl.a5.TrainHistory(step=[0, 1, 2, 3], loss=[4.0, 3.0, 2.5, 2.0]))


@pytest.mark.task5_7
def test_checkpoint_holds_the_documented_keys(impl, seeded, tmp_path):
    """Can the saved file be read with torch.load(weights_only=True), holding the documented keys and values?"""
    model = BigramLM()
    path = tmp_path / "run" / "ckpt.pt"
    save(impl, path, model)
    checkpoint = torch.load(path, weights_only=True)
    assert_equal(sorted(checkpoint), sorted(impl.a5.CHECKPOINT_KEYS), what="keys of the checkpoint")
    assert_equal(checkpoint["format"], impl.a5.CHECKPOINT_FORMAT, what="checkpoint['format']")
    assert_equal(checkpoint["step"], 3, what="checkpoint['step']")
    assert_equal(checkpoint["history"]["loss"], [4.0, 3.0, 2.5, 2.0], what="checkpoint['history']['loss']", hint="store history.to_dict()")
    for name, tensor in model.state_dict().items():
        assert_equal(checkpoint["model"][name], tensor, what=f"checkpoint['model'][{name!r}]")


@pytest.mark.task5_7
def test_checkpoint_is_written_atomically(impl, seeded, tmp_path):
    """Is the file replaced in one step, leaving no temporary file beside it?"""
    model = BigramLM()
    path = tmp_path / "ckpt.pt"
    save(impl, path, model, step=1)
    save(impl, path, model, step=2)
    assert_equal(sorted(p.name for p in tmp_path.iterdir()), ["ckpt.pt"], what="files in the checkpoint folder", hint="write to a temporary file in the same folder, then os.replace it over path")
    assert_equal(torch.load(path, weights_only=True)["step"], 2, what="step of the overwritten checkpoint")


# ---------------------------------------------------------------- Task 5.8


def write_checkpoint(impl, path, model, optimizer, step=7):
    """A checkpoint laid out as save_checkpoint's docstring says, written without it."""
    checkpoint = {
        "format": impl.a5.CHECKPOINT_FORMAT, "version": impl.a5.CHECKPOINT_VERSION,
        "model": model.state_dict(), "optimizer": optimizer.state_dict(), "step": step,
        "train_config": {}, "history": impl.a5.TrainHistory().to_dict(),
        "rng": {"torch": torch.get_rng_state(), "generator": None}, "extra": {"note": "hand-made"},
    }
    torch.save(checkpoint, path)


@pytest.mark.task5_8
def test_load_checkpoint_restores_model_and_optimizer(impl, seeded, tmp_path):
    """Does load_checkpoint put the saved weights and optimizer state back and return the dict?"""
    saved = BigramLM()
    optimizer = torch.optim.SGD(saved.parameters(), lr=0.1, momentum=0.9)
    saved.head.weight.grad = torch.ones_like(saved.head.weight)
    optimizer.step()
    write_checkpoint(impl, tmp_path / "ckpt.pt", saved, optimizer)
    fresh = BigramLM()
    fresh_optimizer = torch.optim.SGD(fresh.parameters(), lr=0.1, momentum=0.9)
    checkpoint = impl.a5.load_checkpoint(tmp_path / "ckpt.pt", fresh, fresh_optimizer)
    assert_equal(checkpoint["step"], 7, what="load_checkpoint(...)['step']")
    assert_equal(checkpoint["extra"], {"note": "hand-made"}, what="load_checkpoint(...)['extra']")
    for (name, restored), original in zip(fresh.named_parameters(), saved.parameters()):
        assert_equal(restored, original, what=f"{name} after load_checkpoint", hint="model.load_state_dict(checkpoint['model'])")
    restored_state = fresh_optimizer.state_dict()["state"]
    for index, state in optimizer.state_dict()["state"].items():
        assert_true(index in restored_state, f"the optimizer has no state for parameter {index} after load_checkpoint", hint="optimizer.load_state_dict(checkpoint['optimizer'])")
        assert_equal(restored_state[index]["momentum_buffer"], state["momentum_buffer"], what=f"the optimizer's momentum of parameter {index} after load_checkpoint")


@pytest.mark.task5_8
def test_load_checkpoint_refuses_missing_and_foreign_files(impl, tmp_path):
    """Is a missing file a FileNotFoundError, and a torch file of another format a ValueError naming the path?"""
    with assert_raises(FileNotFoundError, what="load_checkpoint of a missing file", mentions=["missing.pt"]):
        impl.a5.load_checkpoint(tmp_path / "missing.pt")
    torch.save({"weights": torch.zeros(2)}, tmp_path / "other.pt")
    with assert_raises(ValueError, what="load_checkpoint of a file without the checkpoint keys", mentions=["other.pt"]):
        impl.a5.load_checkpoint(tmp_path / "other.pt")
    (tmp_path / "broken.pt").write_bytes(b"not a checkpoint")
    with assert_raises(ValueError, what="load_checkpoint of a corrupt file", mentions=["broken.pt"], hint="turn torch.load's errors into ValueError naming the path"):
        impl.a5.load_checkpoint(tmp_path / "broken.pt")


# ---------------------------------------------------------------- Task 5.9


@pytest.mark.task5_9
def test_estimate_loss_of_a_uniform_model_is_log_vocab(impl, generator):
    """Does a model predicting 1/V everywhere get log V on every split, in the order given?"""
    data = torch.randint(13, (200,), generator=generator)
    losses = impl.a5.estimate_loss(UniformLM(13), {"train": data, "val": data[:50]}, batch_size=4, block_size=8, eval_iters=3, generator=generator)
    assert_equal(list(losses), ["train", "val"], what="keys of estimate_loss(...)")
    assert_close([losses["train"], losses["val"]], [math.log(13)] * 2, atol=1e-5, rtol=0, what="estimate_loss of the uniform model", hint="the mean of cross_entropy over eval_iters batches per split")
    assert_true(isinstance(losses["val"], float), f"losses['val'] is a {type(losses['val']).__name__}, expected a Python float", hint="use loss.item()")


@pytest.mark.task5_9
@pytest.mark.parametrize("training", [True, False], ids=["from-train-mode", "from-eval-mode"])
def test_estimate_loss_runs_in_eval_mode_without_grad(impl, generator, training):
    """Does the model run in eval mode under no_grad for every batch, and come back in the mode it was in?"""
    model = UniformLM(5)
    model.train(training)
    impl.a5.estimate_loss(model, {"val": torch.randint(5, (40,), generator=generator)}, batch_size=2, block_size=4, eval_iters=2, generator=generator)
    assert_equal(model.calls, [(False, False), (False, False)], what="(model.training, grad enabled) at each call", hint="model.eval() and torch.no_grad() around the loop")
    assert_equal(model.training, training, what="model.training afterwards", hint="remember model.training and restore it with model.train(was_training)")


# ---------------------------------------------------------------- Task 5.10


def manual_step(model, optimizer, data, config, generator):
    """train_step written with torch's own ops: accumulate, clip, step, zero."""
    total = 0.0
    for _micro_batch in range(config.grad_accum_steps):
        starts = torch.randint(len(data) - config.block_size, (config.batch_size,), generator=generator).tolist()
        x = torch.stack([data[s : s + config.block_size] for s in starts])
        y = torch.stack([data[s + 1 : s + config.block_size + 1] for s in starts])
        logits, _ = model(x)
        loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1)) / config.grad_accum_steps
        loss.backward()
        total += loss.item()
    torch.nn.utils.clip_grad_norm_(model.parameters(), config.grad_clip)
    optimizer.step()
    optimizer.zero_grad(set_to_none=True)
    return total


@pytest.mark.task5_10
def test_train_step_accumulates_and_clips_like_torch(impl, seeded):
    """With 2 micro-batches and clipping, do the loss and new weights match the same step written with torch?"""
    data = torch.randint(11, (300,), generator=torch.Generator().manual_seed(1))
    config = train_config(impl, grad_accum_steps=2, grad_clip=0.5)
    model = BigramLM()
    reference = copy.deepcopy(model)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.5)
    reference_optimizer = torch.optim.SGD(reference.parameters(), lr=0.5)
    loss = impl.a5.train_step(model, optimizer, data, config, torch.Generator().manual_seed(2))
    expected = manual_step(reference, reference_optimizer, data, config, torch.Generator().manual_seed(2))
    assert_close(loss, expected, atol=1e-5, rtol=1e-5, what="train_step's returned loss", hint="return the mean of the micro-batch losses (sum of loss / grad_accum_steps)")
    for (name, mine), theirs in zip(model.named_parameters(), reference.parameters()):
        assert_close(mine, theirs, atol=1e-6, rtol=1e-5, what=f"{name} after train_step", hint="divide each micro-batch loss by grad_accum_steps before backward, clip once, then step")


@pytest.mark.task5_10
def test_train_step_leaves_no_gradients_behind(impl, seeded):
    """After train_step, are all gradients cleared (None) for the next step?"""
    model = BigramLM()
    impl.a5.train_step(model, torch.optim.SGD(model.parameters(), lr=0.1), torch.arange(100) % 11, train_config(impl), torch.Generator().manual_seed(0))
    leftover = [name for name, parameter in model.named_parameters() if parameter.grad is not None]
    assert_equal(leftover, [], what="parameters with a gradient after train_step", hint="optimizer.zero_grad(set_to_none=True) after the step")
