"""The Gradescope autograder bundle: ``course gradescope --out autograder.zip``.

Gradescope's layout (https://gradescope-autograders.readthedocs.io/en/latest/specs/):
a zip whose root holds ``setup.sh``, run once as root when Gradescope builds
the autograder's Docker image, and ``run_autograder``, run for every
submission; the whole zip is unpacked into ``/autograder/source``. The bundle
is the opposite of a student release (grader/distribution.py): the
instructor's grading kit, with the reference and the hidden tests, and
nothing that grading does not read::

    setup.sh, run_autograder       see SETUP_SH and RUN_AUTOGRADER below
    course.toml                    tasks, points, limits, due dates
    datasets/manifest.toml         the dataset names course.toml is checked against when it loads
    pyproject.toml                 pytest's settings, and the package setup.sh installs
    grader/                        the modules grading imports (``grading_modules``)
    tests/conftest.py, tests/stand_ins.py
    tests/public/, tests/hidden/   their helpers, and the test_aN_*.py of the assignments graded
    solutions/                     the reference .py files those tests reach (``reference_assignments``)

Left out: notebooks (grading runs the suites, not notebooks), assignments/
(the stubs; grading runs the student's code), the rest of datasets/ (no
suite reads a corpus), examples/, benchmarks/, tests/tool, tests/mutants, tests/reference,
caches and hidden files.

The zip is the same bytes for the same repository: entries sorted, dated
1980-01-01, ``setup.sh`` and ``run_autograder`` executable (mode 0755).

Example::

    report = build_bundle(Path("autograder.zip"), course=load_course(), assignments=["a2"])
    report.files   # ("course.toml", "grader/__init__.py", ..., "run_autograder", "setup.sh", ...)
"""

from __future__ import annotations

import ast
import io
import re
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from ..atomic import atomic_write
from ..course import Assignment, Course
from ..errors import CourseError
from ..paths import REPOSITORY
from .sandbox import WORKER_FILES

TORCH_SPEC = "torch==2.13.0"
"""The torch setup.sh installs first, from PyTorch's CPU index: the Makefile's TORCH_SPEC."""

SETUP_SH = """\
#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder's image; the bundle is in
# /autograder/source. It makes /autograder/venv (which run_autograder uses) with torch and this course.
set -euo pipefail

source_dir=/autograder/source
venv=/autograder/venv

apt-get update
# bubblewrap sandboxes student code where the container lets it make namespaces; else grading
# falls back to the 'process' isolation level and says so in every result.
apt-get install -y --no-install-recommends python3 python3-venv bubblewrap
python3 -c 'import sys; assert sys.version_info >= (3, 10), "Python 3.10+ is needed, found " + sys.version.split()[0]'
python3 -m venv "$venv"
# torch first, alone and pinned, from PyTorch's CPU index: grading needs no GPU, and PyPI's Linux
# wheel would bring several GB of CUDA libraries.
"$venv/bin/python" -m pip install --quiet --index-url https://download.pytorch.org/whl/cpu "{{torch_spec}}"
# Editable: the course stays in /autograder/source, where its course.toml, suites and reference are found.
"$venv/bin/python" -m pip install --quiet -e "$source_dir"
# Only root reads the reference and the hidden tests; student code never runs as root.
chmod 700 "$source_dir"
"""

RUN_AUTOGRADER = """\
#!/usr/bin/env bash
# Gradescope runs this for every submission, as root, in /autograder: it grades the upload in
# /autograder/submission with `course grade` and writes /autograder/results/results.json.
# Whatever happens, it leaves a valid results.json behind.
#
#   AUTOGRADER_ROOT  the autograder folder (default /autograder); a test points it at a copy
#   python3          /autograder/venv's (made by setup.sh) where it exists, else the first on PATH
set -uo pipefail

root="${AUTOGRADER_ROOT:-/autograder}"
if [ -x "$root/venv/bin/python3" ]; then
    PATH="$root/venv/bin:$PATH"
fi
mkdir -p "$root/results"
cd "$root/source" && python3 -m grader.grading.gradescope_autograder --root "$root" --assignments {{assignments}}
status=$?
if [ "$status" -ne 0 ]; then
    # The grader died before it wrote its results (killed, out of memory, no Python): Gradescope
    # still gets a valid results.json, with score 0 and the reason.
    printf '{"score": 0.0, "output": "This submission could not be graded: the autograder stopped (exit status %d). The course staff can see why in its output.", "output_format": "text", "visibility": "visible", "stdout_visibility": "hidden", "tests": []}\\n' "$status" > "$root/results/results.json"
fi
exit 0
"""

EXECUTABLE_MODE = 0o755
FILE_MODE = 0o644
# The earliest date a zip can hold: the bundle's bytes depend on the repository alone.
_ZIP_DATE = (1980, 1, 1, 0, 0, 0)
_UNIX = 3
# What the test suites name the reference by: the ``ref`` fixture of tests/conftest.py (``ref.a4.GPT``).
_REFERENCE_USE = re.compile(r"\bref\.a(\d+)\b")
# Where grading starts: what run_autograder runs, and `course grade` itself (python -m grader, or the `course`
# script setup.sh installs, for the staff debugging a submission in Gradescope's SSH session).
_ENTRY_MODULES = ("grader.grading.gradescope_autograder", "grader.commands.grade", "grader.__main__")
# Its functions import every subcommand (train, data, ...); of those the bundle runs `grade` only, an entry above.
_DISPATCHER = "grader/cli.py"


@dataclass(frozen=True)
class BundleReport:
    """What ``build_bundle`` wrote."""

    out: Path
    """The zip."""
    files: tuple[str, ...]
    """Every entry of the zip, in order (sorted); ``/autograder/source``-relative POSIX paths."""
    size_bytes: int
    """The size of the zip."""
    assignments: tuple[str, ...]
    """The assignments the bundle grades, in course order."""


def build_bundle(out: Path, *, course: Course, assignments: Sequence[str] | None = None) -> BundleReport:
    """Write the Gradescope autograder zip for ``assignments`` (every code assignment when None) to ``out``.

    ``course`` is the course of the repository's course.toml, which the bundle
    ships. One Gradescope assignment usually takes one course assignment
    (``assignments=["a2"]``); a bundle of several grades them together.
    ``out`` is written atomically (a failed build leaves it as it was).

    Raises:
        CourseError: an unknown assignment, one without code (graded by hand
            alone), or ``out`` is a folder.
    """
    out = Path(out)
    if out.is_dir():
        raise CourseError(f"--out {out} is a folder; name the zip to write, e.g. {out / 'autograder.zip'}")
    chosen = _chosen_assignments(course, assignments)
    files = bundle_files(REPOSITORY, chosen=chosen, course=course)
    scripts = {
        "setup.sh": SETUP_SH.replace("{{torch_spec}}", TORCH_SPEC),
        "run_autograder": RUN_AUTOGRADER.replace("{{assignments}}", " ".join(assignment.id for assignment in chosen)),
    }
    entries = {**{relative: path.read_bytes() for relative, path in files.items()}, **{name: text.encode() for name, text in scripts.items()}}
    names = tuple(sorted(entries))
    atomic_write(out, lambda stream: stream.write(_zip_bytes({name: entries[name] for name in names}, executable=set(scripts))))
    return BundleReport(out=out, files=names, size_bytes=out.stat().st_size, assignments=tuple(assignment.id for assignment in chosen))


def bundle_files(repository: Path, *, chosen: Sequence[Assignment], course: Course) -> dict[str, Path]:
    """The course files of the bundle for the ``chosen`` assignments: bundle-relative POSIX path -> file.

    Example: a2 alone -> course.toml, datasets/manifest.toml, pyproject.toml, grader/... (``grading_modules``),
    tests/conftest.py, tests/stand_ins.py, tests/public/__init__.py,
    tests/public/test_a2_embeddings.py, tests/hidden/__init__.py,
    tests/hidden/support.py, tests/hidden/test_a2_embeddings.py,
    solutions/__init__.py, solutions/a2_embeddings/__init__.py,
    solutions/a2_embeddings/embeddings.py.
    """
    relatives = ["course.toml", "datasets/manifest.toml", "pyproject.toml", "tests/conftest.py", "tests/stand_ins.py"]
    for suite in ("tests/public", "tests/hidden"):
        for path in sorted((repository / suite).glob("*.py")):
            # A suite's helpers (__init__.py, support.py) serve every assignment; its test files, one each.
            if not path.name.startswith("test_") or any(path.name.startswith(f"test_a{assignment.number}_") for assignment in chosen):
                relatives.append(f"{suite}/{path.name}")
    tests = [repository / relative for relative in relatives if relative.startswith("tests/")]
    relatives += grading_modules(repository, also_scanned=tests)
    relatives.append("solutions/__init__.py")
    for assignment in reference_assignments(repository, tests=tests, chosen=chosen, course=course):
        relatives += sorted(path.relative_to(repository).as_posix() for path in (repository / "solutions" / assignment.id).glob("*.py"))
    missing = [relative for relative in relatives if not (repository / relative).is_file()]
    if missing:
        raise CourseError(f"{repository} lacks what grading needs: {', '.join(missing)}")
    return {relative: repository / relative for relative in sorted(set(relatives))}


def grading_modules(repository: Path, *, also_scanned: Iterable[Path] = ()) -> list[str]:
    """The files of ``repository``/grader that grading imports, as sorted repository-relative POSIX paths.

    Starts from ``_ENTRY_MODULES``, the worker's files (grader/grading/sandbox.py's
    ``WORKER_FILES``, which it copies rather than imports) and the ``grader``
    imports of ``also_scanned`` (the test files), and follows every ``grader``
    import, those inside functions included, with each package's
    ``__init__.py``. grader/cli.py is followed for its module-level imports only.

    Example: -> ``["grader/__init__.py", "grader/__main__.py", "grader/atomic.py", ..., "grader/grading/worker.py", ...]``

    Raises:
        CourseError: a scanned file imports a ``grader`` module that does not exist.
    """
    pending = [_module_file(repository, name, importer="the bundle's entry points") for name in _ENTRY_MODULES]
    pending += [relative for relative in WORKER_FILES if relative.startswith("grader/") and WORKER_FILES[relative] is not None]
    for path in also_scanned:
        pending += _imported_files(repository, path, module_level_only=False)
    found: set[str] = set()
    while pending:
        relative = pending.pop()
        if relative in found:
            continue
        found.add(relative)
        pending += _package_inits(relative)
        pending += _imported_files(repository, repository / relative, module_level_only=relative == _DISPATCHER)
    return sorted(found)


def reference_assignments(repository: Path, *, tests: Iterable[Path], chosen: Sequence[Assignment], course: Course) -> list[Assignment]:
    """The assignments whose reference the bundle ships, in course order.

    Those graded, those the ``tests`` reach through the ``ref`` fixture
    (``ref.a4`` in a7's tests), and every assignment their reference imports
    (``from ..a3_attention.attention import ...`` in solutions/a4_transformer/model.py).

    Example: a4 alone -> a2_embeddings, a3_attention, a4_transformer.
    """
    needed = {assignment.id for assignment in chosen}
    for path in tests:
        needed |= {course.assignment(int(number)).id for number in _REFERENCE_USE.findall(path.read_text(encoding="utf-8"))}
    pending = sorted(needed)
    while pending:
        for path in sorted((repository / "solutions" / pending.pop()).glob("*.py")):
            for imported in _sibling_assignments(path, course):
                if imported not in needed:
                    needed.add(imported)
                    pending.append(imported)
    return [assignment for assignment in course.assignments if assignment.id in needed]


def _chosen_assignments(course: Course, selection: Sequence[str] | None) -> list[Assignment]:
    """The assignments named (all with code when None), in course order.

    Raises:
        CourseError: an unknown assignment, or one without code.
    """
    with_code = [assignment for assignment in course.assignments if assignment.module is not None]
    if not selection:
        return with_code
    named = {course.assignment(name).id for name in selection}
    without_code = sorted(named - {assignment.id for assignment in with_code})
    if without_code:
        raise CourseError(f"assignment {without_code[0]} has no code for Gradescope to grade (see course.toml)")
    return [assignment for assignment in with_code if assignment.id in named]


def _imported_files(repository: Path, path: Path, *, module_level_only: bool) -> list[str]:
    """The repository-relative files of the ``grader`` modules that the Python file ``path`` imports."""
    tree = ast.parse(path.read_bytes(), filename=str(path))
    package = _package_of(path.relative_to(repository)) if path.is_relative_to(repository / "grader") else ()
    importer = path.relative_to(repository).as_posix() if path.is_relative_to(repository) else str(path)
    files = []
    for node in _import_nodes(tree, module_level_only=module_level_only):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        else:
            base = ".".join((package[: len(package) - node.level + 1] if node.level else ()) + tuple(filter(None, [node.module])))
            # ``from grader.grading import grade`` names a module; ``from grader.course import Course`` does not.
            names = [base] + [f"{base}.{alias.name}" for alias in node.names if _module_file(repository, f"{base}.{alias.name}") is not None]
        files += [_module_file(repository, name, importer=importer) for name in names if name == "grader" or name.startswith("grader.")]
    return files


def _import_nodes(tree: ast.AST, *, module_level_only: bool) -> Iterator[ast.Import | ast.ImportFrom]:
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            yield node
        elif not (module_level_only and isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))):
            yield from _import_nodes(node, module_level_only=module_level_only)


def _module_file(repository: Path, name: str, *, importer: str | None = None) -> str | None:
    """``grader.grading.grade`` -> ``"grader/grading/grade.py"`` (or the package's ``__init__.py``).

    Without ``importer`` a name that is no module gives None; with it, a CourseError naming the importer.
    """
    relative = name.replace(".", "/")
    for candidate in (f"{relative}.py", f"{relative}/__init__.py"):
        if (repository / candidate).is_file():
            return candidate
    if importer is None:
        return None
    raise CourseError(f"{importer} imports {name}, which is no module of {repository / 'grader'}")


def _package_of(relative: Path) -> tuple[str, ...]:
    """The package a file belongs to: grader/grading/grade.py -> ("grader", "grading"); a package's __init__.py -> itself."""
    return relative.parent.parts


def _package_inits(relative: str) -> list[str]:
    """The ``__init__.py`` of every package above ``relative``: grader/grading/grade.py -> grader/__init__.py, grader/grading/__init__.py."""
    parts = relative.split("/")[:-1]
    return ["/".join(parts[: depth + 1]) + "/__init__.py" for depth in range(len(parts))]


def _sibling_assignments(path: Path, course: Course) -> set[str]:
    """The assignments a reference module imports relatively: ``from ..a3_attention.attention import x`` -> {"a3_attention"}."""
    ids = {assignment.id for assignment in course.assignments}
    imported = set()
    for node in ast.walk(ast.parse(path.read_bytes(), filename=str(path))):
        if isinstance(node, ast.ImportFrom) and node.level == 2 and node.module and node.module.split(".")[0] in ids:
            imported.add(node.module.split(".")[0])
    return imported


def _zip_bytes(entries: dict[str, bytes], *, executable: set[str]) -> bytes:
    """A zip of ``entries`` (name -> bytes, in the order given) with fixed dates and Unix modes."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in entries.items():
            info = zipfile.ZipInfo(name, date_time=_ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = _UNIX
            info.external_attr = (0o100000 | (EXECUTABLE_MODE if name in executable else FILE_MODE)) << 16
            archive.writestr(info, data)
    return buffer.getvalue()
