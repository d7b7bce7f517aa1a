"""What the assignment notebooks import: the student's own code, and a check per task.

The first code cell of every notebook reads::

    from grader.notebook import check_task, workspace
    impl = workspace()        # your code: the assignment folders beside this notebook
    attention = impl.a3

and each autograded test cell is ``check_task("3.2")``. Both work in a
long-lived kernel: each call reads the student's files again when they
changed (see ``grader.checking``).

nbgrader gives 0 points to a test cell that writes anything to stderr, so
``check_task`` writes its report to stdout only and never lets a warning out.
Under nbgrader's autograde it grades with the hidden suites too and returns
the points earned, which nbgrader takes as partial credit (see ``check_task``).
"""

from __future__ import annotations

import os
from pathlib import Path

from .checking import GRADING_SUITES, TaskResult, TaskStatus, earned_points, run_checks
from .course import Course, load_course
from .errors import CourseError
from .implementation import Implementation, reload_if_changed
from .paths import HIDDEN_TESTS

GRADING_VARIABLE = "COURSE_NOTEBOOK_GRADING"
"""Set to ``1`` by nbgrader_config.py: check cells then grade with the hidden suites and return points."""


def workspace() -> Implementation:
    """The tree the running notebook belongs to, as a fresh handle (``impl.a3`` ...).

    A notebook runs with the working directory ``<tree>/aN_name/``, so the
    tree is the parent folder; a working directory that is the tree itself
    (it holds ``aN_name`` folders) is accepted too. Modules whose files
    changed since they were imported are read again.

    Raises:
        CourseError: the working directory is neither an assignment folder of
            course.toml nor a folder that holds one.
    """
    course = load_course()
    root = find_tree(Path.cwd(), course=course)
    reload_if_changed(root)
    return Implementation(root, course=course)


def find_tree(folder: Path, *, course: Course) -> Path:
    """The tree that ``folder`` is, or is an assignment folder of.

    Raises:
        CourseError: ``folder`` is neither (the message names it and the folder names expected).
    """
    folder = folder.resolve()
    ids = [assignment.id for assignment in course.assignments]
    if folder.name in ids:
        return folder.parent
    if any((folder / assignment_id).is_dir() for assignment_id in ids):
        return folder
    raise CourseError(
        f"cannot find your assignment folders from {folder}: run the notebook inside an assignment folder "
        f"({', '.join(ids)}) or in the folder that holds them"
    )


def check_task(task_id: str, *, tests_dir: str | Path | None = None) -> float | None:
    """Run the public tests of one task on ``workspace()`` and print a short report.

    The report goes to stdout, e.g.::

        Task 3.2 softmax: FAILED (1 of 2 tests passed)
          softmax(x) along dim=-1: values differ (max abs error 3.2e-01 > ...)
          Hint: subtract the row maximum before exp

    ``tests_dir`` replaces the public suite (for the tool's own tests).

    Under nbgrader (``nbgrader autograde`` or ``validate`` run from the course
    root, whose nbgrader_config.py sets ``COURSE_NOTEBOOK_GRADING=1``), the task
    is graded as ``course grade`` grades it: the public and the hidden suites
    run, nothing is raised, and the points earned (``points * passed / total``)
    are returned, which nbgrader takes as the cell's partial credit.

    Returns:
        The points earned when grading, else None.

    Raises:
        AssertionError: the task did not pass (not when grading); the message is the report.
        CourseError: an unknown task id, one graded by hand, or grading without the hidden suites.
    """
    course = load_course()
    root = find_tree(Path.cwd(), course=course)
    grading = os.environ.get(GRADING_VARIABLE) == "1"
    if tests_dir is not None:
        suites = [tests_dir]
    elif grading:
        if not HIDDEN_TESTS.is_dir():
            raise CourseError(f"{GRADING_VARIABLE}=1, but this copy of the course has no hidden suites to grade with ({HIDDEN_TESTS})")
        suites = list(GRADING_SUITES)
    else:
        suites = None
    report = run_checks(root, tasks=[str(task_id)], course=course, suites=suites)
    lines = [line for result in report.results for line in describe(result)]
    text = "\n".join(lines)
    print(text, flush=True)
    if grading:
        return round(sum(earned_points(result.task.points, result.passed, result.total) for result in report.results), 4)
    if not report.all_passed:
        raise AssertionError(text)
    return None


def describe(result: TaskResult) -> list[str]:
    """Plain-text lines for one task: a heading, then the message, details and hint when it did not pass."""
    heading = f"Task {result.task.id} {result.task.name}: "
    if result.status is TaskStatus.PASSED:
        return [heading + f"passed ({result.passed} of {result.total} tests)"]
    counts = f" ({result.passed} of {result.total} tests passed)" if result.total else ""
    lines = [heading + result.status.value.upper() + counts]
    lines += ["  " + line for line in (result.message, *result.details) if line]
    if result.hint:
        lines.append(f"  Hint: {result.hint}")
    return lines
