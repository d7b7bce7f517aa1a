"""Does `course grade` grade the sample class as expected.toml says, unharmed by its hostile students?

The class (examples/submissions/, see its README.md) is built by
examples/build_submissions.py: the fast tests prove it is what the builder
makes and that expected.toml describes exactly its students. The slow tests
grade the whole class once, in a temporary copy planted with canary files and
a bait copy of the reference, and check the scores, the results files, and
that nothing outside the output folder was touched.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import shutil
import socket
import subprocess
import sys
import traceback
import zipfile
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

import pytest

from grader.course import load_course
from grader.grading.results import SubmissionResult, TaskOutcome, load_result
from grader.paths import ASSIGNMENTS, REPOSITORY, SOLUTIONS

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10: the same parser, packaged as tomli
    import tomli as tomllib


def _load_builder() -> ModuleType:
    """examples/build_submissions.py as a module (examples/ is not a package)."""
    spec = importlib.util.spec_from_file_location("build_submissions", REPOSITORY / "examples" / "build_submissions.py")
    module = importlib.util.module_from_spec(spec)
    # Registered first: dataclasses look their module up in sys.modules.
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


builder = _load_builder()
CLASS = builder.CLASS_FOLDER
EXPECTED: dict[str, dict] = tomllib.loads((CLASS / "expected.toml").read_text(encoding="utf-8"))
COURSE = load_course()
CODE_ASSIGNMENTS = [assignment for assignment in COURSE.assignments if assignment.module is not None]
EXPECTATIONS = ("full", "zero", "partial", "error")
ENTRY_KEYS = {"expect", "target_tasks", "needs_sandbox", "why"}
# What the grading fixture watches: the parts of the repository grading must never write to.
WATCHED = ("solutions", "tests", "examples", "course.toml", "grader")
ESCAPED_NAME = Path(builder.ZIP_SLIP_RELATIVE).name
# Generous bounds: the real figures are a few hundred KB; a stored flood or an unpacked bomb is hundreds of MB.
RESULTS_FILE_BYTES = 2 << 20
OUTPUT_FOLDER_BYTES = 64 << 20


def class_entries(folder: Path) -> dict[str, Path]:
    """The students of a class folder: student id (folder name, zip name without .zip) -> path."""
    entries = {}
    for path in sorted(folder.iterdir()):
        if path.name.startswith(".") or path.name == "__pycache__" or path.name in builder.HAND_WRITTEN:
            continue
        entries[path.name.removesuffix(".zip") if path.suffix == ".zip" else path.name] = path
    return entries


def submitted_assignments(path: Path) -> set[str]:
    """The assignment ids a submission holds a folder for (its top-level folders, in a zip its entries' first parts)."""
    known = {assignment.id for assignment in CODE_ASSIGNMENTS}
    if path.suffix == ".zip":
        with zipfile.ZipFile(path) as archive:
            tops = {name.split("/")[0] for name in archive.namelist()}
    else:
        tops = {child.name for child in path.iterdir() if child.is_dir()}
    return tops & known


def file_states(top: Path, *, skip: Path | None = None) -> dict[str, tuple[str, str]]:
    """Every file below ``top`` (or ``top`` itself): path -> ("file", sha256) or ("symlink", its target).

    Python caches and hidden files are left out: importing creates them, and they are no one's data.
    """
    if top.is_symlink():
        return {str(top): ("symlink", os.readlink(top))}
    if top.is_file():
        return {str(top): ("file", hashlib.sha256(top.read_bytes()).hexdigest())}
    states: dict[str, tuple[str, str]] = {}
    for folder, subfolders, names in os.walk(top):
        subfolders[:] = [name for name in subfolders if name != "__pycache__" and not name.startswith(".") and Path(folder, name) != skip]
        for name in names:
            if not name.startswith(".") and not name.endswith(".pyc"):
                states.update(file_states(Path(folder, name)))
    return states


def class_contents(folder: Path) -> dict[str, tuple]:
    """What a class is made of, relative path -> contents, for comparing two builds.

    Files by sha256, symlinks by target, zips by their entries (name, time,
    method, permissions, size, CRC-32) rather than their bytes: the same
    entries deflate to different bytes under another zlib build.
    """
    contents: dict[str, tuple] = {}
    for path, state in file_states(folder).items():
        relative = Path(path).relative_to(folder).as_posix()
        if relative in builder.HAND_WRITTEN:
            continue
        if relative.endswith(".zip") and state[0] == "file":
            with zipfile.ZipFile(path) as archive:
                state = ("zip", tuple((i.filename, i.date_time, i.compress_type, i.external_attr, i.file_size, i.CRC) for i in archive.infolist()))
        contents[relative] = state
    return contents


def auto_tasks(result: SubmissionResult, assignment_ids: set[str] | None = None) -> list[TaskOutcome]:
    """The auto-graded tasks of ``result`` (of ``assignment_ids`` only, when given)."""
    return [
        task
        for assignment in result.assignments
        if assignment_ids is None or assignment.id in assignment_ids
        for task in assignment.tasks
        if not task.manual
    ]


def reports_a_problem(result: SubmissionResult) -> bool:
    """True when the result names a problem: of the submission, of an assignment, or a task in error."""
    return bool(result.problems) or any(assignment.problems for assignment in result.assignments) or any(
        task.status == "error" for task in auto_tasks(result)
    )


# ---------------------------------------------------------------- the class itself (fast)


def test_the_committed_class_is_what_the_builder_makes(tmp_path):
    """Does examples/build_submissions.py rebuild exactly the committed class (files, symlinks, zip entries)?"""
    written = builder.build_class(tmp_path / "class")
    assert written == sorted(path.name for path in class_entries(CLASS).values())
    committed, rebuilt = class_contents(CLASS), class_contents(tmp_path / "class")
    differing = sorted(path for path in committed.keys() | rebuilt.keys() if committed.get(path) != rebuilt.get(path))
    assert differing == [], f"the class differs from a fresh build in {differing}; run .venv/bin/python examples/build_submissions.py"


def test_perfect_is_the_reference_and_empty_the_stubs():
    """Is every file of perfect/ identical to solutions/, and of empty/ to assignments/, with nothing else beside them?"""
    for student, tree in (("perfect", SOLUTIONS), ("empty", ASSIGNMENTS)):
        expected = {
            f"{assignment.id}/{name}": (tree / assignment.id / name).read_bytes()
            for assignment in CODE_ASSIGNMENTS
            for name in ("__init__.py", f"{assignment.module}.py")
        }
        folder = CLASS / student
        found = {Path(path).relative_to(folder).as_posix(): Path(path).read_bytes() for path in file_states(folder)}
        assert found.keys() == expected.keys(), f"{student}/ holds {sorted(found)}"
        differing = sorted(name for name in expected if found[name] != expected[name])
        assert differing == [], f"{student}/ differs from {tree.name}/ in {differing}"


def test_expected_names_every_student_and_only_those():
    """Does expected.toml have one entry per student folder and zip of the class, and none for anything else?"""
    students = set(class_entries(CLASS))
    assert sorted(students - EXPECTED.keys()) == [], "students without an entry in expected.toml"
    assert sorted(EXPECTED.keys() - students) == [], "entries of expected.toml without a student"


@pytest.mark.parametrize("student", sorted(EXPECTED))
def test_each_expectation_is_well_formed(student):
    """Does each entry say what to expect with known keys, name tasks of the assignments submitted, and explain itself in one line?"""
    entry = EXPECTED[student]
    assert entry.keys() <= ENTRY_KEYS, f"unknown keys {sorted(entry.keys() - ENTRY_KEYS)}"
    assert entry["expect"] in EXPECTATIONS
    assert entry["why"].strip() and "\n" not in entry["why"]
    if student.startswith("hostile-"):
        assert "target_tasks" in entry, "a hostile student says which tasks must not pass"
    submitted = submitted_assignments(class_entries(CLASS)[student])
    for task_id in entry.get("target_tasks", []):
        task = COURSE.task(task_id)
        owner = next(assignment for assignment in COURSE.assignments if task in assignment.tasks)
        assert not task.manual and owner.id in submitted, f"Task {task_id} is not an auto-graded task of {sorted(submitted)}"


# ---------------------------------------------------------------- hostile code forges a score when not isolated (slow)


@pytest.mark.slow
@pytest.mark.parametrize("student", ["hostile-monkeypatch", "hostile-introspection", "hostile-read-solutions", "hostile-symlink"])
def test_a_forging_student_passes_its_target_when_run_in_the_test_process(student):
    """Would Task 3.1's tests pass for this wrong causal_mask if it ran in pytest's own process, i.e. is the attack real?"""
    suites = [str(REPOSITORY / "tests" / suite / "test_a3_attention.py") for suite in ("public", "hidden")]
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-m", "task3_1", "--impl", str(CLASS / student), *suites]
    run = subprocess.run(command, cwd=REPOSITORY, capture_output=True, text=True, timeout=300, env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"})
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]


# ---------------------------------------------------------------- grading the class (slow)


@dataclass
class Grading:
    """One grading of a copy of the class, and what the machine looked like before and after."""

    root: Path
    """The temporary folder holding the copy (root/examples/submissions), the canaries, the bait and the output."""
    out: Path
    """The output folder given to grade_all."""
    results: dict[str, SubmissionResult]
    """What grade_all returned, by student."""
    returned: int
    """How many results grade_all returned (duplicates included)."""
    error: str | None
    """The traceback when grade_all raised."""
    before: dict[str, tuple[str, str]]
    """The watched files before grading (the repository's WATCHED parts, the copy, canaries, bait)."""
    after: dict[str, tuple[str, str]]
    """The same files after grading."""
    root_before: set[str]
    """The names in ``root`` before grading."""
    root_after: set[str]
    """The names in ``root`` after grading."""
    stray_results_json: list[str]
    """``results.json`` files that appeared above the repository, the copy or the working folder."""
    connections: int | None
    """Connections that reached the listener on LISTENER_PORT; None when the port was taken."""

    def finished(self) -> None:
        """Fail the test when grade_all raised: nothing it left behind can be judged."""
        if self.error is not None:
            pytest.fail(f"grade_all raised:\n{self.error}")

    def result(self, student: str) -> SubmissionResult:
        """The result of ``student``; fails the test when grading raised or left the student out."""
        self.finished()
        if student not in self.results:
            pytest.fail(f"grade_all returned no result for {student} (returned: {sorted(self.results)})")
        return self.results[student]

    def contained(self, student: str) -> bool:
        """True when ``student``'s code ran in the OS sandbox (the only isolation that can stop file and network access)."""
        return self.result(student).isolation == "sandbox"


def _listen(port: int) -> socket.socket | None:
    """A non-blocking socket listening on 127.0.0.1:``port``, or None when the port is taken."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        listener.bind(("127.0.0.1", port))
        listener.listen(64)
    except OSError:
        listener.close()
        return None
    listener.setblocking(False)
    return listener


def _accept_all(listener: socket.socket) -> int:
    """How many connections wait on ``listener`` (accepted and closed)."""
    count = 0
    while True:
        try:
            connection, _ = listener.accept()
        except (BlockingIOError, OSError):
            return count
        connection.close()
        count += 1


def _watched_states(root: Path, out: Path) -> dict[str, tuple[str, str]]:
    states = file_states(root, skip=out)
    for name in WATCHED:
        states.update(file_states(REPOSITORY / name))
    return states


@pytest.fixture(scope="module")
def graded(tmp_path_factory) -> Grading:
    """Grade a copy of the class once, two at a time, with a 3 s limit per test, and record what changed."""
    root = tmp_path_factory.mktemp("graded-class")
    submissions = root / "examples" / "submissions"
    shutil.copytree(CLASS, submissions, symlinks=True, ignore=shutil.ignore_patterns("__pycache__"))
    for folder in (root, root / "examples"):
        (folder / builder.CANARY_NAME).write_text("hostile-delete-files must not reach this file\n", encoding="utf-8")
    # hostile-symlink's ../../../../solutions/ resolves to this bait in the copy, as it does to the reference in the repository.
    bait = root / "solutions" / "a3_attention" / "attention.py"
    bait.parent.mkdir(parents=True)
    shutil.copyfile(SOLUTIONS / "a3_attention" / "attention.py", bait)
    out = root / "out"
    Path(builder.ZIP_SLIP_ABSOLUTE).unlink(missing_ok=True)  # left by an earlier run of a grader that let it out
    watched_json = {folder / "results.json" for start in (REPOSITORY, root, Path.cwd()) for folder in (start, *start.parents)}
    json_before = {path for path in watched_json if path.exists()}
    listener = _listen(builder.LISTENER_PORT)
    before, root_before = _watched_states(root, out), set(os.listdir(root))
    results: list[SubmissionResult] = []
    error = None
    try:
        from grader.grading.grade import grade_all

        results = grade_all([submissions], out=out, jobs=2, isolation="auto", test_time_limit=3.0)
    except Exception:
        error = traceback.format_exc()
    finally:
        connections = _accept_all(listener) if listener is not None else None
        if listener is not None:
            listener.close()
    return Grading(
        root=root,
        out=out,
        results={result.student: result for result in results},
        returned=len(results),
        error=error,
        before=before,
        after=_watched_states(root, out),
        root_before=root_before,
        root_after=set(os.listdir(root)),
        stray_results_json=sorted(str(path) for path in watched_json if path.exists() and path not in json_before),
        connections=connections,
    )


@pytest.mark.slow
def test_grading_the_class_finishes_without_raising(graded):
    """Does grade_all return normally after grading every hostile student?"""
    assert graded.error is None, graded.error


@pytest.mark.slow
def test_every_student_has_one_result_and_one_results_file(graded):
    """Is there exactly one result per student, returned and written to results/<student>.json, and nothing else there?"""
    for student in EXPECTED:
        graded.result(student)
    assert graded.returned == len(graded.results) == len(EXPECTED)
    written = sorted(path.name for path in (graded.out / "results").glob("*.json"))
    assert written == sorted(f"{student}.json" for student in EXPECTED)


@pytest.mark.slow
def test_perfect_scores_full_marks_and_empty_scores_zero(graded):
    """Does perfect pass every auto-graded task of the course, and empty score 0 with every task not started?"""
    perfect, empty = graded.result("perfect"), graded.result("empty")
    assert [task.id for task in auto_tasks(perfect) if task.status != "passed"] == []
    total = sum(task.points for assignment in CODE_ASSIGNMENTS for task in assignment.tasks if not task.manual)
    assert perfect.points == perfect.max_points == total
    assert empty.points == 0
    assert {task.status for task in auto_tasks(empty)} == {"not started"}


@pytest.mark.slow
def test_broken_a3_is_an_error_and_a1_a2_still_score(graded):
    """Are broken's a3 tasks all "error" (a SyntaxError), while its a1 and a2 pass in full?"""
    broken = graded.result("broken")
    assert {task.status for task in auto_tasks(broken, {"a3_attention"})} == {"error"}
    assert {task.status for task in auto_tasks(broken, {"a1_tokenizer", "a2_embeddings"})} == {"passed"}


@pytest.mark.slow
def test_partial_loses_points_only_where_it_is_wrong_or_unfinished(graded):
    """Does partial pass a1-a3, fail Task 4.1, leave a5-a7 not started, and score between 0 and perfect?"""
    partial, perfect = graded.result("partial"), graded.result("perfect")
    assert {task.status for task in auto_tasks(partial, {"a1_tokenizer", "a2_embeddings", "a3_attention"})} == {"passed"}
    assert next(task for task in auto_tasks(partial) if task.id == "4.1").status == "failed"
    assert {task.status for task in auto_tasks(partial, {"a5_training", "a6_sampling", "a7_capstone"})} == {"not started"}
    assert 0 < partial.points < perfect.points


@pytest.mark.slow
@pytest.mark.parametrize("student", sorted(EXPECTED))
def test_each_student_scores_as_expected(graded, student):
    """Does each student come out as expected.toml says: full, zero, partial or a reported error?"""
    result, expect = graded.result(student), EXPECTED[student]["expect"]
    tasks = auto_tasks(result, submitted_assignments(class_entries(CLASS)[student]))
    statuses = {task.id: task.status for task in tasks}
    if expect == "full":
        assert tasks and set(statuses.values()) == {"passed"}, statuses
    elif expect == "zero":
        assert result.points == 0, statuses
    elif expect == "partial":
        assert result.points > 0 and set(statuses.values()) != {"passed"}, statuses
    else:
        assert reports_a_problem(result), f"no problem reported: {statuses}"


@pytest.mark.slow
@pytest.mark.parametrize("student", sorted(student for student, entry in EXPECTED.items() if entry.get("target_tasks")))
def test_no_student_forges_a_score(graded, student):
    """Are the student's target tasks not passed, and its points below perfect's, in total and in their assignments?"""
    entry, result, perfect = EXPECTED[student], graded.result(student), graded.result("perfect")
    if entry.get("needs_sandbox") and not graded.contained(student):
        assert result.isolation_notes, f"graded under {result.isolation!r} isolation, and the result does not say what it lacked"
        pytest.skip(f"graded under {result.isolation!r} isolation, which cannot stop this attack: {'; '.join(result.isolation_notes)}")
    passed = [task.id for task in auto_tasks(result) if task.id in entry["target_tasks"] and task.status == "passed"]
    assert passed == [], f"forged: tasks {passed} passed"
    assert result.points < perfect.points
    targeted = {assignment.id for assignment in result.assignments if any(task.id in entry["target_tasks"] for task in assignment.tasks)}
    for assignment_id in targeted:
        assert result.assignment(assignment_id).points < perfect.assignment(assignment_id).points, assignment_id


@pytest.mark.slow
def test_each_result_says_which_isolation_it_ran_under(graded):
    """Does every result name its isolation, and say what it lacked when it is not the sandbox?"""
    for student in EXPECTED:
        result = graded.result(student)
        assert result.isolation in ("sandbox", "process"), (student, result.isolation)
        assert result.isolation == "sandbox" or result.isolation_notes, student


@pytest.mark.slow
def test_results_files_are_valid_small_distinct_and_as_returned(graded):
    """Does every results file load, stay small despite the flood of output, carry its own fingerprint, and hold what grade_all returned?"""
    fingerprints = {}
    for student in EXPECTED:
        path = graded.out / "results" / f"{student}.json"
        assert path.stat().st_size < RESULTS_FILE_BYTES, f"{path.name}: {path.stat().st_size} bytes"
        stored = load_result(path)
        assert stored.student == student
        if graded.contained("hostile-fake-results"):
            assert stored.to_json() == graded.result(student).to_json(), f"{path.name} differs from the result returned"
        fingerprints[student] = stored.fingerprint
    assert len(set(fingerprints.values())) == len(fingerprints), fingerprints


@pytest.mark.slow
def test_no_file_outside_the_output_folder_changed(graded):
    """Are solutions/, tests/, examples/, course.toml, grader/, the copied class, the canaries and the bait byte for byte as before?"""
    graded.finished()
    changed = sorted(path for path in graded.before.keys() | graded.after.keys() if graded.before.get(path) != graded.after.get(path))
    assert changed == []


@pytest.mark.slow
def test_the_canaries_survive(graded):
    """Are both CANARY_DO_NOT_DELETE files, above the class and in the temporary root, still there?"""
    graded.finished()
    assert (graded.root / builder.CANARY_NAME).is_file()
    assert (graded.root / "examples" / builder.CANARY_NAME).is_file()


@pytest.mark.slow
def test_nothing_new_beside_the_class_and_nothing_escaped_a_zip(graded):
    """Is the output folder the only new thing in the temporary root, and did no zip entry land outside its submission?"""
    graded.finished()
    assert graded.root_after - graded.root_before == {graded.out.name}
    assert not Path(builder.ZIP_SLIP_ABSOLUTE).exists()
    above = {folder for start in (graded.out, graded.root / "examples" / "submissions", REPOSITORY) for folder in (start, *start.parents)}
    assert sorted(str(folder / ESCAPED_NAME) for folder in above if (folder / ESCAPED_NAME).exists()) == []
    elsewhere = [path for path in graded.root.rglob(ESCAPED_NAME) if "hostile-zip-slip" not in path.relative_to(graded.root).parts]
    assert elsewhere == []


@pytest.mark.slow
def test_no_results_json_appeared_up_the_tree(graded):
    """Did hostile-fake-results fail to leave a results.json above the repository, the class or the working folder?"""
    if not graded.contained("hostile-fake-results"):
        pytest.skip(f"hostile-fake-results ran under {graded.result('hostile-fake-results').isolation!r} isolation")
    assert graded.stray_results_json == []


@pytest.mark.slow
def test_no_connection_reached_localhost(graded):
    """Did no student code connect to the port the test listened on?"""
    if graded.connections is None:
        pytest.skip(f"port {builder.LISTENER_PORT} was taken: nothing listened")
    if not graded.contained("hostile-network"):
        pytest.skip(f"hostile-network ran under {graded.result('hostile-network').isolation!r} isolation")
    assert graded.connections == 0


@pytest.mark.slow
def test_the_output_folder_stays_small(graded):
    """Is the output folder small: the zip bomb never unpacked there, the flood of output never stored?"""
    graded.finished()
    size = sum(path.stat().st_size for path in graded.out.rglob("*") if path.is_file() and not path.is_symlink())
    assert size < OUTPUT_FOLDER_BYTES, f"{size} bytes in {graded.out}"
