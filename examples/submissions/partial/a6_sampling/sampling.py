"""Sampling: turning the model's next-token logits into text.

A trained GPT gives, for the last position of its context, one logit per
vocabulary entry. Generation repeats: pick a next token from those logits,
append it, feed the longer context back in. How the token is picked decides
the character of the text:

    greedy        always the most likely token: safe, repetitive
    temperature   logits / t: t < 1 sharpens the distribution, t > 1 flattens it
    top-k         sample only among the k most likely tokens
    top-p         sample only among the most likely tokens that together
                  hold probability p (the "nucleus"); adapts to how sure the model is

``sample_next`` chains them (temperature -> top-k -> top-p -> softmax ->
``torch.multinomial``) and ``generate`` runs the loop. Filters return new
tensors with the removed logits set to ``-inf`` (probability exactly 0 after
the softmax); they never modify their input.

The model is anything with ``model(ids) -> (logits, loss | None)`` and
``model.config.block_size``; the GPT of assignment 4 is one.
"""

from __future__ import annotations

import torch
from torch import nn


def _check_sampling_arguments(temperature: float, top_k: int | None, top_p: float | None) -> None:
    """Raise ``ValueError`` for a negative temperature, ``top_k < 1`` or ``top_p`` outside (0, 1]."""
    if not temperature >= 0:
        raise ValueError(f"temperature={temperature} must be >= 0 (0 means greedy)")
    if top_k is not None and top_k < 1:
        raise ValueError(f"top_k={top_k} must be >= 1 (or None for no top-k filter)")
    if top_p is not None and not 0 < top_p <= 1:
        raise ValueError(f"top_p={top_p} must lie in (0, 1] (or None for no top-p filter)")


# ## Task 6.1: greedy_next
def greedy_next(logits: torch.Tensor) -> torch.Tensor:
    """The most likely next token of every row: ``argmax`` over the vocabulary.

    Args:
        logits: shape ``(B, V)``.

    Returns:
        int64 tensor of shape ``(B, 1)`` (ready to ``torch.cat`` onto ids
        ``(B, T)``). Among equal maxima the lowest index wins.

    Example:
        >>> greedy_next(torch.tensor([[0.1, 2.0, -1.0], [3.0, 3.0, 0.0]]))
        tensor([[1],
                [0]])

    Raises:
        ValueError: if ``logits`` is not 2-D.
    """
    # YOUR CODE HERE
    raise NotImplementedError("Task 6.1: greedy_next")


# ## Task 6.2: apply_temperature
def apply_temperature(logits: torch.Tensor, temperature: float) -> torch.Tensor:
    """Rescale logits by ``1 / temperature``.

        softmax(z / t)_i = exp(z_i / t) / sum_j exp(z_j / t)

    ``t = 1`` changes nothing; ``t < 1`` widens the gaps between logits, so
    the distribution sharpens towards the argmax (``t -> 0`` is greedy);
    ``t > 1`` shrinks them, towards uniform.

    Args:
        logits: shape ``(..., V)``.
        temperature: ``t > 0``.

    Returns:
        A new tensor ``logits / t``, same shape and dtype.

    Example:
        >>> apply_temperature(torch.tensor([2.0, 1.0]), 0.5)
        tensor([4., 2.])

    Raises:
        ValueError: if ``temperature <= 0`` (divide by zero; use ``greedy_next``
            for ``t = 0``).
    """
    # YOUR CODE HERE
    raise NotImplementedError("Task 6.2: apply_temperature")


# ## Task 6.3: top_k_filter
def top_k_filter(logits: torch.Tensor, k: int) -> torch.Tensor:
    """Keep the ``k`` largest logits of every row; set the rest to ``-inf``.

    A logit is kept iff it is ``>=`` the k-th largest logit of its row, so
    logits tied with the k-th largest are all kept (the row may keep more
    than ``k``): which of several equal tokens to drop would be arbitrary.
    With ``k >= V`` everything is kept.

    Args:
        logits: shape ``(..., V)``.
        k: how many to keep, ``>= 1``.

    Returns:
        A new tensor, same shape and dtype, with the others at ``-inf``.

    Example:
        >>> top_k_filter(torch.tensor([1.0, 3.0, 2.0, 3.0]), 1)     # tie at the top
        tensor([-inf, 3., -inf, 3.])
        >>> top_k_filter(torch.tensor([1.0, 3.0, 2.0, 0.0]), 2)
        tensor([-inf, 3., 2., -inf])

    Raises:
        ValueError: if ``k < 1``.
    """
    # YOUR CODE HERE
    raise NotImplementedError("Task 6.3: top_k_filter")


# ## Task 6.4: top_p_filter
def top_p_filter(logits: torch.Tensor, p: float) -> torch.Tensor:
    """Nucleus filter: keep the smallest set of most likely tokens whose probability reaches ``p``.

    Sort each row's probabilities ``softmax(logits)`` from large to small and
    walk down the list adding them up. A token is kept iff the mass of the
    tokens *before* it is still below ``p``:

        keep sorted token i  <=>  sum_{j < i} prob_sorted_j < p

    So the token whose probability makes the sum cross ``p`` is kept, the
    most likely token is always kept (nothing comes before it), and all
    later ones are set to ``-inf``. The result is in the original order.
    ``p = 1`` keeps everything (rounding in the running sum must not drop
    the tail). Among equal probabilities the lower index comes first.

    Args:
        logits: shape ``(..., V)``.
        p: the probability mass to keep, ``0 < p <= 1``.

    Returns:
        A new tensor, same shape and dtype, with the others at ``-inf``.

    Example:
        probabilities [0.1, 0.5, 0.4] (logits their logs), p = 0.8: sorted
        0.5, 0.4, 0.1; mass before each: 0, 0.5, 0.9. Keep 0.5 and 0.4 (0.9
        reaches 0.8, so 0.1 goes): the result is [-inf, log 0.5, log 0.4].

    Raises:
        ValueError: if ``p`` is not in ``(0, 1]``.
    """
    # YOUR CODE HERE
    raise NotImplementedError("Task 6.4: top_p_filter")


# ## Task 6.5: sample_next
def sample_next(
    logits: torch.Tensor,
    *,
    temperature: float = 1.0,
    top_k: int | None = None,
    top_p: float | None = None,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """Draw the next token of every row.

        temperature == 0:  greedy_next(logits)
        otherwise:         z = apply_temperature(logits, temperature)
                           z = top_k_filter(z, top_k)     if top_k is not None
                           z = top_p_filter(z, top_p)     if top_p is not None
                           torch.multinomial(softmax(z), 1, generator=generator)

    The order matters: temperature changes the probabilities top-p adds up.
    The softmax is taken in float32 (``torch.multinomial`` wants a float
    type of at least that precision).

    Args:
        logits: shape ``(B, V)``.
        temperature: ``>= 0``; 0 means greedy.
        top_k: keep only the ``top_k`` most likely tokens (None: no limit).
        top_p: keep only the nucleus of mass ``top_p`` (None: no limit).
        generator: the random stream (same seed, same tokens).

    Returns:
        int64 tensor of shape ``(B, 1)``.

    Example:
        With logits [[0., -inf, -inf]] the only token with non-zero
        probability is 0, so the result is [[0]] whatever the generator.
        With top_k=1 and temperature 1 the result equals ``greedy_next``
        (when the maximum is unique).

    Raises:
        ValueError: for a negative ``temperature``, ``top_k < 1``, ``top_p``
            outside ``(0, 1]``, or ``logits`` that are not 2-D.
    """
    # YOUR CODE HERE
    raise NotImplementedError("Task 6.5: sample_next")


# ## Task 6.6: generate
def generate(
    model: nn.Module,
    ids: torch.Tensor,
    max_new_tokens: int,
    *,
    temperature: float = 1.0,
    top_k: int | None = None,
    top_p: float | None = None,
    eos_id: int | None = None,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """Extend every row of ``ids`` by up to ``max_new_tokens`` sampled tokens.

    Each of up to ``max_new_tokens`` rounds:

        context = ids[:, -block_size:]          the model cannot see further back
        logits, _ = model(context)              (B, T', V)
        next = sample_next(logits[:, -1, :], ...)     only the last position predicts the future
        ids = cat([ids, next], dim=1)

    With ``eos_id`` set, a row that has produced ``eos_id`` is finished: it
    keeps emitting ``eos_id`` (so the batch stays rectangular), and the loop
    stops as soon as every row is finished. An ``eos_id`` already in the
    prompt does not count. The model runs in eval mode (no dropout) under
    ``torch.no_grad()``; afterwards it is back in the train/eval mode it was
    in, even when an error interrupts.

    Args:
        model: ``model(ids (B, T)) -> (logits (B, T, V), loss | None)``, with
            ``model.config.block_size``.
        ids: the prompt, int64 of shape ``(B, T)``, ``T >= 1``; not modified.
        max_new_tokens: the most tokens to add, ``>= 0``.
        temperature, top_k, top_p, generator: as in ``sample_next``.
        eos_id: the end-of-sequence token, or None to always add ``max_new_tokens``.

    Returns:
        int64 tensor ``(B, T + n)``: the prompt followed by the new tokens,
        ``n <= max_new_tokens`` (``n < max_new_tokens`` only when all rows hit ``eos_id``).

    Example:
        A model that always puts its largest logit on token 7, with
        temperature 0: generate(model, [[1, 2]], 3) -> [[1, 2, 7, 7, 7]];
        with eos_id=7 it stops after one round: [[1, 2, 7]].

    Raises:
        ValueError: if ``max_new_tokens < 0``, ``ids`` is not ``(B, T)`` with
            ``T >= 1``, or a sampling argument is invalid (see ``sample_next``).
    """
    # YOUR CODE HERE
    raise NotImplementedError("Task 6.6: generate")
