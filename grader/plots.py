"""Loss curves as PNG files (matplotlib, headless)."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # no display needed; must come before pyplot is imported
import matplotlib.pyplot as plt  # noqa: E402

from .atomic import atomic_write  # noqa: E402


def save_loss_curve(history: dict, path: str | Path, *, title: str = "") -> Path:
    """Plot per-step training loss and the periodic train/val estimates into ``path``.

    ``history`` is ``TrainHistory.to_dict()``: lists ``step``, ``loss``,
    ``eval_step``, ``train_loss``, ``val_loss``. The PNG is written atomically.
    """
    path = Path(path)
    figure, axes = plt.subplots(figsize=(8, 4.5), dpi=100)
    try:
        if history.get("step"):
            axes.plot(history["step"], history["loss"], color="0.75", linewidth=0.8, label="train (per step)")
        if history.get("eval_step"):
            axes.plot(history["eval_step"], history["train_loss"], "o-", label="train (estimate)")
            axes.plot(history["eval_step"], history["val_loss"], "o-", label="validation")
        axes.set_xlabel("step")
        axes.set_ylabel("cross-entropy loss (nats)")
        axes.set_title(title)
        axes.grid(alpha=0.3)
        axes.legend()
        figure.tight_layout()
        atomic_write(path, lambda file: figure.savefig(file, format="png"))
    finally:
        plt.close(figure)
    return path
