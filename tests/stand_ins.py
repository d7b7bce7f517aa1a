"""Objects the suites hand to the code under test: tiny models, a recording optimizer, their errors.

They live here, not in the test files, because grading runs the student's
code in an isolated worker (grader/grading/remote.py) that rebuilds what a
test hands over from its class, and the worker may import this module but
never a test file. Nothing here hints at an expected value: each class is a
small, fully described stand-in for the GPT or an optimizer, and each
exception is a class of its own so that only the stand-in's error matches.
"""

from __future__ import annotations

import copy
from types import SimpleNamespace

import torch
from torch import nn


class BigramLM(nn.Module):
    """A tiny language model with the GPT protocol: ``model(ids) -> (logits (B, T, V), None)``.

    Embedding -> LayerNorm -> dropout -> linear head, ``width`` features wide.
    """

    def __init__(self, vocab_size: int = 11, block_size: int = 8, *, width: int = 16, dropout: float = 0.0) -> None:
        super().__init__()
        self.config = SimpleNamespace(vocab_size=vocab_size, block_size=block_size)
        self.embedding = nn.Embedding(vocab_size, width)
        self.norm = nn.LayerNorm(width)
        self.drop = nn.Dropout(dropout)
        self.head = nn.Linear(width, vocab_size)

    def forward(self, ids, targets=None):
        return self.head(self.drop(self.norm(self.embedding(ids)))), None


class UniformLM(nn.Module):
    """Predicts every token with probability 1/V (all logits 0), and records how it was called."""

    def __init__(self, vocab_size: int) -> None:
        super().__init__()
        self.config = SimpleNamespace(vocab_size=vocab_size, block_size=64)
        self.unused = nn.Parameter(torch.zeros(1))
        self.calls: list[tuple[bool, bool]] = []  # (training, grad enabled) at each call

    def forward(self, ids, targets=None):
        self.calls.append((self.training, torch.is_grad_enabled()))
        return torch.zeros(*ids.shape, self.config.vocab_size) + 0 * self.unused, None


class FavouriteTokenLM(nn.Module):
    """Puts its largest logit on one token whatever the input; refuses contexts longer than block_size.

    It records the length of every context it sees and whether gradients were on.
    """

    def __init__(self, favourite: int, vocab_size: int = 10, block_size: int = 4) -> None:
        super().__init__()
        self.config = SimpleNamespace(vocab_size=vocab_size, block_size=block_size)
        self.favourite = favourite
        self.weight = nn.Parameter(torch.zeros(1))
        self.calls: list[tuple[int, bool, bool]] = []  # (T, training, grad enabled)

    def forward(self, ids, targets=None):
        B, T = ids.shape
        if self.config.block_size < T:
            raise ValueError(f"context of {T} tokens is longer than block_size={self.config.block_size}")
        self.calls.append((T, self.training, torch.is_grad_enabled()))
        logits = torch.zeros(B, T, self.config.vocab_size) + self.weight
        logits[:, :, self.favourite] = 5.0
        return logits, None


class CompiledLike(nn.Module):
    """Wraps a model the way ``torch.compile`` does: the real model sits in ``_orig_mod``."""

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self._orig_mod = model

    def forward(self, ids, targets=None):
        return self._orig_mod(ids, targets)


class RecordingSGD(torch.optim.SGD):
    """Plain SGD that records, at each ``step``, the gradients it is about to apply."""

    def __init__(self, params, lr: float) -> None:
        super().__init__(params, lr=lr)
        self.gradients: list[list[torch.Tensor]] = []  # per step: one copy per parameter with a gradient

    @torch.no_grad()
    def step(self, closure=None):
        self.gradients.append([p.grad.clone() for group in self.param_groups for p in group["params"] if p.grad is not None])
        return super().step(closure)


class ModelBroke(Exception):
    """The error FailsOnSecondCall raises (its own class, so a stub's NotImplementedError is not mistaken for it)."""


class FailsOnSecondCall(nn.Module):
    """Predicts uniformly, and raises on its second call, as a bug in a model would."""

    def __init__(self) -> None:
        super().__init__()
        self.config = SimpleNamespace(vocab_size=5, block_size=16)
        self.unused = nn.Parameter(torch.zeros(1))
        self.calls = 0

    def forward(self, ids, targets=None):
        self.calls += 1
        if self.calls == 2:
            raise ModelBroke("the model broke on its second batch")
        return torch.zeros(*ids.shape, 5) + 0 * self.unused, None


class RecordsDevice(nn.Module):
    """Predicts uniformly on the ids' device, and records that device."""

    def __init__(self) -> None:
        super().__init__()
        self.config = SimpleNamespace(vocab_size=5, block_size=16)
        self.devices: list[str] = []

    def forward(self, ids, targets=None):
        self.devices.append(ids.device.type)
        return torch.zeros(*ids.shape, 5, device=ids.device), None


class ContextLM(nn.Module):
    """A tiny causal LM with seeded random weights: the logits at position t depend on
    every token up to t and on their positions. It refuses contexts longer than
    block_size and records each context it sees."""

    def __init__(self, *, vocab_size: int = 11, block_size: int = 5, width: int = 8, seed: int = 0) -> None:
        super().__init__()
        source = torch.Generator().manual_seed(seed)
        self.config = SimpleNamespace(vocab_size=vocab_size, block_size=block_size)
        self.token = nn.Parameter(torch.randn(vocab_size, width, generator=source))
        self.position = nn.Parameter(torch.randn(block_size, width, generator=source))
        # Scaled so the next-token distributions are neither flat nor one-hot.
        self.head = nn.Parameter(torch.randn(width, vocab_size, generator=source) * 3 / width**0.5)
        self.contexts: list[torch.Tensor] = []

    def forward(self, ids: torch.Tensor, targets=None):
        B, T = ids.shape
        if self.config.block_size < T:
            raise ValueError(f"context of {T} tokens is longer than block_size={self.config.block_size}")
        self.contexts.append(ids.detach().cpu().clone())
        hidden = self.token[ids] + self.position[:T]  # (B, T, width)
        steps = torch.arange(1, T + 1, device=ids.device, dtype=hidden.dtype).view(1, T, 1)
        hidden = hidden.cumsum(dim=1) / steps  # (B, T, width): position t averages tokens 0..t
        return torch.tanh(hidden) @ self.head, None  # (B, T, V)


class SuccessorLM(nn.Module):
    """Puts its largest logit on ``(token + 1) % vocab_size`` at every position: greedy
    generation counts up from the last token of the prompt."""

    def __init__(self, *, vocab_size: int = 10, block_size: int = 4) -> None:
        super().__init__()
        self.config = SimpleNamespace(vocab_size=vocab_size, block_size=block_size)
        self.weight = nn.Parameter(torch.zeros(1))

    def forward(self, ids: torch.Tensor, targets=None):
        successor = (ids + 1) % self.config.vocab_size  # (B, T)
        logits = nn.functional.one_hot(successor, self.config.vocab_size).float() * 5 + self.weight  # (B, T, V)
        return logits, None


class ModelFailure(Exception):
    """The error FailingLM raises: no stub or library raises it, so only the model's own error matches."""


class FailingLM(ContextLM):
    """A ContextLM whose ``fail_on_call``-th forward call raises ``ModelFailure``."""

    def __init__(self, *, fail_on_call: int) -> None:
        super().__init__()
        self.fail_on_call = fail_on_call

    def forward(self, ids: torch.Tensor, targets=None):
        if len(self.contexts) + 1 == self.fail_on_call:
            raise ModelFailure("the model failed on purpose")
        return super().forward(ids, targets)


class StateHolder:
    """Stands in for an optimizer where code only saves or restores its state: ``state_dict()``
    returns the state it holds, ``load_state_dict(state)`` keeps a copy of the state given.

    It lets a test hand the reference optimizer's state to the student's checkpoint code
    (the reference's own objects never enter an isolated worker).
    """

    def __init__(self, state: dict | None = None) -> None:
        self.state = copy.deepcopy(state)

    def state_dict(self) -> dict:
        return copy.deepcopy(self.state)

    def load_state_dict(self, state: dict) -> None:
        self.state = copy.deepcopy(state)


class AttentionWeightsRecorder:
    """A forward hook for an attention module: records the weights the module returns,
    with ``return_weights=True``, for the input it was just called with."""

    def __init__(self) -> None:
        self.weights: list[torch.Tensor] = []

    def __call__(self, module: nn.Module, inputs: tuple, output) -> None:
        _, weights = module.forward(inputs[0], return_weights=True)  # .forward: not through this hook again
        self.weights.append(weights)
