"""Fixtures and options shared by every suite.

Suites reach the code under test only through two handles (grader.implementation):

- ``impl``: the tree chosen with ``--impl solutions|assignments|PATH`` (default: solutions);
- ``ref``: the reference solutions.

Tests of assignment tasks carry one marker per task, minitorch style:
``@pytest.mark.task3_2`` for Task 3.2. The markers are registered from
course.toml, so ``pytest -m task3_2`` runs one task's tests.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from grader.course import Course, load_course
from grader.implementation import KNOWN_TREES, Implementation, resolve_tree


def task_marker(task_id: str) -> str:
    """The pytest marker name of a task: "3.2" -> "task3_2"."""
    return "task" + task_id.replace(".", "_")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--impl",
        default="solutions",
        help="the code under test: 'solutions', 'assignments', or a folder laid out like them (default: solutions)",
    )


COURSE = pytest.StashKey[Course]()


def pytest_configure(config: pytest.Config) -> None:
    config.stash[COURSE] = load_course()
    for assignment in config.stash[COURSE].assignments:
        for task in assignment.tasks:
            config.addinivalue_line("markers", f"{task_marker(task.id)}: Task {task.id}: {task.name}")


@pytest.fixture(scope="session")
def course(pytestconfig) -> Course:
    """The course as course.toml describes it (loaded once, when pytest starts)."""
    return pytestconfig.stash[COURSE]


@pytest.fixture(scope="session")
def impl(request, course) -> Implementation:
    """The implementation under test (``--impl``)."""
    return Implementation(resolve_tree(request.config.getoption("--impl")), course=course)


@pytest.fixture(scope="session")
def ref(course) -> Implementation:
    """The reference solutions."""
    return Implementation(KNOWN_TREES["solutions"], course=course)


@pytest.fixture(scope="session")
def data_dir(tmp_path_factory) -> Path:
    """One dataset cache for the whole session, so the corpus is built once."""
    return tmp_path_factory.mktemp("data-cache")
