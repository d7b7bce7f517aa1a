"""``course plot``: pictures of runs, positions, sampling and tokenizers, as PNG files.

    course plot losses runs/cpu-baby-shakespeare runs/cpu-bpe-shakespeare --out losses.png
    course plot positions --kind sinusoidal --out positions.png
    course plot positions --checkpoint runs/cpu-baby-shakespeare/ckpt.pt --out positions.png
    course plot sampling --checkpoint runs/cpu-baby-shakespeare/ckpt.pt --prompt "ROMEO:" --out sampling.png
    course plot bpe --vocab-sizes 256,512,1024 --out bpe.png

One library function per picture, each writing its PNG atomically and
returning its path; the figures themselves come from grader/pictures.py,
the model pieces from the reference (or from what a checkpoint records).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import torch

from .. import data as datasets_registry
from ..composed import reference_code
from ..compression import compression_curves
from ..console import console
from ..data.preparation import split_text
from ..devices import resolve_device
from ..errors import CourseError
from ..pictures import (
    SamplingSetting,
    bpe_merges_and_compression,
    check_output,
    loss_curves,
    next_token_distributions,
    positional_encoding_matrix,
    save_figure,
)
from ..trained_model import load_trained_model
from .train import CHECKPOINT_NAME

POSITION_KINDS = ("sinusoidal", "learned")
DEFAULT_SAMPLING_SETTINGS = (
    SamplingSetting(1.0),
    SamplingSetting(0.5),
    SamplingSetting(1.0, top_k=10),
    SamplingSetting(1.0, top_p=0.9),
)
"""The raw distribution, a sharper one, and each filter alone: what each knob does."""
DEFAULT_VOCAB_SIZES = (256, 384, 512, 768, 1024)
"""Where ``plot bpe`` measures by default: from raw bytes to 768 merges."""
DEFAULT_BPE_CHARACTERS = 500_000
"""Characters of the corpus ``plot bpe`` reads by default: about 1 s of training for both tokenizers."""


def losses(*, runs: Sequence[str | Path], out: str | Path = "losses.png", size_px: tuple[int, int] | None = None) -> Path:
    """Draw the loss curves of several runs on one plot; return ``out``.

    Each run is a ``course train`` output folder or its ``ckpt.pt``; the
    history is the checkpoint's. A run is labelled with its folder's name
    (its path when two names are the same), its dataset and its tokenizer.

    Raises:
        CourseError: no runs, a run given twice, or one without a valid checkpoint.
        ValueError: an ``out`` that is no ``.png`` or a bad ``size_px``.
    """
    out = check_output(out, size_px)
    if not runs:
        raise CourseError("no runs given; name one or more run folders written by `course train`")
    checkpoints = [_checkpoint_of_run(Path(run)) for run in runs]
    if len(set(checkpoints)) != len(checkpoints):
        repeated = next(str(path) for path in checkpoints if checkpoints.count(path) > 1)
        raise CourseError(f"the run {repeated} is given twice")
    names = [path.parent.name for path in checkpoints]
    histories = {}
    for path, name in zip(checkpoints, names):
        saved = _read_checkpoint(path)
        extra = saved["extra"] or {}
        label = name if names.count(name) == 1 else str(path.parent)
        preset = extra.get("preset") or {}
        if extra.get("dataset") and preset.get("tokenizer"):
            label += f" ({extra['dataset']}, {preset['tokenizer']})"
        histories[label] = saved["history"]
    save_figure(loss_curves(histories, title="loss curves"), out, size_px=size_px)
    console.print(f"loss curves of {len(histories)} run(s): {out}", markup=False, soft_wrap=True)
    return out


def _checkpoint_of_run(run: Path) -> Path:
    """The checkpoint of ``run``, a run folder or a checkpoint file; a CourseError when there is none."""
    if run.is_dir():
        if not (run / CHECKPOINT_NAME).is_file():
            raise CourseError(f"the folder {run} holds no {CHECKPOINT_NAME}; is it the --out of a `course train` run?")
        return run / CHECKPOINT_NAME
    if not run.is_file():
        raise CourseError(f"no run folder or checkpoint at {run}")
    return run


def _read_checkpoint(path: Path) -> dict:
    """The checkpoint at ``path``, read on the CPU; a CourseError names an invalid one."""
    try:
        return reference_code().training.load_checkpoint(path)
    except ValueError as error:
        raise CourseError(str(error)) from None


def positions(
    *,
    kind: str | None = None,
    checkpoint: str | Path | None = None,
    block_size: int = 64,
    d_model: int = 128,
    out: str | Path = "positions.png",
    size_px: tuple[int, int] | None = None,
) -> Path:
    """Draw a positional encoding table and the similarity of its rows; return ``out``.

    With ``checkpoint``: that model's table, the learned one it trained or
    the sinusoidal one of its shape; ``kind`` (default: the model's own)
    must match it. Without: the sinusoidal table of ``block_size``
    positions by ``d_model`` (default: cpu-baby's 64 x 128).

    Raises:
        CourseError: an unknown ``kind``; ``learned`` without a checkpoint;
            a ``kind`` the checkpoint's model does not use; a bad checkpoint.
        ValueError: an odd ``d_model`` for sinusoids, sizes below 1, an
            ``out`` that is no ``.png`` or a bad ``size_px``.
    """
    from solutions.a2_embeddings.embeddings import sinusoidal_positional_encoding

    out = check_output(out, size_px)
    if kind is not None and kind not in POSITION_KINDS:
        raise CourseError(f"unknown --kind {kind!r}; choose one of: {', '.join(POSITION_KINDS)}")
    if checkpoint is None:
        if kind == "learned":
            raise CourseError("a learned table comes from a trained model; pass --checkpoint (or --kind sinusoidal)")
        if block_size < 1:
            raise ValueError(f"block_size={block_size} must be at least 1")
        table = sinusoidal_positional_encoding(block_size, d_model)
        title = f"sinusoidal positional encoding, {block_size} positions x d_model {d_model}"
    else:
        trained = load_trained_model(checkpoint, device="cpu")
        config = trained.model.config
        if kind is not None and kind != config.pos_encoding:
            raise CourseError(
                f"{checkpoint} was trained with {config.pos_encoding} positions, not {kind}; "
                f"drop --kind or pass --kind {config.pos_encoding}"
            )
        if config.pos_encoding == "sinusoidal":
            table = sinusoidal_positional_encoding(config.block_size, config.d_model)
        else:
            table = trained.model.pos_emb.weight
        title = f"{config.pos_encoding} positional encoding of {checkpoint} (step {trained.checkpoint['step']})"
    save_figure(positional_encoding_matrix(table, title=title), out, size_px=size_px)
    console.print(f"{title}: {out}", markup=False, soft_wrap=True)
    return out


def sampling(
    *,
    checkpoint: str | Path,
    prompt: str = "\n",
    settings: Sequence[SamplingSetting | tuple] = DEFAULT_SAMPLING_SETTINGS,
    top_n: int = 20,
    out: str | Path = "sampling.png",
    size_px: tuple[int, int] | None = None,
    device: str = "auto",
) -> Path:
    """Draw the model's next-token distribution after ``prompt`` under each sampling setting; return ``out``.

    The model reads the last ``block_size`` tokens of the prompt, as
    ``generate`` does; the filters are those the model samples with (its
    checkpoint's sampler).

    Raises:
        CourseError: an empty prompt, or a missing or invalid checkpoint.
        ValueError: a prompt with characters outside the vocabulary, a
            setting out of range, ``top_n < 1``, an ``out`` that is no
            ``.png`` or a bad ``size_px``.
    """
    if prompt == "":
        raise CourseError("--prompt is empty; give at least one character (the default is a newline)")
    out = check_output(out, size_px)
    settings = [SamplingSetting(*setting) for setting in settings]
    for setting in settings:
        setting.check()
    trained = load_trained_model(checkpoint, device=resolve_device(device))
    try:
        ids = trained.tokenizer.encode(prompt)
    except ValueError as error:
        raise ValueError(f"the prompt {prompt!r} cannot be encoded with this model's vocabulary: {error}") from None
    context = ids[-trained.model.config.block_size :]
    device_of_model = next(trained.model.parameters()).device
    with torch.no_grad():
        logits, _ = trained.model(torch.tensor([context], dtype=torch.long, device=device_of_model))  # (1, T, V)
    shown_prompt = prompt if len(prompt) <= 40 else "..." + prompt[-37:]
    figure = next_token_distributions(
        logits[0, -1], trained.tokenizer, settings, sampling=trained.code.sampling, top_n=top_n,
        title=f"the next token after {shown_prompt!r}",
    )
    save_figure(figure, out, size_px=size_px)
    console.print(f"next-token distributions after {prompt!r}: {out}", markup=False, soft_wrap=True)
    return out


def bpe(
    *,
    dataset: str = datasets_registry.DEFAULT_DATASET,
    text: str | Path | None = None,
    vocab_sizes: Sequence[int] = DEFAULT_VOCAB_SIZES,
    characters: int = DEFAULT_BPE_CHARACTERS,
    data_dir: str | Path | None = None,
    out: str | Path = "bpe.png",
    size_px: tuple[int, int] | None = None,
) -> Path:
    """Draw the course BPE's first merges and its compression against sentencepiece's; return ``out``.

    The first ``characters`` characters of the corpus (``dataset``, or the
    UTF-8 file ``text`` instead) are cut 90% / 10%, as datasets are: both
    tokenizers train on the first part and are measured on the rest, in
    UTF-8 bytes per token, at each vocabulary size.

    Raises:
        CourseError: a missing or unreadable ``text`` file, or a corpus too
            short to measure on.
        ValueError: an unknown dataset, a vocabulary size below 256,
            ``characters < 1``, an ``out`` that is no ``.png`` or a bad ``size_px``.
        DatasetError: the corpus could not be built.
    """
    from solutions.a1_tokenizer.tokenizer import train_bpe

    out = check_output(out, size_px)
    if not vocab_sizes or min(vocab_sizes) < 256:
        raise ValueError(f"--vocab-sizes {list(vocab_sizes)} must each be at least 256, the byte-level BPE's byte ids")
    if characters < 1:
        raise ValueError(f"--characters {characters} must be at least 1")
    if text is not None:
        source = str(text)
        try:
            corpus = Path(text).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            raise CourseError(f"cannot read --text {text}: {error}") from None
    else:
        source = dataset
        corpus = datasets_registry.load_text(dataset, cache_dir=data_dir)
    train_text, held_out = split_text(corpus[:characters])
    if not held_out.strip() or not train_text.strip():
        raise CourseError(f"{source} is too short to train on 90% of it and measure on the rest ({len(corpus)} characters)")
    tokenizer = train_bpe(train_text, max(vocab_sizes))
    curves = compression_curves(tokenizer, train_text, held_out, vocab_sizes)
    figure = bpe_merges_and_compression(tokenizer, curves)
    figure.suptitle(f"byte-level BPE on {source}: {len(train_text):,} characters to train, {len(held_out):,} to measure")
    save_figure(figure, out, size_px=size_px)
    for curve in curves:
        points = ", ".join(f"{size}: {value:.3f}" for size, value in sorted(curve.points.items()))
        console.print(f"{curve.name}, bytes per token by vocab size: {points or 'none'}", markup=False, soft_wrap=True)
        for size, reason in sorted(curve.missing.items()):
            console.print(f"  no {curve.name} at {size}: {reason}", markup=False, soft_wrap=True)
    console.print(f"BPE merges and compression: {out}", markup=False, soft_wrap=True)
    return out
