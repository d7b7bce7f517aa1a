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
    grader/                        the modules grading imports (grader/grading/grading_files.py)
    tests/conftest.py, tests/stand_ins.py
    tests/public/, tests/hidden/   their helpers, and the test_aN_*.py of the assignments graded
    solutions/                     the reference .py files those tests reach

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

import io
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ..atomic import atomic_write
from ..course import Course
from ..errors import CourseError
from ..paths import REPOSITORY
from .grading_files import grading_files

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
    chosen = course.code_assignments(assignments)
    files = grading_files(REPOSITORY, chosen=chosen, course=course)
    scripts = {
        "setup.sh": SETUP_SH.replace("{{torch_spec}}", TORCH_SPEC),
        "run_autograder": RUN_AUTOGRADER.replace("{{assignments}}", " ".join(assignment.id for assignment in chosen)),
    }
    entries = {**{relative: path.read_bytes() for relative, path in files.items()}, **{name: text.encode() for name, text in scripts.items()}}
    names = tuple(sorted(entries))
    atomic_write(out, lambda stream: stream.write(_zip_bytes({name: entries[name] for name in names}, executable=set(scripts))))
    return BundleReport(out=out, files=names, size_bytes=out.stat().st_size, assignments=tuple(assignment.id for assignment in chosen))


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
