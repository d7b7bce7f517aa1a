"""The pytest plugin that runs a suite against a submission in an isolated worker.

``run_checks(..., plugins=[IsolationPlugin(session, ...)])`` registers it
under the name tests/conftest.py looks for, so the ``impl`` fixture becomes
the session's ``IsolatedImplementation``. Around each test it:

1. starts the test's wall-clock and CPU-time limits and clears the shared
   objects of the test before (on both sides);
2. counts the tests of each task that ran out of time or lost the worker:
   after ``strikes`` of them the task's other tests fail at once with the
   reason, so an endless loop costs a few time limits, not one per test;
3. lets the worker be restarted by the next request when it died;
4. hands the test's temporary folders to the worker's user, where that is
   not the grader's (the process level under root runs it as ``nobody``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from ..checking import TestTimeLimitExceeded
from .remote import IsolatedImplementation, Session, WorkerLost

PLUGIN_NAME = "isolated_implementation"
"""Must equal ISOLATED_IMPLEMENTATION_PLUGIN in tests/conftest.py."""


class IsolationPlugin:
    """Per-test limits and bookkeeping for one submission's session."""

    def __init__(self, session: Session, *, wall_seconds: float | None, cpu_seconds: float | None, strikes: int = 2) -> None:
        # pytest registers a plugin object under its __name__: the name tests/conftest.py asks for.
        self.__name__ = PLUGIN_NAME
        self.session = session
        self.implementation = IsolatedImplementation(session)
        self.wall_seconds = wall_seconds
        self.cpu_seconds = cpu_seconds
        self.strikes = strikes
        self.struck: dict[str, list[str]] = {}
        """Task marker -> why each of its tests failed by a time limit or a lost worker."""

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_setup(self, item: pytest.Item) -> None:
        marker = _task_marker(item)
        reasons = self.struck.get(marker, [])
        if marker and len(reasons) >= self.strikes:
            message = f"not run: {len(reasons)} earlier tests of this task failed with: {reasons[-1]}"

            def refuse() -> None:
                raise TaskGivenUp(message)

            item.runtest = refuse  # type: ignore[method-assign]
        self.session.begin_test(wall_seconds=self.wall_seconds, cpu_seconds=self.cpu_seconds)

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_call(self, item: pytest.Item) -> None:
        # pytest makes each temporary folder private to the grader; the worker may need to write in it.
        for value in getattr(item, "funcargs", {}).values():
            if isinstance(value, Path) and value.is_dir():
                self.session.share(value)

    @pytest.hookimpl(trylast=True)
    def pytest_runtest_teardown(self, item: pytest.Item) -> None:
        self.session.end_test()

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo) -> Any:
        yield
        if call.excinfo is not None and isinstance(call.excinfo.value, (TestTimeLimitExceeded, WorkerLost)):
            marker = _task_marker(item)
            if marker:
                self.struck.setdefault(marker, []).append(str(call.excinfo.value).splitlines()[0])


class TaskGivenUp(AssertionError):
    """A test left unrun because earlier tests of its task ran out of time or ended the worker."""


def _task_marker(item: pytest.Item) -> str:
    return next((mark.name for mark in item.iter_markers() if mark.name.startswith("task")), "")
