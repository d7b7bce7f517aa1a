"""Tests of the assignment notebooks and of nbgrader's view of the repository (nbgrader_config.py).

Source notebooks: solutions/aN_name/aN_name.ipynb. Released notebooks (what
students get): assignments/aN_name/aN_name.ipynb, made by nbgrader's own
generate_assignment (through `course generate`).
"""

from __future__ import annotations

import ast
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[2]
SOLUTIONS = ROOT / "solutions"
ASSIGNMENTS = ROOT / "assignments"
SOURCE_NOTEBOOKS = sorted(path.relative_to(SOLUTIONS).as_posix() for path in SOLUTIONS.glob("a*/*.ipynb"))
CHECK_CALL = re.compile(r'^check_task\("(\d+\.\d+)"\)$')
ANSWER_STUB = "YOUR ANSWER HERE"
CELL_TIMEOUT_SECONDS = 300  # a7 trains two models; about 60 s per cell on 2 idle cores


def read(path: Path) -> nbformat.NotebookNode:
    return nbformat.read(path, as_version=nbformat.NO_CONVERT)


def nbgrader_meta(cell) -> dict:
    return cell.metadata.get("nbgrader", {})


def autograded_cells(notebook) -> list:
    """Code cells nbgrader scores automatically."""
    return [cell for cell in notebook.cells if cell.cell_type == "code" and nbgrader_meta(cell).get("grade")]


def answer_cells(notebook) -> list:
    """Markdown cells a student writes in and a person grades."""
    return [cell for cell in notebook.cells if nbgrader_meta(cell).get("solution") and nbgrader_meta(cell).get("grade")]


def assignment_of(relative: str, course):
    return course.assignment(relative.split("/")[0])


def load_nbgrader_config():
    """The repository's nbgrader_config.py, read as nbgrader reads it; the variable it sets for nbgrader's
    kernels is taken back, so that it does not reach the kernels and check cells of the other tests."""
    from traitlets.config.loader import PyFileConfigLoader

    with pytest.MonkeyPatch.context() as patch:
        patch.delenv("COURSE_NOTEBOOK_GRADING", raising=False)
        return PyFileConfigLoader("nbgrader_config.py", path=str(ROOT)).load_config()


def test_every_assignment_has_its_source_notebook(course):
    """Does every assignment of course.toml have solutions/<id>/<id>.ipynb, and no notebook sit elsewhere?"""
    expected = [f"{assignment.id}/{assignment.id}.ipynb" for assignment in course.assignments]
    found = sorted(
        relative.as_posix()
        for relative in (path.relative_to(SOLUTIONS) for path in SOLUTIONS.rglob("*.ipynb"))
        if not any(part.startswith(".") for part in relative.parts)  # Jupyter's .ipynb_checkpoints
    )
    assert found == expected


@pytest.mark.parametrize("relative", SOURCE_NOTEBOOKS)
def test_autograded_cells_match_course_toml(relative, course):
    """Is each non-manual task checked by exactly one locked cell `check_task("N.M")` with its grade_id and points?"""
    assignment = assignment_of(relative, course)
    cells = autograded_cells(read(SOLUTIONS / relative))
    seen = {}
    for cell in cells:
        meta = nbgrader_meta(cell)
        call = CHECK_CALL.match(cell.source.splitlines()[0])
        assert call, f"a check cell must start with check_task(\"N.M\"), got {cell.source!r}"
        task_id = call.group(1)
        assert meta["grade_id"] == "task" + task_id.replace(".", "_"), cell.source
        assert meta["locked"] and not meta["solution"] and meta["schema_version"] == 3
        seen[task_id] = seen.get(task_id, 0) + 1
        assert meta["points"] == course.task(task_id).points, f"Task {task_id}"
    assert seen == {task.id: 1 for task in assignment.tasks if not task.manual}


@pytest.mark.parametrize("relative", SOURCE_NOTEBOOKS)
def test_written_answers_sum_to_the_manual_task(relative, course):
    """Do the answer cells (each after a locked question cell, grade_id written_N_k) sum to the manual task's points?"""
    assignment = assignment_of(relative, course)
    notebook = read(SOLUTIONS / relative)
    answers = answer_cells(notebook)
    assert 2 <= len(answers) <= 3
    for cell in answers:
        meta = nbgrader_meta(cell)
        assert cell.cell_type == "markdown" and not meta["locked"] and meta["schema_version"] == 3
        assert re.fullmatch(rf"written_{assignment.number}_\d+", meta["grade_id"])
        question = notebook.cells[notebook.cells.index(cell) - 1]
        assert question.cell_type == "markdown" and nbgrader_meta(question).get("locked")
        assert len(cell.source.split()) >= 20, f"{meta['grade_id']}: the model answer is too short to grade by"
    (manual,) = [task for task in assignment.tasks if task.manual]
    assert sum(nbgrader_meta(cell)["points"] for cell in answers) == manual.points


@pytest.mark.parametrize("relative", SOURCE_NOTEBOOKS)
def test_grade_ids_are_unique_and_valid_for_nbgrader(relative):
    """Does nbgrader's own metadata validator accept the notebook (unique grade ids, complete metadata)?"""
    from nbgrader.nbgraderformat import MetadataValidator

    notebook = read(SOLUTIONS / relative)
    MetadataValidator().validate_nb(notebook)
    ids = [nbgrader_meta(cell)["grade_id"] for cell in notebook.cells if nbgrader_meta(cell)]
    assert len(ids) == len(set(ids))


def defined_names(source: str) -> set[str]:
    """Names of the functions and classes a piece of code defines, at any depth."""
    return {node.name for node in ast.walk(ast.parse(source)) if isinstance(node, (ast.FunctionDef, ast.ClassDef))}


@pytest.mark.parametrize("relative", SOURCE_NOTEBOOKS)
def test_notebook_imports_the_students_module_and_pastes_no_code(relative, course):
    """Does the first code cell load the workspace's module, and no cell define a function or class the module has?"""
    assignment = assignment_of(relative, course)
    notebook = read(SOLUTIONS / relative)
    code = [cell.source for cell in notebook.cells if cell.cell_type == "code"]
    assert code[0].startswith("from grader.notebook import check_task, workspace\nimpl = workspace()")
    assert re.search(rf"^\w+ = impl\.a{assignment.number}\b", code[0], flags=re.MULTILINE), code[0]
    module_names = defined_names((SOLUTIONS / assignment.id / f"{assignment.module}.py").read_text(encoding="utf-8"))
    for source in code:
        assert defined_names(source) & module_names == set(), f"the notebook re-implements the module:\n{source}"


@pytest.mark.parametrize("relative", SOURCE_NOTEBOOKS)
def test_source_notebooks_are_clean_python3_notebooks(relative):
    """Is each source notebook valid nbformat 4, on the python3 kernel, with no outputs or execution counts?"""
    notebook = read(SOLUTIONS / relative)
    nbformat.validate(notebook)
    assert notebook.metadata.kernelspec.name == "python3"
    for cell in notebook.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, cell.source


@pytest.mark.parametrize("relative", SOURCE_NOTEBOOKS)
def test_released_notebooks_hold_no_solution_text(relative):
    """Does the released notebook replace every model answer, keep no BEGIN SOLUTION, and lock its check cells?"""
    source = read(SOLUTIONS / relative)
    released_path = ASSIGNMENTS / relative
    assert released_path.exists(), "run `course generate`"
    released_text = released_path.read_text(encoding="utf-8")
    released = read(released_path)
    assert "BEGIN SOLUTION" not in released_text and "END SOLUTION" not in released_text
    assert [cell.source for cell in answer_cells(released)] == [ANSWER_STUB] * len(answer_cells(source))
    released_sources = "\n".join(cell.source for cell in released.cells)
    for cell in answer_cells(source):
        for sentence in re.split(r"(?<=\.)\s", cell.source):
            if len(sentence) > 30:
                assert sentence not in released_sources, f"model answer text leaked: {sentence!r}"
    for cell in autograded_cells(released):
        assert cell.metadata.editable is False and cell.metadata.deletable is False
        assert nbgrader_meta(cell)["checksum"]


def test_nbgrader_generate_assignment_reproduces_the_release_and_keeps_py_files(tmp_path):
    """Does `nbgrader generate_assignment --force` from the course root write the committed notebooks, copy no
    solution .py, keep the stubbed .py files of the release folder, and make no gradebook?"""
    course_root = tmp_path / "course"
    shutil.copytree(SOLUTIONS, course_root / "solutions", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(ASSIGNMENTS, course_root / "assignments", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "nbgrader_config.py", course_root)
    for relative in SOURCE_NOTEBOOKS:
        (course_root / "assignments" / relative).write_text("a student's edited notebook\n")
    stubs_before = {path: path.read_bytes() for path in (course_root / "assignments").rglob("*.py")}

    completed = subprocess.run(
        [sys.executable, "-m", "nbgrader", "generate_assignment", "--assignment=*", "--force", "--no-db"],
        cwd=course_root,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    for relative in SOURCE_NOTEBOOKS:
        assert (course_root / "assignments" / relative).read_bytes() == (ASSIGNMENTS / relative).read_bytes(), relative
    stubs_after = {path: path.read_bytes() for path in (course_root / "assignments").rglob("*.py")}
    assert stubs_after == stubs_before
    assert not list(tmp_path.rglob("gradebook.db"))
    assert not (ROOT / "gradebook.db").exists()


def test_nbgrader_config_sets_the_course_directory(course):
    """Does nbgrader_config.py make solutions/ the source, assignments/ the release, at the repository root?"""
    config = load_nbgrader_config()
    assert config.CourseDirectory.root == str(ROOT)
    assert config.CourseDirectory.course_id == course.id
    assert config.CourseDirectory.source_directory == "solutions"
    assert config.CourseDirectory.release_directory == "assignments"
    # Any glob but "*" makes --force replace notebooks instead of deleting the release folder.
    assert config.CourseDirectory.notebook_id != "*"


def test_generate_assignment_would_copy_no_python_file(course):
    """Of the files nbgrader's generate_assignment copies from solutions/ as they are, is none a .py file?"""
    from nbgrader.apps import GenerateAssignmentApp
    from nbgrader.coursedir import CourseDirectory
    from nbgrader.utils import find_all_files

    coursedir = CourseDirectory(parent=GenerateAssignmentApp(config=load_nbgrader_config()))
    for assignment in course.assignments:
        # The same selection as nbgrader's BaseConverter.init_assignment.
        copied = find_all_files(str(SOLUTIONS / assignment.id), coursedir.ignore + ["*.ipynb"])
        assert [path for path in copied if path.endswith(".py")] == [], assignment.id


def test_autograde_never_overwrites_a_students_python_files(course):
    """Does autograde copy the students' .py files into its folder, yet never the reference .py over them (#940)?"""
    from nbgrader.apps import AutogradeApp
    from nbgrader.converters import Autograde
    from nbgrader.coursedir import CourseDirectory
    from nbgrader.utils import find_all_files

    app = AutogradeApp(config=load_nbgrader_config())
    coursedir = CourseDirectory(parent=app)
    assert "*.py" not in coursedir.ignore, "autograde would drop the students' own .py files"
    autograde = Autograde(coursedir=coursedir, parent=app)
    for assignment in course.assignments:
        source = str(SOLUTIONS / assignment.id)
        # The same selection as nbgrader's Autograde.init_assignment.
        copied = set(find_all_files(source, coursedir.ignore + ["*.ipynb"]))
        copied -= {os.path.join(source, name) for name in autograde.exclude_overwriting.get(assignment.id, [])}
        assert [path for path in copied if path.endswith(".py")] == [], assignment.id
        assert f"{assignment.module}.py" in autograde.exclude_overwriting[assignment.id]


@pytest.fixture(scope="module")
def executed(tmp_path_factory):
    """``executed(relative)``: that source notebook run top to bottom, saved to tmp (each run once per module).

    nbclient, the python3 kernel of this interpreter, cwd = the notebook's
    folder, CELL_TIMEOUT_SECONDS per cell; a cell that raises is recorded in
    the outputs, a cell that times out fails the tests of that notebook only.
    """
    from nbclient import NotebookClient
    from nbclient.exceptions import CellTimeoutError

    out = tmp_path_factory.mktemp("executed")
    data_dir = tmp_path_factory.mktemp("data-cache")
    runs: dict[str, Path | str] = {}

    def run(relative: str) -> Path:
        if relative not in runs:
            notebook = read(SOLUTIONS / relative)
            client = NotebookClient(
                notebook,
                timeout=CELL_TIMEOUT_SECONDS,
                kernel_name="python3",
                allow_errors=True,
                resources={"metadata": {"path": str((SOLUTIONS / relative).parent)}},
            )
            with pytest.MonkeyPatch.context() as patch:
                # The kernel inherits the environment: datasets go to a temporary cache.
                patch.setenv("COURSE_DATA_DIR", str(data_dir))
                try:
                    client.execute()
                except CellTimeoutError as error:
                    runs[relative] = f"{relative}: {str(error).splitlines()[0]}"
                else:
                    runs[relative] = out / relative
                    runs[relative].parent.mkdir(parents=True, exist_ok=True)
                    nbformat.write(notebook, runs[relative])
        if isinstance(runs[relative], str):
            pytest.fail(runs[relative])
        return runs[relative]

    return run


@pytest.mark.slow
@pytest.mark.parametrize("relative", SOURCE_NOTEBOOKS)
def test_source_notebook_runs_without_error_and_passes_its_checks(executed, relative):
    """Does each solution notebook run top to bottom with no error, every check cell report a pass on stdout
    alone, and show at least one picture?"""
    notebook = read(executed(relative))
    outputs = [(cell, output) for cell in notebook.cells if cell.cell_type == "code" for output in cell.outputs]
    errors = [f"{output.ename}: {output.evalue}" for _, output in outputs if output.output_type == "error"]
    assert errors == []
    for cell in autograded_cells(notebook):
        streams: dict[str, str] = {}
        for output in cell.outputs:
            if output.output_type == "stream":
                streams[output.name] = streams.get(output.name, "") + output.text
        assert set(streams) == {"stdout"}, f"{cell.source}: nbgrader scores 0 for stderr output: {streams}"
        task_id = nbgrader_meta(cell)["grade_id"].removeprefix("task").replace("_", ".")
        assert re.search(rf"^Task {re.escape(task_id)} .*: passed", streams["stdout"], flags=re.MULTILINE), streams["stdout"]
    pictures = [output for _, output in outputs if "image/png" in output.get("data", {})]
    assert pictures, "no picture: show what the code does"


@pytest.mark.slow
@pytest.mark.parametrize("relative", SOURCE_NOTEBOOKS)
def test_nbgrader_validate_passes_on_the_executed_source_notebook(executed, relative):
    """Does nbgrader's validator (what `nbgrader validate` checks after running a notebook) find no failed cell?

    The validator normally clears and re-executes the notebook; here it judges
    the run of the fixture, so each notebook is executed once.
    """
    from nbgrader.preprocessors import CheckCellMetadata
    from nbgrader.validator import Validator

    results = Validator(preprocessors=[CheckCellMetadata]).validate(str(executed(relative)))
    assert results == {}, json.dumps(results, indent=1)[:3000]
