"""Tests of multi-process training through torchrun (grader/distributed.py and `course train` under it).

The two-process test launches this very file with ``torch.distributed.run``:
each rank runs ``_train_one_rank`` (below ``__main__``), which trains the
smoke preset on the CPU over gloo and reports the digest of its final
parameters and every file it opened for writing in the run's folder.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch
import torch.distributed as dist
from torch import nn

from grader.data import prepare
from grader.distributed import (
    DistributedContext,
    GradientAccumulatingDDP,
    from_environment,
    per_rank_grad_accum_steps,
    shard,
)
from grader.errors import CourseError

REPOSITORY = Path(__file__).resolve().parents[2]
RUN_FILES = ["ckpt.pt", "loss.png", "metrics.json"]


def parameters_digest(state_dict: dict[str, torch.Tensor]) -> str:
    """sha256 of every tensor's name and bytes, in name order: equal digests, bit-identical weights."""
    digest = hashlib.sha256()
    for name in sorted(state_dict):
        digest.update(name.encode())
        digest.update(state_dict[name].detach().cpu().contiguous().numpy().tobytes())
    return digest.hexdigest()


def test_outside_torchrun_there_is_no_context():
    """Does a process that torchrun did not start train on its own?"""
    assert from_environment({"PATH": "/usr/bin"}) is None


def test_torchrun_variables_give_the_rank():
    """Are RANK, LOCAL_RANK and WORLD_SIZE read into the context, and is only rank 0 the main one?"""
    context = from_environment({"RANK": "3", "LOCAL_RANK": "1", "WORLD_SIZE": "4"})
    assert context == DistributedContext(rank=3, local_rank=1, world_size=4)
    assert not context.is_main
    assert from_environment({"RANK": "0", "LOCAL_RANK": "0", "WORLD_SIZE": "4"}).is_main


@pytest.mark.parametrize(
    ("environ", "named"),
    [
        ({"RANK": "0", "WORLD_SIZE": "2"}, "LOCAL_RANK"),
        ({"RANK": "zero", "LOCAL_RANK": "0", "WORLD_SIZE": "2"}, "'zero'"),
        ({"RANK": "2", "LOCAL_RANK": "0", "WORLD_SIZE": "2"}, "RANK=2"),
    ],
)
def test_an_incomplete_or_wrong_environment_is_a_clear_error(environ, named):
    """Does a half-set or inconsistent torchrun environment fail with the variable and value named?"""
    with pytest.raises(CourseError, match=named):
        from_environment(environ)


def test_each_rank_trains_on_its_own_slice_of_the_data():
    """Do the ranks' shards cover the data in order, equal in size, without overlapping?"""
    data = torch.arange(11)
    shards = [shard(data, DistributedContext(rank, rank, 3)) for rank in range(3)]
    assert [part.tolist() for part in shards] == [[0, 1, 2], [3, 4, 5], [6, 7, 8]]
    assert shard(data, None) is data


@pytest.mark.parametrize(("steps", "world_size", "expected"), [(8, 4, 2), (1, 2, 1), (3, 2, 3), (5, 1, 5)])
def test_micro_batches_are_divided_among_ranks_when_they_split_evenly(steps, world_size, expected):
    """Does each rank run its share of the preset's micro-batches, or all of them when they do not split?"""
    assert per_rank_grad_accum_steps(steps, DistributedContext(0, 0, world_size)) == expected


@pytest.fixture
def single_process_group(tmp_path):
    """A gloo process group of one process (this one), torn down after the test."""
    dist.init_process_group("gloo", init_method=f"file://{tmp_path / 'rendezvous'}", rank=0, world_size=1)
    try:
        yield
    finally:
        dist.destroy_process_group()


def test_gradients_are_reduced_on_the_last_micro_batch_only(single_process_group):
    """Does the wrapper ask DDP to all-reduce on the last of every grad_accum_steps training forwards,
    leaving evaluation forwards (no_grad, eval mode) out of the count?"""
    model = GradientAccumulatingDDP(nn.Linear(3, 2), grad_accum_steps=3)
    x = torch.ones(4, 3)
    synced = []
    for _ in range(6):
        model(x).sum().backward()
        synced.append(model.require_backward_grad_sync)
        if len(synced) == 2:
            with torch.no_grad():
                model(x)
            model.eval()
            model(x)
            model.train()
    assert synced == [False, False, True, False, False, True]


def launch_two_ranks(out: Path, data_dir: Path, reports: Path, *, max_iters: int, resume: bool = False) -> None:
    """Run ``_train_one_rank`` in 2 CPU processes under torchrun; fail with their output if they fail."""
    reports.mkdir(exist_ok=True)
    environment = {**os.environ, "PYTHONPATH": str(REPOSITORY), "OMP_NUM_THREADS": "1"}
    command = [
        sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2", "--standalone",
        __file__, str(out), str(data_dir), str(reports), str(max_iters), "resume" if resume else "fresh",
    ]
    finished = subprocess.run(command, capture_output=True, text=True, timeout=180, env=environment, cwd=reports)
    assert finished.returncode == 0, finished.stdout[-2000:] + finished.stderr[-3000:]


@pytest.mark.slow
def test_two_processes_stay_in_sync_and_only_rank_0_writes(tmp_path, data_dir):
    """Under torchrun with 2 CPU processes (gloo), does each rank train on its own half of the tokens, do
    both end with bit-identical parameters, equal to rank 0's checkpoint, is the loss finite, and did
    rank 0 alone write the run's three files?"""
    out, reports = tmp_path / "run", tmp_path / "reports"
    launch_two_ranks(out, data_dir, reports, max_iters=6)

    rank0, rank1 = (json.loads((reports / f"rank{rank}.json").read_text()) for rank in (0, 1))
    checkpoint = torch.load(out / "ckpt.pt", weights_only=True)
    assert rank0["digest"] == rank1["digest"] == parameters_digest(checkpoint["model"])
    assert sorted(path.name for path in out.iterdir()) == RUN_FILES
    assert rank1["writes"] == []
    assert {Path(path).name for path in rank0["writes"]} >= set(RUN_FILES)
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["processes"] == 2
    all_tokens = len(prepare("shakespeare", tokenizer="char", cache_dir=data_dir).train)
    assert rank0["train_data"]["tokens"] == rank1["train_data"]["tokens"] == all_tokens // 2
    assert rank0["train_data"]["digest"] != rank1["train_data"]["digest"]
    assert all(math.isfinite(loss) for loss in checkpoint["history"]["loss"] + [metrics["train_loss"], metrics["val_loss"]])
    # Each rank runs half of the 4 micro-batches a step asks for; the step still sees all 4.
    assert checkpoint["train_config"]["grad_accum_steps"] == 2


@pytest.mark.slow
def test_a_resumed_two_process_run_is_the_run_that_never_stopped(tmp_path, data_dir):
    """Does a 2-process run stopped after 3 steps and resumed to 6 end, bit for bit, where one that ran
    6 steps straight ends: the same weights, the same loss at every step, the same final evaluation?"""
    launch_two_ranks(tmp_path / "straight", data_dir, tmp_path / "reports", max_iters=6)
    launch_two_ranks(tmp_path / "stopped", data_dir, tmp_path / "reports", max_iters=3)
    launch_two_ranks(tmp_path / "stopped", data_dir, tmp_path / "reports", max_iters=6, resume=True)

    straight, resumed = (torch.load(tmp_path / run / "ckpt.pt", weights_only=True) for run in ("straight", "stopped"))
    # The stopped run also evaluated at its last step, 2: that evaluation is the only difference in the history.
    assert resumed["history"]["loss"] == straight["history"]["loss"]
    assert resumed["history"]["val_loss"][-1] == straight["history"]["val_loss"][-1]
    assert parameters_digest(resumed["model"]) == parameters_digest(straight["model"])


def _train_one_rank(out: str, data_dir: str, reports: str, max_iters: str, mode: str) -> None:
    """One rank of a two-process test: train (``mode`` "fresh" or "resume") the smoke preset to ``max_iters``,
    then report the weights' digest, the files this rank wrote into ``out`` and the tokens it trained on."""
    from grader.commands import train

    run_folder = Path(out).resolve()
    writes: list[str] = []

    def record_writes(event: str, arguments: tuple) -> None:
        # "open" is raised by open() and os.open(); "os.rename" by os.rename() and os.replace().
        if event == "open":
            path, mode, flags = arguments
            writing = (isinstance(mode, str) and any(letter in mode for letter in "wax+")) or (
                isinstance(flags, int) and flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT)
            )
            targets = [path] if writing else []
        elif event in ("os.rename", "os.mkdir"):
            targets = [arguments[1] if event == "os.rename" else arguments[0]]
        else:
            return
        for target in targets:
            if isinstance(target, (str, os.PathLike)) and Path(target).resolve().is_relative_to(run_folder):
                writes.append(str(target))

    sys.addaudithook(record_writes)
    import solutions.a5_training.training as training

    loop, seen = training.train, {}

    def train_recording_its_data(model, train_data, *arguments, **keywords):
        seen.update(tokens=len(train_data), digest=hashlib.sha256(train_data.tobytes()).hexdigest())
        return loop(model, train_data, *arguments, **keywords)

    training.train = train_recording_its_data
    # The schedule's horizon is fixed so that a run stopped early follows the same learning rates.
    result = train.main(
        preset="smoke", max_iters=int(max_iters), lr_decay_steps=6, eval_interval=5, grad_accum_steps=4,
        out=out, data_dir=data_dir, device="cpu", resume=mode == "resume",
    )
    report = {"digest": parameters_digest(result.model.state_dict()), "writes": writes, "train_data": seen}
    (Path(reports) / f"rank{os.environ['RANK']}.json").write_text(json.dumps(report))


if __name__ == "__main__":
    _train_one_rank(*sys.argv[1:])
