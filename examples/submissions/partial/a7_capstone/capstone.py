"""The capstone: train the GPT made of your own pieces, then look inside it.

Every piece comes from an earlier assignment of this same tree, so once a1-a6
are done the model below is entirely yours:

    text --CharTokenizer / train_bpe (a1)--> ids (N,)
         --split_tokens--> train ids, val ids
         --GPT(GPTConfig(...)) (a2-a4)--> model
         --train(...) (a5)--> trained model + TrainHistory
         --generate(...) (a6)--> new text

``attention_maps`` then opens the model up: it replays the forward pass and
keeps every head's attention weights, the pictures of what each head looks at.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from ..a1_tokenizer.tokenizer import BPETokenizer, CharTokenizer, train_bpe
from ..a4_transformer.model import GPT, GPTConfig
from ..a5_training.training import TrainConfig, TrainHistory, train
from ..a6_sampling.sampling import generate


@dataclass
class ModelShape:
    """The size of the GPT to train; vocab_size and block_size come from the data and TrainConfig."""

    n_layer: int = 4  # transformer blocks; nanoGPT's CPU "baby" config
    n_head: int = 4  # attention heads per block
    d_model: int = 128  # width of the residual stream
    dropout: float = 0.0  # tiny models on tiny data barely overfit in a short run


@dataclass
class CapstoneRun:
    """A trained model with the tokenizer that feeds it and the history of its training."""

    model: GPT
    """The trained GPT, in eval mode."""
    tokenizer: CharTokenizer | BPETokenizer
    """Turns text into the model's ids and back."""
    history: TrainHistory
    """Losses and learning rates of the run (history.val_loss[-1] is the final validation loss)."""

    def complete(
        self,
        prompt: str,
        max_new_tokens: int = 200,
        *,
        temperature: float = 0.8,
        top_k: int | None = None,
        top_p: float | None = None,
        seed: int = 0,
    ) -> str:
        """The prompt followed by ``max_new_tokens`` sampled tokens, as text (a6's ``generate``).

        Raises:
            ValueError: if the prompt is empty or holds characters the tokenizer does not know.
        """
        ids = self.tokenizer.encode(prompt)
        if not ids:
            raise ValueError("prompt must not be empty: the model needs at least one token to continue")
        device = next(self.model.parameters()).device
        out = generate(
            self.model,
            torch.tensor([ids], dtype=torch.long, device=device),
            max_new_tokens,
            temperature=temperature,
            top_k=top_k,
            top_p=top_p,
            generator=torch.Generator(device=device).manual_seed(seed),
        )
        return self.tokenizer.decode(out[0].tolist())


def split_tokens(ids: torch.Tensor, val_fraction: float = 0.1) -> tuple[torch.Tensor, torch.Tensor]:
    """Split a token stream into its first ``1 - val_fraction`` (train) and the rest (val).

    The split is contiguous, not shuffled: validation text is text the model
    has never seen, not windows that overlap the training windows.

    Example:
        >>> split_tokens(torch.arange(10), val_fraction=0.2)
        (tensor([0, 1, 2, 3, 4, 5, 6, 7]), tensor([8, 9]))

    Raises:
        ValueError: if ``val_fraction`` is not strictly between 0 and 1.
    """
    if not 0.0 < val_fraction < 1.0:
        raise ValueError(f"val_fraction={val_fraction} must lie strictly between 0 and 1")
    cut = int(len(ids) * (1.0 - val_fraction))
    return ids[:cut], ids[cut:]


# ## Task 7.1: train_char_model
def train_gpt_on_tokens(
    ids: torch.Tensor,
    vocab_size: int,
    train_config: TrainConfig,
    shape: ModelShape | None = None,
    *,
    val_fraction: float = 0.1,
) -> tuple[GPT, TrainHistory]:
    """Build a GPT for ``vocab_size`` tokens and train it on ``ids``; the shared half of 7.1 and 7.2.

    Steps: split ``ids`` with ``split_tokens``; make a ``GPTConfig`` from
    ``vocab_size``, ``train_config.block_size`` and ``shape``; seed torch's
    global RNG with ``train_config.seed`` before building the ``GPT`` (so the
    same config gives the same initial weights); ``train`` it; put it in
    ``eval()`` mode.

    Args:
        ids: int64 tensor of shape ``(N,)``, the whole corpus as token ids.
        vocab_size: number of distinct ids the model can see and predict.
        train_config: the run's settings (a5's TrainConfig).
        shape: the model's size; ``ModelShape()`` when None.
        val_fraction: share of ``ids`` held out for validation.

    Returns:
        ``(model, history)``.

    Raises:
        ValueError: if the validation split is shorter than ``block_size + 1``
            tokens (naming both lengths): ``get_batch`` could not draw from it.
    """
    # YOUR CODE HERE
    raise NotImplementedError("Task 7.1: train_char_model")


def train_char_model(
    text: str,
    train_config: TrainConfig,
    shape: ModelShape | None = None,
    *,
    val_fraction: float = 0.1,
) -> CapstoneRun:
    """Train a character-level GPT on ``text``: a1's CharTokenizer, then ``train_gpt_on_tokens``.

    The tokenizer's vocabulary is every character of ``text``, so the whole
    text encodes; ids go into an int64 tensor of shape ``(len(text),)``.

    Example:
        >>> run = train_char_model(shakespeare, TrainConfig(max_iters=2000))
        >>> run.history.val_loss[-1]     # about 1.75 with the default ModelShape
        >>> print(run.complete("ROMEO:"))

    Raises:
        ValueError: if ``text`` is empty, or from ``train_gpt_on_tokens``.
    """
    # YOUR CODE HERE
    raise NotImplementedError("Task 7.1: train_char_model")


# ## Task 7.2: train_bpe_model
def train_bpe_model(
    text: str,
    vocab_size: int,
    train_config: TrainConfig,
    shape: ModelShape | None = None,
    *,
    val_fraction: float = 0.1,
) -> CapstoneRun:
    """Train a GPT on byte-level BPE tokens of ``text``: a1's ``train_bpe``, then ``train_gpt_on_tokens``.

    The tokenizer learns ``vocab_size - 256`` merges from ``text`` itself.
    Each BPE token stands for several characters, so the same ``block_size``
    sees more text; the loss is per token, so it is not comparable with the
    character model's loss without converting to bits per character.

    Raises:
        ValueError: if ``text`` is empty, ``vocab_size < 256``, or from
            ``train_bpe`` / ``train_gpt_on_tokens``.
    """
    # YOUR CODE HERE
    raise NotImplementedError("Task 7.2: train_bpe_model")


# ## Task 7.3: attention_maps
@torch.no_grad()
def attention_maps(model: GPT, ids: torch.Tensor) -> torch.Tensor:
    """Every head's attention weights in every block of ``model`` for the input ``ids``.

    Replays ``GPT.forward`` block by block: the embeddings, then for each
    block the weights its attention computes on ``block.ln1(x)``
    (``block.attn(..., return_weights=True)``), then ``x = block(x)`` for the
    next block. Runs in eval mode (no dropout) and restores the model's
    training mode afterwards.

    Args:
        model: a GPT (a4).
        ids: int tensor of shape ``(B, T)`` with ``T <= block_size``.

    Returns:
        float tensor of shape ``(n_layer, B, n_head, T, T)``; entry
        ``[l, b, h, i, j]`` is how much position ``i`` attends to ``j`` in
        head ``h`` of block ``l``. Rows sum to 1; entries with ``j > i`` are 0.

    Raises:
        ValueError: if ``ids`` is not 2-D or longer than ``block_size``.
    """
    # YOUR CODE HERE
    raise NotImplementedError("Task 7.3: attention_maps")
