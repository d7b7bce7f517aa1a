"""Training a language model: batches, the loss, the schedule, AdamW and checkpoints.

A GPT learns by being shown a window of ``T`` tokens and asked, at every
position, for the token that comes next. One training step is

    x, y   = get_batch(train_data, B, T)         y is x shifted left by one
    logits = model(x)                            (B, T, V)
    loss   = cross_entropy(logits, y)            mean of -log p(correct token)
    loss.backward()                              gradients
    clip_grad_norm(params, 1.0)                  tame rare huge gradients
    optimizer.step()                             AdamW, learning rate from lr_schedule

and ``train`` repeats it, evaluating now and then on held-out data and
saving checkpoints from which a run can resume exactly where it stopped.

The model is anything with ``model(ids, targets=None) -> (logits, loss | None)``
and ``model.config.block_size``; the GPT of assignment 4 is one.
"""

from __future__ import annotations

import contextlib
import math
import os
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping, Union

import numpy as np
import torch
from torch import nn

# A token stream: a 1-D torch integer tensor, or a numpy integer array such as
# the uint16 memmap of a prepared corpus on disk.
TokenData = Union[torch.Tensor, np.ndarray]

CHECKPOINT_FORMAT = "minigpt-checkpoint"
CHECKPOINT_VERSION = 1
CHECKPOINT_KEYS = (
    "format", "version", "model", "optimizer", "step", "train_config", "history", "rng", "extra",
)


def _token_window(data: TokenData, start: int, length: int) -> torch.Tensor:
    """``data[start : start + length]`` as a fresh int64 torch tensor of shape ``(length,)``.

    Works for torch tensors and numpy arrays alike; a numpy slice is copied
    out (a memmap slice would otherwise keep reading the file, and torch has
    no uint16 tensors to share its memory with).
    """
    window = data[start : start + length]
    if isinstance(window, torch.Tensor):
        return window.to(torch.int64)
    return torch.from_numpy(np.array(window, dtype=np.int64))


def _to_device(
    x: torch.Tensor, y: torch.Tensor, device: torch.device | str | None
) -> tuple[torch.Tensor, torch.Tensor]:
    """Move a batch to ``device``; on CUDA via pinned memory so the copy overlaps compute (as nanoGPT)."""
    if device is None:
        return x, y
    device = torch.device(device)
    if device.type == "cuda":
        return x.pin_memory().to(device, non_blocking=True), y.pin_memory().to(device, non_blocking=True)
    return x.to(device), y.to(device)


# ## Task 5.1: get_batch
def get_batch(
    data: TokenData,
    batch_size: int,
    block_size: int,
    generator: torch.Generator | None = None,
    device: torch.device | str | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """A random batch of ``batch_size`` windows of ``block_size`` tokens, and their targets.

    The start of every window is drawn with exactly one call

        starts = torch.randint(len(data) - block_size, (batch_size,), generator=generator)

    (so a seeded ``generator`` gives the same batches as the reference), and

        x[b] = data[starts[b]     : starts[b] + T]
        y[b] = data[starts[b] + 1 : starts[b] + T + 1]     the next token at every position

    ``len(data) - block_size`` is the number of valid starts: the last window
    must still have a target for its last position.

    Args:
        data: 1-D token stream, a torch integer tensor or a numpy integer
            array/memmap (e.g. uint16), length ``N``.
        batch_size: ``B``, windows per batch.
        block_size: ``T``, tokens per window.
        generator: the random stream for the starts (``None``: torch's global one).
        device: where the batch should live (``None``: the CPU). On CUDA the
            copy goes through pinned memory, non-blocking; ``_to_device`` does it.

    Returns:
        ``(x, y)``, both int64 of shape ``(B, T)``.

    Example:
        data = [10, 11, 12, 13, 14], T = 3: the valid starts are 0 and 1.
        Start 1 gives x = [11, 12, 13] and y = [12, 13, 14].

    Raises:
        ValueError: if ``data`` is not 1-D, ``batch_size`` or ``block_size`` is
            below 1, or ``len(data) <= block_size`` (no window has a full target).
    """
    ### BEGIN SOLUTION
    if data.ndim != 1:
        raise ValueError(f"data must be 1-D, got shape {tuple(data.shape)}")
    if batch_size < 1 or block_size < 1:
        raise ValueError(f"batch_size={batch_size} and block_size={block_size} must both be >= 1")
    if len(data) <= block_size:
        raise ValueError(
            f"len(data)={len(data)} must exceed block_size={block_size}: "
            "a window needs one more token as the target of its last position"
        )
    starts = torch.randint(len(data) - block_size, (batch_size,), generator=generator).tolist()
    x = torch.stack([_token_window(data, start, block_size) for start in starts])  # (B, T)
    y = torch.stack([_token_window(data, start + 1, block_size) for start in starts])  # (B, T)
    return _to_device(x, y, device)
    ### END SOLUTION


# ## Task 5.2: SlidingWindowDataset
class SlidingWindowDataset(torch.utils.data.Dataset):
    """Every window of a token stream, in order, for a ``torch.utils.data.DataLoader``.

    Window ``i`` starts at ``i * stride``; it holds ``x = data[s : s+T]`` and
    ``y = data[s+1 : s+T+1]``. Windows are taken while the target still fits,
    so there are

        len = (N - T - 1) // stride + 1        windows, N = len(data)

    With ``stride = T`` (the default) the windows tile the stream without
    overlap; a smaller stride gives overlapping windows (more context per
    scored token when evaluating).

    Args:
        data: 1-D token stream (torch integer tensor or numpy integer array).
        block_size: ``T``, tokens per window.
        stride: tokens between the starts of consecutive windows (default ``T``).

    Example:
        data = [0, 1, 2, 3, 4, 5, 6], T = 3, stride 3: N = 7, (7-3-1)//3 + 1 = 2
        windows: index 0 -> x=[0, 1, 2], y=[1, 2, 3]; index 1 -> x=[3, 4, 5], y=[4, 5, 6].

    Raises:
        ValueError: (constructor) if ``data`` is not 1-D, ``block_size`` or
            ``stride`` is below 1, or ``len(data) <= block_size``.
        IndexError: (indexing) for an index outside ``[-len, len)``, which is
            also how Python's ``for`` loop knows to stop.
    """

    def __init__(self, data: TokenData, block_size: int, stride: int | None = None) -> None:
        stride = block_size if stride is None else stride
        if data.ndim != 1:
            raise ValueError(f"data must be 1-D, got shape {tuple(data.shape)}")
        if block_size < 1:
            raise ValueError(f"block_size={block_size} must be >= 1")
        if stride < 1:
            raise ValueError(f"stride={stride} must be >= 1")
        if len(data) <= block_size:
            raise ValueError(f"len(data)={len(data)} must exceed block_size={block_size}")
        self.data = data
        self.block_size = block_size
        self.stride = stride

    def __len__(self) -> int:
        """Number of windows, ``(N - T - 1) // stride + 1``."""
        ### BEGIN SOLUTION
        return (len(self.data) - self.block_size - 1) // self.stride + 1
        ### END SOLUTION

    def __getitem__(self, index: int) -> tuple[torch.Tensor, torch.Tensor]:
        """Window ``index`` as ``(x, y)``, both int64 of shape ``(T,)``; negative indices count from the end."""
        ### BEGIN SOLUTION
        count = len(self)
        if not -count <= index < count:
            raise IndexError(f"index={index} is out of range for {count} windows")
        start = (index % count) * self.stride
        x = _token_window(self.data, start, self.block_size)  # (T,)
        y = _token_window(self.data, start + 1, self.block_size)  # (T,)
        return x, y
        ### END SOLUTION


# ## Task 5.3: cross_entropy
def cross_entropy(
    logits: torch.Tensor, targets: torch.Tensor, ignore_index: int = -100
) -> torch.Tensor:
    """Mean negative log-likelihood of the targets, computed stably without ``F.cross_entropy``.

    For one position with logits ``z`` (length V) and target class ``c``:

        loss = -log softmax(z)_c = logsumexp(z) - z_c
        logsumexp(z) = m + log sum_j exp(z_j - m),   m = max_j z_j

    Subtracting the maximum ``m`` keeps every exponent <= 0, so logits of
    1e4 do not overflow to ``inf``. The result is the mean over all positions
    whose target is not ``ignore_index`` (those are skipped, e.g. padding).
    If every position is ignored the mean is 0/0 = NaN, as in torch.

    Args:
        logits: unnormalised scores, shape ``(..., V)``, floating point.
        targets: class indices in ``[0, V)`` or ``ignore_index``, shape ``(...)``
            (the leading dims of ``logits``), integer.
        ignore_index: target value whose positions do not count.

    Returns:
        0-dim tensor with ``logits``' dtype (float32 for float16/bfloat16
        logits, which are upcast first), differentiable with respect to ``logits``.

    Example:
        logits = [[0., 0.]], targets = [0]: both classes have probability 1/2,
        so the loss is -log(1/2) = log 2 = 0.6931.

    Raises:
        ValueError: if ``targets.shape`` is not ``logits.shape[:-1]``, or
            ``targets`` is not an integer tensor.
    """
    ### BEGIN SOLUTION
    if targets.shape != logits.shape[:-1]:
        raise ValueError(
            f"targets shape {tuple(targets.shape)} must equal the logits shape without its "
            f"last dimension, {tuple(logits.shape[:-1])}"
        )
    if targets.dtype.is_floating_point or targets.dtype.is_complex or targets.dtype == torch.bool:
        raise ValueError(f"targets must hold integer class indices, got dtype {targets.dtype}")
    if logits.dtype in (torch.float16, torch.bfloat16):
        # exp and sum over V entries lose too much in 16 bits (as F.cross_entropy under autocast).
        logits = logits.float()
    vocab_size = logits.shape[-1]
    flat_logits = logits.reshape(-1, vocab_size)  # (N, V)
    flat_targets = targets.reshape(-1)  # (N,)
    keep = flat_targets != ignore_index  # (N,)
    # Ignored positions still need a valid index for gather; their loss is dropped below.
    safe_targets = torch.where(keep, flat_targets, torch.zeros_like(flat_targets))  # (N,)
    # The shift cancels between the two terms, so no gradient needs to flow through it.
    shift = flat_logits.amax(dim=-1, keepdim=True).detach()  # (N, 1)
    shifted = flat_logits - shift  # (N, V)
    log_sum_exp = shifted.exp().sum(dim=-1).log()  # (N,)
    target_logit = shifted.gather(1, safe_targets.unsqueeze(1)).squeeze(1)  # (N,)
    losses = (log_sum_exp - target_logit)[keep]  # (kept,)
    return losses.sum() / keep.sum()
    ### END SOLUTION


# ## Task 5.4: lr_schedule
def lr_schedule(
    step: int, *, max_lr: float, min_lr: float, warmup_steps: int, total_steps: int
) -> float:
    """nanoGPT's learning rate at ``step``: linear warmup, then cosine decay to ``min_lr``.

        step < warmup_steps:   max_lr * (step + 1) / (warmup_steps + 1)
        step >= total_steps:   min_lr
        otherwise:             ratio = (step - warmup_steps) / (total_steps - warmup_steps)
                               coeff = 0.5 * (1 + cos(pi * ratio))        1 -> 0
                               min_lr + coeff * (max_lr - min_lr)

    Warmup keeps the first updates small while AdamW's moment estimates are
    still noisy; the cosine then lowers the rate smoothly so the model settles.
    (nanoGPT writes ``step > total_steps``; at ``step == total_steps`` the
    cosine already gives exactly ``min_lr``, and ``>=`` avoids 0/0 when
    ``total_steps == warmup_steps``.)

    Args:
        step: the optimisation step, counted from 0.
        max_lr: the peak rate, reached right after warmup.
        min_lr: the floor, from ``total_steps`` on.
        warmup_steps: length of the linear warmup (0: none).
        total_steps: where the decay ends.

    Returns:
        The learning rate, a Python float.

    Example:
        max_lr=1, min_lr=0, warmup_steps=1, total_steps=3:
        step 0 -> 1 * 1/2 = 0.5; step 1 -> ratio 0, 1.0; step 2 -> ratio 1/2,
        0.5 * (1 + cos(pi/2)) = 0.5; step 3 -> 0.0; step 4 -> 0.0.

    Raises:
        ValueError: if ``step`` or ``warmup_steps`` is negative, a rate is
            negative, ``min_lr > max_lr``, or ``total_steps < warmup_steps``.
    """
    ### BEGIN SOLUTION
    if step < 0:
        raise ValueError(f"step={step} must not be negative")
    if min_lr < 0 or max_lr < min_lr:
        raise ValueError(f"need 0 <= min_lr <= max_lr, got min_lr={min_lr}, max_lr={max_lr}")
    if warmup_steps < 0:
        raise ValueError(f"warmup_steps={warmup_steps} must not be negative")
    if total_steps < warmup_steps:
        raise ValueError(f"total_steps={total_steps} must be >= warmup_steps={warmup_steps}")
    if step < warmup_steps:
        return max_lr * (step + 1) / (warmup_steps + 1)
    if step >= total_steps:
        return min_lr
    ratio = (step - warmup_steps) / (total_steps - warmup_steps)
    coeff = 0.5 * (1.0 + math.cos(math.pi * ratio))
    return min_lr + coeff * (max_lr - min_lr)
    ### END SOLUTION


# ## Task 5.5: clip_grad_norm
@torch.no_grad()
def clip_grad_norm(params: Iterable[torch.Tensor], max_norm: float) -> torch.Tensor:
    """Scale all gradients down together so their global L2 norm is at most ``max_norm``.

    The global norm treats every gradient as one long vector:

        norm = sqrt( sum over params p, entries i of p.grad_i ** 2 )

    If ``norm > max_norm`` every gradient is multiplied in place by
    ``max_norm / (norm + 1e-6)`` (the 1e-6 guards against dividing by zero),
    so the direction of the update is kept and only its length is capped.
    Otherwise nothing changes. This matches ``torch.nn.utils.clip_grad_norm_``.
    Parameters whose ``.grad`` is ``None`` are skipped.

    Args:
        params: the parameters (an iterable, e.g. ``model.parameters()``).
        max_norm: the largest allowed global norm, > 0.

    Returns:
        The global norm *before* clipping, a 0-dim tensor (0 when no
        parameter has a gradient). Logging it shows how often clipping bites.

    Example:
        One parameter with grad [3., 4.], max_norm=1: the norm is 5, the grad
        becomes [3., 4.] * 1/(5 + 1e-6) = [0.6, 0.8], and tensor(5.) is returned.

    Raises:
        ValueError: if ``max_norm`` is not > 0.
    """
    ### BEGIN SOLUTION
    if not max_norm > 0:
        raise ValueError(f"max_norm={max_norm} must be > 0")
    grads = [p.grad for p in params if p.grad is not None]
    if not grads:
        return torch.tensor(0.0)
    norm = torch.stack([grad.pow(2).sum() for grad in grads]).sum().sqrt()
    # A factor of at most 1, applied unconditionally, avoids a host sync on "if norm > max_norm".
    scale = (max_norm / (norm + 1e-6)).clamp(max=1.0)
    for grad in grads:
        grad.mul_(scale.to(grad.dtype))
    return norm
    ### END SOLUTION


# ## Task 5.6: AdamW
class AdamW(torch.optim.Optimizer):
    """Adam with decoupled weight decay (Loshchilov & Hutter), written from scratch.

    For each parameter ``p`` with gradient ``g`` at step ``t = 1, 2, ...``:

        p   = p - lr * weight_decay * p              decay, independent of the gradient
        m   = beta1 * m + (1 - beta1) * g            running mean of gradients
        v   = beta2 * v + (1 - beta2) * g * g        running mean of squared gradients
        m^  = m / (1 - beta1 ** t)                   bias correction: m, v start at 0
        v^  = v / (1 - beta2 ** t)
        p   = p - lr * m^ / (sqrt(v^) + eps)

    "Decoupled" means the decay shrinks the weights directly instead of being
    added to ``g``, where Adam's per-coordinate scaling would weaken it for
    coordinates with large gradients. Being a ``torch.optim.Optimizer``,
    it has ``param_groups`` (each with its own ``lr``, ``betas``, ``eps``,
    ``weight_decay``), ``zero_grad``, and ``state_dict``/``load_state_dict``.
    Its per-parameter state is ``{"step": int, "exp_avg": m, "exp_avg_sq": v}``.

    Args:
        params: parameters, or a list of param-group dicts (see ``optimizer_param_groups``).
        lr: learning rate.
        betas: ``(beta1, beta2)``, the decay rates of ``m`` and ``v``.
        eps: added to the denominator for numerical safety.
        weight_decay: the decoupled decay coefficient.

    Example:
        One step on p = 1.0 with g = 0.5, lr = 0.1, weight_decay = 0: m^ = g
        and sqrt(v^) = |g|, so p moves by lr * sign(g): p = 0.9 (up to eps).
        With weight_decay = 0.1, p first becomes 1.0 * (1 - 0.01) = 0.99, then 0.89.

    Raises:
        ValueError: if ``lr``, ``eps`` or ``weight_decay`` is negative, or a
            beta is outside ``[0, 1)``.
    """

    def __init__(
        self,
        params: Iterable[torch.Tensor] | Iterable[dict[str, Any]],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
    ) -> None:
        if not lr >= 0.0:
            raise ValueError(f"lr={lr} must be >= 0")
        if not (0.0 <= betas[0] < 1.0 and 0.0 <= betas[1] < 1.0):
            raise ValueError(f"betas={betas} must both lie in [0, 1)")
        if not eps >= 0.0:
            raise ValueError(f"eps={eps} must be >= 0")
        if not weight_decay >= 0.0:
            raise ValueError(f"weight_decay={weight_decay} must be >= 0")
        defaults = {"lr": lr, "betas": tuple(betas), "eps": eps, "weight_decay": weight_decay}
        super().__init__(params, defaults)

    @torch.no_grad()
    def step(self, closure: Callable[[], torch.Tensor] | None = None) -> torch.Tensor | None:
        """Apply one AdamW update to every parameter that has a gradient.

        Args:
            closure: optional function that recomputes and returns the loss
                (needed by some optimizers, accepted here for compatibility).

        Returns:
            The closure's loss, or ``None``.
        """
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        ### BEGIN SOLUTION
        for group in self.param_groups:
            lr = group["lr"]
            beta1, beta2 = group["betas"]
            eps = group["eps"]
            weight_decay = group["weight_decay"]
            for param in group["params"]:
                if param.grad is None:
                    continue
                grad = param.grad
                state = self.state[param]
                if not state:
                    state["step"] = 0
                    state["exp_avg"] = torch.zeros_like(param)
                    state["exp_avg_sq"] = torch.zeros_like(param)
                state["step"] += 1
                step = state["step"]
                exp_avg, exp_avg_sq = state["exp_avg"], state["exp_avg_sq"]

                param.mul_(1.0 - lr * weight_decay)
                exp_avg.mul_(beta1).add_(grad, alpha=1.0 - beta1)
                exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1.0 - beta2)
                bias_correction1 = 1.0 - beta1**step
                bias_correction2 = 1.0 - beta2**step
                # sqrt(v^) = sqrt(v) / sqrt(1 - beta2^t): dividing v first would change eps' role.
                denominator = (exp_avg_sq.sqrt() / math.sqrt(bias_correction2)).add_(eps)
                param.addcdiv_(exp_avg, denominator, value=-lr / bias_correction1)
        ### END SOLUTION
        return loss


def _unwrap(model: nn.Module) -> nn.Module:
    """The model inside ``torch.compile`` (``_orig_mod``) and DDP (``.module``) wrappers."""
    while True:
        if isinstance(model, nn.parallel.DistributedDataParallel):
            model = model.module
        elif hasattr(model, "_orig_mod"):
            model = model._orig_mod
        else:
            return model


def optimizer_param_groups(model: nn.Module, weight_decay: float) -> list[dict[str, Any]]:
    """Split the trainable parameters into a weight-decayed group and an undecayed one (as nanoGPT).

    Matrices (``dim >= 2``: linear and embedding weights) are decayed; vectors
    (biases, LayerNorm gains and shifts) are not, since shrinking them
    towards 0 does not regularise anything useful. A weight shared between
    modules (the tied embedding / output matrix) appears once:
    ``named_parameters`` lists each parameter object only once.

    Returns:
        ``[{"params": [...], "weight_decay": weight_decay}, {"params": [...], "weight_decay": 0.0}]``,
        leaving out a group that would be empty.
    """
    trainable = [param for _, param in _unwrap(model).named_parameters() if param.requires_grad]
    decay = [param for param in trainable if param.dim() >= 2]
    no_decay = [param for param in trainable if param.dim() < 2]
    groups = [{"params": decay, "weight_decay": weight_decay}, {"params": no_decay, "weight_decay": 0.0}]
    return [group for group in groups if group["params"]]


@dataclass
class TrainConfig:
    """Everything a training run needs besides the model and the data; checked on creation.

    Raises:
        ValueError: naming the field and its value, for any out-of-range setting.
    """

    max_iters: int = 2000  # optimisation steps in the whole run
    batch_size: int = 12  # windows per micro-batch; small enough for a laptop CPU
    block_size: int = 64  # tokens per window; at most the model's block_size
    grad_accum_steps: int = 1  # micro-batches per step: effective batch = batch_size * this
    max_lr: float = 1e-3  # peak rate; small models tolerate a high one
    min_lr: float = 1e-4  # floor of the cosine, max_lr / 10 as in Chinchilla
    warmup_steps: int = 100  # linear warmup while AdamW's moment estimates settle
    lr_decay_steps: int | None = None  # where the cosine ends; None means max_iters
    weight_decay: float = 0.1  # decoupled decay on matrices only (optimizer_param_groups)
    beta1: float = 0.9  # AdamW's gradient momentum
    beta2: float = 0.99  # a bit below 0.999 because the batches are tiny and noisy
    grad_clip: float = 1.0  # cap on the global gradient norm; 0 disables clipping
    eval_interval: int = 250  # steps between evaluations (the last step always evaluates)
    eval_iters: int = 200  # batches per split in one evaluation; more means less noise
    checkpoint_path: str | None = None  # where to save after each evaluation; None: never
    seed: int = 1337  # seeds the batch order and torch's global RNG (dropout)
    device: str = "cpu"  # "cpu", "cuda", "cuda:1", "mps"; the model must live there
    autocast_dtype: str | None = None  # "bfloat16" or "float16": mixed precision forward; None: off

    def __post_init__(self) -> None:
        at_least_one = ("max_iters", "batch_size", "block_size", "grad_accum_steps", "eval_interval", "eval_iters")
        for name in at_least_one:
            if getattr(self, name) < 1:
                raise ValueError(f"TrainConfig.{name}={getattr(self, name)} must be >= 1")
        for name in ("max_lr", "min_lr", "weight_decay", "grad_clip", "warmup_steps"):
            if not getattr(self, name) >= 0:
                raise ValueError(f"TrainConfig.{name}={getattr(self, name)} must be >= 0")
        if self.min_lr > self.max_lr:
            raise ValueError(f"TrainConfig.min_lr={self.min_lr} must not exceed max_lr={self.max_lr}")
        for name in ("beta1", "beta2"):
            if not 0.0 <= getattr(self, name) < 1.0:
                raise ValueError(f"TrainConfig.{name}={getattr(self, name)} must lie in [0, 1)")
        if self.lr_decay_steps is not None and self.lr_decay_steps < 1:
            raise ValueError(f"TrainConfig.lr_decay_steps={self.lr_decay_steps} must be >= 1 or None")
        if self.decay_steps < self.warmup_steps:
            raise ValueError(
                f"TrainConfig.warmup_steps={self.warmup_steps} exceeds the decay horizon "
                f"lr_decay_steps={self.lr_decay_steps} (None means max_iters={self.max_iters}); "
                "lower warmup_steps"
            )
        if self.autocast_dtype not in (None, "bfloat16", "float16"):
            raise ValueError(
                f"TrainConfig.autocast_dtype={self.autocast_dtype!r} must be None, 'bfloat16' or 'float16'"
            )
        try:
            torch.device(self.device)
        except (RuntimeError, TypeError) as error:
            raise ValueError(f"TrainConfig.device={self.device!r} is not a torch device: {error}") from error

    @property
    def decay_steps(self) -> int:
        """The step where the cosine reaches ``min_lr``: ``lr_decay_steps``, or ``max_iters`` when unset."""
        return self.max_iters if self.lr_decay_steps is None else self.lr_decay_steps

    def lr_at(self, step: int) -> float:
        """The learning rate this run uses at ``step`` (``lr_schedule`` with these settings)."""
        return lr_schedule(
            step,
            max_lr=self.max_lr,
            min_lr=self.min_lr,
            warmup_steps=self.warmup_steps,
            total_steps=self.decay_steps,
        )


def autocast_context(config: TrainConfig) -> contextlib.AbstractContextManager:
    """``torch.autocast`` for ``config.autocast_dtype`` on ``config.device``, or a no-op when it is None."""
    if config.autocast_dtype is None:
        return contextlib.nullcontext()
    dtype = {"bfloat16": torch.bfloat16, "float16": torch.float16}[config.autocast_dtype]
    return torch.autocast(device_type=torch.device(config.device).type, dtype=dtype)


@dataclass
class TrainHistory:
    """What a run measured; stored in every checkpoint so a resumed run keeps its curve."""

    step: list[int] = field(default_factory=list)
    """The step index of each optimisation step, 0, 1, 2, ..."""
    loss: list[float] = field(default_factory=list)
    """Training loss of each step (the mean over its micro-batches)."""
    lr: list[float] = field(default_factory=list)
    """Learning rate used at each step."""
    eval_step: list[int] = field(default_factory=list)
    """The step after which each evaluation ran."""
    train_loss: list[float] = field(default_factory=list)
    """Mean loss on random training batches at each evaluation."""
    val_loss: list[float] = field(default_factory=list)
    """Mean loss on random validation batches at each evaluation."""

    def to_dict(self) -> dict[str, list]:
        """Plain lists keyed by field name (safe for ``torch.load(weights_only=True)`` and JSON)."""
        return {item.name: list(getattr(self, item.name)) for item in fields(self)}

    @classmethod
    def from_dict(cls, data: Mapping[str, list]) -> TrainHistory:
        """The inverse of ``to_dict``; ``ValueError`` naming any missing or unknown key."""
        names = {item.name for item in fields(cls)}
        if set(data) != names:
            raise ValueError(
                f"history keys {sorted(data)} do not match the expected {sorted(names)}"
            )
        return cls(**{name: list(data[name]) for name in names})


# ## Task 5.7: save_checkpoint
def save_checkpoint(
    path: str | os.PathLike,
    *,
    model: nn.Module,
    optimizer: torch.optim.Optimizer | None,
    step: int,
    config: TrainConfig,
    history: TrainHistory,
    generator: torch.Generator | None = None,
    extra: dict[str, Any] | None = None,
) -> None:
    """Write everything needed to resume a run to ``path``, atomically.

    The file holds one plain dict (only tensors, numbers, strings, lists and
    dicts, so ``torch.load(weights_only=True)`` can read it back safely):

        {"format": CHECKPOINT_FORMAT, "version": CHECKPOINT_VERSION,
         "model": state dict of the unwrapped model,
         "optimizer": optimizer.state_dict() (or None),
         "step": last completed step, "train_config": asdict(config),
         "history": history.to_dict(),
         "rng": {"torch": torch.get_rng_state(),
                 "cuda": torch.cuda.get_rng_state_all()   (only when CUDA is available),
                 "generator": generator.get_state()        (or None)},
         "extra": extra (e.g. the model config and tokenizer), or {}}

    Atomic: the dict is written to a temporary file in the same directory,
    flushed and ``os.fsync``-ed to disk, and only then renamed over ``path``
    with ``os.replace`` (a single step on every OS). A crash at any moment
    leaves either the previous checkpoint or the new one, never half a file;
    the temporary file is removed if writing fails.

    Args:
        path: destination file; missing parent directories are created.
        model: the model (a ``torch.compile`` or DDP wrapper is unwrapped first,
            so the keys have no ``_orig_mod.``/``module.`` prefix).
        optimizer: its optimizer, or None.
        step: the last completed step.
        config: the run's TrainConfig.
        history: the run's TrainHistory so far.
        generator: the batch generator, whose state a resumed run continues from.
        extra: plain data to keep beside the weights.

    Example:
        save_checkpoint("out/ckpt.pt", model=model, optimizer=optimizer, step=99,
                        config=config, history=history) leaves out/ckpt.pt and
        no temporary file behind.
    """
    ### BEGIN SOLUTION
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    rng: dict[str, Any] = {
        "torch": torch.get_rng_state(),
        "generator": None if generator is None else generator.get_state(),
    }
    if torch.cuda.is_available():
        rng["cuda"] = torch.cuda.get_rng_state_all()
    checkpoint = {
        "format": CHECKPOINT_FORMAT,
        "version": CHECKPOINT_VERSION,
        "model": _unwrap(model).state_dict(),
        "optimizer": None if optimizer is None else optimizer.state_dict(),
        "step": step,
        "train_config": asdict(config),
        "history": history.to_dict(),
        "rng": rng,
        "extra": {} if extra is None else extra,
    }
    temporary = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        with open(temporary, "wb") as file:
            torch.save(checkpoint, file)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    if os.name == "posix":
        # Make the rename itself durable: it lives in the directory's entry list.
        directory = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)
    ### END SOLUTION


# ## Task 5.8: load_checkpoint
def load_checkpoint(
    path: str | os.PathLike,
    model: nn.Module | None = None,
    optimizer: torch.optim.Optimizer | None = None,
    map_location: str | torch.device = "cpu",
) -> dict[str, Any]:
    """Read a checkpoint written by ``save_checkpoint``, safely, and optionally restore it.

    The file is read with ``torch.load(path, map_location=..., weights_only=True)``:
    a checkpoint is data, and ``weights_only`` refuses to run the arbitrary
    code a pickled file can carry. It is then checked: a dict, with every
    key of ``CHECKPOINT_KEYS``, the ``"format"`` tag ``CHECKPOINT_FORMAT`` and a
    ``"version"`` this code knows.

    Args:
        path: the checkpoint file.
        model: when given, ``load_state_dict`` of the checkpoint's weights
            into it (into the unwrapped model, see ``save_checkpoint``).
        optimizer: when given, ``load_state_dict`` of the optimizer state.
        map_location: where tensors are loaded (default the CPU).

    Returns:
        The checkpoint dict (see ``save_checkpoint`` for its keys).

    Example:
        load_checkpoint("out/ckpt.pt", model)["step"]  ->  99, with the
        weights of step 99 now in ``model``.

    Raises:
        FileNotFoundError: naming ``path`` when it does not exist.
        ValueError: ``"<path> is not a valid checkpoint: <reason>"`` for a
            truncated or corrupt file, something else saved with torch, or a
            wrong format tag or version; also when ``optimizer`` is given but
            the checkpoint holds no optimizer state.
    """
    ### BEGIN SOLUTION
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no checkpoint file at {path}")
    try:
        checkpoint = torch.load(path, map_location=map_location, weights_only=True)
    except Exception as error:
        raise ValueError(f"{path} is not a valid checkpoint: {type(error).__name__}: {error}") from error
    if not isinstance(checkpoint, dict):
        raise ValueError(f"{path} is not a valid checkpoint: it holds a {type(checkpoint).__name__}, not a dict")
    missing = [key for key in CHECKPOINT_KEYS if key not in checkpoint]
    if missing:
        raise ValueError(f"{path} is not a valid checkpoint: missing keys {missing}")
    if checkpoint["format"] != CHECKPOINT_FORMAT:
        raise ValueError(
            f"{path} is not a valid checkpoint: format {checkpoint['format']!r}, expected {CHECKPOINT_FORMAT!r}"
        )
    if checkpoint["version"] != CHECKPOINT_VERSION:
        raise ValueError(
            f"{path} is not a valid checkpoint: version {checkpoint['version']!r}, "
            f"this code reads version {CHECKPOINT_VERSION}"
        )
    if model is not None:
        _unwrap(model).load_state_dict(checkpoint["model"])
    if optimizer is not None:
        if checkpoint["optimizer"] is None:
            raise ValueError(f"{path} is not a valid checkpoint to resume from: it holds no optimizer state")
        optimizer.load_state_dict(checkpoint["optimizer"])
    return checkpoint
    ### END SOLUTION


# ## Task 5.9: estimate_loss
def estimate_loss(
    model: nn.Module,
    splits: Mapping[str, TokenData],
    *,
    batch_size: int,
    block_size: int,
    eval_iters: int,
    generator: torch.Generator | None = None,
    device: torch.device | str | None = None,
) -> dict[str, float]:
    """The model's mean loss on ``eval_iters`` random batches of each split.

    One batch's loss is noisy; averaging ``eval_iters`` of them gives a
    steadier estimate. For every split, in the order given:

        mean over i < eval_iters of  cross_entropy(model(x_i)[0], y_i),
        (x_i, y_i) = get_batch(data, batch_size, block_size, generator, device)

    The model runs in eval mode (dropout off) under ``torch.no_grad()`` (no
    graph is built: faster, less memory), and afterwards is put back in the
    train/eval mode it was in, even if an error interrupts.

    Args:
        model: ``model(ids (B, T)) -> (logits (B, T, V), loss | None)``.
        splits: name -> token stream, e.g. ``{"train": ..., "val": ...}``.
        batch_size, block_size: the batch shape ``(B, T)``.
        eval_iters: batches per split.
        generator: the random stream for the batches (so evaluation can be
            kept apart from the training batches).
        device: where the batches go (where the model lives).

    Returns:
        ``{name: mean loss as a Python float}`` for every split.

    Example:
        A model whose logits are all 0 predicts 1/V for every token, so
        ``estimate_loss(model, {"val": data}, ...)`` gives ``{"val": log V}``.

    Raises:
        ValueError: if ``eval_iters`` is below 1 (and whatever ``get_batch`` raises).
    """
    ### BEGIN SOLUTION
    if eval_iters < 1:
        raise ValueError(f"eval_iters={eval_iters} must be >= 1")
    was_training = model.training
    model.eval()
    try:
        losses = {}
        with torch.no_grad():
            for name, data in splits.items():
                total = 0.0
                for _ in range(eval_iters):
                    x, y = get_batch(data, batch_size, block_size, generator=generator, device=device)  # (B, T)
                    logits, _ = model(x)  # (B, T, V)
                    total += cross_entropy(logits, y).item()
                losses[name] = total / eval_iters
        return losses
    finally:
        model.train(was_training)
    ### END SOLUTION


# ## Task 5.10: train_step
def train_step(
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    train_data: TokenData,
    config: TrainConfig,
    generator: torch.Generator | None = None,
) -> float:
    """One optimisation step with gradient accumulation and clipping; returns its loss.

    The learning rate is already set (``train`` does it). The step:

        repeat config.grad_accum_steps times:
            x, y = get_batch(train_data, batch_size, block_size, generator, config.device)
            with autocast_context(config):                 mixed precision, if configured
                logits, _ = model(x)
                loss = cross_entropy(logits, y) / grad_accum_steps
            loss.backward()                                gradients add up across micro-batches
        clip_grad_norm(model.parameters(), grad_clip)      only if grad_clip > 0
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)

    Dividing each micro-batch loss by ``grad_accum_steps`` makes the summed
    gradient the gradient of the *mean* loss over all micro-batches: the
    same update as one batch ``grad_accum_steps`` times larger, in less memory.

    Args:
        model: in train mode, on ``config.device``.
        optimizer: over ``model``'s parameters.
        train_data: the training token stream.
        config: batch shape, ``grad_accum_steps``, ``grad_clip``, device, autocast.
        generator: the random stream for the batches.

    Returns:
        The mean of the (undivided) micro-batch losses, a Python float.

    Example:
        grad_accum_steps=2 with micro-batch losses 2.0 and 3.0 backpropagates
        1.0 + 1.5 and returns 2.5.
    """
    ### BEGIN SOLUTION
    total_loss = 0.0
    for _ in range(config.grad_accum_steps):
        x, y = get_batch(train_data, config.batch_size, config.block_size, generator, config.device)  # (B, T)
        with autocast_context(config):
            logits, _ = model(x)  # (B, T, V)
            loss = cross_entropy(logits, y) / config.grad_accum_steps
        loss.backward()
        total_loss += loss.item()
    if config.grad_clip > 0:
        clip_grad_norm(model.parameters(), config.grad_clip)
    optimizer.step()
    optimizer.zero_grad(set_to_none=True)
    return total_loss
    ### END SOLUTION


def _eval_generator(seed: int, step: int) -> torch.Generator:
    """A generator for the evaluation at ``step``, independent of the training batch stream."""
    return torch.Generator().manual_seed((seed * 1_000_003 + step) % 2**63)


def train(
    model: nn.Module,
    train_data: TokenData,
    val_data: TokenData,
    config: TrainConfig,
    *,
    optimizer: torch.optim.Optimizer | None = None,
    on_step: Callable[[int, float, float], None] | None = None,
    on_eval: Callable[[int, dict[str, float]], None] | None = None,
    resume_from: str | os.PathLike | None = None,
    extra: dict[str, Any] | None = None,
) -> TrainHistory:
    """Train ``model`` for ``config.max_iters`` steps, evaluating and checkpointing on the way.

    Every step ``s`` (counted from 0): the learning rate ``config.lr_at(s)``
    is set on every param group, ``train_step`` runs, ``on_step(s, loss, lr)``
    is called. After step ``s`` when ``s % eval_interval == 0`` or ``s`` is
    the last step: ``estimate_loss`` on both splits, ``on_eval(s, {"train":
    .., "val": ..})``, and a checkpoint (``step=s``) when
    ``config.checkpoint_path`` is set. The last step always evaluates, so the
    final state is always checkpointed.

    Randomness is arranged so that a run is reproducible and resumable:

    - training batches come from a ``torch.Generator`` seeded with
      ``config.seed``; torch's global RNG (dropout) is seeded with it too;
    - each evaluation draws from its own generator, seeded from
      ``(seed, step)``, so evaluating never shifts the training batches;
    - ``resume_from`` loads a checkpoint into the model and optimizer and
      restores the step, the history, the batch generator and the global
      (and CUDA) RNG states, then continues with the next step. The
      parameters come out bit-for-bit equal to those of a run that never
      stopped (given the same config, apart from ``max_iters``).

    Args:
        model: ``model(ids) -> (logits, loss | None)``; moved to ``config.device``.
            A ``torch.compile`` or DDP wrapper is fine: checkpoints hold the
            unwrapped model's weights.
        train_data, val_data: token streams (see ``get_batch``).
        config: the run's settings.
        optimizer: default ``AdamW(optimizer_param_groups(model, config.weight_decay),
            betas=(config.beta1, config.beta2))``.
        on_step: called after every step with ``(step, loss, lr)``.
        on_eval: called after every evaluation with ``(step, losses)``.
        resume_from: a checkpoint to continue from.
        extra: plain data stored in every checkpoint (default on resume: the
            checkpoint's own ``extra``).

    Returns:
        The TrainHistory of the whole run (including what came before a resume).

    Raises:
        ValueError: if ``config.block_size`` exceeds the model's
            ``config.block_size``, or ``resume_from`` is not a valid checkpoint.
    """
    device = torch.device(config.device)
    unwrapped = _unwrap(model)
    model_config = getattr(unwrapped, "config", None)
    model_block_size = getattr(model_config, "block_size", None)
    if model_block_size is not None and config.block_size > model_block_size:
        raise ValueError(
            f"TrainConfig.block_size={config.block_size} exceeds the model's block_size={model_block_size}"
        )
    model.to(device)
    if optimizer is None:
        optimizer = AdamW(
            optimizer_param_groups(model, config.weight_decay),
            lr=config.max_lr,
            betas=(config.beta1, config.beta2),
            weight_decay=config.weight_decay,
        )
    generator = torch.Generator().manual_seed(config.seed)
    history = TrainHistory()
    start_step = 0
    if resume_from is not None:
        checkpoint = load_checkpoint(resume_from, model=model, optimizer=optimizer, map_location="cpu")
        start_step = checkpoint["step"] + 1
        history = TrainHistory.from_dict(checkpoint["history"])
        rng = checkpoint["rng"]
        torch.set_rng_state(rng["torch"])
        if rng.get("cuda") is not None and torch.cuda.is_available():
            torch.cuda.set_rng_state_all(rng["cuda"])
        if rng["generator"] is not None:
            generator.set_state(rng["generator"])
        if extra is None:
            extra = checkpoint["extra"]
    else:
        torch.manual_seed(config.seed)

    model.train()
    for step in range(start_step, config.max_iters):
        lr = config.lr_at(step)
        for group in optimizer.param_groups:
            group["lr"] = lr
        loss = train_step(model, optimizer, train_data, config, generator)
        history.step.append(step)
        history.loss.append(loss)
        history.lr.append(lr)
        if on_step is not None:
            on_step(step, loss, lr)

        if step % config.eval_interval == 0 or step == config.max_iters - 1:
            with autocast_context(config):
                losses = estimate_loss(
                    model, {"train": train_data, "val": val_data},
                    batch_size=config.batch_size, block_size=config.block_size,
                    eval_iters=config.eval_iters, generator=_eval_generator(config.seed, step),
                    device=device,
                )
            history.eval_step.append(step)
            history.train_loss.append(losses["train"])
            history.val_loss.append(losses["val"])
            if on_eval is not None:
                on_eval(step, losses)
            if config.checkpoint_path is not None:
                save_checkpoint(
                    config.checkpoint_path, model=model, optimizer=optimizer, step=step,
                    config=config, history=history, generator=generator, extra=extra,
                )

    return history
