"""Assertion helpers for the assignment suites: failures a student can act on.

Every helper raises ``AssertionError`` with a message in one layout, which
``course check`` and the notebooks rely on::

    softmax(x) along dim=-1: values differ (max abs error 3.2e-01 > atol 1e-06 + rtol 1e-05 * |expected|)
    3 of 12 entries differ; first at index (0, 2): got 0.4, expected 0.7
    Hint: subtract the row maximum before exp

- line 1: what was checked, and what was expected versus what came;
- further lines: where (shape, how many entries, the first differing index);
- a last line ``Hint: ...`` with the usual mistake, when the test names one.
  Tools take the hint as the text after ``Hint: ``.

Messages quote only values of the test's own inputs and outputs, which a
student can recompute from the public test. Hidden suites pass
``show_expected=False``: their expected values come from the reference on
inputs the student never sees, so a message then names where and by how much
the result differs, and the student's own value, but not the expected one. A stub's ``NotImplementedError``
(or any other error of the code under test) is never caught here: it
reaches pytest as it is, so "not started" stays distinguishable from "wrong".

Example::

    assert_close(impl.a3.softmax(x), torch.softmax(x, dim=-1), atol=1e-6, rtol=1e-5,
                 what="softmax(x)", hint="subtract the row maximum before exp")

A tool that may show expected values (``course compare``, for self-learners
who have the reference anyway) gets both values of each failed
``assert_close`` or ``assert_equal`` as a ``Difference``, through
``recording_differences``; the messages themselves stay as they are.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, NoReturn

import torch

HINT_PREFIX = "Hint: "

# Long values are cut in messages: the first line must stay readable.
_MAX_REPR = 200


def failure_message(summary: str, details: Sequence[str] = (), hint: str | None = None) -> str:
    """The text of a failure: ``summary``, then each detail on its own line, then ``Hint: hint``."""
    lines = [summary, *details]
    if hint:
        lines.append(HINT_PREFIX + hint)
    return "\n".join(lines)


@dataclass(frozen=True)
class Difference:
    """A comparison that failed, with both of its values: what ``course compare`` shows side by side.

    Failure messages of the hidden suites never carry the expected value; a
    Difference does, so it reaches only code that asked for it with
    ``recording_differences``.
    """

    what: str
    """What was compared, as the test named it, e.g. ``"softmax(x)"``."""
    actual: Any
    """The value under test (the student's), as the test passed it."""
    expected: Any
    """The value it had to match (the reference's, or a known answer), as the test passed it."""
    message: str
    """The failure message the comparison raised, exactly as the test's failure carries it."""
    atol: float | None = None
    """The absolute tolerance of ``assert_close``; None for an exact comparison (``assert_equal``)."""
    rtol: float | None = None
    """The relative tolerance of ``assert_close``; None for an exact comparison."""
    equal_nan: bool = False
    """Whether NaN on both sides counted as equal (``assert_close``'s ``equal_nan``)."""


# Who receives the Difference of each failed comparison (see recording_differences); None: nobody.
_difference_recorder: Callable[[Difference], None] | None = None


@contextmanager
def recording_differences(record: Callable[[Difference], None]) -> Iterator[None]:
    """Call ``record`` with a ``Difference`` for each ``assert_close`` and ``assert_equal`` that fails inside the block.

    The comparison still raises as usual; recorders do not nest (the inner one
    replaces the outer one until its block ends).

    >>> seen = []
    >>> with recording_differences(seen.append):
    ...     try:
    ...         assert_equal(2, 3, what="1 + 1")
    ...     except AssertionError:
    ...         pass
    >>> seen[0].actual, seen[0].expected
    (2, 3)
    """
    global _difference_recorder
    previous, _difference_recorder = _difference_recorder, record
    try:
        yield
    finally:
        _difference_recorder = previous


def _record_difference(difference: Difference) -> None:
    if _difference_recorder is not None:
        _difference_recorder(difference)


def fail(summary: str, *details: str, hint: str | None = None) -> NoReturn:
    """Raise ``AssertionError`` with ``failure_message(summary, details, hint)``.

    For checks no other helper covers, e.g.
    ``fail("causal_mask(3)[0, 1] is True", "position 0 may not see position 1", hint="use tril")``.
    """
    __tracebackhide__ = True
    raise AssertionError(failure_message(summary, details, hint))


def assert_true(condition: Any, summary: str, *details: str, hint: str | None = None) -> None:
    """``fail(summary, *details, hint=hint)`` unless ``condition`` is true."""
    __tracebackhide__ = True
    if not condition:
        fail(summary, *details, hint=hint)


def assert_shape(tensor: Any, shape: Sequence[int], *, what: str, hint: str | None = None) -> None:
    """Check that ``tensor`` is a torch tensor of exactly ``shape``.

    Message: ``"<what>: expected shape (2, 4, 8), got shape (2, 8, 4)"``, or
    ``"<what>: expected a tensor of shape (2, 4), got a list"``.
    """
    __tracebackhide__ = True
    expected = tuple(shape)
    if not isinstance(tensor, torch.Tensor):
        fail(f"{what}: expected a tensor of shape {expected}, got {_kind(tensor)}", hint=hint)
    if tuple(tensor.shape) != expected:
        fail(f"{what}: expected shape {expected}, got shape {tuple(tensor.shape)}", hint=hint)


def assert_dtype(tensor: Any, dtype: torch.dtype, *, what: str, hint: str | None = None) -> None:
    """Check that ``tensor`` is a torch tensor of ``dtype``.

    Message: ``"<what>: expected dtype torch.int64, got torch.float32"``.
    """
    __tracebackhide__ = True
    if not isinstance(tensor, torch.Tensor):
        fail(f"{what}: expected a tensor of dtype {dtype}, got {_kind(tensor)}", hint=hint)
    if tensor.dtype != dtype:
        fail(f"{what}: expected dtype {dtype}, got {tensor.dtype}", hint=hint)


def assert_close(
    actual: Any,
    expected: Any,
    *,
    atol: float,
    rtol: float,
    what: str,
    hint: str | None = None,
    equal_nan: bool = False,
    show_expected: bool = True,
) -> None:
    """Check that ``actual`` matches ``expected`` entry by entry within a tolerance.

    An entry is close when ``|actual - expected| <= atol + rtol * |expected|``,
    or when both are the same infinity (masked logits are ``-inf`` on both
    sides), or, with ``equal_nan``, when both are NaN. Numbers, nested lists
    and tensors are accepted; values are compared in float64 on the CPU, so
    dtypes need not match (check them with ``assert_dtype``).

    Message: the first line gives the largest error against the tolerance;
    the next says how many entries differ and the first index that does,
    with both values (only the student's with ``show_expected=False``).
    A shape mismatch fails first, with both shapes.
    """
    __tracebackhide__ = True
    try:
        _assert_close(actual, expected, atol=atol, rtol=rtol, what=what, hint=hint, equal_nan=equal_nan, show_expected=show_expected)
    except AssertionError as failure:
        _record_difference(Difference(what, actual, expected, str(failure), atol=atol, rtol=rtol, equal_nan=equal_nan))
        raise


def _assert_close(
    actual: Any, expected: Any, *, atol: float, rtol: float, what: str, hint: str | None, equal_nan: bool, show_expected: bool
) -> None:
    __tracebackhide__ = True
    # Plain numbers become float64 tensors: torch's default float32 would round them first.
    actual_tensor = _as_tensor(actual, what=what, hint=hint, dtype=torch.float64)
    expected_tensor = _as_tensor(expected, what=f"{what} (the expected value)", hint=None, dtype=torch.float64)
    if actual_tensor.shape != expected_tensor.shape:
        fail(f"{what}: expected shape {tuple(expected_tensor.shape)}, got shape {tuple(actual_tensor.shape)}", hint=hint)
    got = actual_tensor.detach().to("cpu", torch.float64)
    want = expected_tensor.detach().to("cpu", torch.float64)
    with torch.no_grad():
        error = (got - want).abs()
        # Infinities and NaN must match exactly: inf - inf is NaN, and rtol * inf would accept anything.
        both_finite = got.isfinite() & want.isfinite()
        close = (got == want) | (both_finite & (error <= atol + rtol * want.abs()))
        if equal_nan:
            close |= got.isnan() & want.isnan()
    if bool(close.all()):
        return
    wrong = ~close
    # NaN compares false to everything; it counts as an infinite error.
    largest = error[wrong].nan_to_num(nan=math.inf, posinf=math.inf).max().item()
    summary = f"{what}: values differ (max abs error {largest:.1e} > atol {atol:g} + rtol {rtol:g} * |expected|)"
    fail(summary, _first_difference(got, want, wrong, show_expected=show_expected), hint=hint)


def assert_equal(actual: Any, expected: Any, *, what: str, hint: str | None = None, show_expected: bool = True) -> None:
    """Check that ``actual == expected`` exactly.

    Tensors compare by shape and every entry (not by dtype: check that with
    ``assert_dtype``); lists and tuples by length and items; dicts by keys and
    values; anything else with ``==``. The message names the first
    difference: an index, a missing or extra key, or both values. With
    ``show_expected=False`` it names the difference by position and the
    student's value only (lengths and key names are still shown).
    """
    __tracebackhide__ = True
    try:
        _assert_equal(actual, expected, what=what, hint=hint, show_expected=show_expected)
    except AssertionError as failure:
        _record_difference(Difference(what, actual, expected, str(failure)))
        raise


def _assert_equal(actual: Any, expected: Any, *, what: str, hint: str | None, show_expected: bool) -> None:
    __tracebackhide__ = True
    if isinstance(expected, torch.Tensor) or isinstance(actual, torch.Tensor):
        _assert_tensors_equal(actual, expected, what=what, hint=hint, show_expected=show_expected)
    elif isinstance(expected, Mapping):
        _assert_mappings_equal(actual, expected, what=what, hint=hint, show_expected=show_expected)
    elif isinstance(expected, (list, tuple)) and not _is_namedtuple(expected):
        _assert_sequences_equal(actual, expected, what=what, hint=hint, show_expected=show_expected)
    elif not values_equal(actual, expected):
        fail(_headline(_show(actual), _show(expected), what=what, show_expected=show_expected), *_own_value(_show(actual), show_expected), hint=hint)


@contextmanager
def assert_raises(
    error_type: type[BaseException],
    *,
    what: str,
    mentions: Sequence[str] = (),
    hint: str | None = None,
) -> Iterator[None]:
    """Check that the block raises ``error_type`` whose message contains every text in ``mentions``.

    Only ``error_type`` is caught: any other exception (a stub's
    ``NotImplementedError`` included) passes through unchanged.

    Example::

        with assert_raises(ValueError, what="causal_mask(-1)", mentions=["-1"]):
            impl.a3.causal_mask(-1)

    Messages: ``"<what>: expected ValueError, but nothing was raised"``;
    ``"<what>: the ValueError message should mention '-1'"`` plus the message seen.
    """
    __tracebackhide__ = True
    try:
        yield
    except error_type as error:
        text = str(error)
        for needle in mentions:
            if needle not in text:
                fail(
                    f"{what}: the {error_type.__name__} message should mention {needle!r}",
                    f"message seen: {_cut(text)!r}",
                    hint=hint or "error messages name the value that is wrong",
                )
    else:
        fail(f"{what}: expected {error_type.__name__}, but nothing was raised", hint=hint)


def hint_of(message: str) -> str | None:
    """The hint of a failure message (the text after ``Hint: `` on its line), or None."""
    for line in message.splitlines():
        if line.startswith(HINT_PREFIX):
            return line[len(HINT_PREFIX):]
    return None


# ---------------------------------------------------------------------------
# The pieces
# ---------------------------------------------------------------------------


def _as_tensor(value: Any, *, what: str, hint: str | None, dtype: torch.dtype | None = None) -> torch.Tensor:
    """``value`` itself if it is a tensor, else ``torch.as_tensor(value, dtype=dtype)``; fails naming what it is."""
    __tracebackhide__ = True
    if isinstance(value, torch.Tensor):
        return value
    try:
        return torch.as_tensor(value, dtype=dtype)
    except (TypeError, ValueError, RuntimeError):
        pass
    # Outside the except block: torch's own error would only be noise chained under ours.
    fail(f"{what}: expected a tensor or numbers, got {_kind(value)}", hint=hint)


def _first_difference(got: torch.Tensor, want: torch.Tensor, wrong: torch.Tensor, *, show_expected: bool = True) -> str:
    """``"3 of 12 entries differ; first at index (0, 2): got 0.4, expected 0.7"`` (without ``, expected ...`` when hidden)."""
    count, total = int(wrong.sum()), wrong.numel()
    index = tuple(int(i) for i in wrong.nonzero()[0]) if got.dim() else ()
    values = _versus(_number(got[index].item()), _number(want[index].item()), show_expected)
    if got.dim() == 0:
        return values
    return f"{count} of {total} entries differ; first at index {index}: {values}"


def _assert_tensors_equal(actual: Any, expected: Any, *, what: str, hint: str | None, show_expected: bool) -> None:
    __tracebackhide__ = True
    actual_tensor = _as_tensor(actual, what=what, hint=hint)
    expected_tensor = _as_tensor(expected, what=f"{what} (the expected value)", hint=None)
    if actual_tensor.shape != expected_tensor.shape:
        fail(f"{what}: expected shape {tuple(expected_tensor.shape)}, got shape {tuple(actual_tensor.shape)}", hint=hint)
    got, want = actual_tensor.detach().cpu(), expected_tensor.detach().cpu()
    if got.dtype != want.dtype:
        common = torch.promote_types(got.dtype, want.dtype)
        got, want = got.to(common), want.to(common)
    wrong = got != want
    if want.is_floating_point():
        wrong &= ~(got.isnan() & want.isnan())
    if bool(wrong.any()):
        if got.dim() == 0:
            got_text, want_text = _number(got.item()), _number(want.item())
            fail(_headline(got_text, want_text, what=what, show_expected=show_expected), *_own_value(got_text, show_expected), hint=hint)
        index = tuple(int(i) for i in wrong.nonzero()[0])
        fail(
            f"{what}: values differ at {int(wrong.sum())} of {wrong.numel()} entries",
            f"first at index {index}: {_versus(_number(got[index].item()), _number(want[index].item()), show_expected)}",
            hint=hint,
        )


def _assert_sequences_equal(actual: Any, expected: Sequence, *, what: str, hint: str | None, show_expected: bool) -> None:
    __tracebackhide__ = True
    if isinstance(actual, torch.Tensor) or not isinstance(actual, (list, tuple)):
        shown = f" {_show(expected)}" if show_expected else ""
        fail(f"{what}: expected a {type(expected).__name__}{shown}, got {_kind(actual)} {_show(actual)}", hint=hint)
    headline = _headline(_show(actual), _show(expected), what=what, show_expected=show_expected)
    for index, (got, want) in enumerate(zip(actual, expected)):
        if not values_equal(got, want):
            fail(headline, f"first difference at index {index}: {_versus(_show(got), _show(want), show_expected)}", hint=hint)
    if len(actual) != len(expected):
        fail(headline, f"expected {len(expected)} items, got {len(actual)}", hint=hint)


def _assert_mappings_equal(actual: Any, expected: Mapping, *, what: str, hint: str | None, show_expected: bool) -> None:
    __tracebackhide__ = True
    if not isinstance(actual, Mapping):
        shown = f" {_show(expected)}" if show_expected else ""
        fail(f"{what}: expected a dict{shown}, got {_kind(actual)} {_show(actual)}", hint=hint)
    missing = [key for key in expected if key not in actual]
    extra = [key for key in actual if key not in expected]
    differing = [key for key in expected if key in actual and not values_equal(actual[key], expected[key])]
    details = []
    if missing:
        details.append(f"missing keys: {_show(missing)}")
    if extra:
        details.append(f"unexpected keys: {_show(extra)}")
    if differing:
        key = differing[0]
        details.append(f"{len(differing)} values differ; first at key {key!r}: {_versus(_show(actual[key]), _show(expected[key]), show_expected)}")
    if details:
        fail(_headline(_show(actual), _show(expected), what=what, show_expected=show_expected), *details, hint=hint)


def _headline(got: str, want: str, *, what: str, show_expected: bool) -> str:
    """``"<what>: expected E, got A"``, or ``"<what>: differs from the reference"`` when the expected value is hidden."""
    return f"{what}: expected {want}, got {got}" if show_expected else f"{what}: differs from the reference"


def _own_value(got: str, show_expected: bool) -> list[str]:
    """The detail line ``"got A"`` that a hidden headline needs (a shown one already holds it)."""
    return [] if show_expected else [f"got {got}"]


def _versus(got: str, want: str, show_expected: bool) -> str:
    """``"got 0.4, expected 0.7"``, or ``"got 0.4"`` when the expected value is hidden."""
    return f"got {got}, expected {want}" if show_expected else f"got {got}"


def values_equal(actual: Any, expected: Any) -> bool:
    """``actual == expected`` that never raises and reads tensors as their values."""
    if isinstance(actual, torch.Tensor) or isinstance(expected, torch.Tensor):
        try:
            return bool(torch.equal(torch.as_tensor(actual), torch.as_tensor(expected)))
        except (TypeError, ValueError, RuntimeError):
            return False
    try:
        return bool(actual == expected)
    except Exception:  # an exotic __eq__ or __bool__ is simply "not equal"
        return False


def _is_namedtuple(value: Any) -> bool:
    return isinstance(value, tuple) and hasattr(value, "_fields")


def _kind(value: Any) -> str:
    """``"a list"``, ``"an int"``, ``"None"``: what a value is, for messages."""
    if value is None:
        return "None"
    name = type(value).__name__
    return f"{'an' if name[:1].lower() in 'aeiou' else 'a'} {name}"


def _number(value: float | int | bool) -> str:
    if isinstance(value, float) and not value.is_integer():
        return f"{value:.6g}"
    return repr(value)


def _show(value: Any) -> str:
    return _cut(repr(value))


def _cut(text: str) -> str:
    text = re.sub(r"\s+", " ", text)
    return text if len(text) <= _MAX_REPR else text[: _MAX_REPR - 3] + "..."
