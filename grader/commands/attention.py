"""``course attention``: the attention weights of every layer and head of a trained model, as a PNG.

    course attention --checkpoint runs/cpu-baby-shakespeare/ckpt.pt --prompt "ROMEO:" --out attention.png

The weights are read with Task 7.3's ``attention_maps`` (the reference),
which replays the forward pass through each block's attention with
``return_weights=True``; the model itself is the checkpoint's.
"""

from __future__ import annotations

from pathlib import Path

from ..console import console
from ..devices import resolve_device
from ..errors import CourseError
from ..pictures import attention_maps, check_output, save_figure
from ..trained_model import load_trained_model


def main(
    *,
    checkpoint: str | Path,
    prompt: str,
    out: str | Path = "attention.png",
    size_px: tuple[int, int] | None = None,
    device: str = "auto",
) -> Path:
    """Draw the grid of ``n_layer x n_head`` attention maps of ``prompt`` into ``out``; return ``out``.

    ``size_px`` is ``(width, height)``; by default the figure's own: 240
    pixels a panel, more for long prompts so that every token's label fits.

    Raises:
        CourseError: an empty prompt, or a missing or invalid checkpoint.
        ValueError: a prompt with characters outside the model's vocabulary
            or longer than its context; an ``out`` that is no ``.png`` or a
            bad ``size_px``.
    """
    from solutions.a7_capstone.capstone import attention_maps as attention_weights

    if prompt == "":
        raise CourseError("--prompt is empty; give the text whose attention to draw, e.g. --prompt 'ROMEO:'")
    out = check_output(out, size_px)
    trained = load_trained_model(checkpoint, device=resolve_device(device))
    figure = attention_maps(trained.model, trained.tokenizer, prompt, compute_weights=attention_weights)
    save_figure(figure, out, size_px=size_px)
    console.print(f"attention maps of {prompt!r}: {out}", markup=False, soft_wrap=True)
    return out
