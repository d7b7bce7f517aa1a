"""Do solutions/, course.toml and the solution markers agree with each other?"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from grader.course import load_course
from grader.stubs import BEGIN_MARKER as BEGIN
from grader.stubs import END_MARKER as END
from grader.stubs import TASK_HEADER, stub_source

ROOT = Path(__file__).resolve().parents[2]
SOLUTIONS = ROOT / "solutions"
SOLUTION_FILES = sorted(path for path in SOLUTIONS.glob("a*/*.py") if path.name != "__init__.py")


def course_tasks() -> dict[str, str]:
    """The code tasks of course.toml (manual tasks are answered in notebooks, not in code)."""
    return {
        task.id: task.name
        for assignment in load_course(ROOT / "course.toml").assignments
        for task in assignment.tasks
        if not task.manual
    }


def header_tasks() -> dict[str, str]:
    found = {}
    for path in SOLUTION_FILES:
        for line in path.read_text(encoding="utf-8").splitlines():
            match = TASK_HEADER.match(line)
            if match:
                assert match.group(1) not in found, f"task {match.group(1)} has two headers (second in {path})"
                found[match.group(1)] = match.group(2)
    return found


def test_every_task_header_is_a_course_task_with_the_same_name():
    """Does each `# ## Task N.M: name` in solutions/ appear in course.toml under the same name, and no code task go missing?"""
    headers = header_tasks()
    assert headers, "no task headers found in solutions/"
    declared = course_tasks()
    for task_id, name in headers.items():
        assert declared.get(task_id) == name, f"task {task_id}: solutions say {name!r}, course.toml says {declared.get(task_id)!r}"
    code_assignments = {task_id.split(".")[0] for task_id in headers}
    missing = [task_id for task_id in declared if task_id.split(".")[0] in code_assignments and task_id not in headers]
    assert not missing, f"course.toml tasks without a header in solutions/: {missing}"


@pytest.mark.parametrize("path", SOLUTION_FILES, ids=lambda path: f"{path.parent.name}/{path.name}")
def test_solution_regions_are_balanced_and_belong_to_a_task(path):
    """Is every BEGIN/END SOLUTION pair closed, unnested, and below a task header?"""
    open_at = None
    seen_task = False
    regions = 0
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        seen_task = seen_task or bool(TASK_HEADER.match(line))
        stripped = line.strip()
        if stripped == BEGIN:
            assert open_at is None, f"{path.name}:{number}: region opened inside the region from line {open_at}"
            assert seen_task, f"{path.name}:{number}: solution region before any task header"
            open_at = number
            regions += 1
        elif stripped == END:
            assert open_at is not None, f"{path.name}:{number}: END SOLUTION without BEGIN"
            open_at = None
    assert open_at is None, f"{path.name}: region from line {open_at} never closed"
    assert regions > 0, f"{path.name} has no solution region"


@pytest.mark.parametrize("path", SOLUTION_FILES, ids=lambda path: f"{path.parent.name}/{path.name}")
def test_stubbing_every_region_leaves_valid_python(path):
    """Does replacing each solution region by its NotImplementedError stub still parse?"""
    stubbed = stub_source(path.read_text(encoding="utf-8"), filename=str(path))
    ast.parse(stubbed, filename=str(path))


def test_datasets_folder_is_not_a_python_package():
    """Is datasets/ data only, so it can never shadow the `datasets` library?"""
    assert not list((ROOT / "datasets").glob("*.py"))
