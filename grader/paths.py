"""Where the parts of the course live.

The `course` tool sits in grader/ at the root of the course: the instructors'
repository, or a student release laid out the same way without solutions/.
"""

from __future__ import annotations

from pathlib import Path

REPOSITORY = Path(__file__).resolve().parents[1]
COURSE_TOML = REPOSITORY / "course.toml"
SOLUTIONS = REPOSITORY / "solutions"
ASSIGNMENTS = REPOSITORY / "assignments"
PUBLIC_TESTS = REPOSITORY / "tests" / "public"
HIDDEN_TESTS = REPOSITORY / "tests" / "hidden"
MUTANTS = REPOSITORY / "tests" / "mutants"
DATASETS_MANIFEST = REPOSITORY / "datasets" / "manifest.toml"
TEMPLATES = Path(__file__).resolve().parent / "templates"
