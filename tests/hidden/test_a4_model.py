"""Hidden checks of assignment 4: LayerNorm, GELU, the feed-forward network, the block and the GPT.

The public suite checks each piece on one input; these compare the student's
pieces with the reference on seeded random inputs of several shapes and
dtypes, with the reference's (seeded, randomised) weights loaded into the
student's modules by parameter name, and check the properties the contract
promises: causality, independence of the rows of a batch, gradients, inputs
left alone, settings passed on, devices, and the laws of the initial weights.

The reference always computes in float64 on the same (rounded) inputs; the
student's result is held to the tolerance of the dtype it computed in
(tests/hidden/support.py's table).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import pytest
import torch
from torch import nn

from grader.testing import assert_equal, assert_raises, assert_shape, assert_true, fail
from tests.hidden.support import (
    DEVICES,
    assert_matches_reference,
    assert_not_modified,
    copy_weights,
    randomise_parameters,
    random_ids,
    random_tensor,
)

# Tiny tensors: one torch thread is fastest, and immune to a busy machine.
pytestmark = pytest.mark.usefixtures("single_thread")

FLOAT_DTYPES = [torch.float32, torch.float64, torch.bfloat16]


def dtype_name(dtype: torch.dtype) -> str:
    return str(dtype).removeprefix("torch.")




def twins(impl, ref, build: Callable, *, seed: int, what: str, dtype: torch.dtype = torch.float32):
    """The module ``build(module)`` makes, from the student's a4 and from the reference's a4,
    both holding the reference's randomised weights; the student's in ``dtype``, the reference's in float64."""
    student = build(impl.a4)
    reference = build(ref.a4)
    randomise_parameters(reference, seed=seed)
    copy_weights(reference, student, what=what)
    return student.to(dtype), reference.to(torch.float64)


def offset_input(*shape: int, seed: int, dtype: torch.dtype) -> torch.Tensor:
    """Entries of spread 3 around 2, so a missing centring or scaling shows; float64 values rounded to ``dtype``."""
    return (random_tensor(*shape, seed=seed, dtype=torch.float64, scale=3.0) + 2.0).to(dtype)


def parameter_grads(module: nn.Module) -> dict[str, torch.Tensor]:
    """Each parameter's gradient by name, tied parameters under each of their names."""
    return {name: parameter.grad for name, parameter in module.named_parameters(remove_duplicate=False)}


def compare_grads(student: nn.Module, reference: nn.Module, *, what: str, hint: str) -> None:
    """Every parameter of ``student`` has the gradient of the reference's parameter of that name (float64 tolerance)."""
    __tracebackhide__ = True
    expected = parameter_grads(reference)
    got = parameter_grads(student)
    for name, grad in expected.items():
        if got.get(name) is None:
            fail(f"{what}: parameter {name} got no gradient", hint="compute with the parameters themselves, not .data or .detach() copies")
        assert_matches_reference(got[name], grad, what=f"{what}: gradient of {name}", dtype=torch.float64, hint=hint)


def run_on(device: str, call: Callable, *, what: str):
    """``call()``, failing with a readable message when tensors on different devices meet."""
    __tracebackhide__ = True
    try:
        return call()
    except RuntimeError as error:
        problem = str(error)[:200]
    # Outside the except block, so the failure is not shown chained to torch's traceback.
    fail(f"{what} on device {device!r} raised RuntimeError: {problem}", hint="create every new tensor on the input's device (device=x.device)")


# ---------------------------------------------------------------- Task 4.1

LAYER_NORM_SHAPES = [(4, 8), (2, 3, 16), (1, 2, 5, 3)]


@pytest.mark.task4_1
@pytest.mark.parametrize("dtype", FLOAT_DTYPES, ids=dtype_name)
@pytest.mark.parametrize("shape", LAYER_NORM_SHAPES, ids=str)
def test_layer_norm_matches_reference(impl, ref, seeded, shape, dtype):
    """Does LayerNorm with random weight and bias match the reference on inputs of several shapes and dtypes?"""
    d_model = shape[-1]
    student, reference = twins(impl, ref, lambda a4: a4.LayerNorm(d_model), seed=1, what=f"LayerNorm({d_model})", dtype=dtype)
    x = offset_input(*shape, seed=2, dtype=dtype)
    out = student(x)
    assert_shape(out, shape, what=f"LayerNorm({d_model})(x of shape {shape})")
    assert_matches_reference(
        out, reference(x.double()), what=f"LayerNorm({d_model})(x) with x {shape} in {dtype_name(dtype)}", dtype=dtype,
        hint="mean and biased variance over the last dim only (keepdim=True), eps inside the square root, then * weight + bias",
    )


@pytest.mark.task4_1
@pytest.mark.parametrize(("eps", "scale"), [(1e-5, 1e-3), (0.5, 1.0)], ids=["default eps, tiny variance", "eps=0.5"])
def test_layer_norm_puts_eps_inside_the_square_root(impl, ref, seeded, eps, scale):
    """Where the variance is as small as eps, or eps is large, does LayerNorm use sqrt(var + eps) with its own eps?"""
    student, reference = twins(impl, ref, lambda a4: a4.LayerNorm(8, eps=eps), seed=3, what=f"LayerNorm(8, eps={eps})")
    x = random_tensor(3, 4, 8, seed=4, scale=scale)
    assert_matches_reference(
        student(x), reference(x.double()), what=f"LayerNorm(8, eps={eps})(x) with x (3, 4, 8) of spread {scale}", dtype=torch.float32,
        hint="divide by sqrt(variance + self.eps): eps goes inside the root, and it is the eps given to __init__",
    )


@pytest.mark.task4_1
def test_layer_norm_gradients_match_reference(impl, ref, seeded):
    """Do the gradients of LayerNorm with respect to its input, weight and bias match the reference's (float64)?"""
    student, reference = twins(impl, ref, lambda a4: a4.LayerNorm(6), seed=5, what="LayerNorm(6)", dtype=torch.float64)
    x = offset_input(2, 5, 6, seed=6, dtype=torch.float64)
    upstream = random_tensor(2, 5, 6, seed=7, dtype=torch.float64)
    x_student, x_reference = x.clone().requires_grad_(), x.clone().requires_grad_()
    (student(x_student) * upstream).sum().backward()
    (reference(x_reference) * upstream).sum().backward()
    hint = "build the result from x, weight and bias with differentiable operations (no .detach(), .data or .item())"
    if x_student.grad is None:
        fail("LayerNorm(6)(x): x got no gradient", hint=hint)
    assert_matches_reference(x_student.grad, x_reference.grad, what="gradient of LayerNorm(6)(x) with respect to x (2, 5, 6)", dtype=torch.float64, hint=hint)
    compare_grads(student, reference, what="LayerNorm(6)", hint=hint)


@pytest.mark.task4_1
def test_layer_norm_leaves_its_input_alone(impl, seeded):
    """Does LayerNorm leave the tensor it normalises unchanged?"""
    x = offset_input(2, 3, 8, seed=8, dtype=torch.float32)
    original = x.clone()
    impl.a4.LayerNorm(8)(x)
    assert_not_modified(x, original, what="LayerNorm(8)(x)")


@pytest.mark.task4_1
def test_layer_norm_treats_rows_independently(impl, seeded):
    """Is LayerNorm of a batch the same as LayerNorm of each half of it (it normalises each vector alone)?"""
    norm = impl.a4.LayerNorm(8)
    x = offset_input(6, 8, seed=9, dtype=torch.float32)
    whole = norm(x)
    halves = torch.cat([norm(x[:3]), norm(x[3:])])
    assert_matches_reference(whole, halves, what="LayerNorm(8) of 6 rows against the same rows in two batches of 3", dtype=torch.float32, hint="take the mean and variance over dim=-1 only, not over the whole tensor")


# ---------------------------------------------------------------- Task 4.2

GELU_SHAPES = [(), (0,), (7,), (2, 3, 4, 5)]


@pytest.mark.task4_2
@pytest.mark.parametrize("dtype", FLOAT_DTYPES, ids=dtype_name)
@pytest.mark.parametrize("shape", GELU_SHAPES, ids=str)
def test_gelu_matches_reference(impl, ref, shape, dtype):
    """Does gelu match the reference (exact erf form) on inputs of several shapes and dtypes?"""
    # support.random_tensor cannot draw a 0-d tensor: draw one value and drop its dimension.
    x = random_tensor(*(shape or (1,)), seed=10, dtype=dtype, scale=3.0).reshape(shape)
    out = impl.a4.gelu(x)
    assert_shape(out, shape, what=f"gelu(x of shape {shape})")
    assert_matches_reference(out, ref.a4.gelu(x.double()), what=f"gelu(x) with x {shape} in {dtype_name(dtype)}", dtype=dtype, hint="gelu(x) = 0.5 * x * (1 + erf(x / sqrt(2))), with math.sqrt(2) exactly")


@pytest.mark.task4_2
def test_gelu_is_exact_across_its_range(impl, ref):
    """In float64 from -12 to 12, is gelu the exact erf form (no tanh or sigmoid approximation)?"""
    x = torch.linspace(-12, 12, 481, dtype=torch.float64)
    assert_matches_reference(impl.a4.gelu(x), ref.a4.gelu(x), what="gelu(x) for 481 float64 points in [-12, 12]", dtype=torch.float64, hint="use torch.erf: the tanh form differs by up to 5e-4 and the sigmoid form by 2e-2")


@pytest.mark.task4_2
@pytest.mark.parametrize("dtype", [torch.float64, torch.bfloat16], ids=dtype_name)
def test_gelu_keeps_the_dtype(impl, dtype):
    """Does gelu of a float64 or bfloat16 tensor come back in that same dtype?"""
    out = impl.a4.gelu(random_tensor(3, 4, seed=11, dtype=dtype))
    assert_equal(out.dtype, dtype, what=f"gelu(x of dtype {dtype_name(dtype)}).dtype", hint="use Python numbers (math.sqrt(2)) for constants: a float32 tensor constant changes the dtype")


@pytest.mark.task4_2
def test_gelu_gradient_matches_reference(impl, ref):
    """Does the gradient of gelu match the reference's (float64)?"""
    x = random_tensor(4, 6, seed=12, dtype=torch.float64, scale=2.0)
    x_student, x_reference = x.clone().requires_grad_(), x.clone().requires_grad_()
    impl.a4.gelu(x_student).sum().backward()
    ref.a4.gelu(x_reference).sum().backward()
    hint = "compute with torch operations on x itself (no .detach(), .numpy() or math functions on tensors)"
    if x_student.grad is None:
        fail("gelu(x): x got no gradient", hint=hint)
    assert_matches_reference(x_student.grad, x_reference.grad, what="gradient of gelu(x).sum() with x (4, 6)", dtype=torch.float64, hint=hint)


@pytest.mark.task4_2
def test_gelu_leaves_its_input_alone(impl):
    """Does gelu leave the tensor it is given unchanged?"""
    x = random_tensor(3, 5, seed=13)
    original = x.clone()
    impl.a4.gelu(x)
    assert_not_modified(x, original, what="gelu(x)")


# ---------------------------------------------------------------- Task 4.3


@pytest.mark.task4_3
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64], ids=dtype_name)
@pytest.mark.parametrize(("shape", "d_ff"), [((2, 3, 8), None), ((1, 5, 6), 10), ((4, 1, 16), 16)], ids=str)
def test_feed_forward_matches_reference(impl, ref, seeded, shape, d_ff, dtype):
    """With the reference's weights, does FeedForward match it for several shapes, hidden widths and dtypes?"""
    d_model = shape[-1]
    student, reference = twins(impl, ref, lambda a4: a4.FeedForward(d_model, d_ff), seed=14, what=f"FeedForward({d_model}, d_ff={d_ff})", dtype=dtype)
    x = random_tensor(*shape, seed=15, dtype=dtype)
    assert_matches_reference(
        student(x), reference(x.double()), what=f"FeedForward({d_model}, d_ff={d_ff})(x) with x {shape} in {dtype_name(dtype)}", dtype=dtype,
        hint="fc2(gelu(fc1(x))) with your gelu (exact erf form), then dropout",
    )


@pytest.mark.task4_3
def test_feed_forward_gradients_match_reference(impl, ref, seeded):
    """Do the gradients of FeedForward's input and of fc1, fc2 match the reference's (float64)?"""
    student, reference = twins(impl, ref, lambda a4: a4.FeedForward(6, 12), seed=16, what="FeedForward(6, d_ff=12)", dtype=torch.float64)
    x = random_tensor(2, 4, 6, seed=17, dtype=torch.float64)
    x_student, x_reference = x.clone().requires_grad_(), x.clone().requires_grad_()
    student(x_student).pow(2).sum().backward()
    reference(x_reference).pow(2).sum().backward()
    hint = "keep the computation differentiable: no .detach() or .data"
    if x_student.grad is None:
        fail("FeedForward(6, 12)(x): x got no gradient", hint=hint)
    assert_matches_reference(x_student.grad, x_reference.grad, what="gradient of FeedForward(6, 12)(x) with respect to x (2, 4, 6)", dtype=torch.float64, hint=hint)
    compare_grads(student, reference, what="FeedForward(6, 12)", hint=hint)


@pytest.mark.task4_3
def test_feed_forward_drops_its_outputs_in_train_mode(impl, seeded):
    """In train mode with dropout=0.5, are about half the outputs 0 and the rest twice the eval-mode output?"""
    ffn = impl.a4.FeedForward(16, dropout=0.5)
    x = random_tensor(2, 32, 16, seed=18)
    ffn.train()
    dropped = ffn(x).detach()
    ffn.eval()
    clean = ffn(x).detach()
    zeros = (dropped == 0).float().mean().item()
    # 1024 outputs, each dropped with probability 0.5: the share has a standard deviation of 0.016, so 0.4-0.6 is 6 of them.
    assert_true(
        0.4 <= zeros <= 0.6, f"FeedForward(16, dropout=0.5) in train mode: {zeros:.1%} of the outputs are 0, expected about 50%",
        hint="apply self.dropout to the output of fc2 (dropout(fc2(gelu(fc1(x))))), not to the hidden layer",
    )
    kept = dropped != 0
    assert_matches_reference(dropped[kept], 2 * clean[kept], what="the outputs dropout keeps, against 2x the eval-mode output", dtype=torch.float32, hint="use nn.Dropout, which scales the kept values by 1 / (1 - p)")


@pytest.mark.task4_3
def test_feed_forward_has_no_dropout_in_eval_mode(impl, ref, seeded):
    """In eval mode, does FeedForward(dropout=0.5) give exactly the reference's deterministic output?"""
    student, reference = twins(impl, ref, lambda a4: a4.FeedForward(8, dropout=0.5), seed=19, what="FeedForward(8, dropout=0.5)")
    student.eval()
    reference.eval()
    x = random_tensor(3, 4, 8, seed=20)
    assert_matches_reference(student(x), reference(x.double()), what="FeedForward(8, dropout=0.5).eval()(x)", dtype=torch.float32, hint="use the module self.dropout (an nn.Dropout), which is off in eval mode; F.dropout(x, p) is always on")


# ---------------------------------------------------------------- Task 4.4

BLOCK_CASES = [
    # (B, T, d_model, n_heads, d_ff)
    (2, 5, 16, 4, None),
    (1, 1, 8, 2, 12),
    (3, 7, 12, 3, 24),
]


def block_case_id(case) -> str:
    B, T, d_model, n_heads, d_ff = case
    return f"B{B}-T{T}-d{d_model}-h{n_heads}-ff{d_ff}"


@pytest.mark.task4_4
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64], ids=dtype_name)
@pytest.mark.parametrize("case", BLOCK_CASES, ids=block_case_id)
def test_block_matches_reference(impl, ref, seeded, case, dtype):
    """With the reference's weights, does TransformerBlock match it for several sizes and dtypes?"""
    B, T, d_model, n_heads, d_ff = case
    name = f"TransformerBlock({d_model}, {n_heads}, d_ff={d_ff})"
    student, reference = twins(impl, ref, lambda a4: a4.TransformerBlock(d_model, n_heads, d_ff=d_ff), seed=21, what=name, dtype=dtype)
    x = random_tensor(B, T, d_model, seed=22, dtype=dtype)
    out = student(x)
    assert_shape(out, (B, T, d_model), what=f"{name}(x of shape {(B, T, d_model)})")
    assert_matches_reference(
        out, reference(x.double()), what=f"{name}(x) with x {(B, T, d_model)} in {dtype_name(dtype)}", dtype=dtype,
        hint="pre-LN with residuals: x = x + attn(ln1(x)); x = x + ffn(ln2(x)), each LayerNorm in its own branch",
    )


@pytest.mark.task4_4
def test_block_does_not_look_ahead(impl, seeded):
    """Do the block's outputs at positions 0..t stay the same when only the inputs after t change?"""
    block = impl.a4.TransformerBlock(16, 4)
    x = random_tensor(2, 7, 16, seed=23)
    out = block(x).detach()
    for t in (0, 3, 5):
        changed = x.clone()
        changed[:, t + 1 :] = random_tensor(2, 6 - t, 16, seed=24 + t)
        assert_matches_reference(
            block(changed)[:, : t + 1], out[:, : t + 1], what=f"TransformerBlock outputs at positions 0..{t} after changing positions {t + 1}..6", dtype=torch.float32,
            hint="the block's attention must be causal: MultiHeadSelfAttention(..., causal=True)",
        )


@pytest.mark.task4_4
def test_block_gradients_match_reference(impl, ref, seeded):
    """Do the gradients of the block's input and of every one of its parameters match the reference's (float64)?"""
    student, reference = twins(impl, ref, lambda a4: a4.TransformerBlock(8, 2), seed=25, what="TransformerBlock(8, 2)", dtype=torch.float64)
    x = random_tensor(2, 4, 8, seed=26, dtype=torch.float64)
    x_student, x_reference = x.clone().requires_grad_(), x.clone().requires_grad_()
    student(x_student).pow(2).sum().backward()
    reference(x_reference).pow(2).sum().backward()
    hint = "both residual branches must stay in the graph: x = x + attn(ln1(x)) (no .detach(), no in-place +=)"
    if x_student.grad is None:
        fail("TransformerBlock(8, 2)(x): x got no gradient", hint=hint)
    assert_matches_reference(x_student.grad, x_reference.grad, what="gradient of TransformerBlock(8, 2)(x) with respect to x (2, 4, 8)", dtype=torch.float64, hint=hint)
    compare_grads(student, reference, what="TransformerBlock(8, 2)", hint=hint)


@pytest.mark.task4_4
def test_block_leaves_its_input_alone(impl, seeded):
    """Does the block leave the tensor it is given unchanged (the residual adds into a new tensor)?"""
    block = impl.a4.TransformerBlock(8, 2)
    x = random_tensor(2, 3, 8, seed=27)
    original = x.clone()
    with torch.no_grad():
        block(x)
    assert_not_modified(x, original, what="TransformerBlock(8, 2)(x)")


@pytest.mark.task4_4
def test_block_passes_its_settings_on(impl, seeded):
    """Do d_ff, dropout and fused_attention reach the block's attention and feed-forward network?"""
    block = impl.a4.TransformerBlock(16, 4, d_ff=24, dropout=0.25, fused_attention=True)
    hint = "pass n_heads, dropout and fused=fused_attention to MultiHeadSelfAttention, and d_ff and dropout to FeedForward"
    assert_equal(block.attn.n_heads, 4, what="TransformerBlock(16, 4, ...).attn.n_heads", hint=hint)
    assert_equal(block.attn.dropout_p, 0.25, what="TransformerBlock(..., dropout=0.25).attn.dropout_p", hint=hint)
    assert_equal(block.attn.fused, True, what="TransformerBlock(..., fused_attention=True).attn.fused", hint=hint)
    assert_equal(block.ffn.dropout.p, 0.25, what="TransformerBlock(..., dropout=0.25).ffn.dropout.p", hint=hint)
    assert_equal(block.ffn.fc1.out_features, 24, what="TransformerBlock(..., d_ff=24).ffn.fc1.out_features", hint=hint)


# ---------------------------------------------------------------- Task 4.5

GPT_CASES = {
    "learned-tied-1layer": (dict(vocab_size=13, block_size=8, n_layer=1, n_head=2, d_model=8), (3, 5)),
    "sinusoidal-tied-2layers-full-block": (dict(vocab_size=11, block_size=8, n_layer=2, n_head=4, d_model=16, pos_encoding="sinusoidal"), (2, 8)),
    "learned-untied-3layers-one-token": (dict(vocab_size=9, block_size=6, n_layer=3, n_head=2, d_model=8, d_ff=24, tie_weights=False), (2, 1)),
}


def gpt_twins(impl, ref, settings: dict, *, seed: int, dtype: torch.dtype = torch.float32):
    return twins(impl, ref, lambda a4: a4.GPT(a4.GPTConfig(**settings)), seed=seed, what=f"GPT(GPTConfig({settings}))", dtype=dtype)


def targets_with_ignored(ids: torch.Tensor, *, vocab_size: int, seed: int) -> torch.Tensor:
    """Random targets of ``ids``'s shape, about a quarter of them -100 (ignored)."""
    targets = random_ids(*ids.shape, vocab_size=vocab_size, seed=seed)
    ignored = torch.rand(ids.shape, generator=torch.Generator().manual_seed(seed + 1)) < 0.25
    return targets.masked_fill(ignored, -100)


@pytest.mark.task4_5
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64], ids=dtype_name)
@pytest.mark.parametrize("case", list(GPT_CASES), ids=str)
def test_gpt_logits_and_loss_match_reference(impl, ref, seeded, case, dtype):
    """With the reference's weights, do the GPT's logits and loss (some targets -100) match it for several configs?"""
    settings, (B, T) = GPT_CASES[case]
    student, reference = gpt_twins(impl, ref, settings, seed=30, dtype=dtype)
    ids = random_ids(B, T, vocab_size=settings["vocab_size"], seed=31)
    targets = targets_with_ignored(ids, vocab_size=settings["vocab_size"], seed=32)
    logits, loss = student(ids, targets)
    expected_logits, expected_loss = reference(ids, targets)
    where = f"GPT ({case}, {dtype_name(dtype)}) on ids {(B, T)}"
    assert_shape(logits, (B, T, settings["vocab_size"]), what=f"logits of {where}")
    assert_matches_reference(
        logits, expected_logits, what=f"logits of {where}", dtype=dtype,
        hint="tok_emb(ids) + pos_emb(T), every block in order, then ln_f and lm_head (tied only when config.tie_weights)",
    )
    assert_matches_reference(loss, expected_loss, what=f"loss of {where}", dtype=dtype, hint="mean cross-entropy of logits (B*T, V) against targets (B*T,), skipping targets equal to -100")


@pytest.mark.task4_5
def test_gpt_gradients_match_reference(impl, ref, seeded):
    """Does the loss give every parameter (the tied token table through both its uses) the reference's gradient (float64)?"""
    settings = dict(vocab_size=10, block_size=6, n_layer=2, n_head=2, d_model=8)
    student, reference = gpt_twins(impl, ref, settings, seed=33, dtype=torch.float64)
    ids = random_ids(2, 6, vocab_size=10, seed=34)
    targets = random_ids(2, 6, vocab_size=10, seed=35)
    student(ids, targets)[1].backward()
    reference(ids, targets)[1].backward()
    compare_grads(student, reference, what="GPT loss", hint="tie by sharing the Parameter (self.lm_head.weight = self.tok_emb.weight), not by copying it; keep everything differentiable")


@pytest.mark.task4_5
def test_gpt_unties_when_asked(impl, seeded):
    """With tie_weights=False, is lm_head.weight a parameter of its own, adding vocab_size * d_model parameters?"""
    settings = dict(vocab_size=10, block_size=8, n_layer=1, n_head=2, d_model=4)
    tied = impl.a4.GPT(impl.a4.GPTConfig(**settings))
    untied = impl.a4.GPT(impl.a4.GPTConfig(**settings, tie_weights=False))
    hint = "tie only when config.tie_weights is True"
    assert_true(untied.lm_head.weight is not untied.tok_emb.weight, "with tie_weights=False, lm_head.weight is tok_emb.weight", hint=hint)
    assert_equal(untied.num_parameters() - tied.num_parameters(), 40, what="extra parameters of the untied GPT (vocab 10 x d_model 4)", hint=hint)


@pytest.mark.task4_5
def test_gpt_does_not_look_ahead_at_any_position(impl, seeded):
    """In a 3-layer GPT, do the logits of positions 0..t stay the same when any of the tokens after t change?"""
    model = impl.a4.GPT(impl.a4.GPTConfig(vocab_size=12, block_size=8, n_layer=3, n_head=2, d_model=16))
    ids = random_ids(2, 8, vocab_size=12, seed=36)
    logits = model(ids)[0].detach()
    for t in (0, 2, 6):
        changed = ids.clone()
        changed[:, t + 1 :] = (changed[:, t + 1 :] + 5) % 12
        assert_matches_reference(
            model(changed)[0][:, : t + 1], logits[:, : t + 1], what=f"GPT logits of positions 0..{t} after changing tokens {t + 1}..7", dtype=torch.float32,
            hint="every block's attention must be causal, and nothing may mix positions outside attention",
        )


@pytest.mark.task4_5
def test_gpt_treats_sequences_of_a_batch_independently(impl, seeded):
    """Are the logits of a batch of 4 the logits of its two halves computed apart?"""
    model = impl.a4.GPT(impl.a4.GPTConfig(vocab_size=12, block_size=8, n_layer=2, n_head=2, d_model=16))
    ids = random_ids(4, 6, vocab_size=12, seed=37)
    whole = model(ids)[0]
    halves = torch.cat([model(ids[:2])[0], model(ids[2:])[0]])
    assert_matches_reference(whole, halves, what="GPT logits of a batch of 4 against its halves", dtype=torch.float32, hint="normalise and attend within each sequence only: no statistic over the batch dimension")


@pytest.mark.task4_5
def test_gpt_accepts_exactly_block_size_tokens(impl, seeded):
    """Does a GPT with block_size 8 accept an input of exactly 8 tokens?"""
    model = impl.a4.GPT(impl.a4.GPTConfig(vocab_size=12, block_size=8, n_layer=1, n_head=2, d_model=8))
    logits, _ = model(random_ids(1, 8, vocab_size=12, seed=38))
    assert_shape(logits, (1, 8, 12), what="GPT with block_size=8 on 8 tokens", hint="refuse T > block_size only: T == block_size is the longest valid input")


@pytest.mark.task4_5
def test_gpt_refuses_targets_of_another_shape(impl, seeded):
    """Are targets of shape (2, 4) for ids of shape (2, 5) a ValueError?"""
    model = impl.a4.GPT(impl.a4.GPTConfig(vocab_size=12, block_size=8, n_layer=1, n_head=2, d_model=8))
    with assert_raises(ValueError, what="GPT(ids (2, 5), targets (2, 4))", hint="check targets.shape == ids.shape before computing the loss"):
        model(random_ids(2, 5, vocab_size=12, seed=39), random_ids(2, 4, vocab_size=12, seed=40))


@pytest.mark.task4_5
def test_gpt_passes_its_settings_on(impl, seeded):
    """Do n_layer, d_ff, dropout and fused_attention of the config reach every block, and dropout the embeddings?"""
    config = impl.a4.GPTConfig(vocab_size=12, block_size=8, n_layer=3, n_head=2, d_model=8, d_ff=20, dropout=0.25, fused_attention=True)
    model = impl.a4.GPT(config)
    hint = "build each TransformerBlock with d_ff=config.d_ff, dropout=config.dropout, fused_attention=config.fused_attention"
    assert_equal(len(model.blocks), 3, what="len(GPT(n_layer=3).blocks)", hint=hint)
    assert_equal(model.drop.p, 0.25, what="GPT(dropout=0.25).drop.p", hint="self.drop = nn.Dropout(config.dropout) on the summed embeddings")
    for index, block in enumerate(model.blocks):
        assert_equal(block.ffn.fc1.out_features, 20, what=f"blocks[{index}].ffn.fc1.out_features with d_ff=20", hint=hint)
        assert_equal(block.attn.dropout_p, 0.25, what=f"blocks[{index}].attn.dropout_p with dropout=0.25", hint=hint)
        assert_equal(block.attn.fused, True, what=f"blocks[{index}].attn.fused with fused_attention=True", hint=hint)


@pytest.mark.task4_5
@pytest.mark.parametrize("device", DEVICES)
def test_gpt_computes_on_the_device_of_its_input(impl, seeded, device):
    """Do the logits and the loss come out on the device of the model and ids?"""
    model = impl.a4.GPT(impl.a4.GPTConfig(vocab_size=12, block_size=8, n_layer=1, n_head=2, d_model=8)).to(device)
    ids = random_ids(2, 5, vocab_size=12, seed=41).to(device)
    logits, loss = run_on(device, lambda: model(ids, ids), what="GPT(ids, targets)")
    assert_equal(logits.device.type, torch.device(device).type, what=f"device of the logits for ids on {device}")
    assert_equal(loss.device.type, torch.device(device).type, what=f"device of the loss for ids on {device}")


# ---------------------------------------------------------------- Task 4.6

INIT_CASES = {
    "1-layer-tied": dict(n_layer=1),
    "3-layers-untied": dict(n_layer=3, tie_weights=False),
    "2-layers-sinusoidal": dict(n_layer=2, pos_encoding="sinusoidal"),
}


def check_uniform(values: torch.Tensor, bound: float, *, what: str, hint: str) -> None:
    """Fail unless ``values`` look like draws of U(-bound, bound).

    The matrices here hold at least 1024 entries. For U(-a, a) the sample
    standard deviation a/sqrt(3) is then known to about 1.5 % (a 10 % band is
    7 of its standard deviations), the mean to 0.018 a (a band of 0.12 a is 7),
    and the chance that no entry lies beyond 0.9 a on either side is below 1e-40.
    """
    __tracebackhide__ = True
    values = values.detach().double()
    largest, smallest = values.max().item(), values.min().item()
    spread, centre = values.std().item(), values.mean().item()
    summary = f"{what}: entries range over [{smallest:.4f}, {largest:.4f}] with mean {centre:.4f} and std {spread:.4f}"
    expectation = f"expected U(-{bound:.4f}, {bound:.4f}): range just inside +-{bound:.4f}, mean 0, std {bound / math.sqrt(3):.4f}"
    inside = -bound <= smallest and largest <= bound
    filled = largest >= 0.9 * bound and smallest <= -0.9 * bound
    shaped = abs(spread / (bound / math.sqrt(3)) - 1) <= 0.1 and abs(centre) <= 0.12 * bound
    assert_true(inside and filled and shaped, summary, expectation, hint=hint)


@pytest.mark.task4_6
@pytest.mark.parametrize("case", list(INIT_CASES), ids=str)
def test_init_draws_every_matrix_from_its_xavier_law(impl, seeded, case):
    """Is every matrix U(-a, a) with a = sqrt(6 / (rows + columns)), o_proj and fc2 scaled by 1/sqrt(2 n_layer), for several configs?"""
    settings = dict(vocab_size=64, block_size=32, n_head=4, d_model=32, **INIT_CASES[case])
    model = impl.a4.GPT(impl.a4.GPTConfig(**settings))
    residual_scale = 1 / math.sqrt(2 * settings["n_layer"])
    for name, parameter in model.named_parameters():
        if parameter.dim() < 2:
            continue
        rows, columns = parameter.shape
        bound = math.sqrt(6 / (rows + columns))
        if name.endswith(("o_proj.weight", "fc2.weight")):
            bound *= residual_scale
        check_uniform(
            parameter, bound, what=f"{name} {tuple(parameter.shape)} of GPT({case})",
            hint="nn.init.xavier_uniform_ on every nn.Linear and embedding table (lm_head too when it is not tied), "
            "then multiply o_proj and fc2 by 1 / sqrt(2 * n_layer)",
        )


@pytest.mark.task4_6
@pytest.mark.parametrize("case", list(INIT_CASES), ids=str)
def test_init_sets_vectors_to_ones_and_zeros(impl, seeded, case):
    """After init_weights, are all biases 0 and all LayerNorm scales 1, for several configs?"""
    settings = dict(vocab_size=16, block_size=8, n_head=2, d_model=8, **INIT_CASES[case])
    model = impl.a4.GPT(impl.a4.GPTConfig(**settings))
    with torch.no_grad():
        for parameter in model.parameters():
            parameter.add_(0.5)
    model.init_weights()
    for name, parameter in model.named_parameters():
        if parameter.dim() == 1:
            expected = 0.0 if name.endswith("bias") else 1.0
            assert_true(
                bool((parameter == expected).all()), f"{name} of GPT({case}) after init_weights() is not all {expected:g}",
                hint="zero every bias and set each LayerNorm to weight 1, bias 0 inside init_weights",
            )


@pytest.mark.task4_6
def test_init_follows_the_seed(impl):
    """Does seeding torch before building a GPT give the same weights every time, and another seed other weights?"""
    config = impl.a4.GPTConfig(vocab_size=16, block_size=8, n_layer=2, n_head=2, d_model=8)

    def weights_after_seed(seed: int) -> dict[str, torch.Tensor]:
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            return {name: value.clone() for name, value in impl.a4.GPT(config).state_dict().items()}

    hint = "draw with torch's global generator (nn.init.*_ or torch.rand without a generator of your own), not with random or numpy"
    first, again, other = weights_after_seed(5), weights_after_seed(5), weights_after_seed(6)
    for name, value in first.items():
        assert_true(torch.equal(value, again[name]), f"{name} differs between two GPTs built after torch.manual_seed(5)", hint=hint)
    assert_true(
        any(not torch.equal(value, other[name]) for name, value in first.items() if value.dim() >= 2),
        "GPTs built after torch.manual_seed(5) and torch.manual_seed(6) have the same matrices", hint=hint,
    )
