"""Does `course check` (grader.checking.run_checks and the CLI) say, task by task, where a tree stands?

Most tests run a small public suite of their own (written below into
tmp_path, beside a copy of tests/conftest.py) against copies of solutions/
with one planted problem each, so they are fast and do not depend on the
real public suite; one test runs the real suite of a3.
"""

from __future__ import annotations

import json
import shutil
from datetime import datetime, timedelta

import pytest

from grader import checking
from grader.checking import TaskStatus, run_checks
from grader.cli import EXIT_USER_ERROR, main
from grader.commands import status
from grader.errors import CourseError
from grader.implementation import KNOWN_TREES
from grader.paths import REPOSITORY

A2_TESTS = '''
import pytest, torch

@pytest.mark.task2_1
def test_token_embedding_rows(impl):
    embedding = impl.a2.TokenEmbedding(5, 3)
    assert embedding(torch.tensor([4])).shape == (1, 3)

@pytest.mark.task2_2
def test_sinusoidal_encoding_shape(impl):
    assert impl.a2.sinusoidal_positional_encoding(4, 6).shape == (4, 6)

@pytest.mark.task2_3
def test_learned_positions_shape(impl):
    assert impl.a2.LearnedPositionalEmbedding(8, 3)(5).shape == (5, 3)
'''

A3_TESTS = '''
import os, sys, warnings
import pytest, torch
from grader.testing import assert_close

@pytest.mark.task3_1
def test_causal_mask_of_two(impl):
    # Noise a check must swallow: none of it may reach the caller's stdout or stderr.
    warnings.warn("a noisy warning", UserWarning)
    print("printed by a test")
    print("printed to stderr by a test", file=sys.stderr)
    os.write(2, b"written to fd 2 by a test\\n")
    assert impl.a3.causal_mask(2).tolist() == [[True, False], [True, True]]

@pytest.mark.task3_2
def test_softmax_of_a_huge_row(impl):
    x = torch.tensor([1.0, 2.0, 1000.0])
    assert_close(impl.a3.softmax(x), torch.softmax(x, dim=-1), atol=1e-6, rtol=1e-5, what="softmax(x)", hint="subtract the row maximum")

@pytest.mark.task3_2
def test_softmax_of_zeros(impl):
    assert_close(impl.a3.softmax(torch.zeros(4)), torch.full((4,), 0.25), atol=1e-7, rtol=0, what="softmax(zeros(4))")

@pytest.mark.task3_3
def test_causal_weights_are_a_lower_triangle(impl):
    q = torch.zeros(1, 3, 4)
    weights = impl.a3.attention_weights(q, q, mask=impl.a3.causal_mask(3))
    assert_close(weights[0, 0], torch.tensor([1.0, 0.0, 0.0]), atol=1e-6, rtol=0, what="first row of the weights")
'''

CHECKED = ["3.1", "3.2", "3.3"]


@pytest.fixture
def suite(tmp_path):
    """A tiny public suite: tests/conftest.py (the repository's) and tests/public/test_a2_*.py, test_a3_*.py."""
    public = tmp_path / "course" / "tests" / "public"
    public.mkdir(parents=True)
    shutil.copy(REPOSITORY / "tests" / "conftest.py", public.parent / "conftest.py")
    (public / "test_a2_embeddings.py").write_text(A2_TESTS, encoding="utf-8")
    (public / "test_a3_attention.py").write_text(A3_TESTS, encoding="utf-8")
    return public


def copy_of(tree, destination):
    """A copy of the tree ``tree`` ("solutions" or "assignments") at ``destination``."""
    shutil.copytree(KNOWN_TREES[tree], destination, ignore=shutil.ignore_patterns("__pycache__", ".*"))
    return destination


def edit(path, old, new):
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def by_task(report):
    return {result.task.id: result for result in report.results}


def test_solutions_pass_and_stubs_are_not_started(suite, capfd):
    """Do the solutions pass every task, the stubs show 'not started', and nothing leak onto stdout or stderr?"""
    solved = by_task(run_checks("solutions", tasks=CHECKED, suites=[suite]))
    assert [solved[task].status for task in CHECKED] == [TaskStatus.PASSED] * 3
    assert (solved["3.2"].passed, solved["3.2"].total, solved["3.2"].message) == (2, 2, "")
    stubs = by_task(run_checks("assignments", tasks=CHECKED, suites=[suite]))
    assert [stubs[task].status for task in CHECKED] == [TaskStatus.NOT_STARTED] * 3
    assert stubs["3.2"].message == "the stub still raises NotImplementedError"
    assert capfd.readouterr() == ("", "")


def test_the_real_public_suite_passes_on_solutions_and_not_on_stubs():
    """Does the shipped public suite of a3 pass on solutions/ and find every a3 task not started in assignments/?"""
    solved = run_checks("solutions", assignments=["a3"])
    assert solved.all_passed, [(result.task.id, result.message) for result in solved.results]
    stubs = run_checks("assignments", assignments=["a3"])
    assert {result.status for result in stubs.results} == {TaskStatus.NOT_STARTED}
    assert len(stubs.results) == sum(not task.manual for task in stubs.results[0].assignment.tasks)


def test_a_syntax_error_is_an_error_row_naming_file_and_line_and_spares_other_assignments(suite, tmp_path):
    """Does a syntax error in attention.py make every a3 row an error naming attention.py:line, while a2 still passes?"""
    tree = copy_of("solutions", tmp_path / "student")
    source = tree / "a3_attention" / "attention.py"
    lines = source.read_text(encoding="utf-8").splitlines()
    source.write_text("\n".join(lines + ["def broken(:"]) + "\n", encoding="utf-8")
    report = run_checks(tree, assignments=["a2", "a3"], tasks=["2.1", *CHECKED], suites=[suite])
    results = by_task(report)
    assert results["2.1"].status is TaskStatus.PASSED
    for task in CHECKED:
        assert results[task].status is TaskStatus.ERROR
        assert f"SyntaxError at a3_attention/attention.py:{len(lines) + 1}" in results[task].message
    assert not report.all_passed


def test_a_renamed_function_and_a_deleted_file_are_named(suite, tmp_path):
    """Is a renamed softmax reported as missing by name, and a deleted module as a missing file?"""
    tree = copy_of("solutions", tmp_path / "student")
    edit(tree / "a3_attention" / "attention.py", "def softmax(", "def soft_max(")
    (tree / "a2_embeddings" / "embeddings.py").unlink()
    results = by_task(run_checks(tree, tasks=["2.1", *CHECKED], suites=[suite]))
    assert results["3.1"].status is TaskStatus.PASSED
    assert results["3.2"].status is TaskStatus.ERROR
    assert results["3.2"].message == "a3_attention/attention.py has no `softmax` (renamed or deleted?)"
    # attention_weights calls softmax by its old name: a plain failure that says where.
    assert results["3.3"].status is TaskStatus.FAILED
    assert results["3.3"].message.startswith("NameError: name 'softmax' is not defined (at a3_attention/attention.py:")
    assert results["2.1"].status is TaskStatus.ERROR
    assert results["2.1"].message.startswith("a2_embeddings/embeddings.py is missing")


def test_a_wrong_answer_fails_with_its_hint_and_a_stub_blocks_later_tasks(suite, tmp_path):
    """Does a planted softmax bug fail with the first line and hint, and a causal_mask stub make 3.3 'needs Task 3.1 first'?"""
    tree = copy_of("solutions", tmp_path / "student")
    source = tree / "a3_attention" / "attention.py"
    edit(source, "def softmax(x: torch.Tensor, dim: int = -1) -> torch.Tensor:", "def softmax(x: torch.Tensor, dim: int = -1) -> torch.Tensor:\n    return x.exp() / x.exp().sum(dim, keepdim=True)")
    edit(source, "def causal_mask(seq_len: int, device: torch.device | str | None = None) -> torch.Tensor:", 'def causal_mask(seq_len: int, device: torch.device | str | None = None) -> torch.Tensor:\n    raise NotImplementedError("Task 3.1: causal_mask")')
    results = by_task(run_checks(tree, tasks=CHECKED, suites=[suite]))
    assert results["3.1"].status is TaskStatus.NOT_STARTED
    softmax = results["3.2"]
    assert (softmax.status, softmax.passed, softmax.total) == (TaskStatus.FAILED, 1, 2)
    assert softmax.message.startswith("softmax(x): values differ")
    assert softmax.hint == "subtract the row maximum"
    assert results["3.3"].status is TaskStatus.NOT_STARTED
    assert results["3.3"].message == "needs Task 3.1 (causal_mask) first"


def test_edits_are_picked_up_between_two_runs_in_one_process(suite, tmp_path):
    """Does a second run_checks see the solution a student just wrote into the stub file?"""
    tree = copy_of("assignments", tmp_path / "student")
    assert by_task(run_checks(tree, tasks=["3.2"], suites=[suite]))["3.2"].status is TaskStatus.NOT_STARTED
    shutil.copy(KNOWN_TREES["solutions"] / "a3_attention" / "attention.py", tree / "a3_attention" / "attention.py")
    assert by_task(run_checks(tree, tasks=["3.2"], suites=[suite]))["3.2"].status is TaskStatus.PASSED


def test_a_broken_or_missing_test_file_is_an_error_row(suite):
    """Is a test file that cannot be imported, or an assignment without one, an error row rather than a crash?"""
    (suite / "test_a2_embeddings.py").write_text("import no_such_module_anywhere\n", encoding="utf-8")
    results = by_task(run_checks("solutions", assignments=["a2", "a6"], suites=[suite]))
    assert results["2.1"].status is TaskStatus.ERROR
    assert "test_a2_embeddings.py could not be loaded" in results["2.1"].message
    assert "no_such_module_anywhere" in results["2.1"].message
    assert results["6.1"].status is TaskStatus.ERROR and "no tests: " in results["6.1"].message and "test_a6_*.py is missing" in results["6.1"].message


@pytest.mark.parametrize(
    ("tasks", "message"),
    [(["3.8"], "graded by hand"), (["9.1"], "unknown task '9.1'")],
    ids=["manual", "unknown"],
)
def test_a_task_without_checks_is_a_user_error(suite, tasks, message):
    """Is asking for a written-answer task or an unknown task a CourseError that says so?"""
    with pytest.raises(CourseError, match=message):
        run_checks("solutions", tasks=tasks, suites=[suite])


def test_an_unknown_assignment_is_one_line_and_exit_2(capsys):
    """Does `course check a9` print one `error:` line listing the assignments and exit with 2?"""
    assert main(["check", "a9"]) == EXIT_USER_ERROR
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.count("\n") == 1
    assert captured.err.startswith("error: unknown assignment 'a9'") and "a1_tokenizer" in captured.err


def test_the_table_and_the_exit_status(suite, tmp_path, monkeypatch, capsys):
    """Does `course check` exit 0 when all pass and 1 otherwise, showing the syntax error in the table?"""
    monkeypatch.setattr(checking, "PUBLIC_SUITES", (suite,))
    monkeypatch.setenv("COLUMNS", "200")
    assert main(["check", "a2", "--impl", "solutions"]) == 0
    passed = capsys.readouterr().out
    assert "sinusoidal_positional_encoding" in passed and "3 of 3 tasks passed" in passed
    tree = copy_of("solutions", tmp_path / "student")
    (tree / "a3_attention" / "attention.py").write_text("def broken(:\n", encoding="utf-8")
    assert main(["check", "3", "--impl", str(tree)]) == 1
    failed = capsys.readouterr().out
    assert "SyntaxError at a3_attention/attention.py:1" in failed
    assert "written_answers" in failed and "by hand" in failed
    assert "0 of 7 tasks passed (7 with errors)" in failed


def test_json_output_is_the_report(suite, monkeypatch, capsys):
    """Does `course check --json` print the report as JSON a machine can read?"""
    monkeypatch.setattr(checking, "PUBLIC_SUITES", (suite,))
    assert main(["check", "a2", "--impl", "assignments", "--json"]) == 1
    document = json.loads(capsys.readouterr().out)
    assert document["all_passed"] is False
    assert [(row["task"], row["status"], row["points"]) for row in document["results"]] == [("2.1", "not started", 2), ("2.2", "not started", 3), ("2.3", "not started", 2)]


def test_status_counts_tasks_and_points_and_measures_due_dates(suite, tmp_path, monkeypatch, capsys):
    """Does `course status` count passing tasks and points per assignment, and say how far each due date is?"""
    monkeypatch.setattr(checking, "PUBLIC_SUITES", (suite,))
    tree = copy_of("solutions", tmp_path / "student")
    edit(tree / "a3_attention" / "attention.py", "def softmax(", "def soft_max(")
    course = checking.load_course()
    a3 = course.assignment("a3")
    now = a3.due - timedelta(days=3, hours=1)
    rows = {row.assignment.id: row for row in status.main(impl=tree, now=now, course=course)}
    # The suite checks all of a2 (7 points) and 3.1-3.3 (1 + 2 + 3); the rename breaks 3.2 and 3.3.
    assert (rows["a2_embeddings"].tasks_passed, rows["a2_embeddings"].points_earned, rows["a2_embeddings"].points_by_hand) == (3, 7, 3)
    assert (rows["a3_attention"].tasks_passed, rows["a3_attention"].points_earned) == (1, 1)
    assert rows["a3_attention"].points_checked == sum(task.points for task in a3.tasks if not task.manual)
    assert rows["a3_attention"].due_in == timedelta(days=3, hours=1)
    output = capsys.readouterr().out
    assert "in 3 days" in output and "a7_capstone" in output


@pytest.mark.parametrize(
    ("due_in", "text"),
    [
        (timedelta(days=3, hours=5), "in 3 days"),
        (timedelta(hours=30), "in 30 hours"),
        (timedelta(minutes=1, seconds=10), "in 1 minute"),
        (-timedelta(days=2, hours=1), "2 days overdue"),
        (-timedelta(hours=1), "1 hour overdue"),
    ],
)
def test_due_text(due_in, text):
    """Is the distance to a due date said in whole days, hours or minutes, and 'overdue' once past?"""
    assert status.due_text(due_in) == text


def test_status_refuses_a_naive_now():
    """Is a `now` without timezone refused with the value seen?"""
    with pytest.raises(ValueError, match="has no timezone"):
        status.main(now=datetime(2027, 1, 1))
