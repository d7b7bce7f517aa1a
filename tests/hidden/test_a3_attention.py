"""Hidden checks of assignment 3: masks, softmax, attention and multi-head self-attention.

They go past the public suite: every function must agree with the reference
on seeded inputs of several shapes (keys of another length than queries,
broadcast masks, any number of leading dims) and dtypes; gradients must match
the reference's; inputs must come back unchanged; tensors must be made on the
input's device; and the properties attention promises (rows sum to 1, masked
keys weigh 0, no look-ahead, batch rows independent, dropout only while
training) must hold.
"""

from __future__ import annotations

import math

import pytest
import torch

from grader.testing import assert_close, assert_dtype, assert_raises, assert_shape, assert_true
from tests.hidden.support import (
    DEVICES,
    assert_matches_reference,
    assert_on_device,
    assert_not_modified,
    assert_same_as_reference,
    copy_weights,
    generator,
    random_tensor,
    tolerance,
)

# Tiny tensors: one torch thread is fastest, and immune to a busy machine.
pytestmark = pytest.mark.usefixtures("single_thread")

FLOAT_DTYPES = [torch.float32, torch.float64, torch.bfloat16]
# Devices for checks that only look at where tensors are made: "meta" tensors
# hold no data, so any CPU machine can see a tensor created on the wrong device.
PLACEMENT_DEVICES = [*DEVICES, "meta"]

SCALE_HINT = "scores are q k^T / sqrt(d_k), with d_k = q.shape[-1] (the width of a query, not the number of keys)"
MASK_HINT = "set the scores where mask is False to -inf with masked_fill(~mask, -inf) before the softmax; the mask broadcasts like any tensor"

# Inputs of attention: shapes of q and k, the width of v, and the mask.
# "causal": (T, T) lower triangle; "padding": (B, 1, 1, T_k), some keys of each
# sequence hidden; "random": (T_q, T_k). Every row keeps at least one key.
ATTENTION_CASES = {
    "2d-more-keys-than-queries": {"q": (3, 8), "k": (5, 8), "v_width": 3, "mask": None},
    "3d-causal": {"q": (2, 4, 16), "k": (2, 4, 16), "v_width": 16, "mask": "causal"},
    "4d-causal": {"q": (2, 3, 5, 6), "k": (2, 3, 5, 6), "v_width": 4, "mask": "causal"},
    "4d-padding-mask": {"q": (2, 2, 3, 4), "k": (2, 2, 6, 4), "v_width": 5, "mask": "padding"},
    "keys-shared-by-the-batch": {"q": (2, 3, 4), "k": (3, 4), "v_width": 2, "mask": "random"},
}


def make_mask(kind: str | None, q_shape: tuple[int, ...], k_shape: tuple[int, ...], *, seed: int) -> torch.Tensor | None:
    """The bool mask named by ``kind`` for queries ``q_shape`` and keys ``k_shape`` (see ATTENTION_CASES)."""
    T_q, T_k = q_shape[-2], k_shape[-2]
    if kind is None:
        return None
    if kind == "causal":
        return torch.ones(T_q, T_k, dtype=torch.bool).tril()
    shape = (q_shape[0], 1, 1, T_k) if kind == "padding" else (T_q, T_k)
    mask = torch.rand(shape, generator=generator(seed)) < 0.6
    mask[..., 0] = True  # every query keeps a key, so no row is all -inf
    return mask


def attention_inputs(case: str, *, dtype: torch.dtype = torch.float32, seed: int = 0):
    """``(q, k, v, mask)`` for ``ATTENTION_CASES[case]``, seeded."""
    spec = ATTENTION_CASES[case]
    q = random_tensor(*spec["q"], seed=seed, dtype=dtype)
    k = random_tensor(*spec["k"], seed=seed + 1, dtype=dtype)
    v = random_tensor(*spec["k"][:-1], spec["v_width"], seed=seed + 2, dtype=dtype)
    return q, k, v, make_mask(spec["mask"], spec["q"], spec["k"], seed=seed + 3)


def describe(*tensors: torch.Tensor | None, names: str = "q k v mask") -> str:
    """``"q (2, 3, 4), k (3, 4), mask (3, 3)"``: the arguments of a call, by shape."""
    return ", ".join(f"{name} {tuple(tensor.shape) if tensor is not None else None}" for name, tensor in zip(names.split(), tensors))


def gradients(tensors: list[torch.Tensor], output: torch.Tensor, upstream: torch.Tensor, *, what: str, hint: str) -> list[torch.Tensor]:
    """``d(sum(output * upstream)) / d(tensor)`` for each tensor (leaves with requires_grad), failing when one gets none."""
    __tracebackhide__ = True
    assert_true(output.requires_grad, f"{what}: the output does not depend on the inputs in autograd (requires_grad is False)", hint=hint)
    (output * upstream).sum().backward()
    for index, tensor in enumerate(tensors):
        assert_true(tensor.grad is not None, f"{what}: input {index} received no gradient", hint=hint)
    return [tensor.grad for tensor in tensors]




# ---------------------------------------------------------------- Task 3.1


@pytest.mark.task3_1
@pytest.mark.parametrize("seq_len", [0, 1, 2, 9])
def test_causal_mask_matches_reference(impl, ref, seq_len):
    """Is causal_mask(T) the reference's bool lower triangle, for T = 0 as well?"""
    mask = impl.a3.causal_mask(seq_len)
    what = f"causal_mask({seq_len})"
    assert_shape(mask, (seq_len, seq_len), what=what)
    assert_dtype(mask, torch.bool, what=what)
    assert_same_as_reference(mask, ref.a3.causal_mask(seq_len), what=what, hint="True where j <= i: the lower triangle with its diagonal (tril with diagonal=0)")


@pytest.mark.task3_1
@pytest.mark.parametrize("device", PLACEMENT_DEVICES)
def test_causal_mask_is_made_on_the_device_asked_for(impl, device):
    """Is causal_mask(5, device=...) created on that device, given as a string or a torch.device?"""
    hint = "pass device=device to the function that creates the tensor (torch.ones(..., device=device))"
    for given in (device, torch.device(device)):
        mask = impl.a3.causal_mask(5, device=given)
        assert_on_device(mask, device, what=f"causal_mask(5, device={given!r})", hint=hint)


# ---------------------------------------------------------------- Task 3.2


@pytest.mark.task3_2
@pytest.mark.parametrize("dtype", FLOAT_DTYPES, ids=str)
@pytest.mark.parametrize("shape, dim", [((5,), -1), ((3, 7), 0), ((4, 4), -1), ((2, 3, 4), 1), ((2, 3, 4), -2)], ids=str)
def test_softmax_matches_reference(impl, ref, shape, dim, dtype):
    """Does softmax(x, dim) match the reference along every dim, in the dtype of x?"""
    x = random_tensor(*shape, seed=41, dtype=dtype, scale=3.0)
    expected = ref.a3.softmax(x, dim=dim)
    out = impl.a3.softmax(x, dim=dim)
    what = f"softmax(x of shape {shape} in {dtype}, dim={dim})"
    assert_shape(out, shape, what=what)
    assert_dtype(out, dtype, what=what, hint="compute in the dtype of x and return it")
    assert_matches_reference(out, expected, what=what, dtype=dtype, hint="take the max and the sum along dim with keepdim=True, so they broadcast back along that dim")


@pytest.mark.task3_2
@pytest.mark.parametrize("dim", [-1, 0])
def test_softmax_of_slices_at_very_different_scales(impl, ref, dim):
    """Does each slice subtract its own maximum, when one slice sits near -1e4 and another near +1e4?"""
    offsets = torch.tensor([-1e4, 0.0, 1e4])
    x = random_tensor(3, 5, seed=42) + offsets[:, None]  # row r near offsets[r]
    if dim == 0:
        x = x.T.contiguous()  # the same slices, as columns
    expected = ref.a3.softmax(x, dim=dim)
    out = impl.a3.softmax(x, dim=dim)
    assert_matches_reference(
        out, expected, what=f"softmax(x of shape {tuple(x.shape)}, dim={dim}) with slices near -1e4, 0 and 1e4",
        hint="subtract the maximum of each slice (amax(dim, keepdim=True)), not of the whole tensor: exp(-2e4) is 0 and 0 / 0 is NaN",
    )


@pytest.mark.task3_2
def test_softmax_gives_zero_to_minus_infinity_along_any_dim(impl, ref):
    """Do -inf entries scattered in a (4, 5) tensor get exactly 0 along dim=0, the rest matching the reference?"""
    x = random_tensor(4, 5, seed=43)
    x[torch.tensor([0, 2, 3, 1]), torch.tensor([1, 1, 4, 0])] = float("-inf")  # every column keeps a finite entry
    expected = ref.a3.softmax(x, dim=0)
    out = impl.a3.softmax(x.clone(), dim=0)
    assert_close(out[x == float("-inf")], torch.zeros(4), atol=0, rtol=0, what="softmax(x, dim=0) at the -inf entries", hint="exp(-inf - max) is exactly 0 when the max is finite")
    assert_matches_reference(out, expected, what="softmax(x of shape (4, 5) holding -inf, dim=0)")


@pytest.mark.task3_2
def test_softmax_gradient_matches_reference(impl, ref):
    """Does the gradient of softmax (float64, dim=1 of a (2, 3, 4) tensor) match the reference's?"""
    x = random_tensor(2, 3, 4, seed=44, dtype=torch.float64, scale=2.0)
    upstream = random_tensor(2, 3, 4, seed=45, dtype=torch.float64)
    hint = "build the result from x with differentiable ops; only the max shift may be detached, since it cancels"
    student_x, reference_x = x.clone().requires_grad_(), x.clone().requires_grad_()
    (got,) = gradients([student_x], impl.a3.softmax(student_x, dim=1), upstream, what="softmax(x, dim=1)", hint=hint)
    (expected,) = gradients([reference_x], ref.a3.softmax(reference_x, dim=1), upstream, what="the reference", hint=hint)
    assert_matches_reference(got, expected, what="gradient of softmax(x of shape (2, 3, 4), dim=1)", dtype=torch.float64, hint=hint)


@pytest.mark.task3_2
def test_softmax_leaves_its_input_unchanged(impl):
    """Does softmax(x) leave x as it was (no in-place subtraction of the maximum)?"""
    x = random_tensor(3, 6, seed=46, scale=3.0)
    original = x.clone()
    impl.a3.softmax(x, dim=-1)
    assert_not_modified(x, original, what="softmax(x of shape (3, 6))")


# ---------------------------------------------------------------- Task 3.3


@pytest.mark.task3_3
@pytest.mark.parametrize("dtype", FLOAT_DTYPES, ids=str)
@pytest.mark.parametrize("case", list(ATTENTION_CASES))
def test_attention_weights_match_reference(impl, ref, case, dtype):
    """Do the weights match the reference for 2-D to 4-D inputs, T_q != T_k, broadcast keys and masks, in every dtype?"""
    q, k, _, mask = attention_inputs(case, dtype=dtype, seed=50)
    expected = ref.a3.attention_weights(q, k, mask)
    weights = impl.a3.attention_weights(q, k, mask)
    what = f"attention_weights({describe(q, k, mask, names='q k mask')}) in {dtype}"
    assert_shape(weights, tuple(expected.shape), what=what, hint="the weights are (..., T_q, T_k): transpose only the last two dims of k")
    assert_dtype(weights, dtype, what=what)
    assert_matches_reference(weights, expected, what=what, dtype=dtype, hint=f"{SCALE_HINT}; {MASK_HINT}")


@pytest.mark.task3_3
def test_attention_weights_rows_sum_to_one_and_masked_keys_weigh_nothing(impl):
    """With a random mask, does every row sum to 1 and every masked key get weight exactly 0?"""
    q, k, _, mask = attention_inputs("4d-padding-mask", seed=51)
    weights = impl.a3.attention_weights(q, k, mask)
    what = f"attention_weights({describe(q, k, mask, names='q k mask')})"
    assert_shape(weights, (2, 2, 3, 6), what=what)
    assert_close(weights.sum(-1), torch.ones(2, 2, 3), **tolerance(torch.float32), what=f"row sums of {what}", hint=MASK_HINT)
    hidden = ~mask.expand(2, 2, 3, 6)
    assert_close(weights[hidden], torch.zeros(int(hidden.sum())), atol=0, rtol=0, what=f"weights on masked keys of {what}", hint=MASK_HINT)


@pytest.mark.task3_3
def test_attention_weights_of_a_batch_split_in_two(impl):
    """Are the weights of a batch of 4 the weights of its two halves, stacked (no mixing across the batch)?"""
    q, k = random_tensor(4, 2, 5, 8, seed=52), random_tensor(4, 2, 5, 8, seed=53)
    mask = torch.ones(5, 5, dtype=torch.bool).tril()
    # Each call gets its own copies: this test is about batch rows, not about inputs changed in place.
    whole = impl.a3.attention_weights(q.clone(), k.clone(), mask)
    halves = torch.cat([impl.a3.attention_weights(q[:2].clone(), k[:2].clone(), mask), impl.a3.attention_weights(q[2:].clone(), k[2:].clone(), mask)])
    assert_close(
        whole, halves, **tolerance(torch.float32), what="attention_weights(q, k, causal mask) for q (4, 2, 5, 8) versus the halves q[:2], q[2:]",
        hint="every op must act within one batch element: softmax over the last dim, k.transpose(-2, -1)",
    )


@pytest.mark.task3_3
def test_attention_weights_gradients_match_reference(impl, ref):
    """Do the gradients with respect to q and k (float64, causal mask) match the reference's?"""
    q, k, _, mask = attention_inputs("4d-causal", dtype=torch.float64, seed=54)
    upstream = random_tensor(2, 3, 5, 5, seed=55, dtype=torch.float64)
    hint = "compute the weights from q and k with differentiable, out-of-place ops (q / s, not q /= s)"
    student_inputs = [q.clone().requires_grad_(), k.clone().requires_grad_()]
    reference_inputs = [q.clone().requires_grad_(), k.clone().requires_grad_()]
    what = f"attention_weights({describe(q, k, mask, names='q k mask')})"
    got = gradients(student_inputs, impl.a3.attention_weights(*student_inputs, mask), upstream, what=what, hint=hint)
    expected = gradients(reference_inputs, ref.a3.attention_weights(*reference_inputs, mask), upstream, what="the reference", hint=hint)
    for name, got_gradient, expected_gradient in zip("qk", got, expected):
        assert_matches_reference(got_gradient, expected_gradient, what=f"gradient with respect to {name} of {what}", dtype=torch.float64, hint=hint)


@pytest.mark.task3_3
def test_attention_weights_leave_their_inputs_unchanged(impl):
    """Do q, k and the mask come back unchanged (no in-place scaling of q, no in-place masking)?"""
    q, k, _, mask = attention_inputs("3d-causal", seed=56)
    originals = [q.clone(), k.clone(), mask.clone()]
    impl.a3.attention_weights(q, k, mask)
    for name, tensor, original in zip(("q", "k", "mask"), (q, k, mask), originals):
        assert_not_modified(tensor, original, what=f"attention_weights(q, k, mask), argument {name},")


@pytest.mark.task3_3
@pytest.mark.parametrize("device", PLACEMENT_DEVICES)
def test_attention_weights_stay_on_the_inputs_device(impl, device):
    """Are the weights of inputs on a device computed there (no -inf tensor made on the CPU)?"""
    q, k, _, mask = attention_inputs("3d-causal", seed=57)
    weights = impl.a3.attention_weights(q.to(device), k.to(device), mask.to(device))
    assert_on_device(weights, device, what=f"attention_weights of q, k, mask on {device}", hint="use masked_fill(~mask, float('-inf')), or make any new tensor with device=scores.device")


@pytest.mark.task3_3
def test_attention_weights_refuse_queries_and_keys_of_different_widths(impl):
    """Are q and k with different d_k a ValueError naming both widths?"""
    with assert_raises(ValueError, what="attention_weights(q (2, 3, 4), k (2, 5, 6))", mentions=["4", "6"], hint="compare q.shape[-1] and k.shape[-1] before the matmul"):
        impl.a3.attention_weights(torch.zeros(2, 3, 4), torch.zeros(2, 5, 6))


@pytest.mark.task3_3
def test_attention_weights_refuse_an_integer_mask(impl):
    """Is a 0/1 int64 mask a ValueError naming its dtype (only bool masks are read the right way)?"""
    q = torch.zeros(3, 4)
    with assert_raises(ValueError, what="attention_weights(q, k, mask of dtype int64)", mentions=["int64"], hint="refuse every mask whose dtype is not torch.bool, not only float masks"):
        impl.a3.attention_weights(q, q, torch.ones(3, 3, dtype=torch.int64))


# ---------------------------------------------------------------- Task 3.4


@pytest.mark.task3_4
@pytest.mark.parametrize("dtype", FLOAT_DTYPES, ids=str)
@pytest.mark.parametrize("case", list(ATTENTION_CASES))
def test_attention_output_matches_reference(impl, ref, case, dtype):
    """Does scaled_dot_product_attention match the reference for 2-D to 4-D inputs, d_v != d_k, broadcast masks?"""
    q, k, v, mask = attention_inputs(case, dtype=dtype, seed=60)
    expected = ref.a3.scaled_dot_product_attention(q, k, v, mask)
    out = impl.a3.scaled_dot_product_attention(q, k, v, mask)
    what = f"scaled_dot_product_attention({describe(q, k, v, mask)}) in {dtype}"
    assert_shape(out, tuple(expected.shape), what=what, hint="the output is (..., T_q, d_v): weights (..., T_q, T_k) @ v (..., T_k, d_v)")
    assert_dtype(out, dtype, what=what)
    assert_matches_reference(out, expected, what=what, dtype=dtype, hint="output = attention_weights(q, k, mask) @ v, with torch.matmul (it broadcasts any leading dims)")


@pytest.mark.task3_4
def test_attention_output_gradients_match_reference(impl, ref):
    """Do the gradients with respect to q, k and v (float64, causal mask) match the reference's?"""
    q, k, v, mask = attention_inputs("4d-causal", dtype=torch.float64, seed=61)
    upstream = random_tensor(2, 3, 5, 4, seed=62, dtype=torch.float64)
    hint = "keep the weights in the autograd graph: weights @ v, without detach() or torch.no_grad()"
    student_inputs = [tensor.clone().requires_grad_() for tensor in (q, k, v)]
    reference_inputs = [tensor.clone().requires_grad_() for tensor in (q, k, v)]
    what = f"scaled_dot_product_attention({describe(q, k, v, mask)})"
    got = gradients(student_inputs, impl.a3.scaled_dot_product_attention(*student_inputs, mask), upstream, what=what, hint=hint)
    expected = gradients(reference_inputs, ref.a3.scaled_dot_product_attention(*reference_inputs, mask), upstream, what="the reference", hint=hint)
    for name, got_gradient, expected_gradient in zip("qkv", got, expected):
        assert_matches_reference(got_gradient, expected_gradient, what=f"gradient with respect to {name} of {what}", dtype=torch.float64, hint=hint)


@pytest.mark.task3_4
def test_attention_output_does_not_look_ahead(impl):
    """With a causal mask, do outputs at positions 0..2 stay the same when keys and values at 3..6 change?"""
    q, k, v = (random_tensor(2, 7, 4, seed=63 + index) for index in range(3))
    mask = torch.ones(7, 7, dtype=torch.bool).tril()
    changed_k, changed_v = k.clone(), v.clone()
    changed_k[:, 3:] += random_tensor(2, 4, 4, seed=66, scale=5.0)
    changed_v[:, 3:] += random_tensor(2, 4, 4, seed=67, scale=5.0)
    before = impl.a3.scaled_dot_product_attention(q.clone(), k, v, mask)
    after = impl.a3.scaled_dot_product_attention(q.clone(), changed_k, changed_v, mask)
    assert_close(
        after[:, :3], before[:, :3], **tolerance(torch.float32), what="outputs at positions 0..2 after changing k and v at 3..6 (causal mask, q (2, 7, 4))",
        hint="pass the mask on to attention_weights: masked keys must get weight 0",
    )


# ---------------------------------------------------------------- Task 3.5


@pytest.mark.task3_5
@pytest.mark.parametrize("shape, n_heads", [((1, 1, 4), 1), ((2, 3, 12), 4), ((3, 5, 12), 6), ((2, 4, 8), 8)], ids=str)
def test_split_heads_matches_reference(impl, ref, shape, n_heads):
    """Does split_heads(x, n_heads) match the reference, from one head to one channel per head?"""
    x = random_tensor(*shape, seed=70)
    expected = ref.a3.split_heads(x, n_heads)
    out = impl.a3.split_heads(x, n_heads)
    what = f"split_heads(x of shape {shape}, {n_heads})"
    B, T, C = shape
    assert_shape(out, (B, n_heads, T, C // n_heads), what=what, hint="(B, T, C) -> (B, n_heads, T, C // n_heads)")
    assert_same_as_reference(out, expected, what=what, hint="view as (B, T, n_heads, head_dim), then transpose(1, 2): head h gets channels [h * head_dim, (h + 1) * head_dim)")


@pytest.mark.task3_5
def test_split_heads_of_a_transposed_input(impl, ref):
    """Does split_heads work on a non-contiguous x (a (B, C, T) tensor transposed to (B, T, C))?"""
    x = random_tensor(2, 12, 3, seed=71).transpose(1, 2)  # (B, T, C), not contiguous
    expected = ref.a3.split_heads(x, 3)
    assert_same_as_reference(impl.a3.split_heads(x, 3), expected, what="split_heads(x of shape (2, 3, 12), not contiguous, 3)")


@pytest.mark.task3_5
@pytest.mark.parametrize(
    "shape, n_heads, named",
    [((2, 3, 12), 0, "0"), ((2, 3, 12), -3, "-3"), ((3, 12), 2, "(3, 12)"), ((2, 3, 4, 6), 2, "(2, 3, 4, 6)")],
    ids=["zero-heads", "negative-heads", "2d-input", "4d-input"],
)
def test_split_heads_refuses_bad_arguments(impl, shape, n_heads, named):
    """Are a non-positive n_heads and an x that is not 3-D a ValueError naming the value or the shape?"""
    with assert_raises(
        ValueError, what=f"split_heads(x of shape {shape}, {n_heads})", mentions=[named],
        hint="check x.dim() == 3 before unpacking the shape, and n_heads > 0 before C % n_heads",
    ):
        impl.a3.split_heads(torch.zeros(shape), n_heads)


# ---------------------------------------------------------------- Task 3.6


@pytest.mark.task3_6
@pytest.mark.parametrize("shape", [(1, 1, 1, 4), (2, 4, 3, 3), (3, 6, 5, 2), (2, 1, 4, 8)], ids=str)
def test_merge_heads_matches_reference(impl, ref, shape):
    """Does merge_heads match the reference, for contiguous heads (as attention returns them)?"""
    heads = random_tensor(*shape, seed=72)
    B, n_heads, T, head_dim = shape
    expected = ref.a3.merge_heads(heads)
    out = impl.a3.merge_heads(heads)
    what = f"merge_heads(x of shape {shape})"
    assert_shape(out, (B, T, n_heads * head_dim), what=what, hint="(B, n_heads, T, head_dim) -> (B, T, n_heads * head_dim)")
    assert_same_as_reference(out, expected, what=what, hint="transpose(1, 2) first, then .contiguous().view(B, T, C): heads side by side, head 0 first")


@pytest.mark.task3_6
@pytest.mark.parametrize("n_heads", [1, 2, 3, 4, 6, 12])
def test_merge_heads_undoes_split_heads(impl, ref, n_heads):
    """Is merge_heads(split_heads(x, n)) == x for every n dividing C = 12 (heads given as the reference's view)?"""
    x = random_tensor(2, 5, 12, seed=73)
    out = impl.a3.merge_heads(ref.a3.split_heads(x, n_heads))
    assert_close(out, x, atol=0, rtol=0, what=f"merge_heads(split_heads(x of shape (2, 5, 12), {n_heads}))", hint="the inverse of view + transpose(1, 2) is transpose(1, 2) + contiguous + view")


@pytest.mark.task3_6
@pytest.mark.parametrize("shape", [(2, 3, 4, 5, 6), (4,)], ids=str)
def test_merge_heads_refuses_other_than_4d(impl, shape):
    """Is an x that is not 4-D a ValueError naming its shape?"""
    named = str(tuple(shape))
    with assert_raises(ValueError, what=f"merge_heads(x of shape {shape})", mentions=[named], hint="check x.dim() == 4 before unpacking the shape"):
        impl.a3.merge_heads(torch.zeros(shape))


# ---------------------------------------------------------------- Task 3.7


def attention_pair(impl, ref, d_model: int, n_heads: int, *, causal: bool = True, dropout: float = 0.0, dtype: torch.dtype = torch.float32, seed: int):
    """The student's and the reference's MultiHeadSelfAttention with the same seeded weights, in eval mode.

    Returns ``(student, reference)``.
    """
    reference = ref.a3.MultiHeadSelfAttention(d_model, n_heads, dropout=dropout, causal=causal)
    with torch.no_grad():
        for index, parameter in enumerate(reference.parameters()):
            parameter.copy_(random_tensor(*parameter.shape, seed=seed + index, scale=1 / math.sqrt(d_model)))
    reference = reference.to(dtype).eval()
    student = impl.a3.MultiHeadSelfAttention(d_model, n_heads, dropout=dropout, causal=causal).to(dtype).eval()
    copy_weights(reference, student, what=f"MultiHeadSelfAttention({d_model}, {n_heads})")
    return student, reference


@pytest.mark.task3_7
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64], ids=str)
@pytest.mark.parametrize(
    "B, T, d_model, n_heads, causal",
    [(1, 1, 8, 2, True), (2, 5, 12, 3, True), (3, 4, 16, 4, False), (2, 6, 8, 1, True)],
    ids=["one-token", "three-heads", "bidirectional", "one-head"],
)
def test_self_attention_matches_reference(impl, ref, B, T, d_model, n_heads, causal, dtype):
    """Do output and weights match the reference module holding the same weights?"""
    student, reference = attention_pair(impl, ref, d_model, n_heads, causal=causal, dtype=dtype, seed=80)
    x = random_tensor(B, T, d_model, seed=81, dtype=dtype)
    what = f"MultiHeadSelfAttention({d_model}, {n_heads}, causal={causal}) in {dtype} on x ({B}, {T}, {d_model})"
    with torch.no_grad():
        expected_out, expected_weights = reference(x, return_weights=True)
        out, weights = student(x, return_weights=True)
        plain_out = student(x)
    assert_shape(weights, (B, n_heads, T, T), what=f"weights of {what}", hint="weights are (B, n_heads, T, T)")
    assert_matches_reference(weights, expected_weights, what=f"weights of {what}", dtype=dtype, hint="per head: softmax(q_h k_h^T / sqrt(head_dim)), with the causal mask only when causal=True")
    assert_matches_reference(out, expected_out, what=f"output of {what}", dtype=dtype, hint="split q, k, v into heads, attend per head, merge the heads, then o_proj")
    assert_matches_reference(plain_out, expected_out, what=f"output of {what} without return_weights", dtype=dtype)


@pytest.mark.task3_7
def test_self_attention_in_eval_mode_has_no_dropout(impl, ref, seeded):
    """With dropout=0.3 but in eval() mode, does the module match the reference exactly as without dropout?"""
    student, reference = attention_pair(impl, ref, 8, 2, dropout=0.3, seed=82)
    x = random_tensor(2, 5, 8, seed=83)
    with torch.no_grad():
        expected = reference(x)
        assert_matches_reference(
            student(x), expected, what="output of MultiHeadSelfAttention(8, 2, dropout=0.3) in eval mode",
            hint="use the nn.Dropout modules (they are off in eval()); F.dropout(x, p) without training=self.training drops in eval too",
        )


@pytest.mark.task3_7
def test_self_attention_returns_the_weights_before_dropout(impl, ref, seeded):
    """In training mode with dropout=0.5, are the returned weights the softmax output before dropout (rows sum to 1)?"""
    student, reference = attention_pair(impl, ref, 8, 2, dropout=0.5, seed=84)
    x = random_tensor(2, 6, 8, seed=85)
    with torch.no_grad():
        _, expected = reference(x, return_weights=True)  # eval mode: the weights do not depend on dropout
        _, weights = student.train()(x, return_weights=True)
    assert_matches_reference(
        weights, expected, what="weights of MultiHeadSelfAttention(8, 2, dropout=0.5) in training mode",
        hint="return the softmax output itself and multiply v by attn_dropout(weights), a separate tensor",
    )


@pytest.mark.task3_7
def test_self_attention_in_training_mode_drops_weights_and_output(impl, ref, seeded):
    """In training mode with dropout=0.5, are both the attention weights and the output (residual) dropped?"""
    dropout = 0.5
    student, reference = attention_pair(impl, ref, 8, 2, dropout=dropout, seed=86)
    x = random_tensor(2, 6, 8, seed=87)
    with torch.no_grad():
        undropped = reference(x)
        out = student.train()(x)
    what = "MultiHeadSelfAttention(8, 2, dropout=0.5) in training mode on x (2, 6, 8)"
    zeros = float((out == 0).float().mean())
    assert_true(
        0.3 <= zeros <= 0.7, f"{what}: {zeros:.0%} of the outputs are exactly 0, expected about 50% from the residual dropout",
        hint="apply resid_dropout to the output of o_proj",
    )
    kept = out != 0
    # Residual dropout alone would leave each kept output at exactly undropped / (1 - p).
    largest_change = float((out[kept] - undropped[kept] / (1 - dropout)).abs().max())
    assert_true(
        largest_change > 1e-3, f"{what}: every kept output is the undropped one times 1 / (1 - p), so the attention weights were not dropped",
        hint="multiply v by attn_dropout(weights), not by the weights themselves",
    )


@pytest.mark.task3_7
@pytest.mark.parametrize("causal", [True, False], ids=["causal", "bidirectional"])
def test_self_attention_fused_path_agrees(impl, ref, causal):
    """Does the provided fused path (fused=True) give the reference's output with the module's own layers?"""
    reference = attention_pair(impl, ref, 8, 2, causal=causal, seed=88)[1]
    student = impl.a3.MultiHeadSelfAttention(8, 2, causal=causal, fused=True).eval()
    for name in ("q_proj", "k_proj", "v_proj", "o_proj", "resid_dropout"):
        assert_true(
            isinstance(getattr(student, name, None), torch.nn.Module), f"MultiHeadSelfAttention has no module named {name}",
            hint="the provided fused path uses q_proj, k_proj, v_proj, o_proj and resid_dropout: create them under exactly these names",
        )
    copy_weights(reference, student, what="MultiHeadSelfAttention(8, 2, fused=True)")
    x = random_tensor(2, 5, 8, seed=89)
    with torch.no_grad():
        expected = reference(x)
        assert_matches_reference(
            student(x), expected, what=f"MultiHeadSelfAttention(8, 2, causal={causal}, fused=True)(x (2, 5, 8))",
            hint="the fused path uses q_proj, k_proj, v_proj, o_proj and resid_dropout: create them under exactly these names",
        )


@pytest.mark.task3_7
def test_self_attention_does_not_look_ahead_from_any_position(impl, ref):
    """With causal=True, do outputs at positions 0..2 stay the same when the inputs at 3..6 change?"""
    student, _ = attention_pair(impl, ref, 12, 3, seed=90)
    x = random_tensor(2, 7, 12, seed=91)
    changed = x.clone()
    changed[:, 3:] += random_tensor(2, 4, 12, seed=92, scale=5.0)
    with torch.no_grad():
        before, after = student(x.clone()), student(changed)
    assert_close(
        after[:, :3], before[:, :3], **tolerance(torch.float32), what="outputs at positions 0..2 after changing x at 3..6 (causal, 3 heads)",
        hint="mask the scores of every head with causal_mask(T) when causal=True",
    )


@pytest.mark.task3_7
def test_self_attention_of_a_batch_split_in_two(impl, ref):
    """Is the output for a batch of 4 the outputs of its two halves, stacked (no mixing across the batch)?"""
    student, _ = attention_pair(impl, ref, 12, 3, seed=93)
    x = random_tensor(4, 5, 12, seed=94)
    with torch.no_grad():
        whole = student(x.clone())
        halves = torch.cat([student(x[:2].clone()), student(x[2:].clone())])
    assert_close(
        whole, halves, **tolerance(torch.float32), what="MultiHeadSelfAttention(12, 3) on x (4, 5, 12) versus on x[:2] and x[2:]",
        hint="reshape with the batch dim kept first: (B, T, C) -> (B, T, n_heads, head_dim) -> transpose(1, 2)",
    )


@pytest.mark.task3_7
def test_self_attention_gradients_match_reference(impl, ref):
    """Do the gradients with respect to x and to all four projection weights match the reference's (float64)?"""
    student, reference = attention_pair(impl, ref, 8, 2, dtype=torch.float64, seed=95)
    x = random_tensor(2, 5, 8, seed=96, dtype=torch.float64)
    upstream = random_tensor(2, 5, 8, seed=97, dtype=torch.float64)
    hint = "keep every step in the autograd graph: no detach(), .data or torch.no_grad() inside forward"
    student_x, reference_x = x.clone().requires_grad_(), x.clone().requires_grad_()
    what = "MultiHeadSelfAttention(8, 2) on x (2, 5, 8)"
    (got_x,) = gradients([student_x], student(student_x), upstream, what=what, hint=hint)
    (expected_x,) = gradients([reference_x], reference(reference_x), upstream, what="the reference", hint=hint)
    assert_matches_reference(got_x, expected_x, what=f"gradient with respect to x of {what}", dtype=torch.float64, hint=hint)
    student_parameters = dict(student.named_parameters())
    for name, parameter in reference.named_parameters():
        got = student_parameters[name].grad
        assert_true(got is not None, f"{what}: {name} received no gradient", hint=hint)
        assert_matches_reference(got, parameter.grad, what=f"gradient of {name} in {what}", dtype=torch.float64, hint=hint)


@pytest.mark.task3_7
@pytest.mark.parametrize("device", PLACEMENT_DEVICES)
def test_self_attention_stays_on_the_inputs_device(impl, ref, device):
    """Moved to a device, does the module compute there (the causal mask made on x's device)?"""
    student, _ = attention_pair(impl, ref, 8, 2, seed=98)
    x = random_tensor(2, 4, 8, seed=99).to(device)
    with torch.no_grad():
        out, weights = student.to(device)(x, return_weights=True)
    hint = "create the mask with causal_mask(T, device=x.device)"
    assert_on_device(out, device, what=f"output of MultiHeadSelfAttention(8, 2) on {device}", hint=hint)
    assert_on_device(weights, device, what=f"weights of MultiHeadSelfAttention(8, 2) on {device}", hint=hint)


@pytest.mark.task3_7
@pytest.mark.parametrize(
    "arguments, named",
    [({"n_heads": 0}, "0"), ({"n_heads": 2, "dropout": 1.0}, "1.0"), ({"n_heads": 2, "dropout": -0.1}, "-0.1")],
    ids=["zero-heads", "dropout-one", "negative-dropout"],
)
def test_self_attention_refuses_bad_arguments(impl, arguments, named):
    """Are n_heads = 0 and a dropout outside [0, 1) a ValueError naming the value?"""
    call = ", ".join(f"{key}={value}" for key, value in arguments.items())
    with assert_raises(
        ValueError, what=f"MultiHeadSelfAttention(d_model=8, {call})", mentions=[named],
        hint="check n_heads > 0 before d_model % n_heads, and 0 <= dropout < 1 (nn.Dropout accepts 1.0, which drops everything)",
    ):
        impl.a3.MultiHeadSelfAttention(d_model=8, **arguments)
