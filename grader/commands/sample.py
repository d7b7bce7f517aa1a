"""``course sample``: generate text from a checkpoint written by ``course train``.

The model is built by the code it was trained with: the reference, or, for
a ``course train --impl`` run, the same composition of the learner's and the
reference's pieces (the checkpoint records whose each piece was), which
also supplies the sampler.
"""

from __future__ import annotations

from pathlib import Path

import torch

from ..devices import resolve_device
from ..errors import CourseError
from ..trained_model import load_trained_model


def main(
    *,
    checkpoint: str | Path,
    prompt: str = "\n",
    temperature: float = 0.8,
    top_k: int | None = 200,
    top_p: float | None = None,
    max_tokens: int = 500,
    seed: int = 1337,
    num_samples: int = 1,
    device: str = "auto",
) -> list[str]:
    """Return ``num_samples`` continuations of ``prompt`` (prompt included).

    The defaults are nanoGPT's (temperature 0.8, top-k 200, 500 tokens). The
    same checkpoint, prompt, settings and seed give the same text on the same
    device. Sampling settings are checked before the checkpoint is read.
    """
    if temperature < 0:
        raise CourseError(f"--temperature must be >= 0 (0 means greedy), got {temperature}")
    if top_k is not None and top_k < 1:
        raise CourseError(f"--top-k must be at least 1, got {top_k}")
    if top_p is not None and not 0 < top_p <= 1:
        raise CourseError(f"--top-p must be in (0, 1], got {top_p}")
    if max_tokens < 0:
        raise CourseError(f"--max-tokens must be >= 0, got {max_tokens}")
    if num_samples < 1:
        raise CourseError(f"--num-samples must be at least 1, got {num_samples}")
    if prompt == "":
        raise CourseError("--prompt is empty; give at least one character (the default is a newline)")

    device = resolve_device(device)
    trained = load_trained_model(checkpoint, device=device)
    model, tokenizer, code = trained.model, trained.tokenizer, trained.code

    try:
        prompt_ids = tokenizer.encode(prompt)
    except ValueError as error:
        raise CourseError(f"the prompt cannot be encoded with this model's vocabulary: {error}") from None
    generator = torch.Generator(device=device).manual_seed(seed)
    ids = torch.tensor([prompt_ids] * num_samples, dtype=torch.long, device=device)
    out = code.sampling.generate(
        model, ids, max_tokens, temperature=temperature, top_k=top_k, top_p=top_p, generator=generator
    )
    return [tokenizer.decode(row.tolist()) for row in out]
