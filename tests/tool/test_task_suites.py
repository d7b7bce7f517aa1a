"""Are the public and hidden suites complete, fast to fail on the stubs, and are their task markers enforced?"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass
from pathlib import Path

import pytest

from grader.course import load_course

REPOSITORY = Path(__file__).resolve().parents[2]

# Runs pytest in a fresh process and writes each collected test's task markers to a JSON file.
RECORD_MARKERS = """
import json, sys
import pytest

class RecordMarkers:
    def __init__(self):
        self.markers = {}

    def pytest_collection_modifyitems(self, items):
        for item in items:
            self.markers[item.nodeid] = [mark.name for mark in item.iter_markers() if mark.name.startswith("task")]

record = RecordMarkers()
exit_code = pytest.main(sys.argv[2:], plugins=[record])
with open(sys.argv[1], "w") as file:
    json.dump({"exit_code": int(exit_code), "markers": record.markers}, file)
"""


@dataclass
class CaseOutcome:
    """One test case of a JUnit XML report."""

    name: str
    seconds: float
    failure_type: str | None
    message: str


@dataclass
class SuiteRun:
    """A task suite run once in its own process."""

    exit_code: int
    markers: dict[str, list[str]]
    outcomes: list[CaseOutcome]
    output: str


def run_suite(tmp_path: Path, suite: str, impl: str) -> SuiteRun:
    record, report = tmp_path / "markers.json", tmp_path / "junit.xml"
    # --tb=no: the report keeps each failure's type and message; formatting hundreds of tracebacks only costs time.
    arguments = [suite, "--impl", impl, "-q", "--tb=no", "-p", "no:cacheprovider", f"--junitxml={report}", "-o", "junit_family=xunit2"]
    completed = subprocess.run(
        [sys.executable, "-c", RECORD_MARKERS, str(record), *arguments],
        cwd=REPOSITORY, capture_output=True, text=True, timeout=300,
    )
    assert record.is_file(), f"pytest did not finish:\n{completed.stdout[-3000:]}{completed.stderr[-3000:]}"
    recorded = json.loads(record.read_text())
    outcomes = []
    for case in ElementTree.parse(report).getroot().iter("testcase"):
        problem = next((child for child in case if child.tag in ("failure", "error", "skipped")), None)
        outcomes.append(
            CaseOutcome(
                name=f"{case.get('classname')}::{case.get('name')}",
                seconds=float(case.get("time")),
                failure_type=None if problem is None else problem.tag,
                message="" if problem is None else problem.get("message", ""),
            )
        )
    return SuiteRun(recorded["exit_code"], recorded["markers"], outcomes, completed.stdout + completed.stderr)


@pytest.fixture(scope="module", params=["tests/public", "tests/hidden"], ids=["public", "hidden"])
def stub_run(request, tmp_path_factory) -> SuiteRun:
    """A task suite against the generated stubs (assignments/), once per suite for this module."""
    return run_suite(tmp_path_factory.mktemp("stub-run"), request.param, "assignments")


def test_every_graded_task_has_tests_in_each_suite(stub_run):
    """Does every non-manual task of course.toml have at least one test in the suite, and no manual task any?"""
    seen = {markers[0] for markers in stub_run.markers.values() if len(markers) == 1}
    for assignment in load_course().assignments:
        for task in assignment.tasks:
            marker = "task" + task.id.replace(".", "_")
            if task.manual:
                assert marker not in seen, f"Task {task.id} is graded by hand but has tests"
            else:
                assert marker in seen, f"Task {task.id} ({task.name}) has no test marked @pytest.mark.{marker}"


def test_every_test_has_exactly_one_task_marker(stub_run):
    """Was every collected test of the suite marked with exactly one task?"""
    assert stub_run.markers, stub_run.output
    wrong = {test: markers for test, markers in stub_run.markers.items() if len(markers) != 1}
    assert not wrong, wrong


def test_every_test_fails_on_the_stubs_within_a_second(stub_run):
    """Against assignments/, does every test fail with the stub's NotImplementedError in under a second
    (a test skipped for want of a device excepted)?"""
    assert stub_run.exit_code == 1, f"pytest exit code {stub_run.exit_code} (1 means tests ran and failed)\n{stub_run.output[-3000:]}"
    assert len(stub_run.outcomes) == len(stub_run.markers), "the JUnit report and the collection disagree"
    not_stub_failures = [
        f"{outcome.name}: {outcome.failure_type} {outcome.message[:200]!r}"
        for outcome in stub_run.outcomes
        if not (outcome.failure_type == "skipped" and "CUDA" in outcome.message)
        and (outcome.failure_type != "failure" or not outcome.message.startswith("NotImplementedError"))
    ]
    assert not not_stub_failures, "\n".join(not_stub_failures)
    slow = [f"{outcome.name}: {outcome.seconds:.2f} s" for outcome in stub_run.outcomes if outcome.seconds >= 1.0]
    assert not slow, "\n".join(slow)


# ---------------------------------------------------------------------------
# The marker rule, on a throwaway copy of tests/ with planted tests
# ---------------------------------------------------------------------------

BAD_TESTS = '''
import pytest

def test_without_marker():
    pass

@pytest.mark.task3_1
@pytest.mark.task3_2
def test_with_two_markers():
    pass

@pytest.mark.task3_8
def test_of_a_written_answer():
    pass

@pytest.mark.task9_9
def test_of_an_unknown_task():
    pass

@pytest.mark.task3_1
def test_well_marked():
    pass
'''

GOOD_TESTS = '''
import pytest

@pytest.mark.task3_1
def test_marked_by_decorator():
    pass

class TestGroup:
    pytestmark = pytest.mark.task3_2

    def test_marked_by_its_class(self):
        pass
'''


def planted_tree(root: Path) -> Path:
    """A copy of tests/conftest.py with planted suites: bad ones in public/ and hidden/, good and unmarked ones elsewhere."""
    tests = root / "tests"
    for folder in ("public", "hidden", "tool"):
        (tests / folder).mkdir(parents=True)
    shutil.copy(REPOSITORY / "tests" / "conftest.py", tests / "conftest.py")
    (root / "pytest.ini").write_text("[pytest]\n", encoding="utf-8")
    (tests / "public" / "test_bad.py").write_text(textwrap.dedent(BAD_TESTS), encoding="utf-8")
    (tests / "hidden" / "test_bad_hidden.py").write_text("def test_hidden_without_marker():\n    pass\n", encoding="utf-8")
    (tests / "public" / "test_good.py").write_text(textwrap.dedent(GOOD_TESTS), encoding="utf-8")
    (tests / "tool" / "test_tool.py").write_text("def test_a_tool_test_needs_no_marker():\n    pass\n", encoding="utf-8")
    return root


def test_wrongly_marked_tests_are_collection_errors(tmp_path):
    """Is a public or hidden test with no, two, a manual or an unknown task marker a collection error naming it,
    while tests marked by decorator or class, and tests outside the task suites, still run?"""
    root = planted_tree(tmp_path)
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "tests", "-p", "no:cacheprovider", "-q", "--continue-on-collection-errors"],
        cwd=root, env={**os.environ, "PYTHONPATH": str(REPOSITORY)}, capture_output=True, text=True, timeout=120,
    )
    output = result.stdout + result.stderr
    assert "ERROR collecting tests/public/test_bad.py" in output, output
    assert "ERROR collecting tests/hidden/test_bad_hidden.py" in output, output
    assert "test_without_marker: has 0 task markers (seen: none)" in output
    assert "test_with_two_markers: has 2 task markers (seen: task3_" in output
    assert "test_of_a_written_answer: marker task3_8 names Task 3.8, a written answer graded by hand" in output
    assert "test_of_an_unknown_task: marker task9_9 names no task of course.toml" in output
    assert "test_hidden_without_marker: has 0 task markers" in output
    assert "test_well_marked" not in output
    # The good public file (two tests) and the tool test ran and passed; nothing else did.
    assert "3 passed" in output and "2 errors" in output, output


STUDENT_COPY_TESTS = '''
import pytest

@pytest.mark.task3_1
def test_default_impl(pytestconfig):
    assert pytestconfig.getoption("--impl") == "assignments"

@pytest.mark.task3_1
def test_needs_the_reference(ref):
    pass
'''

# Loaded with -p before the conftest: makes this run look like a student's copy, which has no solutions/.
WITHOUT_SOLUTIONS_PLUGIN = '''
from pathlib import Path

import grader.implementation

grader.implementation.KNOWN_TREES["solutions"] = Path(__file__).resolve().parent / "solutions"
'''


def test_a_copy_without_solutions_tests_the_assignments_and_explains_ref(tmp_path):
    """Without solutions/, does --impl default to assignments, and does a test using ref fail saying solutions/ is absent?"""
    tests = tmp_path / "tests" / "public"
    tests.mkdir(parents=True)
    shutil.copy(REPOSITORY / "tests" / "conftest.py", tmp_path / "tests" / "conftest.py")
    (tmp_path / "pytest.ini").write_text("[pytest]\n", encoding="utf-8")
    (tests / "test_copy.py").write_text(textwrap.dedent(STUDENT_COPY_TESTS), encoding="utf-8")
    (tmp_path / "without_solutions.py").write_text(WITHOUT_SOLUTIONS_PLUGIN, encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "tests", "-p", "without_solutions", "-p", "no:cacheprovider", "-q"],
        cwd=tmp_path, env={**os.environ, "PYTHONPATH": f"{REPOSITORY}{os.pathsep}{tmp_path}"},
        capture_output=True, text=True, timeout=120,
    )
    output = result.stdout + result.stderr
    assert "1 passed, 1 error" in output, output
    assert "this test needs the reference solutions" in output and "has no solutions/ folder" in output, output
