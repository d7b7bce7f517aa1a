"""Pictures of the model and its pieces: matplotlib Figures for notebooks, PNG files for scripts.

Each builder returns a ``Picture``, a ``matplotlib.figure.Figure`` made
without pyplot that Jupyter shows inline as a cell's last value (or with
``display``), so the same function serves a notebook and the ``course``
CLI (``save_figure`` writes it), and no global figure manager keeps it
alive or needs a display::

    figure = loss_curves({"char": char_history, "bpe": bpe_history})
    save_figure(figure, "losses.png", size_px=(1200, 600))

The builders compute nothing a learner is asked to write: they take the
learner's own functions where a picture needs one (their sampling filters,
their Task 7.3 ``attention_maps``) and draw what those return.

- ``attention_maps`` / ``attention_grid``: every head of every block, tokens on the axes
- ``positional_encoding_matrix``: a position table and how alike its rows are
- ``loss_curves``: several runs on one plot, train and validation
- ``next_token_distributions``: one distribution under several sampling settings
- ``bpe_merges_and_compression``: the first merges, and bytes per token against vocabulary size
"""

from __future__ import annotations

import io
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, NamedTuple

import torch
from matplotlib.figure import Figure

from .atomic import atomic_write

DPI = 100
"""Dots per inch of every saved PNG; ``save_figure`` turns a pixel size into inches with it."""

PIXELS_LIMITS = (100, 8000)
"""Smallest and largest width or height ``save_figure`` accepts, in pixels."""

MAX_FIGURE_INCHES = 60
"""The attention grid's panels shrink to keep it within this many inches (6,000 pixels) a side."""

RUN_COLOURS = [f"C{index}" for index in range(10)]
"""One colour per run or tokenizer, in matplotlib's default cycle."""

_VISIBLE_WHITESPACE = {" ": "␣", "\n": "↵", "\t": "⇥", "\r": "␍"}


class Picture(Figure):
    """A Figure that Jupyter shows inline by itself.

    A figure made without pyplot has no inline display of its own until
    some pyplot figure has been shown in the kernel; ``_repr_png_`` (which
    IPython asks every displayed value for) renders it at its own size and
    dots per inch, so the notebook's ``figure.dpi`` applies.
    """

    def _repr_png_(self) -> bytes:
        buffer = io.BytesIO()
        self.savefig(buffer, format="png", dpi="figure")
        return buffer.getvalue()


# ---------------------------------------------------------------------------- saving


def save_figure(figure: Figure, path: str | Path, *, size_px: tuple[int, int] | None = None) -> Path:
    """Write ``figure`` to ``path`` as a PNG of exactly ``size_px = (width, height)`` pixels, atomically.

    ``None`` keeps the figure's own size (its inches times ``DPI``). The
    figure is laid out again at the new size and given back its old size
    afterwards, so a notebook can save a figure and still show it as it was.

    Example:
        >>> save_figure(loss_curves({"run": history}), "losses.png", size_px=(1200, 600))  # doctest: +SKIP
        PosixPath('losses.png')

    Raises:
        ValueError: a width or height outside ``PIXELS_LIMITS``, or a path
            that does not end in ``.png``.
    """
    path = check_output(path, size_px)
    original_inches = tuple(figure.get_size_inches())
    if size_px is not None:
        figure.set_size_inches(size_px[0] / DPI, size_px[1] / DPI)
    try:
        atomic_write(path, lambda file: figure.savefig(file, format="png", dpi=DPI))
    finally:
        figure.set_size_inches(*original_inches)
    return path


def check_output(path: str | Path, size_px: tuple[int, int] | None) -> Path:
    """``path`` as a Path, once it ends in ``.png`` and ``size_px`` is None or a valid size.

    Commands call it before any slow work, so a typo fails at once.

    Raises:
        ValueError: see ``save_figure``.
    """
    path = Path(path)
    if path.suffix.lower() != ".png":
        raise ValueError(f"pictures are written as PNG; {path} does not end in .png")
    if size_px is not None:
        check_size(size_px)
    return path


def check_size(size_px: tuple[int, int]) -> None:
    """Raise ``ValueError`` unless ``size_px`` is two whole numbers of pixels within ``PIXELS_LIMITS``."""
    low, high = PIXELS_LIMITS
    if (
        len(size_px) != 2
        or not all(isinstance(side, int) and not isinstance(side, bool) for side in size_px)
        or not all(low <= side <= high for side in size_px)
    ):
        raise ValueError(f"a picture size is (width, height) in whole pixels, each in [{low}, {high}]; got {size_px!r}")


def parse_size(text: str) -> tuple[int, int]:
    """Read a pixel size written ``WIDTHxHEIGHT``: ``parse_size("1200x600") -> (1200, 600)``.

    Raises:
        ValueError: not two whole numbers joined by ``x``, or outside ``PIXELS_LIMITS``.
    """
    parts = text.lower().split("x")
    if len(parts) != 2 or not all(part.strip().isdigit() for part in parts):
        raise ValueError(f"a size is WIDTHxHEIGHT in pixels, e.g. 1200x600; got {text!r}")
    size = (int(parts[0]), int(parts[1]))
    check_size(size)
    return size


# ---------------------------------------------------------------------------- tokens as labels


def visible_token(text: str) -> str:
    """``text`` with whitespace drawn as visible marks, for axis labels: ``visible_token(" a\\n") -> "␣a↵"``.

    Other control characters are shown escaped (``"\\x00"``), so every token
    has a label one can read.
    """
    shown = []
    for character in text:
        if character in _VISIBLE_WHITESPACE:
            shown.append(_VISIBLE_WHITESPACE[character])
        elif not character.isprintable():
            shown.append(repr(character)[1:-1])
        else:
            shown.append(character)
    return "".join(shown)


def token_labels(tokenizer: Any, ids: Sequence[int]) -> list[str]:
    """One readable label per id: ``tokenizer.decode([id])`` with whitespace made visible.

    A byte-level BPE token that holds part of a UTF-8 character decodes to
    ``"�"``, as the tokenizer's ``decode`` writes it.
    """
    return [visible_token(tokenizer.decode([int(token_id)])) for token_id in ids]


def _label_size(count: int) -> float:
    # Labels shrink as the axis fills up, down to the smallest size still legible.
    return max(4.0, min(9.0, 220.0 / max(count, 1)))


# ---------------------------------------------------------------------------- attention


def attention_grid(weights: torch.Tensor, tokens: Sequence[str], *, title: str = "") -> Picture:
    """Every head of every block as a heatmap: a grid of ``n_layer`` rows by ``n_head`` columns.

    Panel ``[l, h]`` shows ``weights[l, h]``: row ``i`` is how position ``i``
    spreads its attention over the positions ``j`` (columns), 0 dark to 1
    bright. The tokens label the axes of the outer panels (every k-th one
    past 64 positions). One colour bar is shared by all panels, so the
    figure holds ``n_layer * n_head + 1`` axes.

    Args:
        weights: shape ``(n_layer, n_head, T, T)``, each row summing to 1.
        tokens: ``T`` labels, one per position.
        title: shown above the grid.

    Example:
        >>> figure = attention_grid(torch.full((2, 3, 4, 4), 0.25), list("abcd"))
        >>> len(figure.axes)   # 2 x 3 panels and the colour bar
        7

    Raises:
        ValueError: ``weights`` is not ``(n_layer, n_head, T, T)`` or ``tokens`` is not ``T`` long.
    """
    if weights.dim() != 4 or weights.shape[-1] != weights.shape[-2]:
        raise ValueError(f"weights must have shape (n_layer, n_head, T, T), got {tuple(weights.shape)}")
    n_layer, n_head, length, _ = weights.shape
    if len(tokens) != length:
        raise ValueError(f"{len(tokens)} token labels for T={length} positions; give one label per position")
    weights = weights.detach().float().cpu()
    # Room for every token's label up to 64 of them, within a figure of at most MAX_FIGURE_INCHES a side.
    panel_inches = min(max(2.4, 0.14 * min(length, 64)), MAX_FIGURE_INCHES / max(n_layer, n_head))
    figure = Picture(figsize=(panel_inches * n_head + 1.2, panel_inches * n_layer + 0.6), layout="constrained")
    panels = figure.subplots(n_layer, n_head, squeeze=False)
    label_every = -(-length // 64)  # a long prompt labels every k-th position only
    ticks = list(range(0, length, label_every))
    labels = [tokens[position] for position in ticks]
    label_size = _label_size(len(ticks))
    image = None
    for layer in range(n_layer):
        for head in range(n_head):
            panel = panels[layer, head]
            image = panel.imshow(weights[layer, head].numpy(), cmap="viridis", vmin=0.0, vmax=1.0)
            panel.set_title(f"block {layer}, head {head}", fontsize=9)
            # The tokens only on the outer panels: inner panels share them, and there is no room.
            panel.set_xticks(ticks, labels if layer == n_layer - 1 else [], fontsize=label_size, rotation=90)
            panel.set_yticks(ticks, labels if head == 0 else [], fontsize=label_size)
    figure.colorbar(image, ax=panels, shrink=0.6, label="attention weight")
    figure.supxlabel("attends to (key position)")
    figure.supylabel("reading position (query)")
    if title:
        figure.suptitle(title)
    return figure


def attention_maps(
    model: torch.nn.Module,
    tokenizer: Any,
    prompt: str,
    *,
    compute_weights: Callable[[torch.nn.Module, torch.Tensor], torch.Tensor],
) -> Picture:
    """The attention of every head of ``model`` reading ``prompt``, drawn by ``attention_grid``.

    ``compute_weights(model, ids)`` gives the weights for ``ids`` of shape
    ``(1, T)`` as ``(n_layer, 1, n_head, T, T)``: Task 7.3's
    ``capstone.attention_maps``, the learner's in a notebook and the
    reference's in ``course attention``.

    Example (in the capstone notebook):
        >>> attention_maps(run.model, run.tokenizer, "ROMEO:", compute_weights=capstone.attention_maps)  # doctest: +SKIP

    Raises:
        ValueError: the prompt is empty, holds a character the tokenizer
            cannot encode, or is longer than the model's ``block_size``; or
            ``compute_weights`` returns another shape.
    """
    if prompt == "":
        raise ValueError("the prompt is empty; give at least one character to look at")
    try:
        ids = tokenizer.encode(prompt)
    except ValueError as error:
        raise ValueError(f"the prompt {prompt!r} cannot be encoded with this tokenizer: {error}") from None
    if len(ids) > model.config.block_size:
        raise ValueError(
            f"the prompt is {len(ids)} tokens long, longer than the model's context of "
            f"block_size={model.config.block_size}; shorten it"
        )
    device = next(model.parameters()).device
    weights = compute_weights(model, torch.tensor([ids], dtype=torch.long, device=device))
    expected = (model.config.n_layer, 1, model.config.n_head, len(ids), len(ids))
    if tuple(weights.shape) != expected:
        raise ValueError(f"compute_weights returned shape {tuple(weights.shape)}, expected (n_layer, 1, n_head, T, T) = {expected}")
    shown_prompt = prompt if len(prompt) <= 60 else prompt[:57] + "..."
    return attention_grid(weights[:, 0], token_labels(tokenizer, ids), title=f"attention weights reading {shown_prompt!r}")


# ---------------------------------------------------------------------------- positions


def positional_encoding_matrix(table: torch.Tensor, *, title: str = "positional encoding") -> Picture:
    """A position table as a heatmap, beside the cosine similarity of every pair of its rows.

    Left: ``table[p, c]``, positions down, dimensions across, on a colour
    scale symmetric around 0. Right: ``cos(P_p, P_q)``: a sinusoidal table
    gives bands along the diagonals (similarity depends on ``p - q`` only);
    a learned table at initialisation gives noise, and after training
    shows what the model learnt about nearby positions.

    Args:
        table: shape ``(positions, d_model)``, e.g.
            ``sinusoidal_positional_encoding(64, 128)`` or a GPT's ``pos_emb.weight``.

    Example:
        >>> len(positional_encoding_matrix(torch.randn(16, 8)).axes)   # two panels, two colour bars
        4

    Raises:
        ValueError: ``table`` is not 2-D with at least one row and column.
    """
    table = torch.as_tensor(table).detach().float().cpu()
    if table.dim() != 2 or 0 in table.shape:
        raise ValueError(f"a position table has shape (positions, d_model), got {tuple(table.shape)}")
    positions, d_model = table.shape
    unit_rows = table / table.norm(dim=1, keepdim=True).clamp_min(1e-12)  # (positions, d_model)
    similarity = unit_rows @ unit_rows.T  # (positions, positions)
    largest = float(table.abs().max()) or 1.0

    figure = Picture(figsize=(12, 5), layout="constrained")
    left, right = figure.subplots(1, 2)
    image = left.imshow(table.numpy(), cmap="RdBu_r", vmin=-largest, vmax=largest, aspect="auto", interpolation="nearest")
    left.set(xlabel="dimension", ylabel="position p", title=f"the table, {positions} positions x {d_model} dimensions")
    figure.colorbar(image, ax=left, label="value")
    image = right.imshow(similarity.numpy(), cmap="RdBu_r", vmin=-1.0, vmax=1.0, interpolation="nearest")
    right.set(xlabel="position q", ylabel="position p", title="cosine similarity of positions p and q")
    figure.colorbar(image, ax=right, label="cosine similarity")
    figure.suptitle(title)
    return figure


# ---------------------------------------------------------------------------- losses


def _history_field(history: Any, name: str) -> list:
    """A field of a run's history, given as ``TrainHistory`` or as its ``to_dict()``."""
    value = history.get(name, []) if isinstance(history, Mapping) else getattr(history, name, [])
    return list(value)


def loss_curves(runs: Mapping[str, Any], *, title: str = "") -> Picture:
    """The loss curves of several runs on one plot, one colour per run.

    Each run draws its per-step training loss faintly, its periodic
    training estimate dashed and its validation estimate solid with dots.
    Losses of runs with different tokenizers are per token of different
    sizes; compare those in bits per character instead.

    Args:
        runs: ``{label: history}``; a history is a ``TrainHistory`` or its
            ``to_dict()`` (lists ``step``, ``loss``, ``eval_step``,
            ``train_loss``, ``val_loss``), as a checkpoint stores it.
        title: shown above the plot.

    Example:
        >>> figure = loss_curves({"a": {"step": [0, 1], "loss": [4.2, 3.9], "eval_step": [1],
        ...                             "train_loss": [3.9], "val_loss": [4.0]}})
        >>> [line.get_label() for line in figure.axes[0].get_lines()]
        ['a: train (each step)', 'a: train', 'a: validation']

    Raises:
        ValueError: ``runs`` is empty, or a run recorded no step at all.
    """
    if not runs:
        raise ValueError("no runs to plot; give at least one {label: history}")
    figure = Picture(figsize=(10, 5.5), layout="constrained")
    axes = figure.subplots()
    for index, (label, history) in enumerate(runs.items()):
        colour = RUN_COLOURS[index % len(RUN_COLOURS)]
        step, loss = _history_field(history, "step"), _history_field(history, "loss")
        eval_step = _history_field(history, "eval_step")
        if not step and not eval_step:
            raise ValueError(f"run {label!r} recorded no step; is its history empty?")
        prefix = f"{label}: " if label else ""
        if step:
            axes.plot(step, loss, color=colour, alpha=0.3, linewidth=0.8, label=f"{prefix}train (each step)")
        if eval_step:
            axes.plot(eval_step, _history_field(history, "train_loss"), "--", color=colour, label=f"{prefix}train")
            axes.plot(eval_step, _history_field(history, "val_loss"), "o-", color=colour, markersize=4, label=f"{prefix}validation")
    axes.set_xlabel("step")
    axes.set_ylabel("cross-entropy loss (nats per token)")
    axes.grid(alpha=0.3)
    axes.legend(fontsize=8)
    if title:
        axes.set_title(title)
    return figure


# ---------------------------------------------------------------------------- sampling


def _entropy_bits(probabilities: torch.Tensor) -> float:
    """Entropy of a distribution in bits; tokens of probability 0 add nothing."""
    nonzero = probabilities[probabilities > 0]
    return float(-(nonzero * nonzero.log2()).sum())


class SamplingSetting(NamedTuple):
    """One way to turn logits into a distribution, as ``sample_next`` applies it."""

    temperature: float
    """``> 0`` divides the logits; 0 is greedy (all the mass on the most likely token)."""
    top_k: int | None = None
    """Keep the ``top_k`` most likely tokens; None keeps all."""
    top_p: float | None = None
    """Keep the smallest set holding this much probability; None keeps all."""

    def describe(self) -> str:
        """A short title: ``SamplingSetting(0.8, 40).describe() -> "t = 0.8, top-k 40"``."""
        if self.temperature == 0:
            return "greedy (t = 0)"
        parts = [f"t = {self.temperature:g}"]
        if self.top_k is not None:
            parts.append(f"top-k {self.top_k}")
        if self.top_p is not None:
            parts.append(f"top-p {self.top_p:g}")
        return ", ".join(parts)

    def check(self) -> None:
        """Raise ``ValueError`` naming the value when a field is out of range."""
        if not self.temperature >= 0:
            raise ValueError(f"temperature={self.temperature} must be >= 0 (0 means greedy)")
        if self.top_k is not None and (isinstance(self.top_k, bool) or not isinstance(self.top_k, int) or self.top_k < 1):
            raise ValueError(f"top_k={self.top_k!r} must be a whole number >= 1 (or None: no top-k filter)")
        if self.top_p is not None and not 0 < self.top_p <= 1:
            raise ValueError(f"top_p={self.top_p} must lie in (0, 1] (or None: no top-p filter)")


def parse_sampling_setting(text: str) -> SamplingSetting:
    """Read ``TEMPERATURE[,TOP_K[,TOP_P]]``, ``-`` for an unused filter.

    Examples: ``"0.8"`` -> t 0.8 alone; ``"1,40"`` -> top-k 40;
    ``"1,-,0.9"`` -> top-p 0.9; ``"0"`` -> greedy.

    Raises:
        ValueError: not 1 to 3 comma-separated fields, a field that is not a
            number, or a value out of range (see ``SamplingSetting.check``).
    """
    fields = [field.strip() for field in text.split(",")]
    if not 1 <= len(fields) <= 3 or fields[0] in ("", "-"):
        raise ValueError(f"a sampling setting is TEMPERATURE[,TOP_K[,TOP_P]] with - for no filter, e.g. 1,-,0.9; got {text!r}")
    fields += ["-"] * (3 - len(fields))
    try:
        setting = SamplingSetting(
            temperature=float(fields[0]),
            top_k=None if fields[1] == "-" else int(fields[1]),
            top_p=None if fields[2] == "-" else float(fields[2]),
        )
    except ValueError:
        raise ValueError(f"a sampling setting is TEMPERATURE[,TOP_K[,TOP_P]] with - for no filter, e.g. 1,-,0.9; got {text!r}") from None
    setting.check()
    return setting


def filtered_distribution(logits: torch.Tensor, setting: SamplingSetting, sampling: Any) -> torch.Tensor:
    """The distribution ``sample_next`` draws from under ``setting``, computed with ``sampling``'s functions.

    Greedy (t = 0) puts all the mass on ``sampling.greedy_next``'s token;
    otherwise ``softmax(top_p_filter(top_k_filter(apply_temperature(logits))))``,
    each filter only when the setting uses it.

    Args:
        logits: shape ``(V,)``.
        setting: the temperature and filters.
        sampling: a module with ``greedy_next``, ``apply_temperature``,
            ``top_k_filter`` and ``top_p_filter`` (assignment 6).

    Returns:
        float32 probabilities of shape ``(V,)``, summing to 1.
    """
    row = logits.detach().float().unsqueeze(0)  # (1, V)
    if setting.temperature == 0:
        choice = int(sampling.greedy_next(row)[0, 0])
        return torch.nn.functional.one_hot(torch.tensor(choice), row.shape[-1]).float()
    row = sampling.apply_temperature(row, setting.temperature)
    if setting.top_k is not None:
        row = sampling.top_k_filter(row, setting.top_k)
    if setting.top_p is not None:
        row = sampling.top_p_filter(row, setting.top_p)
    return torch.softmax(row.float(), dim=-1)[0]  # (V,)


def next_token_distributions(
    logits: torch.Tensor,
    tokenizer: Any,
    settings: Sequence[SamplingSetting | tuple],
    *,
    sampling: Any,
    top_n: int = 20,
    title: str = "",
) -> Picture:
    """The next-token distribution under each sampling setting, side by side.

    Every panel shows the same ``top_n`` tokens, the most likely under the
    raw softmax, in that order: grey bars are the raw probabilities, blue
    bars what the setting makes of them. Each title says how many of the
    ``V`` tokens keep any probability and the entropy left.

    Args:
        logits: the model's logits for the next token, shape ``(V,)`` or ``(1, V)``.
        tokenizer: decodes each token for its label.
        settings: ``SamplingSetting``s or ``(temperature, top_k, top_p)`` tuples.
        sampling: the module whose filters are applied (``impl.a6`` in a notebook).
        top_n: how many tokens to label.
        title: shown above the panels.

    Example:
        >>> next_token_distributions(logits, tokenizer, [(1.0, None, None), (0.7, 10, None), (1.0, None, 0.9)],
        ...                          sampling=impl.a6)  # doctest: +SKIP

    Raises:
        ValueError: ``logits`` is not one row, the tokenizer has another
            vocabulary size, ``settings`` is empty or holds a value out of range,
            or ``top_n < 1``.
    """
    logits = logits.detach().float().cpu()
    if logits.dim() == 2 and logits.shape[0] == 1:
        logits = logits[0]
    if logits.dim() != 1:
        raise ValueError(f"logits must have shape (V,) or (1, V), got {tuple(logits.shape)}")
    vocab_size = logits.shape[0]
    if tokenizer.vocab_size != vocab_size:
        raise ValueError(f"the logits cover {vocab_size} tokens but the tokenizer has vocab_size={tokenizer.vocab_size}")
    if not settings:
        raise ValueError("no sampling settings to draw; give at least one (temperature, top_k, top_p)")
    if top_n < 1:
        raise ValueError(f"top_n={top_n} must be at least 1")
    settings = [SamplingSetting(*setting) for setting in settings]
    for setting in settings:
        setting.check()

    raw = torch.softmax(logits, dim=-1)  # (V,)
    shown = torch.argsort(raw, descending=True, stable=True)[: min(top_n, vocab_size)]  # (top_n,)
    labels = token_labels(tokenizer, shown.tolist())
    positions = range(len(labels))
    figure = Picture(figsize=(max(3.5, 0.18 * len(labels) + 1.2) * len(settings), 4.2), layout="constrained")
    panels = figure.subplots(1, len(settings), sharey=True, squeeze=False)[0]
    distributions = [filtered_distribution(logits, setting, sampling) for setting in settings]  # each (V,)
    for panel, setting, probabilities in zip(panels, settings, distributions):
        kept = int((probabilities > 0).sum())
        panel.bar(positions, raw[shown].numpy(), color="0.82", label="raw softmax (t = 1)")
        panel.bar(positions, probabilities[shown].numpy(), width=0.55, color="C0", label="after the setting")
        panel.set_xticks(positions, labels, fontsize=_label_size(len(labels)), rotation=90)
        panel.grid(axis="y", alpha=0.3)
        panel.set_title(
            f"{setting.describe()}\nkeeps {kept} of {vocab_size} tokens, {_entropy_bits(probabilities):.2f} bits", fontsize=9
        )
    tallest = max(float(raw.max()), *(float(probabilities.max()) for probabilities in distributions))
    panels[0].set_ylim(0, min(1.0, 1.1 * tallest))  # shared by every panel
    panels[0].set_ylabel("probability of the next token")
    panels[0].legend(fontsize=8)
    if title:
        figure.suptitle(title)
    return figure


# ---------------------------------------------------------------------------- BPE


def _readable_bytes(token: bytes) -> str:
    """A token's bytes as text, whitespace visible and bytes that are no UTF-8 escaped: ``b"\\xe2 a" -> "\\xe2␣a"``."""
    return visible_token(token.decode("utf-8", errors="backslashreplace"))


def bpe_merges_and_compression(tokenizer: Any, curves: Sequence[Any] = (), *, first_merges: int = 24) -> Picture:
    """The first merges of a byte-level BPE, beside bytes per token against vocabulary size.

    Left: merges ``256 .. 256 + first_merges - 1`` as ``left + right -> new
    token``, whitespace made visible. Right: one line per curve of
    ``grader.compression.compression_curves`` (the course's BPE and
    sentencepiece's), with each point's value; sizes a tokenizer could not
    train at are named in its legend entry.

    Args:
        tokenizer: a trained ``BPETokenizer`` (``merges`` and ``vocab``).
        curves: ``CompressionCurve``s (``name``, ``points``, ``missing``); none
            leaves the right panel empty.
        first_merges: how many merges to list.

    Example:
        >>> bpe = BPETokenizer([(97, 97), (256, 97), (257, 98)])
        >>> len(bpe_merges_and_compression(bpe).axes)
        2

    Raises:
        ValueError: ``first_merges < 1``.
    """
    if first_merges < 1:
        raise ValueError(f"first_merges={first_merges} must be at least 1")
    figure = Picture(figsize=(13, 5.5), layout="constrained")
    merges_panel, curve_panel = figure.subplots(1, 2, width_ratios=[1, 1.4])
    merges_panel.axis("off")
    listed = tokenizer.merges[:first_merges]
    lines = [
        f"{256 + rank:>5}  {_readable_bytes(tokenizer.vocab[a]):>8} + {_readable_bytes(tokenizer.vocab[b]):<8} -> "
        f"{_readable_bytes(tokenizer.vocab[256 + rank])}"
        for rank, (a, b) in enumerate(listed)
    ]
    merges_panel.set_title(f"the first {len(listed)} of {len(tokenizer.merges)} merges (␣ is a space)")
    merges_panel.text(
        0.0, 1.0, "\n".join(lines) or "(no merges)", family="monospace", fontsize=max(6.0, min(10.0, 260.0 / max(len(lines), 1))),
        va="top", ha="left", transform=merges_panel.transAxes,
    )
    for index, curve in enumerate(curves):
        sizes = sorted(curve.points)
        values = [curve.points[size] for size in sizes]
        label = curve.name + (f" (none at {', '.join(map(str, sorted(curve.missing)))})" if curve.missing else "")
        colour = RUN_COLOURS[index % len(RUN_COLOURS)]
        curve_panel.plot(sizes, values, "o-", color=colour, label=label)
        # The first curve's values above its points, the others' below, so that close curves stay readable.
        offset = (0, 6) if index == 0 else (0, -12)
        for size, value in zip(sizes, values):
            curve_panel.annotate(f"{value:.2f}", (size, value), textcoords="offset points", xytext=offset, ha="center", fontsize=8, color=colour)
    curve_panel.set(xlabel="vocabulary size", ylabel="UTF-8 bytes per token (held-out text)", title="compression")
    curve_panel.grid(alpha=0.3)
    if curves:
        curve_panel.legend(fontsize=8)
    return figure
