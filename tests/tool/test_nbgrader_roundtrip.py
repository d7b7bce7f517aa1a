"""Does the course run through nbgrader as it is, and do nbgrader and `course grade` give the same points?

One nbgrader course is made in a temporary folder from solutions/ and the
repository's nbgrader_config.py, and taken through nbgrader's own steps:
``generate_assignment``, ``autograde``, ``generate_feedback`` and ``export``,
with the sample class (perfect, partial, empty, broken) and one student whose
code writes warnings and stderr output, on assignments a2-a4. Then
``course grade --nbgrader`` writes its points into the same gradebook.
"""

from __future__ import annotations

import csv
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from grader.course import load_course
from grader.grading.results import load_result
from grader.leaks import hidden_test_lines
from grader.paths import REPOSITORY, SOLUTIONS

COURSE = load_course()
ASSIGNMENTS = ("a2_embeddings", "a3_attention", "a4_transformer")
STUDENTS = ("broken", "empty", "partial", "perfect")
CLASS = REPOSITORY / "examples" / "submissions"
# Written at import and inside a function the tests call: nbgrader scores a check cell 0 for any stderr output.
NOISE = '''
import sys as _sys
import warnings as _warnings

print("loading my embeddings", file=_sys.stderr)
_warnings.warn("this module is noisy", UserWarning)
_original_sinusoidal = sinusoidal_positional_encoding


def sinusoidal_positional_encoding(*args, **kwargs):
    print("debug: computing the encoding", file=_sys.stderr)
    _warnings.warn("a warning in the middle of a test", RuntimeWarning)
    return _original_sinusoidal(*args, **kwargs)
'''


@dataclass
class Course:
    root: Path
    environment: dict

    def nbgrader(self, *arguments: str) -> str:
        completed = subprocess.run(
            [sys.executable, "-m", "nbgrader", *arguments], cwd=self.root, env=self.environment, capture_output=True, text=True, timeout=900
        )
        assert completed.returncode == 0, completed.stderr[-4000:]
        return completed.stdout

    def export(self) -> dict[tuple[str, str], float]:
        """(student, assignment) -> score, from ``nbgrader export``'s grades.csv."""
        self.nbgrader("export")
        with open(self.root / "grades.csv", newline="") as file:
            return {(row["student_id"], row["assignment"]): float(row["score"]) for row in csv.DictReader(file) if row["assignment"] in ASSIGNMENTS}


def submit(root: Path, student: str, source: Path, assignment: str) -> None:
    folder = root / "submitted" / student / assignment
    folder.mkdir(parents=True)
    shutil.copy(root / "assignments" / assignment / f"{assignment}.ipynb", folder)
    for module in source.glob("*.py"):
        shutil.copy(module, folder)


@pytest.fixture(scope="module")
def course(tmp_path_factory) -> Course:
    """The nbgrader course, released, submitted to, autograded, with feedback."""
    root = tmp_path_factory.mktemp("nbgrader-course")
    shutil.copytree(SOLUTIONS, root / "solutions", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(REPOSITORY / "nbgrader_config.py", root)
    environment = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",  # nbgrader runs alembic
        "COURSE_DATA_DIR": str(tmp_path_factory.mktemp("data")),
    }
    environment.pop("COURSE_NOTEBOOK_GRADING", None)
    made = Course(root, environment)
    made.nbgrader("generate_assignment", "--assignment=*", "--force")
    for student in STUDENTS:
        for assignment in ASSIGNMENTS:
            if (CLASS / student / assignment).is_dir():
                submit(root, student, CLASS / student / assignment, assignment)
    submit(root, "noisy", CLASS / "perfect" / "a2_embeddings", "a2_embeddings")
    module = root / "submitted" / "noisy" / "a2_embeddings" / "embeddings.py"
    module.write_text(module.read_text() + NOISE)
    for assignment in ASSIGNMENTS:
        made.nbgrader("autograde", assignment)
        made.nbgrader("generate_feedback", assignment)
    return made


@pytest.fixture(scope="module")
def autograded(course) -> dict[tuple[str, str], float]:
    """nbgrader's own scores, from its kernels running the check cells."""
    return course.export()


@pytest.fixture(scope="module")
def graded(course, autograded, tmp_path_factory) -> dict:
    """`course grade --nbgrader` over the same submissions (plus a latecomer nbgrader never saw), after the
    gradebook's automatic scores were zeroed; its results and the export that follows."""
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course.root / 'gradebook.db'}", course_id=COURSE.id) as gradebook:
        for assignment in ASSIGNMENTS:
            for submission in gradebook.assignment_submissions(assignment):
                for notebook in submission.notebooks:
                    for grade in notebook.grades:
                        grade.auto_score = 0.0
        gradebook.db.commit()
    submit(course.root, "latecomer", CLASS / "perfect" / "a2_embeddings", "a2_embeddings")
    out = tmp_path_factory.mktemp("graded")
    completed = subprocess.run(
        [sys.executable, "-m", "grader", "grade", str(course.root / "submitted"), "--out", str(out),
         "--assignments", ",".join(ASSIGNMENTS), "--nbgrader", str(course.root)],
        cwd=REPOSITORY, capture_output=True, text=True, timeout=900,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    results = {path.stem: load_result(path) for path in (out / "results").glob("*.json")}
    return {"results": results, "export": course.export(), "stdout": completed.stdout}


def course_grade_points(results: dict) -> dict[tuple[str, str], float]:
    return {
        (student, outcome.id): outcome.points
        for student, result in results.items()
        for outcome in result.assignments
        if outcome.submitted
    }


@pytest.mark.slow
def test_nbgrader_autograde_and_course_grade_give_the_same_points(autograded, graded):
    """Does every submission score the same in nbgrader's autograde (partial credit from the check cells) as in
    `course grade`, the noisy student included?"""
    ours = course_grade_points(graded["results"])
    theirs = {key: score for key, score in autograded.items() if key in ours}
    assert set(theirs) == set(ours) - {("latecomer", "a2_embeddings")}
    assert {key: round(score, 2) for key, score in theirs.items()} == {key: ours[key] for key in theirs}
    assert ours[("perfect", "a4_transformer")] == 15 and ours[("noisy", "a2_embeddings")] == ours[("perfect", "a2_embeddings")]
    assert 0 < ours[("partial", "a4_transformer")] < 15 and ours[("broken", "a3_attention")] == 0


@pytest.mark.slow
def test_course_grade_writes_its_points_into_the_gradebook(graded):
    """After the gradebook's scores were zeroed, does `nbgrader export` show exactly `course grade`'s points,
    a submission nbgrader never saw included?"""
    ours = course_grade_points(graded["results"])
    exported = {key: round(score, 2) for key, score in graded["export"].items() if key in ours}
    assert exported == ours
    assert "(1 submissions new to it)" in " ".join(graded["stdout"].split())


@pytest.mark.slow
def test_no_solution_file_reaches_the_release_or_the_feedback(course):
    """Does the release hold notebooks only, and does every .py of the feedback equal the student's own file?"""
    released = sorted(path.relative_to(course.root).as_posix() for path in (course.root / "assignments").rglob("*") if path.is_file())
    assert released and all(path.endswith(".ipynb") for path in released), released
    feedback_files = [path for path in (course.root / "feedback").rglob("*.py")]
    assert feedback_files
    for path in feedback_files:
        student, assignment = path.relative_to(course.root / "feedback").parts[:2]
        assert path.read_bytes() == (course.root / "submitted" / student / assignment / path.name).read_bytes(), path
    # partial's a4 differs from the reference: had autograde copied the reference over it, this would fail.
    partial_model = course.root / "feedback" / "partial" / "a4_transformer" / "model.py"
    assert partial_model.read_bytes() != (SOLUTIONS / "a4_transformer" / "model.py").read_bytes()


@pytest.mark.slow
def test_feedback_quotes_no_hidden_test_code(course):
    """Does no feedback page hold a line of the hidden suites, though the check cells ran them?"""
    lines = hidden_test_lines(REPOSITORY)
    pages = list((course.root / "feedback").rglob("*.html"))
    assert len(pages) == len(STUDENTS) * len(ASSIGNMENTS) - 1 + 1  # broken has no a4; noisy has a2
    for page in pages:
        text = page.read_text(encoding="utf-8")
        assert [line for line in lines if line in text] == [], page
        assert "Task " in text
