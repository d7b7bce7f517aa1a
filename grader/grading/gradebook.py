"""Write ``course grade``'s scores into an nbgrader gradebook, through nbgrader's own API.

A course on JupyterHub grades the written answers in nbgrader's formgrader
and exports the final grades with ``nbgrader export``. ``course grade
--nbgrader ROOT`` puts the code tasks' points there too: for each graded
submission, each code task's check cell (grade id ``task3_2``, in the
notebook named like its assignment) gets the task's points as its
automatic score, and each notebook's late penalty is what the course's late
policy took. The manual scores of the written answers are left as they are.

Order of work in an nbgrader course::

    nbgrader generate_assignment --assignment='*'   # the gradebook learns the assignments and their cells
    nbgrader autograde a3_attention                 # notebooks for formgrader (check cells run in the kernel)
    course grade ROOT/submitted --out graded --nbgrader ROOT   # the isolated grader's points replace the kernel's
    nbgrader export                                 # grades.csv with code and written answers together

Students are added to the gradebook when missing; a submission nbgrader has
not seen yet is added with every cell of its notebooks, so ``export`` lists
it. An assignment or a check cell the gradebook does not know is an error:
the gradebook must come from the same course.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ..course import Course
from ..errors import CourseError
from .results import SubmissionResult

GRADEBOOK_NAME = "gradebook.db"
"""nbgrader's default gradebook, at the root of its course folder."""


class GradebookError(CourseError):
    """No gradebook at the course root, or one that does not know the course's assignments or check cells."""


@dataclass(frozen=True)
class GradebookReport:
    """What ``write_gradebook`` changed."""

    path: Path
    """The gradebook written."""
    submissions: int
    """Submissions whose scores were written (one per student and assignment)."""
    added: int
    """Of those, submissions the gradebook did not hold yet."""
    cells: int
    """Check cells given a score."""


def grade_id(task_id: str) -> str:
    """The nbgrader grade id of a code task's check cell: ``"3.2"`` -> ``"task3_2"``."""
    return "task" + task_id.replace(".", "_")


def gradebook_path(course_root: str | Path) -> Path:
    """The gradebook of the nbgrader course at ``course_root``.

    Raises:
        GradebookError: there is none (the message says how to make it).
    """
    path = Path(course_root) / GRADEBOOK_NAME
    if not path.is_file():
        raise GradebookError(
            f"no nbgrader gradebook at {path}: run `nbgrader generate_assignment --assignment='*'` in {course_root} first"
        )
    return path


def write_gradebook(results: Sequence[SubmissionResult], *, course_root: str | Path, course: Course) -> GradebookReport:
    """Write the auto-graded points and late penalties of ``results`` into ``course_root``/gradebook.db.

    Only assignments a result holds as submitted are written; a student who
    handed nothing in for an assignment keeps whatever the gradebook has.

    Raises:
        GradebookError: no gradebook at ``course_root``, or an assignment or
            check cell it does not know (the message names it).
    """
    from nbgrader.api import Gradebook, MissingEntry

    path = gradebook_path(course_root)
    submissions = added = cells = 0
    with Gradebook(f"sqlite:///{path.resolve()}", course_id=course.id) as gradebook:
        for result in results:
            for outcome in (assignment for assignment in result.assignments if assignment.submitted):
                try:
                    gradebook.find_assignment(outcome.id)
                except MissingEntry:
                    raise GradebookError(f"the gradebook at {path} has no assignment {outcome.id!r}; release it with nbgrader first") from None
                gradebook.update_or_create_student(result.student)
                try:
                    gradebook.find_submission(outcome.id, result.student)
                except MissingEntry:
                    gradebook.add_submission(outcome.id, result.student)
                    added += 1
                for task in (task for task in outcome.tasks if not task.manual):
                    try:
                        grade = gradebook.find_grade(grade_id(task.id), outcome.id, outcome.id, result.student)
                    except MissingEntry:
                        raise GradebookError(
                            f"the gradebook at {path} has no check cell {grade_id(task.id)!r} in notebook {outcome.id!r}; "
                            "was it released from this course's notebooks?"
                        ) from None
                    grade.auto_score = task.points
                    cells += 1
                notebook = gradebook.find_submission_notebook(outcome.id, outcome.id, result.student)
                notebook.late_submission_penalty = round(outcome.raw_points - outcome.points, 2) or None
                gradebook.db.commit()
                submissions += 1
    return GradebookReport(path=path, submissions=submissions, added=added, cells=cells)
