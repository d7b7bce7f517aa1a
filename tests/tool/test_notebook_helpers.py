"""Do the notebook helpers (grader.notebook) find the student's tree and check a task, on stdout only?"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest

from grader.course import load_course
from grader.errors import CourseError
from grader.implementation import KNOWN_TREES
from grader.paths import REPOSITORY
from grader.notebook import check_task, workspace

PUBLIC_TESTS = '''
import sys, warnings
import pytest

@pytest.mark.task3_1
def test_causal_mask_of_two(impl):
    warnings.warn("a noisy warning", UserWarning)
    print("printed to stderr by a test", file=sys.stderr)
    assert impl.a3.causal_mask(2).tolist() == [[True, False], [True, True]]

@pytest.mark.task3_2
def test_softmax_of_zeros(impl):
    values = impl.a3.softmax(__import__("torch").zeros(4)).tolist()
    assert values == [0.25] * 4, f"softmax(zeros(4)) = {values}, expected four times 0.25\\nHint: divide by the sum"
'''


@pytest.fixture
def suite(tmp_path):
    """A tiny public suite for a3 beside a copy of tests/conftest.py."""
    public = tmp_path / "course" / "tests" / "public"
    public.mkdir(parents=True)
    shutil.copy(REPOSITORY / "tests" / "conftest.py", public.parent / "conftest.py")
    (public / "test_a3_attention.py").write_text(PUBLIC_TESTS, encoding="utf-8")
    return public


@pytest.fixture
def tree(tmp_path):
    """A student's tree: a copy of solutions/ whose softmax is still the stub."""
    root = tmp_path / "student"
    shutil.copytree(KNOWN_TREES["solutions"], root, ignore=shutil.ignore_patterns("__pycache__", ".*"))
    source = root / "a3_attention" / "attention.py"
    text = source.read_text(encoding="utf-8")
    header = "def softmax(x: torch.Tensor, dim: int = -1) -> torch.Tensor:"
    assert header in text
    source.write_text(text.replace(header, header + '\n    raise NotImplementedError("Task 3.2: softmax")', 1), encoding="utf-8")
    return root


def test_workspace_is_the_parent_of_the_notebooks_folder_or_the_folder_itself(tree, monkeypatch):
    """Does workspace() find the tree from <tree>/a3_attention and from <tree>, and refuse an unrelated folder?"""
    monkeypatch.chdir(tree / "a3_attention")
    assert workspace().root == tree.resolve()
    monkeypatch.chdir(tree)
    assert workspace().root == tree.resolve()
    monkeypatch.chdir(tree.parent)
    with pytest.raises(CourseError, match="cannot find your assignment folders"):
        workspace()


def test_workspace_reads_edits_again(tree, monkeypatch):
    """Does calling workspace() again after an edit give the edited code?"""
    monkeypatch.chdir(tree / "a3_attention")
    source = tree / "a3_attention" / "attention.py"
    assert workspace().a3.causal_mask(2).tolist() == [[True, False], [True, True]]
    source.write_text(source.read_text(encoding="utf-8") + "\n\ndef causal_mask(seq_len, device=None):\n    return 'edited'\n", encoding="utf-8")
    assert workspace().a3.causal_mask(2) == "edited"


def test_check_task_prints_a_pass_and_raises_with_the_hint_on_a_failure(tree, suite, monkeypatch, capsys):
    """Does check_task print 'passed' for a done task, and raise AssertionError naming what failed and the hint?"""
    monkeypatch.chdir(tree / "a3_attention")
    check_task("3.1", tests_dir=suite)
    assert capsys.readouterr().out == "Task 3.1 causal_mask: passed (1 of 1 tests)\n"
    with pytest.raises(AssertionError, match=r"Task 3\.2 softmax: NOT STARTED") as not_started:
        check_task("3.2", tests_dir=suite)
    assert "the stub still raises NotImplementedError" in str(not_started.value)
    source = tree / "a3_attention" / "attention.py"
    source.write_text(source.read_text(encoding="utf-8").replace('raise NotImplementedError("Task 3.2: softmax")', "return x", 1), encoding="utf-8")
    with pytest.raises(AssertionError) as failed:
        check_task("3.2", tests_dir=suite)
    report = str(failed.value)
    assert report.splitlines()[0] == "Task 3.2 softmax: FAILED (0 of 1 tests passed)"
    assert "softmax(zeros(4)) = [0.0, 0.0, 0.0, 0.0], expected four times 0.25" in report
    assert "Hint: divide by the sum" in report
    assert capsys.readouterr().err == ""


def test_check_task_under_nbgrader_returns_the_points_earned_and_never_raises(tree, suite, monkeypatch, capsys):
    """With COURSE_NOTEBOOK_GRADING=1 (nbgrader's kernels), does check_task print its report and return the task's
    points times the share of tests passed, as nbgrader's partial credit, instead of raising?"""
    monkeypatch.chdir(tree / "a3_attention")
    monkeypatch.setenv("COURSE_NOTEBOOK_GRADING", "1")
    points = {task.id: task.points for assignment in load_course().assignments for task in assignment.tasks}
    assert check_task("3.1", tests_dir=suite) == points["3.1"]
    assert check_task("3.2", tests_dir=suite) == 0
    output = capsys.readouterr()
    assert "Task 3.1 causal_mask: passed" in output.out and "Task 3.2 softmax: NOT STARTED" in output.out
    assert output.err == ""


def test_check_task_of_a_written_answer_is_refused(tree, suite, monkeypatch):
    """Is check_task on a task graded by hand a CourseError rather than a silent pass?"""
    monkeypatch.chdir(tree / "a3_attention")
    with pytest.raises(CourseError, match="graded by hand"):
        check_task("3.8", tests_dir=suite)


def test_a_passing_check_writes_nothing_to_stderr(tree, suite):
    """Does a notebook cell `check_task("3.1")` whose test warns and prints to stderr leave stderr empty (nbgrader scores stderr 0)?"""
    code = f"from grader.notebook import check_task; check_task('3.1', tests_dir={str(suite)!r})"
    result = subprocess.run(
        [sys.executable, "-W", "always", "-c", code],
        cwd=tree / "a3_attention",
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONPATH": str(REPOSITORY)},
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == "Task 3.1 causal_mask: passed (1 of 1 tests)\n"
    assert result.stderr == ""
