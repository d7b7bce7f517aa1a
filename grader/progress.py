"""Training progress: a rich bar on a terminal, a line every so often elsewhere.

Throughput counts training only: an interval in which an evaluation ran is
left out, so evaluating often does not make the model look slow.
"""

from __future__ import annotations

import time

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

PLAIN_LINES = 20  # roughly how many progress lines a plain-text run prints


class TrainingProgress:
    """Callbacks for ``train(on_step=..., on_eval=...)`` that display progress.

    Use as a context manager around the call to ``train``.
    """

    def __init__(self, *, total_steps: int, tokens_per_step: int, plain: bool, console: Console):
        self.total_steps = total_steps
        self.tokens_per_step = tokens_per_step
        self.plain = plain
        self.console = console
        self.last_step: int | None = None
        self.last_eval_step: int | None = None
        self._train_seconds = 0.0
        self._train_steps = 0
        self._previous_time: float | None = None
        self._evaluated_since_previous = False
        self._plain_every = max(1, total_steps // PLAIN_LINES)
        self._progress = Progress(
            TextColumn("[bold]train"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("loss {task.fields[loss]:.4f}  lr {task.fields[lr]:.2e}  {task.fields[rate]:>8,.0f} tok/s"),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            console=console,
            disable=plain,
        )
        self._task = None

    def __enter__(self) -> "TrainingProgress":
        self._progress.__enter__()
        self._task = self._progress.add_task("train", total=self.total_steps, loss=float("nan"), lr=0.0, rate=0.0)
        return self

    def __exit__(self, *exc_info) -> None:
        self._progress.__exit__(*exc_info)

    def on_step(self, step: int, loss: float, lr: float) -> None:
        """Record one optimiser step (called by ``train`` after every step)."""
        now = time.perf_counter()
        if self._previous_time is not None and not self._evaluated_since_previous:
            self._train_seconds += now - self._previous_time
            self._train_steps += 1
        self._previous_time = now
        self._evaluated_since_previous = False
        self.last_step = step
        rate = self.tokens_per_second()
        self._progress.update(self._task, completed=step + 1, loss=loss, lr=lr, rate=rate)
        if self.plain and (step % self._plain_every == 0 or step == self.total_steps - 1):
            self.console.print(f"step {step:>6}/{self.total_steps}  loss {loss:.4f}  lr {lr:.2e}  {rate:,.0f} tok/s")

    def on_eval(self, step: int, losses: dict[str, float]) -> None:
        """Show an evaluation (called by ``train`` after each estimate)."""
        self._evaluated_since_previous = True
        self.last_eval_step = step
        shown = "  ".join(f"{split} {value:.4f}" for split, value in losses.items())
        self.console.print(f"[bold]eval[/] step {step:>6}: {shown}")

    def tokens_per_second(self) -> float:
        """Training tokens per second so far (0 before two steps have run)."""
        if self._train_seconds == 0.0:
            return 0.0
        return self._train_steps * self.tokens_per_step / self._train_seconds
