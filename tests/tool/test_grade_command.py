"""Does `course grade` work end to end as an instructor uses it: nbgrader trees, rosters, late work, JSON, bad input?

Each graded case is one or two assignments of examples/submissions/perfect
or empty, so that grading takes seconds; the hostile class and resuming are
proved in test_grade_hostile.py and test_grade_resume.py.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from grader.course import load_course
from grader.grading.grade import grade_all
from grader.grading.results import load_result
from grader.paths import REPOSITORY

CLASS = REPOSITORY / "examples" / "submissions"
COURSE = load_course()
A2 = COURSE.assignment("a2")


def course_grade(*arguments: str, cwd: Path = REPOSITORY) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "grader", "grade", *arguments], cwd=cwd, capture_output=True, text=True, timeout=600)


@pytest.mark.slow
def test_nbgrader_tree_with_roster_late_work_and_a_student_who_handed_nothing_in(tmp_path):
    """From nbgrader's submitted/ tree and a roster: is late work penalised per started day, a student found through
    the roster's folder column, and a student on the roster without a submission given zeros?"""
    submitted = tmp_path / "course" / "submitted"
    shutil.copytree(CLASS / "perfect" / "a2_embeddings", submitted / "u1234" / "a2_embeddings")
    shutil.copytree(CLASS / "perfect" / "a2_embeddings", submitted / "bob" / "a2_embeddings")
    # Due 2027-01-29T23:59Z; 1.5 days late is 2 started days: 10 % each, so 80 % of the points.
    (submitted / "bob" / "a2_embeddings" / "timestamp.txt").write_text("2027-01-31 11:59:00.000000 UTC\n")
    roster = tmp_path / "roster.csv"
    roster.write_text("student,folder\nalice,u1234\nbob,bob\ncarol,carol\n")
    out = tmp_path / "out"

    results = {result.student: result for result in grade_all([tmp_path / "course"], out=out, assignments=["a2"], roster=roster, jobs=2)}

    assert sorted(results) == ["alice", "bob", "carol"]
    alice, bob, carol = results["alice"].assignment(A2.id), results["bob"].assignment(A2.id), results["carol"].assignment(A2.id)
    assert alice.points == alice.max_points == A2.points - sum(task.points for task in A2.tasks if task.manual)
    assert bob.late_factor == pytest.approx(0.8) and bob.raw_points == alice.points
    assert bob.points == pytest.approx(round(alice.points * 0.8, 2))
    assert bob.submitted_at.startswith("2027-01-31T11:59:00")
    assert not carol.submitted and carol.points == 0
    assert {task.status for task in carol.tasks if not task.manual} == {"missing"}
    assert (out / "grades.csv").read_text().splitlines()[1:] == [
        f"alice,,{alice.points:g},,,,,,{alice.points:g},{alice.max_points:g}",
        f"bob,,{bob.points:g},,,,,,{bob.points:g},{bob.max_points:g}",
        f"carol,,0,,,,,,0,{carol.max_points:g}",
    ]
    assert "late" in (out / "feedback" / "bob.md").read_text()


@pytest.mark.slow
def test_json_output_is_the_records_written(tmp_path):
    """Does --json print, for each student, exactly the record written to results/<student>.json?"""
    submissions = tmp_path / "class"
    for student in ("perfect", "empty"):
        shutil.copytree(CLASS / student / "a2_embeddings", submissions / student / "a2_embeddings")
    completed = course_grade(str(submissions), "--out", str(tmp_path / "out"), "--assignments", "a2", "--json")
    assert completed.returncode == 0, completed.stderr
    printed = {record["student"]: record for record in json.loads(completed.stdout)}
    assert sorted(printed) == ["empty", "perfect"]
    for student, record in printed.items():
        assert load_result(tmp_path / "out" / "results" / f"{student}.json").to_json() == record
    assert printed["perfect"]["points"] == printed["perfect"]["max_points"] and printed["empty"]["points"] == 0


@pytest.mark.parametrize(
    "arguments, message",
    [
        (["examples/submissions/nowhere", "--out", "{tmp}/out"], "no such file or folder"),
        (["examples/submissions", "--out", "{tmp}/a-file"], "is a file; name a folder"),
        (["examples/submissions", "--out", "{tmp}/out", "--regrade", "mallory"], "--regrade names no student of this class: mallory"),
        (["examples/submissions", "--out", "{tmp}/out", "--assignments", "a9"], "unknown assignment 'a9'"),
        (["examples/submissions", "--out", "{tmp}/out", "--roster", "{tmp}/missing.csv"], "missing.csv"),
        (["examples/submissions", "--out", "{tmp}/out", "--nbgrader", "{tmp}"], "no nbgrader gradebook at"),
    ],
)
def test_bad_input_is_one_clear_error_and_writes_nothing(tmp_path, arguments, message):
    """Does each wrong input exit with status 2 and a one-line error naming the value, before any results are written?"""
    (tmp_path / "a-file").write_text("not a folder\n")
    completed = course_grade(*(argument.format(tmp=tmp_path) for argument in arguments))
    assert completed.returncode == 2, completed.stdout + completed.stderr
    assert message in completed.stderr and "Traceback" not in completed.stderr
    assert not (tmp_path / "out" / "results").exists() or not list((tmp_path / "out" / "results").iterdir())


def test_argument_errors_are_caught_by_the_parser():
    """Are a missing --out, a zero --jobs and an unknown isolation level refused with usage errors?"""
    for arguments in (["examples/submissions"], ["x", "--out", "o", "--jobs", "0"], ["x", "--out", "o", "--isolation", "docker"],
                      ["x", "--out", "o", "--test-time-limit", "-1"]):
        completed = course_grade(*arguments)
        assert completed.returncode == 2 and "usage: course grade" in completed.stderr, arguments
