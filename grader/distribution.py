"""What the student distribution holds: the parts of the repository that ship, and what never does.

``course release`` builds a release by these rules and the leak check
(grader/leaks.py) judges one by them; keeping them here lets each import
them without importing the other.
"""

from __future__ import annotations

import fnmatch
import os
from pathlib import Path

# What a release holds at its top level; anything else there is a leak.
RELEASE_TOP_LEVEL = frozenset({"assignments", "tests", "datasets", "grader", "course.toml", "pyproject.toml", "Makefile", "README.md"})
# Folders and files copied from the repository unchanged (caches and hidden files skipped).
COPIED = ("assignments", "datasets", "course.toml", "pyproject.toml")
# The only parts of tests/ that ship: the fixtures, the stand-in models the suites hand to student code, and the public suite.
PUBLIC_TEST_PATHS = ("tests/conftest.py", "tests/stand_ins.py", "tests/public/")
# The only hidden file that ships: `course generate`'s record of what it wrote.
ALLOWED_HIDDEN = ("assignments/.generated.json",)

# Modules of grader/ that never ship (glob patterns, repository-relative), and why.
INSTRUCTOR_ONLY = {
    "grader/commands/release.py": "builds the release from the instructor's repository",
    "grader/distribution.py": "what a release holds: read only by `course release` and the leak check",
    "grader/leaks.py": "the leak check compares a release with solutions/ and the hidden tests",
    "grader/commands/generate.py": "regenerates assignments/ from solutions/, which a release does not have",
    "grader/notebooks.py": "releases the source notebooks of solutions/ through nbgrader, for `course generate`",
    "grader/commands/grade*.py": "grading runs the hidden tests against the reference solutions",
    "grader/commands/similarity.py": "compares submissions with each other and with the reference solutions",
    "grader/commands/gradescope.py": "builds the Gradescope autograder bundle, which holds the reference solutions and the hidden tests",
    "grader/commands/audit.py": "the audit runs the hidden tests against the reference and the catalogue of mutants",
    "grader/audit.py": "the audit runs the hidden tests against the reference and the catalogue of mutants",
    "grader/catalogue.py": "builds mutants from the reference solutions",
    "grader/suite_run.py": "runs the hidden suites for the audit",
    "grader/forked.py": "runs the child processes of the audit and of grading",
    "grader/grading/*": "grading runs the hidden tests against the reference solutions",
}


def is_public_test(relative: str) -> bool:
    """True when the repository-relative ``relative`` (POSIX) is a part of tests/ that ships."""
    return any(relative == allowed or (allowed.endswith("/") and relative.startswith(allowed)) for allowed in PUBLIC_TEST_PATHS)


def instructor_only_reason(relative: str) -> str | None:
    """Why ``relative`` (repository-relative, POSIX) never ships, or None when it may."""
    for pattern, reason in INSTRUCTOR_ONLY.items():
        if fnmatch.fnmatchcase(relative, pattern):
            return reason
    return None


def grader_files(repository: Path) -> dict[str, Path]:
    """The files of ``repository``/grader that ship: release-relative path -> source file."""
    return {
        relative: path
        for relative, path in shippable_files(repository, "grader").items()
        if instructor_only_reason(relative) is None
    }


def shippable_files(repository: Path, name: str) -> dict[str, Path]:
    """The files of ``repository``/``name`` (a file or a folder) a release may copy.

    Skips Python caches and hidden files and folders, except ALLOWED_HIDDEN.
    """
    top = repository / name
    if top.is_file():
        return {name: top}
    found: dict[str, Path] = {}
    for folder, subfolders, names in os.walk(top):
        subfolders[:] = sorted(sub for sub in subfolders if not sub.startswith(".") and sub != "__pycache__")
        for file_name in sorted(names):
            relative = (Path(folder) / file_name).relative_to(repository).as_posix()
            if file_name.endswith(".pyc") or (file_name.startswith(".") and relative not in ALLOWED_HIDDEN):
                continue
            found[relative] = Path(folder) / file_name
    return found
