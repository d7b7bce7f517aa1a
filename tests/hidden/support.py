"""Shared pieces of the hidden suites: seeded inputs, tolerances, comparisons with the reference.

Every comparison with the reference goes through ``assert_matches_reference``
or ``assert_same_as_reference``: they fail with the layout of
grader/testing.py (what, where, by how much, the student's value, a hint) but
never print the expected value, which a student could not compute without the
hidden input.

Tolerances (``atol``, ``rtol``: an entry passes when
``|got - expected| <= atol + rtol * |expected|``), by the dtype computed in:

=========  ======  ======  ====================================================
dtype      atol    rtol    why
=========  ======  ======  ====================================================
float64    1e-10   1e-8    the same maths in another order: rounding only
float32    1e-5    1e-4    sums over a few hundred terms, exp and erf
bfloat16   3e-2    3e-2    8 bits of mantissa: one rounding step is 0.4 %
=========  ======  ======  ====================================================

A test that needs another tolerance passes ``atol``/``rtol`` itself and says
why beside the call.
"""

from __future__ import annotations

import math
from typing import Any

import pytest
import torch
from torch import nn

from grader.testing import assert_close, assert_equal, assert_true, fail

TOLERANCES: dict[torch.dtype, tuple[float, float]] = {
    torch.float64: (1e-10, 1e-8),
    torch.float32: (1e-5, 1e-4),
    torch.bfloat16: (3e-2, 3e-2),
}

# Devices to run device tests on: the CPU always, CUDA where there is one.
DEVICES = ["cpu", *(["cuda"] if torch.cuda.is_available() else [])]

requires_cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")


def tolerance(dtype: torch.dtype) -> dict[str, float]:
    """``{"atol": ..., "rtol": ...}`` for results computed in ``dtype`` (see the table above)."""
    if dtype not in TOLERANCES:
        raise KeyError(f"no tolerance stated for {dtype}; known: {sorted(map(str, TOLERANCES))}")
    atol, rtol = TOLERANCES[dtype]
    return {"atol": atol, "rtol": rtol}


def generator(seed: int) -> torch.Generator:
    """A CPU generator seeded with ``seed``: each test draws its inputs from its own."""
    return torch.Generator().manual_seed(seed)


def random_tensor(*shape: int, seed: int, dtype: torch.dtype = torch.float32, scale: float = 1.0) -> torch.Tensor:
    """Standard normal entries times ``scale``, drawn in float64 from ``seed`` and then cast, so
    the same seed gives the same values (up to rounding) in every dtype."""
    return (torch.randn(shape, generator=generator(seed), dtype=torch.float64) * scale).to(dtype)


def random_ids(*shape: int, vocab_size: int, seed: int) -> torch.Tensor:
    """Token ids in ``[0, vocab_size)``, int64."""
    return torch.randint(vocab_size, shape, generator=generator(seed))


def assert_matches_reference(
    actual: Any,
    expected: Any,
    *,
    what: str,
    dtype: torch.dtype = torch.float32,
    hint: str | None = None,
    atol: float | None = None,
    rtol: float | None = None,
) -> None:
    """Check ``actual`` against the reference's ``expected`` within ``dtype``'s tolerance
    (or the ``atol``/``rtol`` given), without showing ``expected`` in the message."""
    __tracebackhide__ = True
    stated = tolerance(dtype)
    assert_close(
        actual,
        expected,
        atol=stated["atol"] if atol is None else atol,
        rtol=stated["rtol"] if rtol is None else rtol,
        what=what,
        hint=hint,
        show_expected=False,
    )


def assert_same_as_reference(actual: Any, expected: Any, *, what: str, hint: str | None = None) -> None:
    """Check ``actual == expected`` exactly (ids, merges, bools), without showing ``expected``."""
    __tracebackhide__ = True
    assert_equal(actual, expected, what=what, hint=hint, show_expected=False)


def assert_not_modified(tensor: torch.Tensor, original: torch.Tensor, *, what: str) -> None:
    """Check that ``tensor`` still equals ``original`` (a ``clone()`` taken before the call)."""
    __tracebackhide__ = True
    if tensor.shape != original.shape or not torch.equal(tensor, original):
        fail(
            f"{what} changed its input in place",
            hint="work on new tensors (x = x - m, not x -= m or x.sub_(m)): the caller still needs its input",
        )


def copy_weights(source: nn.Module, target: nn.Module, *, what: str) -> None:
    """Load ``source``'s parameters and buffers into ``target`` by name (the reference's weights
    into the student's module), failing with the names that are missing, extra or of another shape."""
    __tracebackhide__ = True
    wanted = source.state_dict()
    have = target.state_dict()
    missing = sorted(set(wanted) - set(have))
    extra = sorted(set(have) - set(wanted))
    if missing or extra:
        fail(
            f"{what}: parameter names differ from the ones the assignment names",
            *([f"missing: {', '.join(missing)}"] if missing else []),
            *([f"unexpected: {', '.join(extra)}"] if extra else []),
            hint="parameter names are part of the contract (see the docstring): keep the attribute names it gives",
        )
    for name, value in wanted.items():
        if have[name].shape != value.shape:
            fail(
                f"{what}: parameter {name} has shape {tuple(have[name].shape)}, expected {tuple(value.shape)}",
                hint="check the order of in and out features",
            )
    with torch.no_grad():
        for name, value in wanted.items():
            have[name].copy_(value)


def assert_on_device(tensor: Any, device: str | torch.device, *, what: str, hint: str | None = None) -> None:
    """Check that ``tensor`` is a tensor on ``device``'s type (``cuda:0`` counts as ``cuda``)."""
    __tracebackhide__ = True
    wanted = torch.device(device).type
    assert_true(
        isinstance(tensor, torch.Tensor) and tensor.device.type == wanted,
        f"{what}: expected a tensor on {wanted}, got {getattr(tensor, 'device', type(tensor).__name__)}",
        hint=hint or "create new tensors on the input's device (device=x.device, zeros_like, full_like)",
    )


def randomise_parameters(module: nn.Module, *, seed: int) -> None:
    """Overwrite every parameter of ``module`` with seeded values of a realistic size.

    Matrices get entries of about ``1 / sqrt(columns)`` (activations stay near 1),
    biases about 0.3, other vectors (LayerNorm scales) about ``1 +- 0.3``: a
    LayerNorm left at its initial ones and zeros is the identity, and would hide
    a scale or shift used wrongly, or a map taken before the norm.
    """
    with torch.no_grad():
        for index, (name, parameter) in enumerate(module.named_parameters()):
            noise = random_tensor(*parameter.shape, seed=seed * 1000 + index, dtype=parameter.dtype)
            if parameter.dim() >= 2:
                parameter.copy_(noise / math.sqrt(parameter.shape[-1]))
            elif name.endswith("bias"):
                parameter.copy_(0.3 * noise)
            else:
                parameter.copy_(1.0 + 0.3 * noise)
