"""Do `course compare` and `course solution` help a self-learner find and fix a bug?

`course compare` runs the real public and hidden suites of a3 in-process on
learner trees in tmp_path: the reference with one planted bug (attention
without its 1 / sqrt(d_k) scaling, Task 3.3), the reference itself, and the
stubs. `course solution` reads the real solutions/ and keeps its consent in
tmp_path.
"""

from __future__ import annotations

import io
import json
import math
import shutil
import sys

import pytest
import torch

from grader.checking import TaskStatus, run_checks
from grader.commands import compare, solution
from grader.comparison import DifferenceRecorder, side_by_side
from grader.course import load_course
from grader.errors import CourseError
from grader.paths import REPOSITORY, SOLUTIONS
from grader.reference_code import reference_code
from grader.stubs import BEGIN_MARKER, stub_source
from grader.testing import Difference, assert_equal, recording_differences

SCALED_SCORES = "scores = q @ k.transpose(-2, -1) / math.sqrt(d_k)  # (..., T_q, T_k)"
UNSCALED_SCORES = "scores = q @ k.transpose(-2, -1)  # (..., T_q, T_k)"
# A line only the reference of Task 3.2 (softmax) holds.
SOFTMAX_LINE = "shift = x.amax(dim=dim, keepdim=True).detach()"
# A line only the reference of Task 4.6 (GPT.init_weights) holds.
INIT_WEIGHTS_LINE = "residual_scale = 1.0 / math.sqrt(2 * self.config.n_layer)"


RECORDING_TESTS = '''
import pytest
from grader.testing import assert_equal, assert_true

@pytest.mark.task3_1
def test_caught_then_passes(impl):
    with pytest.raises(AssertionError):
        assert_equal(1, 2, what="caught")

@pytest.mark.task3_2
def test_caught_then_fails_otherwise(impl):
    with pytest.raises(AssertionError):
        assert_equal(1, 2, what="caught")
    assert_true(False, "a property fails")

@pytest.mark.task3_3
def test_fails_on_a_comparison(impl):
    assert_equal([1, 2], [1, 3], what="the failing one")
'''


def copy_of_solutions(destination):
    shutil.copytree(SOLUTIONS, destination, ignore=shutil.ignore_patterns("__pycache__", "*.ipynb", ".ipynb_checkpoints"))
    return destination


@pytest.fixture
def planted_tree(tmp_path):
    """The reference with one bug: attention_weights (Task 3.3) forgets to divide the scores by sqrt(d_k)."""
    tree = copy_of_solutions(tmp_path / "learner")
    module = tree / "a3_attention" / "attention.py"
    source = module.read_text()
    assert source.count(SCALED_SCORES) == 1
    module.write_text(source.replace(SCALED_SCORES, UNSCALED_SCORES))
    return tree


@pytest.fixture
def stubs_tree(tmp_path):
    """Every solution region stubbed, as `course generate` writes assignments/."""
    tree = copy_of_solutions(tmp_path / "stubs")
    for module in tree.glob("a*/*.py"):
        module.write_text(stub_source(module.read_text(), filename=module.name))
    return tree


@pytest.fixture
def consent_file(tmp_path):
    return tmp_path / "state" / "solutions-shown.json"


class Keyboard(io.StringIO):
    """Stdin as a terminal on which the learner types ``text``."""

    def isatty(self) -> bool:
        return True


def test_compare_puts_the_planted_bug_first_with_its_hint(planted_tree, capsys):
    """Does compare report Task 3.3 first, with the scaling hint and both values side by side?"""
    report = compare.main(assignments=["a3"], impl=planted_tree)
    output = capsys.readouterr().out

    failed = [result.task.id for result in report.check.results if result.status is not TaskStatus.PASSED]
    assert failed[0] == "3.3"
    # Attention and multi-head attention call attention_weights: they may fail with it, nothing else may.
    assert set(failed) <= {"3.3", "3.4", "3.7"}
    first = report.comparisons[0]
    assert first.result.task.id == "3.3"
    assert "sqrt(d_k)" in first.result.hint
    assert first.solution_command == "course solution 3.3"

    # The values shown are the real ones: unscaled weights beside scaled ones. Their log-odds of a
    # key against the first key (never masked), s_i - s_0 against (s_i - s_0) / sqrt(d_k),
    # differ by one constant factor, sqrt(d_k), wherever neither weight is masked to 0.
    difference = first.captured.difference
    yours, expected = difference.actual.double(), difference.expected.double()
    visible = (yours[..., 1:] > 0) & (expected[..., 1:] > 0)
    log_odds_yours = (yours.log() - yours.log()[..., :1])[..., 1:][visible]
    log_odds_expected = (expected.log() - expected.log()[..., :1])[..., 1:][visible]
    ratio = log_odds_yours / log_odds_expected
    assert ratio.numel() > 0 and torch.allclose(ratio, ratio[:1].expand_as(ratio), rtol=1e-3)
    assert ratio[0] > 1.5

    view = first.view
    assert view.yours == view.expected == f"tensor {tuple(yours.shape)} {difference.actual.dtype}"
    assert view.differing > 0 and view.first_index is not None
    assert view.max_error == pytest.approx(float((yours - expected).abs().max()), rel=1e-6)
    row, column = (int(label) for label in (view.window.row_labels[0], view.window.column_labels[0]))
    assert float(view.window.yours[0][0]) == pytest.approx(float(yours[row, column]), rel=1e-3)
    assert float(view.window.expected[0][0]) == pytest.approx(float(expected[row, column]), rel=1e-3)

    section = output[output.index("Task 3.3 attention_weights"):]
    assert "yours" in section and "expected" in section
    assert view.window.yours[0][0] in section and view.window.expected[0][0] in section
    assert "sqrt(d_k)" in section
    positions = [output.index(f"course solution {comparison.result.task.id}") for comparison in report.comparisons]
    assert positions == sorted(positions)


def test_only_the_comparison_that_failed_a_test_is_kept(tmp_path):
    """Is a comparison a test caught (and went on from) left out, and the one that failed the test kept?"""
    public = tmp_path / "course" / "tests" / "public"
    public.mkdir(parents=True)
    shutil.copy(REPOSITORY / "tests" / "conftest.py", public.parent / "conftest.py")
    (public / "test_a3_recording.py").write_text(RECORDING_TESTS)
    recorder = DifferenceRecorder(course=load_course())
    run_checks("solutions", assignments=["a3"], suites=[public], plugins=[recorder])
    assert [(captured.task, captured.test, captured.difference.what) for captured in recorder.captured] == [
        ("3.3", "test_fails_on_a_comparison", "the failing one")
    ]
    assert recorder.captured[0].difference.expected == [1, 3]


def test_compare_json_names_the_task_and_both_windows(planted_tree, capsys):
    """Does --json carry the failed task, its hint, and both values' windows?"""
    compare.main(assignments=["a3"], impl=planted_tree, json_output=True)
    data = json.loads(capsys.readouterr().out)
    first = data["comparisons"][0]
    assert (first["task"], first["status"], first["solution"]) == ("3.3", "failed", "course solution 3.3")
    assert "sqrt(d_k)" in first["hint"]
    window = first["comparison"]["window"]
    assert window["yours"] != window["expected"] and any(any(row) for row in window["differs"])


def test_compare_of_the_reference_passes_everything(capsys):
    """Does the reference itself pass every task, with nothing to put side by side?"""
    report = compare.main(assignments=["a3"], impl="solutions")
    output = capsys.readouterr().out
    assert report.all_passed and report.comparisons == []
    assert "course solution" not in output and "7 of 7 tasks passed" in output


def test_compare_of_stubs_says_not_started_without_values(stubs_tree, capsys):
    """Are stubbed tasks "not started", with no side-by-side and no solution pointer?"""
    report = compare.main(assignments=["a3"], impl=stubs_tree)
    output = capsys.readouterr().out
    assert {result.status for result in report.check.results} == {TaskStatus.NOT_STARTED}
    assert report.comparisons == []
    assert "not started" in output and "yours" not in output and "course solution" not in output


def test_compare_needs_the_hidden_tests(monkeypatch, tmp_path):
    """In a copy without tests/hidden (a student release), does compare say it needs the full repository?"""
    monkeypatch.setattr(compare, "HIDDEN_TESTS", tmp_path / "hidden")
    with pytest.raises(CourseError, match="needs the full course repository") as caught:
        compare.main(assignments=["a3"])
    assert "hidden" in str(caught.value) and "course check" in str(caught.value)


def test_solution_asks_the_first_time_only(monkeypatch, consent_file, capsys):
    """Does `course solution 3.2` ask before showing softmax's reference, and not again once agreed?"""
    monkeypatch.setattr(sys, "stdin", Keyboard("y\n"))
    code = solution.main(task="3.2", consent_file=consent_file)
    output = capsys.readouterr().out
    assert "This shows the reference solution of Task 3.2" in output and "[y/N]" in output
    assert SOFTMAX_LINE in output and code.task.name == "softmax"
    assert "def attention_weights" not in output
    assert json.loads(consent_file.read_text()) == ["3.2"]

    monkeypatch.setattr(sys, "stdin", io.StringIO(""))  # nobody to ask now
    solution.main(task="3.2", consent_file=consent_file)
    output = capsys.readouterr().out
    assert "This shows" not in output and SOFTMAX_LINE in output


def test_solution_declined_shows_nothing(monkeypatch, consent_file, capsys):
    """Does a "no" (or just Enter) show nothing and remember nothing?"""
    monkeypatch.setattr(sys, "stdin", Keyboard("\n"))
    assert solution.main(task="3.2", consent_file=consent_file) is None
    output = capsys.readouterr().out
    assert "Not shown." in output and SOFTMAX_LINE not in output
    assert not consent_file.exists()


def test_solution_without_a_terminal_needs_yes(monkeypatch, consent_file, capsys):
    """Does a script without --yes get a clear refusal, and with --yes the code?"""
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    with pytest.raises(CourseError, match="--yes"):
        solution.main(task="3.2", consent_file=consent_file)
    assert SOFTMAX_LINE not in capsys.readouterr().out

    solution.main(task="3.2", yes=True, consent_file=consent_file)
    assert SOFTMAX_LINE in capsys.readouterr().out


def test_solution_of_a_class_hides_the_tasks_inside_it(consent_file, capsys):
    """Does Task 4.5 (the class GPT) leave out the body of Task 4.6 (its method init_weights)?"""
    solution.main(task="4.5", yes=True, consent_file=consent_file)
    output = capsys.readouterr().out
    assert "class GPT(nn.Module):" in output
    assert INIT_WEIGHTS_LINE not in output and "course solution 4.6" in output

    solution.main(task="4.6", yes=True, consent_file=consent_file)
    assert INIT_WEIGHTS_LINE in capsys.readouterr().out


@pytest.mark.parametrize(
    ("task", "message"),
    [("3.8", r"answered in writing.*a3_attention\.ipynb"), ("3.99", "unknown task '3.99'")],
)
def test_solution_of_a_written_or_unknown_task_is_a_clear_error(task, message, consent_file):
    """Are a written-answers task and an unknown task each refused with a message that says why?"""
    with pytest.raises(CourseError, match=message):
        solution.main(task=task, yes=True, consent_file=consent_file)
    assert not consent_file.exists()


def test_solution_needs_the_reference(tmp_path, consent_file):
    """In a copy without solutions/ (a student release), does solution say it needs the full repository?"""
    with pytest.raises(CourseError, match="needs the full course repository"):
        solution.main(task="3.2", yes=True, solutions=tmp_path / "solutions", consent_file=consent_file)


def test_every_code_task_has_reference_code():
    """Does every code task of course.toml resolve to definitions holding its name and a solution region?"""
    course = load_course()
    for assignment in course.assignments:
        for task in assignment.tasks:
            if task.manual:
                continue
            code = reference_code(task.id, course=course)
            text = "".join(block.text for block in code.blocks)
            name = task.name.split(".")[-1]
            assert f"def {name}(" in text or f"class {name}(" in text or f"class {name}:" in text, task.id
            assert BEGIN_MARKER in text, task.id


@pytest.mark.parametrize(
    ("actual", "expected", "first_index", "window_yours", "window_expected"),
    [
        ([[1, 2], [3, 4]], torch.tensor([[1, 2], [3, 5]]), (1, 1), ("1", "2"), ("1", "2")),
        ("the cat sat", "the cat sap", (10,), ("'the cat sat'",), ("'the cat sap'",)),
        ([(1, 2), "x"], [(1, 2), "y"], (1,), ("(1, 2)",), ("(1, 2)",)),
    ],
)
def test_side_by_side_reads_tensors_lists_and_text(actual, expected, first_index, window_yours, window_expected):
    """Does side_by_side find the first difference in nested numbers, text and mixed lists?"""
    view = side_by_side(Difference("x", actual, expected, message=""))
    assert view.first_index == first_index
    assert view.window.yours[0] == window_yours and view.window.expected[0] == window_expected


def test_side_by_side_of_other_shapes_and_missing_keys():
    """Do a shape mismatch and a dict missing a key each say what differs, without a misleading window?"""
    shapes = side_by_side(Difference("x", torch.zeros(2, 3), torch.zeros(3, 2), message=""))
    assert (shapes.yours, shapes.expected, shapes.window) == ("tensor (2, 3) torch.float32", "tensor (3, 2) torch.float32", None)

    keys = side_by_side(Difference("vocab", {0: b"a"}, {0: b"a", 1: b"b"}, message=""))
    assert keys.differing == 1 and keys.window.row_labels == ("1",)
    assert keys.window.yours == (("(missing)",),) and keys.window.expected == (("b'b'",),)


def test_recorded_differences_show_more_digits_when_needed():
    """Is a difference smaller than 4 significant digits still visible in the window?"""
    seen = []
    with recording_differences(seen.append), pytest.raises(AssertionError):
        assert_equal(torch.tensor([1.0, 1.00001], dtype=torch.float64), torch.tensor([1.0, 1.00002], dtype=torch.float64), what="x")
    window = side_by_side(seen[0]).window
    assert window.yours[0][1] != window.expected[0][1]
    assert math.isclose(float(window.yours[0][1]), 1.00001)
