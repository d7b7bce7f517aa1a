"""Fixtures and options shared by every suite.

Suites reach the code under test only through two handles (grader.implementation):

- ``impl``: the tree chosen with ``--impl solutions|assignments|PATH`` (default:
  solutions when that folder exists, else assignments: a student's copy of the
  course has no solutions/);
- ``ref``: the reference solutions (instructors' repository only).

Tests of assignment tasks carry one marker per task, minitorch style:
``@pytest.mark.task3_2`` for Task 3.2. The markers are registered from
course.toml, so ``pytest -m task3_2`` runs one task's tests. In the public and
hidden suites every test must carry exactly one marker, of a task that a suite
grades (not a written answer); anything else is a collection error, because
a test without its task would count for nothing, and one with two for both.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from grader.course import Course, Task, load_course
from grader.implementation import KNOWN_TREES, Implementation, resolve_tree

# The suites whose tests are graded per task.
TASK_SUITES = (Path(__file__).resolve().parent / "public", Path(__file__).resolve().parent / "hidden")


def default_impl() -> str:
    """``solutions`` where the reference is present (the instructors' repository), else ``assignments``."""
    return "solutions" if KNOWN_TREES["solutions"].is_dir() else "assignments"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--impl",
        default=default_impl(),
        help=(
            "the code under test: 'solutions', 'assignments', or a folder laid out like them "
            "(default: solutions if that folder exists, else assignments)"
        ),
    )


COURSE = pytest.StashKey[Course]()


def pytest_configure(config: pytest.Config) -> None:
    config.stash[COURSE] = load_course()
    _load_hypothesis_profile()
    for assignment in config.stash[COURSE].assignments:
        for task in assignment.tasks:
            config.addinivalue_line("markers", f"{task.marker}: Task {task.id}: {task.name}")


def _load_hypothesis_profile() -> None:
    """Property tests judge what code computes, never how fast: no deadline, and no
    "too slow" health check, which a busy grading host or CI runner would trip at random."""
    from hypothesis import HealthCheck, settings

    settings.register_profile("course", deadline=None, suppress_health_check=[HealthCheck.too_slow])
    settings.load_profile("course")


@pytest.hookimpl(wrapper=True)
def pytest_make_collect_report(collector: pytest.Collector):
    """Turn the collection of a task suite's module or class into an error when a test's task markers are wrong."""
    report = yield
    if not report.passed or not _in_task_suite(collector.path):
        return report
    tasks = [task for assignment in collector.config.stash[COURSE].assignments for task in assignment.tasks]
    problems: dict[str, str] = {}
    for item in report.result:
        if isinstance(item, pytest.Item):
            problem = _marker_problem(item, tasks)
            if problem:
                problems.setdefault(getattr(item, "originalname", item.name), problem)
    if problems:
        lines = [f"{name}: {problem}" for name, problem in problems.items()]
        report.outcome = "failed"
        report.longrepr = "each test of a task suite needs exactly one task marker, e.g. @pytest.mark.task3_2:\n" + "\n".join(lines)
        report.result = []
    return report


def _in_task_suite(path: Path | None) -> bool:
    if path is None:
        return False
    resolved = Path(path).resolve()
    return any(resolved.is_relative_to(suite) for suite in TASK_SUITES)


def _marker_problem(item: pytest.Item, tasks: list[Task]) -> str | None:
    """What is wrong with ``item``'s task markers (none, several, unknown, a manual task), or None."""
    seen = [mark.name for mark in item.iter_markers() if mark.name.startswith("task")]
    if len(seen) != 1:
        return f"has {len(seen)} task markers (seen: {', '.join(seen) if seen else 'none'})"
    task = next((task for task in tasks if task.marker == seen[0]), None)
    if task is None:
        return f"marker {seen[0]} names no task of course.toml"
    if task.manual:
        return f"marker {seen[0]} names Task {task.id}, a written answer graded by hand"
    return None


@pytest.fixture(scope="session")
def course(pytestconfig) -> Course:
    """The course as course.toml describes it (loaded once, when pytest starts)."""
    return pytestconfig.stash[COURSE]


# The pytest plugin name under which grading (grader/grading/isolation_plugin.py) registers a handle
# whose student code runs in an isolated worker process; it replaces ``--impl`` when present.
ISOLATED_IMPLEMENTATION_PLUGIN = "isolated_implementation"


@pytest.fixture(scope="session")
def impl(request, course) -> Implementation:
    """The implementation under test (``--impl``), or grading's isolated handle when grading runs the suite."""
    isolated = request.config.pluginmanager.get_plugin(ISOLATED_IMPLEMENTATION_PLUGIN)
    if isolated is not None:
        return isolated.implementation
    return Implementation(resolve_tree(request.config.getoption("--impl")), course=course)


@pytest.fixture(scope="session")
def ref(course) -> Implementation:
    """The reference solutions; fails the test where this copy of the course has no solutions/ folder."""
    if not KNOWN_TREES["solutions"].is_dir():
        pytest.fail(
            f"this test needs the reference solutions, but {KNOWN_TREES['solutions']} does not exist "
            "(a student's copy of the course has no solutions/ folder)",
            pytrace=False,
        )
    return Implementation(KNOWN_TREES["solutions"], course=course)


@pytest.fixture(scope="session")
def data_dir(tmp_path_factory) -> Path:
    """One dataset cache for the whole session, so the corpus is built once."""
    return tmp_path_factory.mktemp("data-cache")


@pytest.fixture
def seeded() -> int:
    """Seed torch's global RNG (weight initialisation, dropout) with 0 for one test; its state is restored afterwards."""
    import torch  # here, not at the top: suites that never touch torch start without it

    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        yield 0


@pytest.fixture
def single_thread():
    """Run one test with one torch thread, restoring the thread count afterwards.

    The suites' tensors are tiny: splitting a 16 x 16 matmul over threads only
    adds hand-offs, and on a busy machine (a grading host, a laptop running a
    notebook) each hand-off waits for a free core: a 30-step training run
    takes 0.4 s on one thread and over 10 s on two contended ones.
    """
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)
