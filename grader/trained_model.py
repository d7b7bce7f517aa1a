"""A model trained by ``course train``, read back from its checkpoint with its tokenizer.

The model is rebuilt by the code it was trained with, as ``course sample``
does: the reference, or the composition of the learner's and the
reference's pieces that the checkpoint records (grader/composed.py)::

    trained = load_trained_model("runs/cpu-baby-shakespeare/ckpt.pt")
    logits, _ = trained.model(torch.tensor([trained.tokenizer.encode("ROMEO:")]))
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from torch import nn

from . import data as datasets_registry
from .composed import ModelCode, code_from_record, reference_code
from .errors import CourseError


@dataclass(frozen=True)
class TrainedModel:
    """What a ``course train`` checkpoint holds, ready to use."""

    model: nn.Module
    """The GPT with the checkpoint's weights, in eval mode, on the requested device."""
    tokenizer: Any
    """The tokenizer the run's data was encoded with (``encode``, ``decode``, ``vocab_size``)."""
    checkpoint: dict[str, Any]
    """The checkpoint itself: ``history``, ``step``, ``extra`` (preset, dataset, ...)."""
    code: ModelCode
    """The modules the model was built from; ``code.sampling`` is its sampler."""


def load_trained_model(checkpoint: str | Path, *, device: str = "cpu") -> TrainedModel:
    """Read ``checkpoint`` (a ``ckpt.pt`` written by ``course train``) and rebuild its model on ``device``.

    Raises:
        CourseError: no file at ``checkpoint``, a file that is no valid
            checkpoint, or one without the model config and tokenizer
            ``course train`` stores.
    """
    # First, so that a copy of the course without solutions/ says the command is not available here.
    training = reference_code().training
    path = Path(checkpoint)
    if not path.is_file():
        where = f"{path} is a folder; pass the ckpt.pt inside it" if path.is_dir() else f"no checkpoint at {path}"
        raise CourseError(f"{where} (a run of `course train` writes OUT/ckpt.pt)")
    try:
        saved = training.load_checkpoint(path, map_location=device)
    except ValueError as error:
        raise CourseError(str(error)) from None
    try:
        code = code_from_record(saved["extra"].get("implementation"))
        model_config = code.model.GPTConfig(**saved["extra"]["model_config"])
        tokenizer = datasets_registry.tokenizer_from_dict(saved["extra"]["tokenizer"])
    except (KeyError, TypeError, AttributeError) as error:
        raise CourseError(f"{path} was not written by `course train` (no model config or tokenizer: {error})") from None
    model = code.model.GPT(model_config)
    model.load_state_dict(saved["model"])
    model.to(device)
    model.eval()
    return TrainedModel(model=model, tokenizer=tokenizer, checkpoint=saved, code=code)
