"""Do the assertion helpers of grader.testing fail with messages a student can act on?"""

from __future__ import annotations

import math

import pytest
import torch

from grader.testing import (
    assert_close,
    assert_dtype,
    assert_equal,
    assert_raises,
    assert_shape,
    assert_true,
    fail,
    failure_message,
    hint_of,
)


def message_of(check, *args, **kwargs) -> str:
    with pytest.raises(AssertionError) as caught:
        check(*args, **kwargs)
    return str(caught.value)


def test_close_values_pass():
    """Do values within atol + rtol * |expected| pass, in any numeric container and dtype?"""
    assert_close(torch.tensor([1.0, 2.0]), [1.0 + 1e-7, 2.0], atol=1e-6, rtol=0, what="x")
    assert_close(torch.tensor([100.0], dtype=torch.float64), torch.tensor([100.05]), atol=0, rtol=1e-3, what="x")
    assert_close(0.5, 0.5, atol=0, rtol=0, what="a number")
    assert_close(torch.tensor([-math.inf, 1.0]), [-math.inf, 1.0], atol=0, rtol=0, what="masked logits")


def test_close_failure_gives_summary_then_where_then_hint():
    """Does a mismatch name the largest error and tolerance first, then the first bad index with both values, then the hint?"""
    message = message_of(
        assert_close, torch.tensor([[0.1, 0.2], [0.3, 0.9]]), torch.tensor([[0.1, 0.2], [0.3, 0.4]]),
        atol=1e-5, rtol=1e-4, what="softmax(x)", hint="subtract the row maximum before exp",
    )
    lines = message.splitlines()
    assert lines[0] == "softmax(x): values differ (max abs error 5.0e-01 > atol 1e-05 + rtol 0.0001 * |expected|)"
    assert lines[1] == "1 of 4 entries differ; first at index (1, 1): got 0.9, expected 0.4"
    assert lines[2] == "Hint: subtract the row maximum before exp"
    assert hint_of(message) == "subtract the row maximum before exp"


def test_close_reports_a_shape_mismatch_before_values():
    """Does a transposed result fail on its shape, naming both shapes?"""
    message = message_of(assert_close, torch.zeros(2, 8, 4), torch.zeros(2, 4, 8), atol=0, rtol=0, what="merge_heads(x)", hint="transpose(1, 2) first")
    assert message.splitlines() == ["merge_heads(x): expected shape (2, 4, 8), got shape (2, 8, 4)", "Hint: transpose(1, 2) first"]


@pytest.mark.parametrize(
    "got, expected",
    [(math.nan, 1.0), (math.inf, 1.0), (1.0, -math.inf), (math.inf, -math.inf)],
    ids=["nan", "inf-for-finite", "finite-for-inf", "wrong-sign-inf"],
)
def test_close_never_accepts_nan_or_a_wrong_infinity(got, expected):
    """Are NaN and infinities compared exactly, however large the tolerance?"""
    message = message_of(assert_close, torch.tensor([got]), torch.tensor([expected]), atol=1.0, rtol=1.0, what="x")
    assert "max abs error inf" in message.splitlines()[0]


def test_close_accepts_matching_nan_only_when_asked():
    """Do NaN entries in the same places pass with equal_nan=True, and fail by default?"""
    assert_close(torch.tensor([math.nan, 1.0]), [math.nan, 1.0], atol=0, rtol=0, what="x", equal_nan=True)
    message_of(assert_close, torch.tensor([math.nan]), [math.nan], atol=0, rtol=0, what="x")


def test_close_explains_a_value_that_is_not_numbers():
    """Does a function that returned None get 'expected a tensor or numbers, got None'?"""
    message = message_of(assert_close, None, torch.zeros(2), atol=0, rtol=0, what="gelu(x)", hint="return the result")
    assert message.splitlines() == ["gelu(x): expected a tensor or numbers, got None", "Hint: return the result"]


def test_shape_and_dtype_checks():
    """Do assert_shape and assert_dtype name both shapes / dtypes, and a non-tensor's kind?"""
    assert_shape(torch.zeros(2, 3), (2, 3), what="x")
    assert message_of(assert_shape, torch.zeros(3, 2), (2, 3), what="x") == "x: expected shape (2, 3), got shape (3, 2)"
    assert message_of(assert_shape, [[0.0]], (1, 1), what="x") == "x: expected a tensor of shape (1, 1), got a list"
    assert_dtype(torch.zeros(1, dtype=torch.int64), torch.int64, what="ids")
    assert message_of(assert_dtype, torch.zeros(1), torch.int64, what="ids") == "ids: expected dtype torch.int64, got torch.float32"


def test_equal_on_lists_names_the_first_difference_and_lengths():
    """Do lists report the first differing index, or the two lengths when one is a prefix of the other?"""
    assert_equal([4, 3, 4], [4, 3, 4], what="merge")
    lines = message_of(assert_equal, [4, 3, 5], [4, 3, 4], what="merge_pair(...)", hint="skip both ids").splitlines()
    assert lines == ["merge_pair(...): expected [4, 3, 4], got [4, 3, 5]", "first difference at index 2: got 5, expected 4", "Hint: skip both ids"]
    assert message_of(assert_equal, [6], [6, 5], what="m").splitlines()[1] == "expected 2 items, got 1"
    assert "got a tuple" not in message_of(assert_equal, (1, 2), [1, 3], what="m")


def test_equal_on_dicts_names_missing_extra_and_differing_keys():
    """Does a dict mismatch list missing and unexpected keys and the first differing value?"""
    lines = message_of(assert_equal, {(1, 2): 3, (9, 9): 1}, {(1, 2): 2, (2, 3): 1}, what="get_pair_counts([1, 2, 3])").splitlines()
    assert lines[1:] == ["missing keys: [(2, 3)]", "unexpected keys: [(9, 9)]", "1 values differ; first at key (1, 2): got 3, expected 2"]


def test_equal_on_tensors_compares_values_not_dtypes():
    """Are int32 and int64 tensors of the same values equal, and a differing entry named by index?"""
    assert_equal(torch.tensor([1, 2], dtype=torch.int32), torch.tensor([1, 2]), what="ids")
    lines = message_of(assert_equal, torch.tensor([[1, 2], [3, 4]]), torch.tensor([[1, 2], [3, 5]]), what="ids").splitlines()
    assert lines == ["ids: values differ at 1 of 4 entries", "first at index (1, 1): got 4, expected 5"]


def test_equal_on_plain_values_shows_both():
    """Does a scalar mismatch show both values, strings quoted?"""
    assert message_of(assert_equal, "ehol", "ehlo", what="chars") == "chars: expected 'ehlo', got 'ehol'"
    assert message_of(assert_equal, None, 4, what="vocab_size") == "vocab_size: expected 4, got None"


def test_raises_passes_on_the_error_and_checks_its_message():
    """Does assert_raises accept the expected error, fail when nothing is raised, and check the message mentions the value?"""
    with assert_raises(ValueError, what="f(-1)", mentions=["-1"]):
        raise ValueError("seq_len=-1 must not be negative")
    message = message_of(lambda: _enter(assert_raises(ValueError, what="f(-1)")))
    assert message == "f(-1): expected ValueError, but nothing was raised"
    with pytest.raises(AssertionError) as caught:
        with assert_raises(ValueError, what="f(-1)", mentions=["-1"]):
            raise ValueError("bad value")
    assert caught.value.args[0].splitlines()[:2] == ["f(-1): the ValueError message should mention '-1'", "message seen: 'bad value'"]


def test_raises_lets_a_stubs_not_implemented_error_through():
    """Does a stub's NotImplementedError (or another error) pass through assert_raises unchanged?"""
    with pytest.raises(NotImplementedError, match="Task 3.1"):
        with assert_raises(ValueError, what="causal_mask(-1)"):
            raise NotImplementedError("Task 3.1: causal_mask")


def test_fail_and_assert_true_use_the_same_layout():
    """Do fail and assert_true produce summary, details, then the hint line?"""
    assert_true(True, "never shown")
    assert message_of(assert_true, False, "mask[0, 1] is True", "position 0 may not see 1", hint="use tril") == (
        "mask[0, 1] is True\nposition 0 may not see 1\nHint: use tril"
    )
    assert message_of(fail, "x") == failure_message("x") == "x"
    assert hint_of("no hint here") is None


def test_long_values_are_cut_in_messages():
    """Is a huge list shortened so the first line stays readable?"""
    first_line = message_of(assert_equal, list(range(1000)), list(range(1, 1001)), what="ids").splitlines()[0]
    assert len(first_line) < 450 and first_line.count("...") == 2


def _enter(context) -> None:
    with context:
        pass


def test_close_keeps_python_floats_in_double_precision():
    """Are plain Python numbers compared in float64, so a tolerance finer than float32 still works?"""
    assert_close([0.1 + 1e-12], [0.1], atol=1e-11, rtol=0, what="lr")
    message_of(assert_close, [0.1 + 1e-9], [0.1], atol=1e-11, rtol=0, what="lr")


@pytest.mark.parametrize(
    ("check", "actual", "expected", "shown"),
    [
        (assert_close, torch.tensor([0.1, 0.9]), torch.tensor([0.1, 0.4375]), ["max abs error", "first at index (1,): got 0.9"]),
        (assert_close, torch.tensor(0.9), torch.tensor(0.4375), ["got 0.9"]),
        (assert_equal, torch.tensor([1, 7, 3]), torch.tensor([1, 4375, 3]), ["first at index (1,): got 7"]),
        (assert_equal, [1, 7, 3], [1, 4375, 3], ["first difference at index 1: got 7"]),
        (assert_equal, [1, 2], [1, 2, 4375], ["expected 3 items, got 2"]),
        (assert_equal, {"a": 7}, {"a": 4375}, ["first at key 'a': got 7"]),
        (assert_equal, 7, 4375, ["got 7"]),
    ],
    ids=["close", "close-scalar", "equal-tensor", "equal-list", "equal-length", "equal-dict", "equal-number"],
)
def test_hidden_expected_values_stay_hidden(check, actual, expected, shown):
    """With show_expected=False, does a failure say where and show the student's value, but never the expected one?"""
    kwargs = {"atol": 1e-6, "rtol": 0} if check is assert_close else {}
    message = message_of(check, actual, expected, what="f(x)", hint="look again", show_expected=False, **kwargs)
    assert "4375" not in message, message
    for text in shown:
        assert text in message, message
    assert hint_of(message) == "look again"
