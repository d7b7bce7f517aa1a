"""nbgrader's view of this repository: solutions/ is the source, assignments/ the release.

Run nbgrader from the repository root, for example::

    nbgrader generate_assignment a3_attention        # solutions/a3_attention/*.ipynb -> assignments/a3_attention/
    nbgrader validate solutions/a3_attention/a3_attention.ipynb

``course generate`` releases the notebooks through the same nbgrader pipeline
(grader/notebooks.py) and also writes the stubbed .py files, so it is the one
command that rebuilds the whole student workspace.

What nbgrader would get wrong in this layout, and the setting that stops it:

- generate_assignment copies every other file of solutions/aN_name/ into the
  release as it is: the reference .py files would replace the stubs. So it
  ignores ``*.py`` (set for that command only: autograde copies a
  submission's files with the same list, and there the .py files are the
  student's code).
- autograde copies every other file of the source over the submission, so
  every student would be graded on the reference code (nbgrader issue #940).
  Every .py file of an assignment is listed in ``exclude_overwriting``.
- With its default notebook glob ``*``, ``--force`` (and any failed run)
  deletes the whole release folder assignments/aN_name/, stubs and a
  self-learner's code with it. With any other glob nbgrader replaces only the
  notebooks; ``?*`` matches the same notebooks as ``*``. (With ``*`` it would
  also drop notebooks that left solutions/ from the gradebook; with ``?*``
  they stay there until removed with ``nbgrader db``.)
- The formgrader runs every step with one course directory, so its Generate
  button would copy the reference .py files: release with the commands above.
- Its default cell timeout (30 s) would cut a7's training cells short during
  autograde and validate; a cell may run for 10 minutes.
- Its autograde would score each check cell all or nothing on the public
  tests, where ``course grade`` scores the public and hidden tests with
  partial credit. The variable set below makes every check cell of a kernel
  nbgrader starts grade as ``course grade`` does and return the points,
  which nbgrader takes as the cell's partial credit (grader/notebook.py).
- The gradebook is nbgrader's default, gradebook.db at the repository root.
  It holds students' grades: never commit it. nbgrader creates it by running
  ``alembic``, so the virtual environment's bin/ must be on PATH.
"""

import os

from nbgrader.coursedir import CourseDirectory

from grader.course import load_course

ROOT = os.path.dirname(os.path.abspath(__file__))
SOURCE = "solutions"


def python_files(assignment_id):
    """Every .py file of an assignment's source folder, relative to that folder."""
    folder = os.path.join(ROOT, SOURCE, assignment_id)
    return sorted(
        os.path.relpath(os.path.join(parent, name), folder)
        for parent, _, names in os.walk(folder)
        for name in names
        if name.endswith(".py")
    )


# Inherited by the kernels nbgrader starts (autograde, validate): check cells grade with the hidden suites.
os.environ["COURSE_NOTEBOOK_GRADING"] = "1"

course = load_course()
c = get_config()  # noqa: F821 (traitlets puts get_config into this file's namespace)

c.CourseDirectory.root = ROOT
c.CourseDirectory.course_id = course.id
c.CourseDirectory.source_directory = SOURCE
c.CourseDirectory.release_directory = "assignments"
c.CourseDirectory.notebook_id = "?*"
c.GenerateAssignmentApp.CourseDirectory.ignore = CourseDirectory.class_traits()["ignore"].default() + ["*.py"]
c.Autograde.exclude_overwriting = {assignment.id: python_files(assignment.id) for assignment in course.assignments}
c.Execute.timeout = 600
