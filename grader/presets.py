"""Named training configurations for ``course train --preset NAME``.

Each preset is one typed record: the model's shape, the optimisation settings
and the data it expects. The two nanoGPT presets copy the published configs
so that our validation losses can be compared with nanoGPT's figures
(1.88 for the CPU "baby" run, 1.47 for the GPU shakespeare-char run, both on
tinyshakespeare at character level).
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace

from .errors import CourseError


@dataclass(frozen=True)
class Preset:
    """A complete recipe for one training run."""

    name: str
    description: str
    # Model shape (GPTConfig without vocab_size, which comes from the data).
    n_layer: int
    n_head: int
    d_model: int
    block_size: int  # context length in tokens
    dropout: float = 0.0
    pos_encoding: str = "learned"
    # Data.
    dataset: str = "shakespeare"
    tokenizer: str = "char"  # "char" | "bpe" | "sentencepiece"
    vocab_size: int | None = None  # only for the sub-word tokenizers
    # Optimisation (TrainConfig).
    max_iters: int = 2000
    batch_size: int = 12
    grad_accum_steps: int = 1
    max_lr: float = 1e-3
    min_lr: float = 1e-4
    warmup_steps: int = 100
    lr_decay_steps: int | None = None  # None: decay over max_iters, as nanoGPT's lr_decay_iters=max_iters
    weight_decay: float = 0.1
    beta2: float = 0.99  # nanoGPT uses 0.99 for its small char-level models
    grad_clip: float = 1.0
    eval_interval: int = 250
    eval_iters: int = 20
    # Speed-ups that only pay off on a GPU; `course train` turns them off on CPU.
    compile: bool = False
    fused_attention: bool = False

    def with_overrides(self, **overrides) -> "Preset":
        """A copy with the given fields replaced; ``None`` values are ignored."""
        known = {field.name for field in fields(self)}
        unknown = sorted(set(overrides) - known)
        if unknown:
            raise CourseError(f"unknown preset field(s): {', '.join(unknown)}")
        return replace(self, **{key: value for key, value in overrides.items() if value is not None})


PRESETS: dict[str, Preset] = {
    preset.name: preset
    for preset in [
        Preset(
            name="cpu-baby",
            description="nanoGPT's CPU 'baby' run: 4 layers, 4 heads, 128 wide, 64 tokens of context; minutes on 2 cores",
            n_layer=4,
            n_head=4,
            d_model=128,
            block_size=64,
            batch_size=12,
            max_iters=2000,
            eval_interval=250,
            eval_iters=20,
        ),
        Preset(
            name="gpu-shakespeare-char",
            description="nanoGPT's shakespeare-char run: 6 layers, 6 heads, 384 wide, 256 tokens of context, dropout 0.2",
            n_layer=6,
            n_head=6,
            d_model=384,
            block_size=256,
            dropout=0.2,
            batch_size=64,
            max_iters=5000,
            eval_interval=250,
            eval_iters=200,
            compile=True,
            fused_attention=True,
        ),
        Preset(
            name="cpu-bpe",
            description="the baby model on the course's own byte-level BPE (vocab 512) instead of characters",
            n_layer=4,
            n_head=4,
            d_model=128,
            block_size=64,
            tokenizer="bpe",
            vocab_size=512,
            batch_size=12,
            max_iters=2000,
            eval_interval=250,
            eval_iters=20,
        ),
        Preset(
            name="smoke",
            description="a seconds-long run that proves the whole pipeline works (tests, first try)",
            n_layer=2,
            n_head=2,
            d_model=32,
            block_size=32,
            batch_size=8,
            max_iters=40,
            warmup_steps=5,
            eval_interval=20,
            eval_iters=4,
        ),
    ]
}

DEFAULT_PRESET = "cpu-baby"


def get_preset(name: str) -> Preset:
    """The preset called ``name``; an unknown name is a CourseError listing the known ones."""
    try:
        return PRESETS[name]
    except KeyError:
        raise CourseError(f"unknown preset {name!r}; choose one of: {', '.join(PRESETS)}") from None
