"""The GPT model: LayerNorm, GELU, the feed-forward network, the transformer
block, and the decoder-only language model built from them.

    ids (B, T)
     -> token embedding + position embedding        (B, T, d_model)
     -> n_layer x TransformerBlock                  (B, T, d_model)
          x = x + attention(LayerNorm(x))
          x = x + feed_forward(LayerNorm(x))
     -> final LayerNorm -> lm_head                  (B, T, vocab_size)   logits for the next token

The layout follows GPT-2 and nanoGPT (pre-LayerNorm, GELU, tied input and
output embeddings).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from ..a2_embeddings.embeddings import (
    LearnedPositionalEmbedding,
    SinusoidalPositionalEncoding,
    TokenEmbedding,
)
from ..a3_attention.attention import MultiHeadSelfAttention


# ## Task 4.1: LayerNorm
class LayerNorm(nn.Module):
    """Layer normalisation over the last dimension (Ba et al., 2016).

    Each vector is shifted to mean 0 and scaled to variance 1 over its
    ``d_model`` features, then a learned per-feature scale and shift are applied:

        mean = (1/d) sum_i x_i
        var  = (1/d) sum_i (x_i - mean)^2              biased: divide by d, not d - 1
        y_i  = (x_i - mean) / sqrt(var + eps) * weight_i + bias_i

    Parameters:
        d_model: size of the last dimension.
        eps: added to the variance so a constant vector does not divide by 0.

    Attributes:
        weight: ``nn.Parameter`` of shape ``(d_model,)``, initialised to ones.
        bias: ``nn.Parameter`` of shape ``(d_model,)``, initialised to zeros.

    Shapes:
        ``(..., d_model) -> (..., d_model)``.

    Example:
        x = [1, 2, 3]: mean 2, var 2/3, so y = [-1, 0, 1] / sqrt(2/3) = [-1.2247, 0, 1.2247].

        >>> LayerNorm(3)(torch.tensor([[1., 2., 3.]]))
        tensor([[-1.2247,  0.0000,  1.2247]], grad_fn=<AddBackward0>)
    """

    def __init__(self, d_model: int, eps: float = 1e-5) -> None:
        super().__init__()
        self.d_model = d_model
        self.eps = eps
        ### BEGIN SOLUTION
        self.weight = nn.Parameter(torch.ones(d_model))
        self.bias = nn.Parameter(torch.zeros(d_model))
        ### END SOLUTION

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Normalise ``x`` of shape ``(..., d_model)``; returns the same shape."""
        ### BEGIN SOLUTION
        centered = x - x.mean(dim=-1, keepdim=True)  # (..., d_model)
        variance = (centered * centered).mean(dim=-1, keepdim=True)  # (..., 1), biased
        normalised = centered * torch.rsqrt(variance + self.eps)  # (..., d_model)
        return normalised * self.weight + self.bias
        ### END SOLUTION


# ## Task 4.2: gelu
def gelu(x: torch.Tensor) -> torch.Tensor:
    """The Gaussian Error Linear Unit, exact (erf) form (Hendrycks & Gimpel, 2016).

        gelu(x) = x * Phi(x) = 0.5 * x * (1 + erf(x / sqrt(2)))

    where ``Phi`` is the standard normal CDF: ``x`` is kept in proportion to
    how likely a standard normal is to fall below it. Smooth, ~ReLU for large
    ``|x|``, slightly negative for small negative ``x``.

    Shapes:
        any shape in, same shape out.

    Example:
        gelu(0) = 0; gelu(1) = 0.5 * (1 + erf(0.7071)) = 0.8413; gelu(-1) = -0.1587.

        >>> gelu(torch.tensor([0.0, 1.0, -1.0]))
        tensor([ 0.0000,  0.8413, -0.1587])
    """
    ### BEGIN SOLUTION
    return 0.5 * x * (1.0 + torch.erf(x / math.sqrt(2.0)))
    ### END SOLUTION


# ## Task 4.3: FeedForward
class FeedForward(nn.Module):
    """The position-wise MLP of a transformer block.

        FeedForward(x) = dropout(fc2(gelu(fc1(x))))

    It widens every position's vector to ``d_ff`` features, applies the
    non-linearity, and projects back; it acts on each position on its own
    (attention is where positions talk to each other).

    Parameters:
        d_model: input and output width.
        d_ff: hidden width; ``None`` means ``4 * d_model``, as in GPT-2.
        dropout: drop probability after ``fc2``.

    Attributes:
        fc1: ``nn.Linear(d_model, d_ff)`` with bias.
        fc2: ``nn.Linear(d_ff, d_model)`` with bias.
        dropout: ``nn.Dropout(dropout)``.

    Shapes:
        ``(B, T, d_model) -> (B, T, d_model)``; the hidden tensor is ``(B, T, d_ff)``.

    Example:
        >>> FeedForward(d_model=8).fc1.out_features
        32
    """

    def __init__(self, d_model: int, d_ff: int | None = None, dropout: float = 0.0) -> None:
        super().__init__()
        ### BEGIN SOLUTION
        d_ff = 4 * d_model if d_ff is None else d_ff
        self.fc1 = nn.Linear(d_model, d_ff)
        self.fc2 = nn.Linear(d_ff, d_model)
        self.dropout = nn.Dropout(dropout)
        ### END SOLUTION

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Apply the MLP to ``x`` of shape ``(B, T, d_model)``; returns the same shape."""
        ### BEGIN SOLUTION
        hidden = gelu(self.fc1(x))  # (B, T, d_ff)
        return self.dropout(self.fc2(hidden))  # (B, T, d_model)
        ### END SOLUTION


# ## Task 4.4: TransformerBlock
class TransformerBlock(nn.Module):
    """One pre-LayerNorm transformer block, as in GPT-2:

        x = x + attn(ln1(x))
        x = x + ffn(ln2(x))

    Normalising the input of each branch (not the sum, as the 2017 paper did)
    leaves a clean residual path from the embeddings to the output, which is
    what lets deep stacks train without warm-up tricks.

    Parameters:
        d_model: model width.
        n_heads: attention heads; must divide ``d_model``.
        d_ff: feed-forward hidden width (``None`` = ``4 * d_model``).
        dropout: drop probability used by the attention and the feed-forward network.
        fused_attention: pass ``fused=True`` to the attention (provided fast path).

    Attributes:
        ln1, ln2: :class:`LayerNorm` of width ``d_model``.
        attn: causal :class:`MultiHeadSelfAttention`.
        ffn: :class:`FeedForward`.

    Shapes:
        ``(B, T, d_model) -> (B, T, d_model)``.

    Raises:
        ValueError: from :class:`MultiHeadSelfAttention` if ``d_model % n_heads != 0``.
    """

    def __init__(
        self,
        d_model: int,
        n_heads: int,
        d_ff: int | None = None,
        dropout: float = 0.0,
        fused_attention: bool = False,
    ) -> None:
        super().__init__()
        ### BEGIN SOLUTION
        self.ln1 = LayerNorm(d_model)
        self.attn = MultiHeadSelfAttention(
            d_model, n_heads, dropout=dropout, causal=True, fused=fused_attention
        )
        self.ln2 = LayerNorm(d_model)
        self.ffn = FeedForward(d_model, d_ff, dropout=dropout)
        ### END SOLUTION

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Apply the block to ``x`` of shape ``(B, T, d_model)``; returns the same shape."""
        ### BEGIN SOLUTION
        x = x + self.attn(self.ln1(x))  # (B, T, d_model)
        x = x + self.ffn(self.ln2(x))  # (B, T, d_model)
        return x
        ### END SOLUTION


_POSITION_ENCODINGS = ("learned", "sinusoidal")


@dataclass
class GPTConfig:
    """Everything that fixes the shape of a :class:`GPT`.

    The defaults of the optional fields are those of nanoGPT's small models.
    ``__post_init__`` checks every field, so a bad value fails here, with its
    name, rather than as a shape error deep inside ``forward``.

    Example (nanoGPT's "baby" character-level Shakespeare model):
        >>> GPTConfig(vocab_size=65, block_size=64, n_layer=4, n_head=4, d_model=128).d_model
        128

    Raises:
        ValueError: if a size is not a positive int, ``d_model % n_head != 0``,
            ``pos_encoding`` is unknown (or ``"sinusoidal"`` with odd ``d_model``),
            or ``dropout`` is outside ``[0, 1)``.
    """

    vocab_size: int  # rows of the token table and columns of the logits: one per token id
    block_size: int  # longest context the model sees; learned position table has this many rows
    n_layer: int  # transformer blocks stacked; depth buys capability at linear cost
    n_head: int  # attention heads per block; each sees d_model / n_head channels
    d_model: int  # width of every token vector through the whole stack
    d_ff: int | None = None  # feed-forward hidden width; None = 4 * d_model as in GPT-2
    dropout: float = 0.0  # 0 for small data runs that are too short to overfit, ~0.1-0.2 otherwise
    pos_encoding: str = "learned"  # "learned" (GPT-2) or "sinusoidal" (Vaswani et al.)
    tie_weights: bool = True  # share tok_emb and lm_head weights: fewer parameters, trains as well
    fused_attention: bool = False  # torch's fused attention kernel: same result, less time

    def __post_init__(self) -> None:
        for name in ("vocab_size", "block_size", "n_layer", "n_head", "d_model"):
            _check_positive_int(name, getattr(self, name))
        if self.d_ff is not None:
            _check_positive_int("d_ff", self.d_ff)
        if self.d_model % self.n_head != 0:
            raise ValueError(f"d_model={self.d_model} is not divisible by n_head={self.n_head}")
        if self.pos_encoding not in _POSITION_ENCODINGS:
            raise ValueError(
                f"pos_encoding={self.pos_encoding!r} is not one of {_POSITION_ENCODINGS}"
            )
        if self.pos_encoding == "sinusoidal" and self.d_model % 2 != 0:
            raise ValueError(
                f"d_model={self.d_model} must be even for pos_encoding='sinusoidal'"
            )
        if isinstance(self.dropout, bool) or not isinstance(self.dropout, (int, float)):
            raise ValueError(f"dropout={self.dropout!r} must be a number in [0, 1)")
        if not 0.0 <= self.dropout < 1.0:
            raise ValueError(f"dropout={self.dropout} must be in [0, 1)")


def _check_positive_int(name: str, value: object) -> None:
    # bool is a subclass of int, but n_layer=True is a mistake, not a 1.
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ValueError(f"{name}={value!r} must be a positive int")


# ## Task 4.5: GPT
class GPT(nn.Module):
    """A decoder-only transformer language model (GPT-2 layout).

        x      = drop(tok_emb(ids) + pos_emb(T))       (B, T, d_model)
        x      = blocks[n_layer - 1](... blocks[0](x))  (B, T, d_model)
        logits = lm_head(ln_f(x))                       (B, T, vocab_size)

    ``logits[b, t]`` scores every token as the one that follows ``ids[b, : t + 1]``;
    causal attention makes sure it never depends on ``ids[b, t + 1 :]``.

    Parameters:
        config: a :class:`GPTConfig`; kept as ``self.config``.

    Attributes:
        tok_emb: :class:`TokenEmbedding` ``(vocab_size, d_model)``.
        pos_emb: :class:`LearnedPositionalEmbedding` or
            :class:`SinusoidalPositionalEncoding` for ``block_size`` positions,
            by ``config.pos_encoding``.
        drop: ``nn.Dropout(config.dropout)`` on the summed embeddings.
        blocks: ``nn.ModuleList`` of ``n_layer`` :class:`TransformerBlock`.
        ln_f: final :class:`LayerNorm`.
        lm_head: ``nn.Linear(d_model, vocab_size, bias=False)``; with
            ``config.tie_weights`` its ``weight`` IS ``tok_emb.weight`` (the same
            tensor), since both map between token ids and d_model-space.

    The weights are set by :meth:`init_weights` at the end of ``__init__``.

    Example:
        >>> config = GPTConfig(vocab_size=10, block_size=8, n_layer=2, n_head=2, d_model=16)
        >>> logits, loss = GPT(config)(torch.zeros(3, 5, dtype=torch.long))
        >>> logits.shape, loss
        (torch.Size([3, 5, 10]), None)
    """

    def __init__(self, config: GPTConfig) -> None:
        super().__init__()
        self.config = config
        ### BEGIN SOLUTION
        self.tok_emb = TokenEmbedding(config.vocab_size, config.d_model)
        if config.pos_encoding == "learned":
            self.pos_emb = LearnedPositionalEmbedding(config.block_size, config.d_model)
        else:
            self.pos_emb = SinusoidalPositionalEncoding(config.block_size, config.d_model)
        self.drop = nn.Dropout(config.dropout)
        self.blocks = nn.ModuleList(
            TransformerBlock(
                config.d_model,
                config.n_head,
                d_ff=config.d_ff,
                dropout=config.dropout,
                fused_attention=config.fused_attention,
            )
            for _ in range(config.n_layer)
        )
        self.ln_f = LayerNorm(config.d_model)
        self.lm_head = nn.Linear(config.d_model, config.vocab_size, bias=False)
        if config.tie_weights:
            self.lm_head.weight = self.tok_emb.weight
        ### END SOLUTION
        self.init_weights()

    def forward(
        self, ids: torch.Tensor, targets: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Next-token logits for every position, and the loss if targets are given.

        Args:
            ids: int tensor of shape ``(B, T)`` with ``T <= block_size``.
            targets: optional int tensor of shape ``(B, T)``: the token that
                follows each position (usually ``ids`` shifted left by one);
                positions set to -100 are ignored by the loss.

        Returns:
            ``(logits, loss)``: ``logits`` of shape ``(B, T, vocab_size)``;
            ``loss`` is the mean cross-entropy over all non-ignored positions
            (a scalar tensor), or ``None`` when ``targets`` is ``None``.

        Raises:
            ValueError: if ``ids`` is not 2-D, ``T > block_size`` (naming both), or
                ``targets`` does not have the shape of ``ids``.
        """
        ### BEGIN SOLUTION
        if ids.dim() != 2:
            raise ValueError(f"ids must have shape (B, T), got shape {tuple(ids.shape)}")
        B, T = ids.shape
        if T > self.config.block_size:
            raise ValueError(
                f"sequence length T={T} is longer than block_size={self.config.block_size}"
            )
        if targets is not None and targets.shape != ids.shape:
            raise ValueError(
                f"targets shape {tuple(targets.shape)} does not match ids shape {tuple(ids.shape)}"
            )
        x = self.drop(self.tok_emb(ids) + self.pos_emb(T))  # (B, T, d_model)
        for block in self.blocks:
            x = block(x)  # (B, T, d_model)
        logits = self.lm_head(self.ln_f(x))  # (B, T, vocab_size)
        loss = None
        if targets is not None:
            loss = F.cross_entropy(
                logits.reshape(B * T, -1), targets.reshape(B * T), ignore_index=-100
            )
        return logits, loss
        ### END SOLUTION

    def num_parameters(self, exclude_embeddings: bool = False) -> int:
        """Number of trainable numbers in the model.

        A tied weight is one tensor and is counted once. With
        ``exclude_embeddings``, the position table is left out, as nanoGPT
        reports it; the token table stays in, because with tied weights it is
        also the output layer.

        Example:
            vocab_size=10, block_size=8, n_layer=1, n_head=2, d_model=4, tied:
            tok_emb 40 + pos_emb 32 + block 228 (attention 4*16, two LayerNorms
            2*8, fc1 4*16+16, fc2 16*4+4) + ln_f 8 = 308.

            >>> config = GPTConfig(vocab_size=10, block_size=8, n_layer=1, n_head=2, d_model=4)
            >>> GPT(config).num_parameters(), GPT(config).num_parameters(exclude_embeddings=True)
            (308, 276)
        """
        total = sum(parameter.numel() for parameter in self.parameters())
        if exclude_embeddings:
            total -= sum(parameter.numel() for parameter in self.pos_emb.parameters())
        return total

    # ## Task 4.6: GPT.init_weights
    def init_weights(self) -> None:
        """Set every weight of the model to its starting value (called by ``__init__``).

        - ``nn.Linear`` and embedding weights: Xavier/Glorot uniform (Glorot &
          Bengio, 2010), ``U(-a, a)`` with ``a = sqrt(6 / (fan_in + fan_out))``,
          so activations and gradients keep roughly the same variance layer to layer.
          An embedding table ``(rows, d_model)`` is treated like a Linear layer
          fed one-hot vectors: ``fan_in + fan_out = rows + d_model``.
        - biases: zero. LayerNorm: ``weight`` ones, ``bias`` zeros.
        - then, as GPT-2 does, the two projections that write into the residual
          stream, every block's ``attn.o_proj`` and ``ffn.fc2``, are multiplied
          by ``1 / sqrt(2 * n_layer)``. Each block adds two branch outputs to
          the stream, so without this its variance grows with depth; with it
          the sum of all ``2 * n_layer`` branches starts at about the variance
          of one. (On nanoGPT's baby Shakespeare config this lowers the
          validation loss after 300 steps from ~2.42 to ~2.30.)

        A tied ``lm_head.weight`` is the token table and is set once.
        Running it twice draws new values; the shapes never change.

        Example:
            n_layer=2, d_model=16: ``fc2`` is ``(16, 64)``, so its Xavier bound is
            ``sqrt(6 / 80) = 0.274``, and after the residual scaling
            ``0.274 / sqrt(4) = 0.137``: every ``fc2`` weight lies in ``[-0.137, 0.137]``.
        """
        ### BEGIN SOLUTION
        for module in self.modules():
            if isinstance(module, nn.Linear):
                nn.init.xavier_uniform_(module.weight)
                if module.bias is not None:
                    nn.init.zeros_(module.bias)
            elif isinstance(module, (TokenEmbedding, LearnedPositionalEmbedding)):
                nn.init.xavier_uniform_(module.weight)
            elif isinstance(module, LayerNorm):
                nn.init.ones_(module.weight)
                nn.init.zeros_(module.bias)
        residual_scale = 1.0 / math.sqrt(2 * self.config.n_layer)
        with torch.no_grad():
            for block in self.blocks:
                block.attn.o_proj.weight.mul_(residual_scale)
                block.ffn.fc2.weight.mul_(residual_scale)
        ### END SOLUTION
