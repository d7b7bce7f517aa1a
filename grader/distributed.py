"""Training on several processes with ``torchrun``: DistributedDataParallel, as nanoGPT does it.

``torchrun`` starts one process per GPU (or per CPU worker) on each machine
and tells each who it is through the environment (``RANK``,
``LOCAL_RANK``, ``WORLD_SIZE``, plus where to meet: ``MASTER_ADDR``,
``MASTER_PORT``). ``course train`` reads them (``from_environment``) and
then, in each process:

- joins the process group (``process_group``): NCCL between GPUs, each
  process on ``cuda:LOCAL_RANK``; gloo between CPU processes;
- trains on its own contiguous slice of the training tokens (``shard``).
  Every rank draws its batches with the same seeded generator, but from
  different data, so no two ranks see the same window; and because the
  generator's state is the same on every rank, a run resumed from rank 0's
  checkpoint continues every rank's batch stream exactly;
- wraps the model in ``GradientAccumulatingDDP``, which averages the
  gradients over the ranks in the backward pass of the last micro-batch of
  each step only (nanoGPT's ``require_backward_grad_sync`` trick), so
  assignment 5's ``train_step`` runs unchanged.

Every rank then holds the same parameters after every step. Only rank 0
(``DistributedContext.is_main``) prints, and writes the checkpoint, the loss
curve and the metrics. As in nanoGPT, the loss shown after each step is
rank 0's own; the evaluations draw the same batches on every rank, so they
agree.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

import torch
import torch.distributed as dist
from torch import nn
from torch.nn.parallel import DistributedDataParallel

from .errors import CourseError

TORCHRUN_VARIABLES = ("RANK", "LOCAL_RANK", "WORLD_SIZE")
"""What ``torchrun`` sets for each process it starts; all three, or none outside torchrun."""

Data = TypeVar("Data")


@dataclass(frozen=True)
class DistributedContext:
    """Who this process is in a ``torchrun`` launch."""

    rank: int
    """This process's number among all processes of all machines, 0 .. world_size - 1."""
    local_rank: int
    """Its number on this machine: the GPU it uses."""
    world_size: int
    """How many processes train together."""

    @property
    def is_main(self) -> bool:
        """True on rank 0, the process that prints and writes files."""
        return self.rank == 0


def from_environment(environ: Mapping[str, str] = os.environ) -> DistributedContext | None:
    """The context ``torchrun`` gave this process, or None when it was not started by torchrun.

    Example:
        ``RANK=1 LOCAL_RANK=1 WORLD_SIZE=2`` -> ``DistributedContext(rank=1, local_rank=1, world_size=2)``.

    Raises:
        CourseError: only some of ``RANK``, ``LOCAL_RANK``, ``WORLD_SIZE`` are set,
            or one is not a number in its range.
    """
    present = [name for name in TORCHRUN_VARIABLES if name in environ]
    if not present:
        return None
    if len(present) < len(TORCHRUN_VARIABLES):
        missing = [name for name in TORCHRUN_VARIABLES if name not in present]
        raise CourseError(f"{', '.join(present)} set but not {', '.join(missing)}: start multi-process training with torchrun")
    values = {}
    for name in TORCHRUN_VARIABLES:
        try:
            values[name] = int(environ[name])
        except ValueError:
            raise CourseError(f"{name}={environ[name]!r} is not a whole number (torchrun sets it)") from None
    if values["WORLD_SIZE"] < 1 or not 0 <= values["RANK"] < values["WORLD_SIZE"] or values["LOCAL_RANK"] < 0:
        raise CourseError(f"RANK={values['RANK']}, LOCAL_RANK={values['LOCAL_RANK']}, WORLD_SIZE={values['WORLD_SIZE']} do not fit together")
    return DistributedContext(rank=values["RANK"], local_rank=values["LOCAL_RANK"], world_size=values["WORLD_SIZE"])


@contextlib.contextmanager
def process_group(context: DistributedContext | None, device: str) -> Iterator[str]:
    """Join the process group for the block and leave it afterwards; yields the device this process trains on.

    Without a context (no torchrun) nothing happens and ``device`` is yielded
    as it is. On ``"cuda"`` each process takes ``cuda:LOCAL_RANK`` and the
    NCCL backend; on ``"cpu"`` the gloo backend.

    Raises:
        CourseError: another device (MPS has no collective backend).
    """
    if context is None:
        yield device
        return
    if device == "cuda":
        torch.cuda.set_device(context.local_rank)
        device, backend = f"cuda:{context.local_rank}", "nccl"
    elif device == "cpu":
        backend = "gloo"
    else:
        raise CourseError(f"multi-process training runs on cuda (nccl) or cpu (gloo), not on {device!r}")
    dist.init_process_group(backend=backend)
    try:
        yield device
    finally:
        dist.destroy_process_group()


@contextlib.contextmanager
def local_main_first(context: DistributedContext | None) -> Iterator[None]:
    """Run the block on each machine's local rank 0 first, then on the others.

    For work that fills a cache the others then read (building and
    tokenizing a corpus): the other ranks wait instead of all building it at once.
    """
    if context is None:
        yield
        return
    if context.local_rank != 0:
        dist.barrier()
    yield
    if context.local_rank == 0:
        dist.barrier()


def broadcast_from_main(value: Any, context: DistributedContext | None) -> Any:
    """Rank 0's ``value`` on every rank (picklable data; other ranks' ``value`` is ignored)."""
    if context is None:
        return value
    box = [value]
    dist.broadcast_object_list(box, src=0)
    return box[0]


def shard(data: Data, context: DistributedContext | None) -> Data:
    """This rank's contiguous ``1 / world_size`` of a 1-D token stream (all of it without a context).

    The last ``len(data) % world_size`` tokens belong to no rank.

    Example:
        10 tokens, 3 ranks: rank 0 trains on ``data[0:3]``, rank 1 on
        ``data[3:6]``, rank 2 on ``data[6:9]``.
    """
    if context is None:
        return data
    size = len(data) // context.world_size
    return data[context.rank * size : (context.rank + 1) * size]


class GradientAccumulatingDDP(DistributedDataParallel):
    """DistributedDataParallel that all-reduces gradients on the last of every ``grad_accum_steps`` micro-batches.

    A training step runs ``grad_accum_steps`` forward and backward passes
    and then one optimiser step; averaging the gradients over the ranks
    after every backward would send ``grad_accum_steps`` times the data for
    the same result. Like nanoGPT, this sets DDP's
    ``require_backward_grad_sync`` before each training forward (train mode,
    gradients on), true only for the last micro-batch of a step: what
    ``no_sync()`` does, without changing the loop that calls the model.
    Forward passes for evaluation (eval mode or ``torch.no_grad``) are not counted.

    ``train`` and ``save_checkpoint`` see through it (``.module``), so the
    checkpoint holds the plain model's weights.
    """

    def __init__(self, module: nn.Module, *, grad_accum_steps: int, **kwargs: Any) -> None:
        if grad_accum_steps < 1:
            raise ValueError(f"grad_accum_steps={grad_accum_steps} must be >= 1")
        super().__init__(module, **kwargs)
        self.grad_accum_steps = grad_accum_steps
        self.micro_step = 0  # micro-batches of the current step already run

    def forward(self, *inputs: Any, **kwargs: Any) -> Any:
        if self.training and torch.is_grad_enabled():
            self.require_backward_grad_sync = self.micro_step == self.grad_accum_steps - 1
            self.micro_step = (self.micro_step + 1) % self.grad_accum_steps
        return super().forward(*inputs, **kwargs)


def wrap(model: nn.Module, context: DistributedContext, device: str, *, grad_accum_steps: int) -> GradientAccumulatingDDP:
    """``model`` (already on ``device``) inside ``GradientAccumulatingDDP``; rank 0's weights are copied to every rank."""
    device_ids = [context.local_rank] if torch.device(device).type == "cuda" else None
    return GradientAccumulatingDDP(model, grad_accum_steps=grad_accum_steps, device_ids=device_ids)


def per_rank_grad_accum_steps(grad_accum_steps: int, context: DistributedContext | None) -> int:
    """Micro-batches each rank runs per step, as nanoGPT divides them.

    When ``grad_accum_steps`` splits evenly over the ranks each runs its
    share, and a step sees as many tokens as one process alone would;
    otherwise each rank runs them all and a step sees ``world_size`` times as many.

    Example:
        8 micro-batches on 4 ranks: 2 each. 1 micro-batch on 2 ranks: 1 each (twice the tokens per step).
    """
    if context is None or grad_accum_steps % context.world_size != 0:
        return grad_accum_steps
    return grad_accum_steps // context.world_size
