"""Does `course grade` resume a killed run, keep a finished one as it is, and regrade only whom it is told?

A small class (four students of examples/submissions, two assignments) is
graded three ways through the real command line: once without interruption,
once killed (SIGKILL to its whole process group) after the first results
file appears and then run again, and once more over a finished output
folder. The killed-and-resumed results must equal the uninterrupted ones in
everything but timings.
"""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from grader.grading.results import load_result
from grader.paths import REPOSITORY

STUDENTS = ("broken", "empty", "partial", "perfect")
ASSIGNMENTS = "a2,a3"
# Grades one submission at a time, and SIGKILLs its whole process group when the first result is in.
KILL_AFTER_FIRST_RESULT = """
import os, signal, sys
from pathlib import Path
from grader.grading.grade import grade_all

if __name__ == "__main__":
    submissions, out, assignments = sys.argv[1:]
    grade_all([Path(submissions)], out=Path(out), assignments=assignments.split(","), jobs=1,
              on_result=lambda result, kept: os.killpg(0, signal.SIGKILL))
"""


def grade_command(submissions: Path, out: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "grader", "grade", str(submissions), "--out", str(out), "--assignments", ASSIGNMENTS, "--jobs", "1", *extra]


def run_grade(submissions: Path, out: Path, *extra: str) -> subprocess.CompletedProcess:
    completed = subprocess.run(grade_command(submissions, out, *extra), cwd=REPOSITORY, capture_output=True, text=True, timeout=600)
    assert completed.returncode == 0, completed.stdout + completed.stderr
    return completed


def without_timings(value):
    """A results record with every ``seconds`` field removed (the only thing allowed to differ between runs)."""
    if isinstance(value, dict):
        return {key: without_timings(item) for key, item in value.items() if key != "seconds"}
    if isinstance(value, list):
        return [without_timings(item) for item in value]
    return value


def records(out: Path) -> dict[str, dict]:
    return {path.stem: without_timings(load_result(path).to_json()) for path in sorted((out / "results").glob("*.json"))}


def file_states(out: Path) -> dict[str, tuple[bytes, int]]:
    return {str(path.relative_to(out)): (path.read_bytes(), path.stat().st_mtime_ns) for path in sorted(out.rglob("*")) if path.is_file()}


@pytest.fixture(scope="module")
def submissions(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("class")
    for student in STUDENTS:
        shutil.copytree(REPOSITORY / "examples" / "submissions" / student, folder / student)
    return folder


@pytest.fixture(scope="module")
def uninterrupted(submissions, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("uninterrupted")
    run_grade(submissions, out)
    return out


@pytest.mark.slow
def test_a_killed_run_resumes_to_the_results_of_an_uninterrupted_one(submissions, uninterrupted, tmp_path):
    """Killed after its first result and run again, does grading reach the same records, grades and feedback?"""
    out = tmp_path / "killed"
    # The run kills its own process group (itself, the fork server, the grading children) as soon as its first
    # result is written: an interruption at a known point, with the other students not yet graded.
    killed = subprocess.run(
        [sys.executable, "-c", KILL_AFTER_FIRST_RESULT, str(submissions), str(out), ASSIGNMENTS],
        cwd=REPOSITORY, capture_output=True, text=True, timeout=600, start_new_session=True,
    )
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    finished_before_kill = sorted(path.stem for path in (out / "results").glob("*.json"))
    assert len(finished_before_kill) == 1, finished_before_kill
    assert not (out / "grades.csv").exists()
    kept = {student: (out / "results" / f"{student}.json").read_bytes() for student in finished_before_kill}

    completed = run_grade(submissions, out)

    assert records(out) == records(uninterrupted)
    assert (out / "grades.csv").read_bytes() == (uninterrupted / "grades.csv").read_bytes()
    for student in STUDENTS:
        assert (out / "feedback" / f"{student}.md").read_text() == (uninterrupted / "feedback" / f"{student}.md").read_text()
    for student, data in kept.items():
        assert (out / "results" / f"{student}.json").read_bytes() == data, f"{student} was graded again"
        assert f"graded {student}: " in completed.stdout and "kept from the last run" in completed.stdout


@pytest.mark.slow
def test_a_rerun_of_a_finished_run_changes_no_file(submissions, uninterrupted):
    """Run again over a finished output folder, is every file left byte for byte and untouched on disk?"""
    before = file_states(uninterrupted)
    completed = run_grade(submissions, uninterrupted)
    assert completed.stdout.count("kept from the last run") == len(STUDENTS)
    after = file_states(uninterrupted)
    assert {name: data for name, (data, _) in after.items()} == {name: data for name, (data, _) in before.items()}
    results_mtimes = {name: mtime for name, (_, mtime) in after.items() if name.startswith("results/")}
    assert results_mtimes == {name: mtime for name, (_, mtime) in before.items() if name.startswith("results/")}


@pytest.mark.slow
def test_regrade_grades_only_the_named_student_again(submissions, uninterrupted, tmp_path):
    """With --regrade partial, is partial graded again (same record) while the others are kept?"""
    out = tmp_path / "regraded"
    shutil.copytree(uninterrupted, out)
    before = records(out)
    completed = run_grade(submissions, out, "--regrade", "partial")
    assert completed.stdout.count("kept from the last run") == len(STUDENTS) - 1
    assert "graded partial: " in completed.stdout and "graded partial: 35 / 35 (kept" not in completed.stdout
    assert records(out) == before


@pytest.mark.slow
def test_a_changed_submission_is_graded_again(submissions, uninterrupted, tmp_path):
    """When a student's file changes after grading, is that student graded again, and only that one?"""
    changed = tmp_path / "class"
    shutil.copytree(submissions, changed)
    shutil.copytree(changed / "perfect" / "a2_embeddings", changed / "empty" / "a2_embeddings", dirs_exist_ok=True)
    out = tmp_path / "out"
    shutil.copytree(uninterrupted, out)
    completed = run_grade(changed, out)
    assert completed.stdout.count("kept from the last run") == len(STUDENTS) - 1
    empty = load_result(out / "results" / "empty.json")
    assert empty.assignment("a2_embeddings").points == empty.assignment("a2_embeddings").max_points
