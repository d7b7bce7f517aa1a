"""Does `course gradescope` build a bundle that holds only what grading needs, and does its run_autograder,
run in a simulated /autograder, always leave Gradescope a valid results.json with the right score?"""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
import zipfile
from datetime import timedelta
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from grader.commands import gradescope as gradescope_command
from grader.course import Course, load_course
from grader.errors import CourseError
from grader.grading.gradescope import TORCH_SPEC, build_bundle
from grader.grading.gradescope_autograder import UploadError, locate_upload, submission_time

REPOSITORY = Path(__file__).resolve().parents[2]
SAMPLES = REPOSITORY / "examples" / "submissions"

# Gradescope's results.json, as https://gradescope-autograders.readthedocs.io/en/latest/specs/ documents it.
_VISIBILITY = {"enum": ["hidden", "after_due_date", "after_published", "visible"]}
_FORMAT = {"enum": ["text", "html", "simple_format", "md", "ansi"]}
_TEST = {
    "type": "object",
    "properties": {
        "score": {"type": "number"},
        "max_score": {"type": "number"},
        "status": {"enum": ["passed", "failed"]},
        "name": {"type": "string"},
        "name_format": _FORMAT,
        "number": {"type": "string"},
        "output": {"type": "string"},
        "output_format": _FORMAT,
        "tags": {"type": "array", "items": {"type": "string"}},
        "visibility": _VISIBILITY,
        "extra_data": {"type": "object"},
    },
    "additionalProperties": False,
}
RESULTS_SCHEMA = {
    "type": "object",
    "properties": {
        "score": {"type": "number"},
        "execution_time": {"type": "integer", "minimum": 0},
        "output": {"type": "string"},
        "output_format": _FORMAT,
        "test_output_format": _FORMAT,
        "test_name_format": _FORMAT,
        "visibility": _VISIBILITY,
        "stdout_visibility": _VISIBILITY,
        "extra_data": {"type": "object"},
        "tests": {"type": "array", "items": _TEST},
        "leaderboard": {"type": "array"},
    },
    "additionalProperties": False,
    # The top-level score is optional only where every test has one.
    "anyOf": [{"required": ["score"]}, {"required": ["tests"], "properties": {"tests": {"items": {"required": ["score"]}}}}],
}

# Only the repository's editable install could fill a hole in the bundle's grader/ or solutions/ from the
# repository itself; without its import hook, grading sees exactly what a Gradescope image would.
_WITHOUT_EDITABLE_INSTALL = """\
import sys
sys.meta_path[:] = [finder for finder in sys.meta_path if "__editable__" not in getattr(finder, "__module__", "")]
"""


@pytest.fixture(scope="module")
def course() -> Course:
    return load_course()


@pytest.fixture(scope="module")
def a2_points(course) -> float:
    """What a2's code tasks are worth (course.toml); its written answers are graded by hand."""
    return sum(task.points for task in course.assignment("a2").tasks if not task.manual)


@pytest.fixture(scope="module")
def bundle_a2(tmp_path_factory, course) -> Path:
    return build_bundle(tmp_path_factory.mktemp("bundle") / "autograder.zip", course=course, assignments=["a2"]).out


def entry_modes(bundle: Path) -> dict[str, int]:
    with zipfile.ZipFile(bundle) as archive:
        return {info.filename: stat.S_IMODE(info.external_attr >> 16) for info in archive.infolist()}


def unpack_like_gradescope(bundle: Path, root: Path) -> Path:
    """Unzip ``bundle`` into ``root/source`` with each entry's Unix mode, as Gradescope's image build does; return ``root``."""
    source = root / "source"
    with zipfile.ZipFile(bundle) as archive:
        archive.extractall(source)
    for name, mode in entry_modes(bundle).items():
        os.chmod(source / name, mode)
    (root / "submission").mkdir()
    return root


def run_autograder(root: Path, tmp_path: Path, *, python_folder: Path | None = None) -> dict[str, Any]:
    """Run the bundle's run_autograder the way Gradescope does (cwd /autograder) with AUTOGRADER_ROOT=root;
    return the results.json it left. ``python_folder`` goes first on PATH (default: this interpreter's)."""
    hook = tmp_path / "without-editable-install"
    hook.mkdir(exist_ok=True)
    (hook / "sitecustomize.py").write_text(_WITHOUT_EDITABLE_INSTALL, encoding="utf-8")
    environment = {
        **os.environ,
        "AUTOGRADER_ROOT": str(root),
        "PATH": f"{python_folder or Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        "PYTHONPATH": str(hook),
    }
    completed = subprocess.run(
        [str(root / "source" / "run_autograder")], cwd=root, env=environment, capture_output=True, text=True, timeout=300
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    return json.loads((root / "results" / "results.json").read_text(encoding="utf-8"))


def assert_valid_results(results: dict[str, Any]) -> None:
    errors = [f"{'/'.join(map(str, error.absolute_path))}: {error.message}" for error in jsonschema.Draft7Validator(RESULTS_SCHEMA).iter_errors(results)]
    assert not errors, errors


def copy_sample(student: str, assignment: str, destination: Path) -> Path:
    shutil.copytree(SAMPLES / student / assignment, destination / assignment)
    return destination


# ---------------------------------------------------------------------------
# The bundle
# ---------------------------------------------------------------------------


def test_schema_rejects_what_gradescope_would_not_read():
    """Can the schema fail: a score as text, an unknown visibility, a test without a score where the total is missing?"""
    for results in ({"score": "7"}, {"score": 7, "tests": [{"score": 1, "visibility": "secret"}]}, {"tests": [{"name": "2.1"}]}):
        with pytest.raises(AssertionError):
            assert_valid_results(results)


def test_bundle_holds_exactly_what_grading_needs(bundle_a2):
    """Does the a2 bundle hold the scripts, the course, a2's suites and reference and grading's modules, and nothing else?"""
    names = set(entry_modes(bundle_a2))
    grader = {name for name in names if name.startswith("grader/")}
    assert names - grader == {
        "setup.sh",
        "run_autograder",
        "course.toml",
        "datasets/manifest.toml",
        "pyproject.toml",
        "tests/conftest.py",
        "tests/stand_ins.py",
        "tests/public/__init__.py",
        "tests/public/test_a2_embeddings.py",
        "tests/hidden/__init__.py",
        "tests/hidden/support.py",
        "tests/hidden/test_a2_embeddings.py",
        "solutions/__init__.py",
        "solutions/a2_embeddings/__init__.py",
        "solutions/a2_embeddings/embeddings.py",
    }
    assert all(name.endswith(".py") and "__pycache__" not in name for name in grader), sorted(grader)
    needed = {
        "grader/__init__.py", "grader/grading/gradescope_autograder.py", "grader/commands/grade.py", "grader/grading/grade.py",
        "grader/grading/worker.py", "grader/grading/wire.py", "grader/testing.py", "grader/implementation.py",
    }
    assert needed <= grader, sorted(needed - grader)
    never_imported_by_grading = {
        "grader/grading/gradescope.py", "grader/commands/gradescope.py", "grader/commands/train.py", "grader/commands/release.py",
        "grader/leaks.py", "grader/audit.py", "grader/distribution.py",
    }
    assert not never_imported_by_grading & grader, sorted(never_imported_by_grading & grader)


def test_scripts_are_executable_bash_and_name_the_assignments(bundle_a2):
    """Are setup.sh and run_autograder executable bash scripts, the rest plain files, and does run_autograder grade a2 alone?"""
    modes = entry_modes(bundle_a2)
    assert {name for name, mode in modes.items() if mode == 0o755} == {"setup.sh", "run_autograder"}
    assert {mode for name, mode in modes.items() if name not in ("setup.sh", "run_autograder")} == {0o644}
    with zipfile.ZipFile(bundle_a2) as archive:
        scripts = {name: archive.read(name).decode() for name in ("setup.sh", "run_autograder")}
    assert all(text.startswith("#!/usr/bin/env bash\n") for text in scripts.values())
    assert "--assignments a2_embeddings\n" in scripts["run_autograder"]
    assert f'"{TORCH_SPEC}"' in scripts["setup.sh"] and scripts["setup.sh"].index("torch==") < scripts["setup.sh"].index("-e ")


def test_reference_follows_the_imports_of_the_assignment(tmp_path, course):
    """Does an a4 bundle ship a4's reference and the a2 and a3 it imports, but no other assignment's tests or reference?"""
    names = build_bundle(tmp_path / "a4.zip", course=course, assignments=["a4"]).files
    solutions = {name.split("/")[1] for name in names if name.startswith("solutions/a")}
    tests = {name for name in names if name.startswith("tests/") and "/test_" in name}
    assert solutions == {"a2_embeddings", "a3_attention", "a4_transformer"}
    assert tests == {"tests/public/test_a4_model.py", "tests/hidden/test_a4_model.py"}


def test_the_same_repository_gives_the_same_bytes(tmp_path, course, bundle_a2):
    """Is the bundle reproducible: built again, the same bytes?"""
    again = build_bundle(tmp_path / "again.zip", course=course, assignments=["a2_embeddings"]).out
    assert again.read_bytes() == bundle_a2.read_bytes()


def test_command_says_what_it_wrote(tmp_path, capsys):
    """Does `course gradescope` print the zip's path, its file count and size, and a row per part?"""
    report = gradescope_command.main(out=tmp_path / "a2.zip", assignments=["a2"])
    printed = " ".join(capsys.readouterr().out.split())
    assert f"{len(report.files)} files" in printed and "KiB" in printed and "a2.zip" in printed
    assert "tests/hidden/" in printed and "solutions/" in printed


def test_bad_arguments_are_refused(tmp_path, course):
    """Are an unknown assignment and an --out that is a folder refused with a message naming them?"""
    with pytest.raises(CourseError, match="a9"):
        build_bundle(tmp_path / "x.zip", course=course, assignments=["a9"])
    with pytest.raises(CourseError, match="is a folder"):
        build_bundle(tmp_path, course=course, assignments=["a2"])
    assert not (tmp_path / "x.zip").exists()


# ---------------------------------------------------------------------------
# Finding the upload and its time
# ---------------------------------------------------------------------------


def test_upload_found_in_each_layout(tmp_path, course):
    """Is the upload found as the assignment folders themselves, the one zip, or the one folder holding them, hidden entries aside?"""
    direct = copy_sample("perfect", "a2_embeddings", tmp_path / "direct")
    (direct / ".DS_Store").write_text("")
    assert locate_upload(direct, course=course) == direct
    zipped = tmp_path / "zipped"
    (zipped / "__MACOSX").mkdir(parents=True)
    (zipped / "work.zip").write_bytes(b"PK")
    assert locate_upload(zipped, course=course) == zipped / "work.zip"
    nested = tmp_path / "nested"
    copy_sample("perfect", "a2_embeddings", nested / "minigpt")
    assert locate_upload(nested, course=course) == nested / "minigpt"


@pytest.mark.parametrize(
    ("files", "message"),
    [
        ({}, "holds no assignment folder.*it holds nothing"),
        ({"embeddings.py": ""}, "holds no assignment folder.*it holds embeddings.py"),
        ({"a.zip": "", "b.zip": ""}, "2 zips"),
    ],
)
def test_upload_without_assignments_is_explained(tmp_path, course, files, message):
    """Does an upload with nothing to grade give a message saying what it holds and what was expected?"""
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    with pytest.raises(UploadError, match=message):
        locate_upload(tmp_path, course=course)


def test_submission_time_comes_from_gradescope_metadata(tmp_path):
    """Is the time Gradescope's created_at, and None when the metadata is missing or has no timezone?"""
    metadata = tmp_path / "submission_metadata.json"
    assert submission_time(metadata) is None
    metadata.write_text(json.dumps({"created_at": "2027-01-31T10:00:00.365935-07:00"}))
    assert submission_time(metadata) == "2027-01-31T10:00:00.365935-07:00"
    metadata.write_text(json.dumps({"created_at": "2027-01-31T10:00:00"}))
    assert submission_time(metadata) is None


# ---------------------------------------------------------------------------
# run_autograder in a simulated /autograder
# ---------------------------------------------------------------------------


@pytest.mark.slow
def test_perfect_submission_gets_full_marks(tmp_path, bundle_a2, a2_points):
    """Does the reference's a2, uploaded as its folder, get full marks, with hidden tests shown only after publishing?"""
    root = unpack_like_gradescope(bundle_a2, tmp_path / "autograder")
    copy_sample("perfect", "a2_embeddings", root / "submission")
    results = run_autograder(root, tmp_path)
    assert_valid_results(results)
    assert results["score"] == a2_points
    graded = [test for test in results["tests"] if "status" in test]
    assert graded and all(test["status"] == "passed" and test["score"] == test["max_score"] for test in graded)
    assert {test["visibility"] for test in graded if "(hidden tests)" in test["name"]} == {"after_published"}
    assert {test["visibility"] for test in graded if "(public tests)" in test["name"]} == {"visible"}


@pytest.mark.slow
def test_stubs_score_zero(tmp_path, bundle_a2):
    """Do the untouched stubs of a2 score 0, every graded test failed, in valid results?"""
    root = unpack_like_gradescope(bundle_a2, tmp_path / "autograder")
    copy_sample("empty", "a2_embeddings", root / "submission")
    results = run_autograder(root, tmp_path)
    assert_valid_results(results)
    assert results["score"] == 0
    assert all(test["status"] == "failed" for test in results["tests"] if "status" in test)


@pytest.mark.slow
def test_syntax_error_still_gives_valid_results(tmp_path, bundle_a2):
    """Does a2 with a syntax error score 0 in valid results whose tests name the error?"""
    root = unpack_like_gradescope(bundle_a2, tmp_path / "autograder")
    module = copy_sample("perfect", "a2_embeddings", root / "submission") / "a2_embeddings" / "embeddings.py"
    module.write_text(module.read_text().replace("class TokenEmbedding(nn.Module):", "class TokenEmbedding(nn.Module)"))
    results = run_autograder(root, tmp_path)
    assert_valid_results(results)
    assert results["score"] == 0
    assert any("SyntaxError" in test["output"] for test in results["tests"]), results["tests"]


@pytest.mark.slow
def test_late_zip_is_dated_by_gradescope_not_by_the_student(tmp_path, bundle_a2, course, a2_points):
    """Is a zip handed in two days late (Gradescope's created_at) penalised by the late policy, whatever its own timestamp.txt claims?"""
    root = unpack_like_gradescope(bundle_a2, tmp_path / "autograder")
    with zipfile.ZipFile(root / "submission" / "work.zip", "w") as archive:
        for path in sorted((SAMPLES / "perfect" / "a2_embeddings").glob("*.py")):
            archive.write(path, f"a2_embeddings/{path.name}")
        archive.writestr("timestamp.txt", "2020-01-01 00:00:00 UTC")
    due = course.assignment("a2").due
    created_at = due + timedelta(days=1, hours=10)
    (root / "submission_metadata.json").write_text(json.dumps({"created_at": created_at.isoformat()}))
    factor = course.grading.late_factor(created_at, due)
    assert 0 < factor < 1
    results = run_autograder(root, tmp_path)
    assert_valid_results(results)
    assert results["score"] == pytest.approx(round(a2_points * factor, 2))
    assert "2 days late" in results["output"]


def test_empty_upload_still_gives_valid_results(tmp_path, bundle_a2):
    """Does an upload with no assignment folder give valid results scoring 0 that say what was expected?"""
    root = unpack_like_gradescope(bundle_a2, tmp_path / "autograder")
    (root / "submission" / "notes.txt").write_text("I will hand it in tomorrow")
    results = run_autograder(root, tmp_path)
    assert_valid_results(results)
    assert results["score"] == 0 and results["tests"] == []
    assert "expected some of a1_tokenizer/" in results["output"] and "notes.txt" in results["output"]


def test_grader_that_dies_still_leaves_valid_results(tmp_path, bundle_a2):
    """When Python itself fails (here a python3 that exits 3 at once), does run_autograder still write valid results?"""
    root = unpack_like_gradescope(bundle_a2, tmp_path / "autograder")
    copy_sample("perfect", "a2_embeddings", root / "submission")
    broken = tmp_path / "broken-python"
    broken.mkdir()
    (broken / "python3").write_text("#!/bin/sh\nexit 3\n")
    (broken / "python3").chmod(0o755)
    results = run_autograder(root, tmp_path, python_folder=broken)
    assert_valid_results(results)
    assert results["score"] == 0
    assert "exit status 3" in results["output"]
