"""Tests of the `course` command line: train, sample, data, and its bad-input handling."""

from __future__ import annotations

import json
import math
import subprocess
import sys

import pytest
import torch

from grader.cli import EXIT_USER_ERROR, main

SMOKE = ["--preset", "smoke"]


@pytest.fixture(scope="module")
def trained_run(data_dir, tmp_path_factory):
    """A finished smoke run (40 steps on shakespeare), shared by the read-only tests."""
    out = tmp_path_factory.mktemp("run") / "smoke"
    assert main(["train", *SMOKE, "--out", str(out), "--data-dir", str(data_dir), "--device", "cpu"]) == 0
    return out


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "grader", *args], capture_output=True, text=True, timeout=300)


def test_help_lists_commands_and_presets():
    """Does `course --help` name the commands, and `course train --help` the presets?"""
    top = run_cli("--help")
    assert top.returncode == 0
    for command in ("train", "sample", "data"):
        assert command in top.stdout
    train_help = run_cli("train", "--help")
    assert "cpu-baby" in train_help.stdout and "gpu-shakespeare-char" in train_help.stdout


def test_train_writes_checkpoint_curve_and_metrics(trained_run):
    """Does a run leave a loadable checkpoint, a PNG loss curve and metrics with a finite val loss?"""
    checkpoint = torch.load(trained_run / "ckpt.pt", weights_only=True)
    assert checkpoint["step"] == 39
    assert checkpoint["extra"]["dataset"] == "shakespeare"
    png = (trained_run / "loss.png").read_bytes()
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 5_000
    metrics = json.loads((trained_run / "metrics.json").read_text())
    assert math.isfinite(metrics["val_loss"])
    vocab_size = checkpoint["extra"]["model_config"]["vocab_size"]
    # 40 steps of a tiny model already beat the uniform guess ln(V).
    assert metrics["val_loss"] < math.log(vocab_size)
    assert metrics["tokens_per_second"] > 0


def test_sample_is_deterministic_for_a_seed(trained_run, capsys):
    """Does `course sample` print the prompt plus new text, the same text for the same seed?"""
    args = ["sample", "--checkpoint", str(trained_run / "ckpt.pt"), "--prompt", "ROMEO:", "--max-tokens", "50", "--device", "cpu"]
    assert main([*args, "--seed", "7"]) == 0
    first = capsys.readouterr().out
    assert main([*args, "--seed", "7"]) == 0
    second = capsys.readouterr().out
    assert first == second
    assert first.startswith("ROMEO:")
    assert len(first.rstrip("\n")) >= len("ROMEO:") + 40


def test_resume_continues_to_the_new_length(trained_run, data_dir, tmp_path):
    """Does --resume pick the run up where it stopped and train on to --max-iters?"""
    out = tmp_path / "resumed"
    out.mkdir()
    (out / "ckpt.pt").write_bytes((trained_run / "ckpt.pt").read_bytes())
    assert main(["train", "--out", str(out), "--resume", "--max-iters", "50", "--data-dir", str(data_dir), "--device", "cpu"]) == 0
    checkpoint = torch.load(out / "ckpt.pt", weights_only=True)
    assert checkpoint["step"] == 49
    assert checkpoint["history"]["step"][0] == 0  # the history of the first 40 steps is kept


@pytest.mark.slow
def test_an_interrupted_and_resumed_run_equals_the_run_that_never_stopped(data_dir, tmp_path, monkeypatch, capsys):
    """Is a run stopped by Ctrl-C at step 25 and resumed in a new process bit-for-bit the straight run?

    The model is as wide as cpu-baby's (d_model 128, 12 x 64 tokens), so the
    embedding gradient is large enough for torch's multi-threaded kernels,
    whose results can differ between processes unless made deterministic.
    """
    from grader.progress import TrainingProgress

    original_on_step = TrainingProgress.on_step

    def interrupt_at_25(self, step, loss, lr):
        if step == 25:
            raise KeyboardInterrupt
        original_on_step(self, step, loss, lr)

    common = ["--data-dir", str(data_dir), "--device", "cpu"]
    recipe = [*SMOKE, "--d-model", "128", "--n-head", "4", "--batch-size", "12", "--block-size", "64", *common]
    straight, interrupted = tmp_path / "straight", tmp_path / "interrupted"
    assert main(["train", *recipe, "--out", str(straight)]) == 0
    with monkeypatch.context() as patch:
        patch.setattr(TrainingProgress, "on_step", interrupt_at_25)
        assert main(["train", *recipe, "--out", str(interrupted)]) == EXIT_USER_ERROR
    assert "checkpoint from step 20" in capsys.readouterr().err
    # A real resume happens in a new process.
    resume = run_cli("train", "--out", str(interrupted), "--resume", *common)
    assert resume.returncode == 0, resume.stderr
    resumed = torch.load(interrupted / "ckpt.pt", weights_only=True)
    expected = torch.load(straight / "ckpt.pt", weights_only=True)
    assert resumed["step"] == expected["step"] == 39
    assert resumed["history"]["loss"] == expected["history"]["loss"]
    for name, tensor in expected["model"].items():
        assert torch.equal(resumed["model"][name], tensor), f"{name} differs after resume"


def test_a_fresh_run_never_overwrites_a_checkpoint(trained_run, data_dir, capsys):
    """Does training into a folder that holds a checkpoint refuse, leaving the file as it was?"""
    before = (trained_run / "ckpt.pt").read_bytes()
    code = main(["train", *SMOKE, "--out", str(trained_run), "--data-dir", str(data_dir), "--device", "cpu"])
    assert code == EXIT_USER_ERROR
    assert "--resume" in capsys.readouterr().err
    assert (trained_run / "ckpt.pt").read_bytes() == before


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["train", *SMOKE, "--dataset", "no-such-data"], "no-such-data"),
        (["train", *SMOKE, "--d-model", "30", "--n-head", "4"], "d_model"),
        (["train", "--out", "{tmp}/never-trained", "--resume"], "nothing to resume"),
        (["sample", "--checkpoint", "{tmp}/missing.pt"], "missing.pt"),
        (["sample", "--checkpoint", "{tmp}/corrupt.pt"], "corrupt.pt"),
        (["sample", "--checkpoint", "{run}/ckpt.pt", "--temperature", "-1"], "temperature"),
        (["sample", "--checkpoint", "{run}/ckpt.pt", "--prompt", "ROMEO \u2603"], "\u2603"),
    ],
    ids=["unknown-dataset", "d_model-not-divisible", "resume-without-run", "missing-checkpoint", "corrupt-checkpoint", "negative-temperature", "prompt-outside-vocabulary"],
)
def test_bad_input_is_one_line_without_traceback(args, expected, trained_run, data_dir, tmp_path):
    """Does each bad input give a one-line error naming the problem, exit 2, and write nothing?"""
    (tmp_path / "corrupt.pt").write_bytes(b"this is not a checkpoint")
    args = [arg.format(tmp=tmp_path, run=trained_run) for arg in args]
    if args[0] == "train":
        args += ["--data-dir", str(data_dir), "--device", "cpu"]
        if "--out" not in args:
            args += ["--out", str(tmp_path / "out")]
    before = sorted(path.name for path in tmp_path.rglob("*"))
    result = run_cli(*args)
    assert result.returncode == EXIT_USER_ERROR, result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert expected in lines[0]
    assert sorted(path.name for path in tmp_path.rglob("*")) == before


def test_data_list_names_the_datasets(capsys):
    """Does `course data list` show every registered dataset?"""
    assert main(["data", "list"]) == 0
    shown = capsys.readouterr().out
    for name in ("shakespeare", "tinyshakespeare", "pycode"):
        assert name in shown
