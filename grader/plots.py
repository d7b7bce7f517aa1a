"""The loss curve ``course train`` writes beside each checkpoint, ``loss.png``.

The drawing is grader/pictures.py's ``loss_curves``, the same as
``course plot losses`` uses for several runs.
"""

from __future__ import annotations

from pathlib import Path

from .pictures import loss_curves, save_figure

LOSS_CURVE_PIXELS = (800, 450)
"""Width and height of ``loss.png``."""


def save_loss_curve(history: dict, path: str | Path, *, title: str = "") -> Path:
    """Plot per-step training loss and the periodic train/val estimates into ``path``.

    ``history`` is ``TrainHistory.to_dict()``: lists ``step``, ``loss``,
    ``eval_step``, ``train_loss``, ``val_loss``. The PNG is written atomically.

    Raises:
        ValueError: the history recorded no step.
    """
    return save_figure(loss_curves({"": history}, title=title), path, size_px=LOSS_CURVE_PIXELS)
