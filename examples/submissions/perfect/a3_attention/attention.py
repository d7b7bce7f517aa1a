"""Scaled dot-product attention, from the mask up to multi-head self-attention.

Attention lets each position build its output as a weighted average of the
value vectors of the positions it may see. The weights come from how well its
query matches their keys:

    weights = softmax(q k^T / sqrt(d_k))      masked positions get weight 0
    output  = weights v

In a GPT every position may only look at itself and the past (the causal
mask), so that predicting token t+1 never peeks at it. Multi-head attention
runs several of these side by side on slices of the model width and mixes
their results with one output projection.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn


# ## Task 3.1: causal_mask
def causal_mask(seq_len: int, device: torch.device | str | None = None) -> torch.Tensor:
    """The causal attention mask: position ``i`` may attend to ``j`` iff ``j <= i``.

    Args:
        seq_len: number of positions ``T``.
        device: where to create the mask (default: torch's current default device).

    Returns:
        bool tensor of shape ``(T, T)``; ``True`` means "may attend" (the lower
        triangle, diagonal included), ``False`` means "masked out".

    Example:
        >>> causal_mask(3)
        tensor([[ True, False, False],
                [ True,  True, False],
                [ True,  True,  True]])

    Raises:
        ValueError: if ``seq_len`` is negative.
    """
    ### BEGIN SOLUTION
    if seq_len < 0:
        raise ValueError(f"seq_len={seq_len} must not be negative")
    return torch.ones(seq_len, seq_len, dtype=torch.bool, device=device).tril()
    ### END SOLUTION


# ## Task 3.2: softmax
def softmax(x: torch.Tensor, dim: int = -1) -> torch.Tensor:
    """Numerically stable softmax along ``dim``, written without ``torch.softmax``.

    Formula, with ``m = max_j x_j`` taken along ``dim``:

        softmax(x)_i = exp(x_i - m) / sum_j exp(x_j - m)

    Subtracting ``m`` changes nothing mathematically (it cancels between top
    and bottom) but keeps every exponent <= 0, so ``exp`` cannot overflow:
    ``exp(1e4)`` is ``inf`` in any float type, ``exp(0)`` is 1. Entries equal to
    ``-inf`` (masked positions) get exactly 0. A slice that is ``-inf``
    everywhere has no valid entry and comes out as NaN, as with ``torch.softmax``.

    Args:
        x: tensor of any shape, floating point.
        dim: the dimension that sums to 1 in the result.

    Returns:
        Tensor of the same shape and dtype as ``x``.

    Example:
        >>> softmax(torch.tensor([0.0, 0.0, float("-inf")]))
        tensor([0.5000, 0.5000, 0.0000])
        >>> softmax(torch.tensor([1e4, 1e4 - math.log(3.0)]))   # ratios 3 : 1
        tensor([0.7500, 0.2500])
    """
    ### BEGIN SOLUTION
    # The shift cancels in the result, so no gradient needs to flow through it.
    shift = x.amax(dim=dim, keepdim=True).detach()
    exponentials = torch.exp(x - shift)
    return exponentials / exponentials.sum(dim=dim, keepdim=True)
    ### END SOLUTION


# ## Task 3.3: attention_weights
def attention_weights(
    q: torch.Tensor, k: torch.Tensor, mask: torch.Tensor | None = None
) -> torch.Tensor:
    """How much each query attends to each key: ``softmax(q k^T / sqrt(d_k))``.

    Scaling by ``1 / sqrt(d_k)`` keeps the scores at unit variance when ``q``
    and ``k`` have unit-variance entries, so the softmax does not saturate as
    ``d_k`` grows. Where ``mask`` is ``False`` the score is set to ``-inf``
    *before* the softmax, so those keys get weight exactly 0 and the
    remaining weights of the row still sum to 1.

    Args:
        q: queries, shape ``(..., T_q, d_k)``.
        k: keys, shape ``(..., T_k, d_k)`` (same leading dims as ``q``, or
            broadcastable to them).
        mask: optional bool tensor broadcastable to ``(..., T_q, T_k)``,
            ``True`` = may attend (e.g. ``causal_mask(T)`` of shape ``(T, T)``).

    Returns:
        Tensor of shape ``(..., T_q, T_k)``; each row (last dim) sums to 1. A row
        whose mask is ``False`` everywhere has nothing to attend to and is NaN.

    Example:
        q = [[1., 0.]], k = [[1., 0.], [0., 1.]], d_k = 2: the scores are
        [1/sqrt 2, 0] = [0.7071, 0], and softmax gives [0.6698, 0.3302].

        >>> attention_weights(torch.tensor([[1., 0.]]), torch.tensor([[1., 0.], [0., 1.]]))
        tensor([[0.6698, 0.3302]])

    Raises:
        ValueError: if ``q`` and ``k`` differ in their last dimension, or
            ``mask`` is not a bool tensor (a 0/1 float mask would silently be
            read the wrong way).
    """
    ### BEGIN SOLUTION
    if q.shape[-1] != k.shape[-1]:
        raise ValueError(f"q has d_k={q.shape[-1]} but k has d_k={k.shape[-1]}; they must match")
    if mask is not None and mask.dtype != torch.bool:
        raise ValueError(f"mask must be a bool tensor (True = may attend), got dtype={mask.dtype}")
    d_k = q.shape[-1]
    scores = q @ k.transpose(-2, -1) / math.sqrt(d_k)  # (..., T_q, T_k)
    if mask is not None:
        scores = scores.masked_fill(~mask, float("-inf"))
    return softmax(scores, dim=-1)  # (..., T_q, T_k)
    ### END SOLUTION


# ## Task 3.4: scaled_dot_product_attention
def scaled_dot_product_attention(
    q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, mask: torch.Tensor | None = None
) -> torch.Tensor:
    """Attention output: the attention-weighted average of the values.

        output = softmax(q k^T / sqrt(d_k)) v

    Args:
        q: queries, shape ``(..., T_q, d_k)``.
        k: keys, shape ``(..., T_k, d_k)``.
        v: values, shape ``(..., T_k, d_v)``.
        mask: optional bool tensor broadcastable to ``(..., T_q, T_k)``, ``True``
            = may attend.

    Returns:
        Tensor of shape ``(..., T_q, d_v)``. Any number of leading dims works,
        e.g. ``(B, n_heads, T, head_dim)``.

    Example:
        One query that matches both keys equally averages the two values:

        >>> q = torch.tensor([[0., 0.]])
        >>> k = torch.tensor([[1., 0.], [0., 1.]])
        >>> v = torch.tensor([[2., 0.], [0., 4.]])
        >>> scaled_dot_product_attention(q, k, v)
        tensor([[1., 2.]])

    Raises:
        ValueError: as :func:`attention_weights`, or if ``k`` and ``v`` differ
            in their number of positions ``T_k``.
    """
    ### BEGIN SOLUTION
    if k.shape[-2] != v.shape[-2]:
        raise ValueError(
            f"k has T_k={k.shape[-2]} positions but v has {v.shape[-2]}; they must match"
        )
    weights = attention_weights(q, k, mask)  # (..., T_q, T_k)
    return weights @ v  # (..., T_q, d_v)
    ### END SOLUTION


# ## Task 3.5: split_heads
def split_heads(x: torch.Tensor, n_heads: int) -> torch.Tensor:
    """Cut the channel dim into ``n_heads`` slices and move heads before time.

    ``C`` channels become ``n_heads`` heads of ``head_dim = C // n_heads``:
    channels ``[h * head_dim, (h + 1) * head_dim)`` go to head ``h``.

    Args:
        x: tensor of shape ``(B, T, C)``.
        n_heads: number of heads; must divide ``C``.

    Returns:
        Tensor of shape ``(B, n_heads, T, C // n_heads)`` (a view; no copy).

    Example:
        >>> x = torch.arange(4.).view(1, 1, 4)     # B=1, T=1, C=4
        >>> split_heads(x, 2)                      # head 0 gets [0, 1], head 1 [2, 3]
        tensor([[[[0., 1.]],
        <BLANKLINE>
                 [[2., 3.]]]])

    Raises:
        ValueError: if ``x`` is not 3-D or ``C`` is not divisible by ``n_heads``.
    """
    ### BEGIN SOLUTION
    if x.dim() != 3:
        raise ValueError(f"x must have shape (B, T, C), got shape {tuple(x.shape)}")
    B, T, C = x.shape
    if n_heads <= 0 or C % n_heads != 0:
        raise ValueError(f"C={C} is not divisible by n_heads={n_heads}")
    return x.view(B, T, n_heads, C // n_heads).transpose(1, 2)  # (B, n_heads, T, head_dim)
    ### END SOLUTION


# ## Task 3.6: merge_heads
def merge_heads(x: torch.Tensor) -> torch.Tensor:
    """Inverse of :func:`split_heads`: put the heads side by side again.

    Args:
        x: tensor of shape ``(B, n_heads, T, head_dim)``.

    Returns:
        Tensor of shape ``(B, T, n_heads * head_dim)``;
        ``merge_heads(split_heads(x, n)) == x`` for every valid ``n``.

    Example:
        >>> merge_heads(torch.tensor([[[[0., 1.]], [[2., 3.]]]]))   # (1, 2, 1, 2)
        tensor([[[0., 1., 2., 3.]]])

    Raises:
        ValueError: if ``x`` is not 4-D.
    """
    ### BEGIN SOLUTION
    if x.dim() != 4:
        raise ValueError(f"x must have shape (B, n_heads, T, head_dim), got shape {tuple(x.shape)}")
    B, n_heads, T, head_dim = x.shape
    # transpose leaves a non-contiguous view, which .view cannot flatten.
    return x.transpose(1, 2).contiguous().view(B, T, n_heads * head_dim)  # (B, T, C)
    ### END SOLUTION


# ## Task 3.7: MultiHeadSelfAttention
class MultiHeadSelfAttention(nn.Module):
    """Multi-head (optionally causal) self-attention, as in GPT-2 and nanoGPT.

    For input ``x`` of shape ``(B, T, d_model)``:

        q, k, v = x W_q, x W_k, x W_v                 each (B, T, d_model)
        split each into n_heads heads                 (B, n_heads, T, head_dim)
        head_h  = softmax(q_h k_h^T / sqrt(head_dim) + causal -inf) v_h
        out     = merge(head_1 .. head_n) W_o         (B, T, d_model)

    with ``head_dim = d_model // n_heads``. Dropout is applied to the attention
    weights (before they multiply ``v``) and to the output after ``o_proj``
    (the residual dropout), as nanoGPT does; both are off in ``eval()`` mode.

    Parameters:
        d_model: model width ``C``.
        n_heads: number of heads; must divide ``d_model``.
        dropout: drop probability for both dropouts.
        causal: if True, position ``t`` only attends to positions ``<= t``.
        fused: provided fast path; if True, ``forward`` without
            ``return_weights`` calls ``torch.nn.functional.scaled_dot_product_attention``
            on the same projections (same result, less memory and time).

    Attributes:
        q_proj, k_proj, v_proj, o_proj: ``nn.Linear(d_model, d_model, bias=False)``.
        attn_dropout, resid_dropout: ``nn.Dropout(dropout)``; the provided fused
            path uses ``resid_dropout`` too, so keep the name.

    Example:
        >>> attention = MultiHeadSelfAttention(d_model=8, n_heads=2)
        >>> out, weights = attention(torch.randn(3, 5, 8), return_weights=True)
        >>> out.shape, weights.shape
        (torch.Size([3, 5, 8]), torch.Size([3, 2, 5, 5]))

    Raises:
        ValueError: if ``d_model`` is not divisible by ``n_heads``, or
            ``dropout`` is outside ``[0, 1)``.
    """

    def __init__(
        self,
        d_model: int,
        n_heads: int,
        dropout: float = 0.0,
        causal: bool = True,
        fused: bool = False,
    ) -> None:
        super().__init__()
        self.d_model = d_model
        self.n_heads = n_heads
        self.dropout_p = dropout
        self.causal = causal
        self.fused = fused
        ### BEGIN SOLUTION
        if n_heads <= 0 or d_model % n_heads != 0:
            raise ValueError(f"d_model={d_model} is not divisible by n_heads={n_heads}")
        if not 0.0 <= dropout < 1.0:
            raise ValueError(f"dropout={dropout} must be in [0, 1)")
        self.head_dim = d_model // n_heads
        self.q_proj = nn.Linear(d_model, d_model, bias=False)
        self.k_proj = nn.Linear(d_model, d_model, bias=False)
        self.v_proj = nn.Linear(d_model, d_model, bias=False)
        self.o_proj = nn.Linear(d_model, d_model, bias=False)
        self.attn_dropout = nn.Dropout(dropout)
        self.resid_dropout = nn.Dropout(dropout)
        ### END SOLUTION

    def forward(
        self, x: torch.Tensor, return_weights: bool = False
    ) -> torch.Tensor | tuple[torch.Tensor, torch.Tensor]:
        """Attend from every position of ``x`` to every (earlier, if causal) position.

        Args:
            x: tensor of shape ``(B, T, d_model)``.
            return_weights: also return the attention weights (for plots and tests).

        Returns:
            ``out`` of shape ``(B, T, d_model)``, or ``(out, weights)`` with
            ``weights`` of shape ``(B, n_heads, T, T)``: the softmax output
            before attention dropout, each row summing to 1.
        """
        if self.fused and not return_weights:
            return self._fused_forward(x)
        ### BEGIN SOLUTION
        B, T, C = x.shape
        q = split_heads(self.q_proj(x), self.n_heads)  # (B, n_heads, T, head_dim)
        k = split_heads(self.k_proj(x), self.n_heads)  # (B, n_heads, T, head_dim)
        v = split_heads(self.v_proj(x), self.n_heads)  # (B, n_heads, T, head_dim)
        mask = causal_mask(T, device=x.device) if self.causal else None  # (T, T)
        weights = attention_weights(q, k, mask)  # (B, n_heads, T, T)
        heads = self.attn_dropout(weights) @ v  # (B, n_heads, T, head_dim)
        out = self.resid_dropout(self.o_proj(merge_heads(heads)))  # (B, T, d_model)
        if return_weights:
            return out, weights
        return out
        ### END SOLUTION

    def _fused_forward(self, x: torch.Tensor) -> torch.Tensor:
        """The same computation through torch's fused attention kernel.

        ``F.scaled_dot_product_attention`` never materialises the ``(T, T)``
        weights on GPUs with flash attention, so it is faster and lighter; it
        cannot return the weights, which is why ``return_weights`` takes the
        unfused path.
        """
        B, T, C = x.shape
        shape = (B, T, self.n_heads, C // self.n_heads)
        q = self.q_proj(x).view(shape).transpose(1, 2)  # (B, n_heads, T, head_dim)
        k = self.k_proj(x).view(shape).transpose(1, 2)  # (B, n_heads, T, head_dim)
        v = self.v_proj(x).view(shape).transpose(1, 2)  # (B, n_heads, T, head_dim)
        heads = F.scaled_dot_product_attention(
            q, k, v, is_causal=self.causal, dropout_p=self.dropout_p if self.training else 0.0
        )  # (B, n_heads, T, head_dim)
        merged = heads.transpose(1, 2).contiguous().view(B, T, C)  # (B, T, d_model)
        return self.resid_dropout(self.o_proj(merged))  # (B, T, d_model)
