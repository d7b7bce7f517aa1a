"""Find the submissions `course grade` was given, and unpack each, safely, into a private folder.

Three forms of submission reach the grader; ``discover`` finds them:

- a folder laid out like assignments/ (``alice/a3_attention/attention.py``);
- a zip of such a folder (``alice.zip``, with or without the ``alice/`` folder inside);
- nbgrader's ``submitted/<student>/<assignment>/`` tree, or the course root that holds it;

and a folder of submissions (``examples/submissions/``) stands for each folder
or zip in it. ``unpack`` copies one submission into a new empty folder laid
out like assignments/ and says what it found wrong::

    course = load_course()
    for submission in discover(["examples/submissions"], course=course, roster="roster.csv"):
        unpacked = unpack(submission, work / submission.student, course=course)
        unpacked.assignments   # ("a1_tokenizer", "a3_attention")
        unpacked.problems      # {"a3_attention": ("a3_attention/attention.py is not UTF-8 (byte 0xff at offset 120)",)}

Student files are untrusted and a submission may be hostile, so unpacking
keeps to these rules:

- every write lands inside the destination: a zip entry with an absolute
  path, a drive letter or a ``..`` component is refused, and so is one whose
  resolved target would leave the folder (zip-slip);
- a symbolic link is never followed nor recreated (a link to solutions/
  would hand the reference to the grader), and devices and fifos are not
  copied: each is recorded as a problem and skipped;
- the number of files, the size of one file, the size of all of them and
  how much a zip entry expands are bounded (``UnpackLimits``); a zip's
  declared sizes are checked before anything is written, and the real bytes
  are counted while writing, since declared sizes can lie. Past a limit,
  unpacking stops with a problem;
- only zip entries stored or compressed with deflate are read (bzip2 and
  lzma decompress without a bound on memory), and encrypted ones are refused;
- files get mode 0o644 and folders 0o755, whatever the zip says (no setuid,
  no exec bits).

What is kept: the folders named like a course assignment (``aN_name``), with
their regular files; ``__pycache__``, ``__MACOSX`` and hidden entries
(``.ipynb_checkpoints``, ``.DS_Store``) are left out, and so is anything
beside the assignment folders. The paths named on the command line are the
instructor's and may be links; nothing below them is followed.

Where a problem goes: ``problems[""]`` holds what intake refused to take (an
unsafe entry, a link, a limit reached, a folder named like no assignment of
the course), ``problems[assignment id]`` what is wrong with an assignment it
took (its code module missing, the module of another assignment in its place,
a ``.py`` file that is not UTF-8).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import re
import stat
import struct
import zipfile
import zlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone, tzinfo
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ..course import Course
from ..errors import CourseError

KINDS = ("folder", "zip", "nbgrader", "missing")
"""The values of ``Submission.kind``."""

_SAFE_STUDENT = re.compile(r"^[A-Za-z0-9._-]+$")
# A folder named like an assignment id of any course, "a9_extra" included: it is
# meant as an assignment, so one the course does not have is worth a problem.
_ASSIGNMENT_LIKE = re.compile(r"^a[0-9]+_")
# Hidden names (.git, .ipynb_checkpoints, .DS_Store) are skipped as well.
_SKIPPED_NAMES = frozenset({"__pycache__", "__MACOSX"})
_TIMESTAMP_FILE = "timestamp.txt"
_TIMESTAMP_MAX_BYTES = 1024
# An entry this small cannot make a bomb whatever its ratio, and small text
# files (a line repeated) compress far better than 200:1.
_RATIO_EXEMPT_BYTES = 1 << 20
# Headers cost a zip about 100 bytes per entry plus the name twice: a zip
# larger than the limits allow for its content is refused before zipfile
# reads its central directory into memory.
_ENTRY_OVERHEAD_BYTES = 1024
_CHUNK_BYTES = 1 << 16
_LINK_TARGET_SHOWN = 200
_ZIP_ENCRYPTED_FLAG = 0x1
_ZIP_METHODS = {zipfile.ZIP_STORED: "stored", zipfile.ZIP_DEFLATED: "deflate"}
# zipfile raises all of these on a damaged or hostile archive.
_ZIP_READ_ERRORS = (
    zipfile.BadZipFile,
    zipfile.LargeZipFile,
    zlib.error,
    struct.error,
    EOFError,
    OSError,
    ValueError,
    NotImplementedError,
    RuntimeError,
)
_FILE_MODE = 0o644
_FOLDER_MODE = 0o755
_NO_FOLLOW = getattr(os, "O_NOFOLLOW", 0)
_NON_BLOCKING = getattr(os, "O_NONBLOCK", 0)
_BINARY = getattr(os, "O_BINARY", 0)


class SubmissionError(CourseError):
    """A path that is no submission, a bad roster, a student id that is not safe, or two submissions of one student."""


@dataclass(frozen=True)
class Submission:
    """One student's submission, as found on disk (nothing read from it yet but its timestamps)."""

    student: str
    """The student's id: letters, digits, ``.``, ``_`` and ``-`` only (the folder or zip name, or the roster's id)."""
    source: Path
    """The folder or zip as found (for nbgrader, ``submitted/<student>``; for a missing one, the roster)."""
    kind: str
    """``"folder"``, ``"zip"``, ``"nbgrader"``, or ``"missing"`` (on the roster, nothing handed in)."""
    parts: tuple[Path, ...]
    """What ``unpack`` reads: for nbgrader each ``submitted/<student>/<assignment>`` folder, for a missing one
    nothing, else ``(source,)``."""
    submitted_at: dict[str, str] = field(default_factory=dict, hash=False)
    """Assignment id -> when it was handed in (ISO 8601 with offset), from ``timestamp.txt`` where there is one."""


@dataclass(frozen=True)
class UnpackLimits:
    """How much one submission may unpack to; past a limit, unpacking stops (archive bombs, runaway folders)."""

    max_files: int = 2000
    """Most entries: files and folders together (for a zip, every entry it lists)."""
    max_total_bytes: int = 64 * 2**20
    """Most bytes all the files may hold together."""
    max_file_bytes: int = 16 * 2**20
    """Most bytes one file may hold."""
    max_compression_ratio: float = 200
    """Most times a zip entry may expand (its size over its compressed size); checked for entries over 1 MiB."""

    def __post_init__(self) -> None:
        for name in ("max_files", "max_total_bytes", "max_file_bytes", "max_compression_ratio"):
            value = getattr(self, name)
            if not value > 0:
                raise ValueError(f"UnpackLimits.{name} must be > 0, got {value!r}")


@dataclass(frozen=True)
class Unpacked:
    """A submission unpacked into a folder laid out like assignments/."""

    tree: Path
    """The destination ``unpack`` was given, now holding the assignment folders it kept."""
    assignments: tuple[str, ...]
    """The assignment ids present, in course order, whose code module (course.toml ``module``) exists."""
    problems: dict[str, tuple[str, ...]] = field(hash=False)
    """Assignment id (``""`` for the whole submission) -> the problems found, one line each; only ids with problems."""
    fingerprint: str
    """sha256 over the tree's files (relative path and bytes, sorted by path) and ``submitted_at``: equal means same submission."""


def discover(paths: Sequence[str | Path], *, course: Course, roster: str | Path | None = None) -> list[Submission]:
    """The submissions found at `paths`, one per student, sorted by student id.

    Each path is a zip (one submission, student = file stem), a folder holding
    ``aN_*`` assignment folders (one submission, student = folder name), an
    nbgrader course root or its ``submitted/`` folder (one per student), or a
    folder of submissions (one per child folder or zip; other plain files,
    hidden entries and ``__pycache__`` are ignored). A ``timestamp.txt`` gives
    the submission times: in each nbgrader assignment folder for that
    assignment, at the root of a folder or zip for every assignment in it.

    With a `roster` (CSV with a header: ``student``, optional ``folder``, which
    defaults to ``student``), folder and zip names are mapped to student ids,
    and every roster student without a submission is listed with kind
    ``"missing"``, so the grades have a row for everyone.

    Example: ``discover(["subs"], course=course)`` with subs/alice/a1_tokenizer/
    and subs/bob.zip -> ``[Submission(student="alice", kind="folder", ...),
    Submission(student="bob", kind="zip", ...)]``.

    Raises:
        SubmissionError: a path that does not exist or is no submission, a
            child of a folder of submissions that is neither a submission nor
            a plain file, a timestamp that cannot be read, a bad roster, a
            submission that is not on the roster, a student id that is not
            safe, or two submissions of one student.
    """
    if not paths:
        raise SubmissionError("no submission given: name a folder, a .zip or an nbgrader course")
    found = [item for path in paths for item in _discover_path(Path(path), course)]
    enrolled = _read_roster(Path(roster)) if roster is not None else None
    submissions = _identify(found, enrolled)
    _refuse_duplicates(submissions)
    if enrolled is not None:
        handed_in = {submission.student for submission in submissions}
        submissions += [
            Submission(student=student, source=enrolled.path, kind="missing", parts=())
            for student in enrolled.students
            if student not in handed_in
        ]
    return sorted(submissions, key=lambda submission: (submission.student, str(submission.source)))


def unpack(submission: Submission, destination: Path, *, course: Course, limits: UnpackLimits = UnpackLimits()) -> Unpacked:
    """Copy `submission` into `destination`, laid out like assignments/, and check what arrived.

    `destination` is created (or must be an empty folder) and nothing is
    written anywhere else. A problem with one entry skips that entry; a limit
    of `limits` reached stops unpacking; a zip that cannot be read leaves the
    folder empty. See the module docstring for the rules.

    Example: alice.zip holding ``alice/a3_attention/attention.py`` ->
    ``Unpacked(tree=destination, assignments=("a3_attention",), problems={}, fingerprint="3f1c...")``
    with ``destination/a3_attention/attention.py``.

    Raises:
        SubmissionError: `destination` is not empty, is a link, or cannot be made.
        ValueError: the submission's kind is not one of ``KINDS``.
    """
    if submission.kind not in KINDS:
        raise ValueError(f"unknown submission kind {submission.kind!r}; expected one of {', '.join(KINDS)}")
    tree = _Tree(_new_empty_folder(Path(destination)), limits)
    problems = _Problems()
    try:
        if submission.kind == "zip":
            _unpack_zip(submission.source, tree, course, problems)
        elif submission.kind == "folder":
            _unpack_folder(submission.source, tree, course, problems)
        elif submission.kind == "nbgrader":
            for part in submission.parts:
                _take_assignment_folder(part.name, part, tree, course, problems, skipped_at_top=frozenset({_TIMESTAMP_FILE}))
    except _LimitReached as stop:
        problems.add("", f"{stop}; unpacking stopped there")
    if submission.kind != "missing" and not problems and not any(tree.root.iterdir()):
        expected = ", ".join(f"{assignment.id}/" for assignment in course.assignments)
        problems.add("", f"{submission.source.name} holds no assignment folder at its top level; expected some of {expected}")
    assignments = _check_assignments(tree.root, course, problems)
    return Unpacked(
        tree=Path(destination),
        assignments=assignments,
        problems=problems.as_dict(course),
        fingerprint=_fingerprint(tree.root, submission.submitted_at),
    )


# ---------------------------------------------------------------------------
# Discovery
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _Found:
    """A submission before its student id is settled."""

    name: str
    """The name a roster's ``folder`` column matches: the folder name, the zip's stem, the nbgrader student folder."""
    source: Path
    kind: str
    parts: tuple[Path, ...]
    submitted_at: dict[str, str]


def _discover_path(path: Path, course: Course) -> list[_Found]:
    """The submissions at one path named on the command line."""
    if not path.exists():
        raise SubmissionError(f"{path}: no such file or folder")
    if path.is_file():
        if _is_zip_name(path.name):
            return [_zip_found(path, course)]
        raise SubmissionError(
            f"{path} is no submission: expected a folder laid out like assignments/, a .zip of one, "
            "or an nbgrader course (a folder with submitted/)"
        )
    if not path.is_dir():
        raise SubmissionError(f"{path} is neither a file nor a folder")
    if _is_real_folder(path / "submitted"):
        return _nbgrader_found(path / "submitted", course)
    if _folder_name(path) == "submitted":
        return _nbgrader_found(path, course)
    if _looks_like_submission(path):
        return [_folder_found(path, course)]
    return _folder_of_submissions(path, course)


def _folder_of_submissions(folder: Path, course: Course) -> list[_Found]:
    """One submission per child folder or zip of `folder`; other plain files are ignored."""
    found = []
    for entry in _visible_entries(folder):
        child = Path(entry.path)
        if entry.is_file(follow_symlinks=False) and _is_zip_name(entry.name):
            found.append(_zip_found(child, course))
        elif entry.is_dir(follow_symlinks=False) and _looks_like_submission(child):
            found.append(_folder_found(child, course))
        elif not entry.is_file(follow_symlinks=False):
            what = "a folder without aN_* assignment folders" if entry.is_dir(follow_symlinks=False) else _kind_of(entry.stat(follow_symlinks=False).st_mode)
            raise SubmissionError(
                f"{child} is {what}: a folder of submissions holds student folders (with aN_* assignment folders) "
                "and .zip files; move it out or fix it"
            )
    if not found:
        raise SubmissionError(
            f"{folder} holds no submission: no aN_* assignment folder, no .zip, no nbgrader submitted/ folder"
        )
    return found


def _nbgrader_found(submitted: Path, course: Course) -> list[_Found]:
    """One submission per student folder of nbgrader's ``submitted/<student>/<assignment>/``."""
    found = []
    for entry in _visible_entries(submitted):
        student_folder = Path(entry.path)
        if entry.is_dir(follow_symlinks=False):
            # A link is kept as a part so that unpack reports it; it is never followed.
            parts = tuple(
                Path(part.path)
                for part in _visible_entries(student_folder)
                if part.is_dir(follow_symlinks=False) or part.is_symlink()
            )
            submitted_at = {}
            for part in parts:
                if _is_real_folder(part) and part.name in _assignment_ids(course):
                    moment = _read_timestamp(part / _TIMESTAMP_FILE, course)
                    if moment is not None:
                        submitted_at[part.name] = moment
            found.append(_Found(entry.name, student_folder, "nbgrader", parts, submitted_at))
        elif not entry.is_file(follow_symlinks=False):
            raise SubmissionError(
                f"{student_folder} is {_kind_of(entry.stat(follow_symlinks=False).st_mode)}: "
                "nbgrader's submitted/ holds one folder per student"
            )
    if not found:
        raise SubmissionError(f"{submitted} holds no student folder (nbgrader layout: submitted/<student>/<assignment>/)")
    return found


def _folder_found(folder: Path, course: Course) -> _Found:
    """A folder laid out like assignments/; its ``timestamp.txt`` dates every assignment in it."""
    present = [
        entry.name
        for entry in _visible_entries(folder)
        if entry.name in _assignment_ids(course) and entry.is_dir(follow_symlinks=False)
    ]
    moment = _read_timestamp(folder / _TIMESTAMP_FILE, course)
    submitted_at = {} if moment is None else {assignment_id: moment for assignment_id in present}
    return _Found(_folder_name(folder), folder, "folder", (folder,), submitted_at)


def _zip_found(archive_path: Path, course: Course) -> _Found:
    """A zip; its ``timestamp.txt`` (beside the assignment folders) dates every assignment in it."""
    text, present = _zip_timestamp_and_assignments(archive_path, course)
    submitted_at = {}
    if text is not None:
        moment = _parse_timestamp_file(text, origin=f"{archive_path}: {_TIMESTAMP_FILE}", course=course)
        submitted_at = {assignment_id: moment for assignment_id in present}
    return _Found(archive_path.stem, archive_path, "zip", (archive_path,), submitted_at)


def _zip_timestamp_and_assignments(archive_path: Path, course: Course) -> tuple[bytes | None, list[str]]:
    """The bytes of the zip's root ``timestamp.txt`` (None when absent) and the course assignments it holds.

    A zip that cannot be read, or is too large to be a submission, gives
    ``(None, [])``: unpack reports it.
    """
    try:
        if archive_path.stat().st_size > _archive_size_limit(UnpackLimits()):
            return None, []
        with zipfile.ZipFile(archive_path) as archive:
            entries = _zip_entries(archive.infolist(), on_refused=lambda message: None)
            present = sorted({entry.parts[0] for entry in entries if entry.parts[0] in _assignment_ids(course)})
            stamps = [
                entry.info
                for entry in entries
                if entry.parts == (_TIMESTAMP_FILE,) and not entry.is_folder and _zip_entry_readable(entry.info)
            ]
            if not stamps:
                return None, present
            # One byte more than a timestamp may hold, so that a longer one is refused as such.
            with archive.open(stamps[0]) as stream:
                return stream.read(_TIMESTAMP_MAX_BYTES + 1), present
    except _ZIP_READ_ERRORS:
        return None, []


def _looks_like_submission(folder: Path) -> bool:
    """True when `folder` holds a folder (or a link) named like an assignment, ``aN_*``."""
    return any(
        _ASSIGNMENT_LIKE.match(entry.name) and (entry.is_dir(follow_symlinks=False) or entry.is_symlink())
        for entry in _visible_entries(folder)
    )


def _visible_entries(folder: Path) -> list[os.DirEntry[str]]:
    """The entries of `folder` sorted by name, without hidden ones and ``__pycache__``.

    Raises:
        SubmissionError: the folder cannot be read.
    """
    try:
        with os.scandir(folder) as entries:
            return sorted((entry for entry in entries if not _is_skipped(entry.name)), key=lambda entry: entry.name)
    except OSError as error:
        raise SubmissionError(f"{folder}: cannot read the folder ({error.strerror or error})") from None


# ---------------------------------------------------------------------------
# Student ids and the roster
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _Roster:
    """A roster file read and checked."""

    path: Path
    students: tuple[str, ...]
    """Student ids, in file order."""
    by_folder: dict[str, str]
    """Folder or zip name -> student id."""


def _read_roster(path: Path) -> _Roster:
    """The roster CSV at `path`: a header with ``student`` and optionally ``folder``, one row per student.

    Raises:
        SubmissionError: the file cannot be read, has no ``student`` column,
            or a row has an empty, unsafe or repeated student or folder
            (the message names the line).
    """
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except OSError as error:
        raise SubmissionError(f"cannot read the roster {path}: {error.strerror or error}") from None
    except UnicodeDecodeError as error:
        raise SubmissionError(f"roster {path} is not UTF-8 (byte 0x{error.object[error.start]:02x} at offset {error.start})") from None
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = [name.strip() for name in reader.fieldnames or []]
    if "student" not in header:
        raise SubmissionError(f"roster {path} has no 'student' column (its header: {', '.join(header) or 'none'})")
    reader.fieldnames = header
    students: dict[str, int] = {}
    by_folder: dict[str, str] = {}
    folder_lines: dict[str, int] = {}
    for row in reader:
        line = reader.line_num
        student = (row.get("student") or "").strip()
        folder = (row.get("folder") or "").strip() or student
        if not student:
            raise SubmissionError(f"{path}:{line}: the student column is empty")
        _check_student(student, where=f"{path}:{line}")
        if student in students:
            raise SubmissionError(f"{path}:{line}: student {student!r} is listed twice (also on line {students[student]})")
        if folder in by_folder:
            raise SubmissionError(f"{path}:{line}: folder {folder!r} is listed twice (also on line {folder_lines[folder]})")
        students[student] = line
        by_folder[folder] = student
        folder_lines[folder] = line
    return _Roster(path, tuple(students), by_folder)


def _identify(found: list[_Found], roster: _Roster | None) -> list[Submission]:
    """Each found submission with its student id: its own name, or the roster's id for it.

    Raises:
        SubmissionError: a name that is not a safe id (no roster), or names the roster does not list (all named).
    """
    if roster is None:
        return [
            _submission(item, _check_student(item.name, where=str(item.source), hint="; rename it or map it to an id with a roster"))
            for item in found
        ]
    unknown = [item for item in found if _roster_student(item, roster) is None]
    if unknown:
        listed = ", ".join(f"{item.name!r} ({item.source})" for item in unknown)
        raise SubmissionError(f"not on the roster {roster.path}: {listed}; add a row (student, folder) for each")
    return [_submission(item, _roster_student(item, roster)) for item in found]


def _roster_student(item: _Found, roster: _Roster) -> str | None:
    """The roster's student id for a found submission (a zip matches by stem or by file name), None when absent."""
    student = roster.by_folder.get(item.name)
    if student is None and item.kind == "zip":
        student = roster.by_folder.get(item.source.name)
    return student


def _submission(item: _Found, student: str) -> Submission:
    return Submission(student=student, source=item.source, kind=item.kind, parts=item.parts, submitted_at=item.submitted_at)


def _check_student(student: str, *, where: str, hint: str = "") -> str:
    """`student` when it is a safe id (letters, digits, '.', '_', '-'; not starting with '.'), fit for file names.

    Raises:
        SubmissionError: it is not; the message starts with `where` (the source, or roster file and line).
    """
    if not _SAFE_STUDENT.match(student) or student.startswith("."):
        raise SubmissionError(
            f"{where}: student id {student!r} is not safe: use letters, digits, '.', '_' and '-' only, "
            f"not starting with '.'{hint}"
        )
    return student


def _refuse_duplicates(submissions: list[Submission]) -> None:
    """Raise SubmissionError naming the sources of every student who has more than one submission."""
    sources: dict[str, list[str]] = {}
    for submission in submissions:
        sources.setdefault(submission.student, []).append(str(submission.source))
    repeated = [f"{student!r} ({' and '.join(paths)})" for student, paths in sorted(sources.items()) if len(paths) > 1]
    if repeated:
        raise SubmissionError(f"more than one submission for student {'; '.join(repeated)}; keep one")


# ---------------------------------------------------------------------------
# Timestamps
# ---------------------------------------------------------------------------

_TIMESTAMP = re.compile(r"^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?\s*(\S*)$")
_OFFSET = re.compile(r"^([+-])(\d{2}):?(\d{2})$")


def _read_timestamp(path: Path, course: Course) -> str | None:
    """The time in the ``timestamp.txt`` at `path` as ISO 8601 with offset; None when there is none.

    Raises:
        SubmissionError: the file is a link or no regular file, too long, or no time.
    """
    try:
        mode = path.lstat().st_mode
    except FileNotFoundError:
        return None
    except OSError as error:
        raise SubmissionError(f"{path}: cannot read it ({error.strerror or error})") from None
    if not stat.S_ISREG(mode):
        raise SubmissionError(f"{path} is {_kind_of(mode)}; a submission time is read from a plain file")
    try:
        with _open_regular_file(path) as file:
            data = file.read(_TIMESTAMP_MAX_BYTES + 1)
    except OSError as error:
        raise SubmissionError(f"{path}: cannot read it ({error.strerror or error})") from None
    return _parse_timestamp_file(data, origin=str(path), course=course)


def _parse_timestamp_file(data: bytes, *, origin: str, course: Course) -> str:
    """The bytes of a ``timestamp.txt`` as ISO 8601 with offset (see ``_parse_timestamp``).

    Raises:
        SubmissionError: longer than a timestamp, not UTF-8, or no time (the message names `origin` and the text).
    """
    if len(data) > _TIMESTAMP_MAX_BYTES:
        raise SubmissionError(f"{origin}: more than {_TIMESTAMP_MAX_BYTES} bytes; a timestamp is one line")
    try:
        return _parse_timestamp(data.decode("utf-8-sig"), zone=course.zone).isoformat()
    except (UnicodeDecodeError, ValueError) as error:
        raise SubmissionError(f"{origin}: {error}") from None


def _parse_timestamp(text: str, *, zone: tzinfo) -> datetime:
    """The moment in a timestamp, timezone-aware.

    Accepts nbgrader's ``2027-02-05 20:00:00.000000 UTC`` (the zone: UTC,
    GMT, Z, an offset such as ``+0100``, or an IANA name) and ISO 8601
    (``2027-02-05T20:00:00+00:00``, ``2027-02-05T20:00:00Z``). A time
    without a zone is read in `zone` (the course's).

    Example: ``"2027-02-05 20:00:00.000000 UTC"`` -> ``datetime(2027, 2, 5, 20, 0, tzinfo=timezone.utc)``.

    Raises:
        ValueError: the text is no such time (the message quotes it).
    """
    line = text.strip()
    match = _TIMESTAMP.match(line)
    if not match:
        raise ValueError(f"{line!r} is not a time like '2027-02-05 20:00:00.000000 UTC' or '2027-02-05T20:00:00+00:00'")
    day, clock, fraction, zone_name = match.groups()
    try:
        moment = datetime.strptime(f"{day} {clock}", "%Y-%m-%d %H:%M:%S")
    except ValueError:
        raise ValueError(f"{line!r} is no valid date and time") from None
    if fraction:
        moment = moment.replace(microsecond=int(fraction[:6].ljust(6, "0")))
    return moment.replace(tzinfo=_timestamp_zone(zone_name, default=zone, line=line))


def _timestamp_zone(name: str, *, default: tzinfo, line: str) -> tzinfo:
    """The zone a timestamp names: `default` for none, UTC, a fixed offset, or an IANA zone.

    Raises:
        ValueError: a zone that is none of these.
    """
    if not name:
        return default
    if name.upper() in ("Z", "UTC", "GMT"):
        return timezone.utc
    offset = _OFFSET.match(name)
    try:
        if offset:
            sign = -1 if offset.group(1) == "-" else 1
            return timezone(sign * timedelta(hours=int(offset.group(2)), minutes=int(offset.group(3))))
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {name!r} in {line!r}") from None


# ---------------------------------------------------------------------------
# The destination and its limits
# ---------------------------------------------------------------------------


class _LimitReached(Exception):
    """Unpacking must stop: the message says which limit, at which entry."""


class _Refused(Exception):
    """One entry is not unpacked: the message says which and why."""


class _Problems:
    """Problems found so far, by assignment id (``""`` for the whole submission), each once, in order."""

    def __init__(self) -> None:
        self._by_key: dict[str, list[str]] = {}

    def add(self, key: str, message: str) -> None:
        messages = self._by_key.setdefault(key, [])
        if message not in messages:
            messages.append(message)

    def __bool__(self) -> bool:
        return bool(self._by_key)

    def as_dict(self, course: Course) -> dict[str, tuple[str, ...]]:
        """The problems, ``""`` first, then the assignments in course order."""
        order = ["", *(assignment.id for assignment in course.assignments)]
        keys = sorted(self._by_key, key=lambda key: order.index(key) if key in order else len(order))
        return {key: tuple(self._by_key[key]) for key in keys}


def _new_empty_folder(destination: Path) -> Path:
    """Create `destination` (or accept it empty) with mode 0o755; return its resolved path.

    Raises:
        SubmissionError: it is a link, not a folder, not empty, or cannot be made.
    """
    try:
        destination.mkdir(parents=True, exist_ok=True)
        mode = destination.lstat().st_mode
    except OSError as error:
        raise SubmissionError(f"cannot make the unpack folder {destination}: {error.strerror or error}") from None
    if not stat.S_ISDIR(mode):
        raise SubmissionError(f"the unpack folder {destination} is {_kind_of(mode)}; unpack writes only into a new empty folder")
    if any(destination.iterdir()):
        raise SubmissionError(f"the unpack folder {destination} is not empty; unpack writes only into a new empty folder")
    os.chmod(destination, _FOLDER_MODE)
    return destination.resolve()


class _Tree:
    """The destination folder as it fills: every write goes through here, so the limits and containment hold for all."""

    def __init__(self, root: Path, limits: UnpackLimits):
        self.root = root
        """The destination, resolved."""
        self.limits = limits
        self.entries = 0
        """Files and folders written so far."""
        self.total_bytes = 0
        """Bytes of the files written so far."""

    def folder(self, parts: tuple[str, ...], *, label: str) -> Path:
        """Make the folder ``root/parts`` and any folder above it that is missing; return it.

        Raises:
            _Refused: a file of that name is in the way, or the path would leave the root.
            _LimitReached: one more entry would pass ``max_files``.
        """
        path = self.root
        for name in parts:
            path = path / name
            self._check_inside(path, label)
            try:
                mode = os.lstat(path).st_mode
            except FileNotFoundError:
                self._count_entry(label)
                try:
                    os.mkdir(path, _FOLDER_MODE)
                    os.chmod(path, _FOLDER_MODE)
                except OSError as error:
                    raise _Refused(f"{label} cannot be written ({error.strerror or error})") from None
                continue
            except OSError as error:
                raise _Refused(f"{label} cannot be written ({error.strerror or error})") from None
            if not stat.S_ISDIR(mode):
                raise _Refused(f"{label}: {path.relative_to(self.root).as_posix()} is a file and a folder at once")
        return path

    def file(self, parts: tuple[str, ...], chunks: Iterable[bytes], *, label: str, compressed_bytes: int | None = None) -> None:
        """Write the bytes of `chunks` to the new file ``root/parts``, counting them against the limits.

        `compressed_bytes` (a zip entry's compressed size) adds the check of
        the compression ratio. A file stopped half-way is removed.

        Raises:
            _Refused: the file exists already (a name twice in a zip), or cannot be written.
            _LimitReached: a limit was passed (count, one file, all files, ratio).
        """
        path = self.folder(parts[:-1], label=label) / parts[-1]
        self._check_inside(path, label)
        try:
            handle = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NO_FOLLOW | _BINARY, _FILE_MODE)
        except FileExistsError:
            raise _Refused(f"{label} appears twice; the first copy is kept") from None
        except OSError as error:
            raise _Refused(f"{label} cannot be written ({error.strerror or error})") from None
        written = 0
        try:
            with os.fdopen(handle, "wb") as target:
                self._count_entry(label)
                for chunk in chunks:
                    written += len(chunk)
                    self._check_size(written, compressed_bytes, label)
                    target.write(chunk)
            os.chmod(path, _FILE_MODE)
        except BaseException:
            path.unlink(missing_ok=True)
            raise
        self.total_bytes += written

    def _count_entry(self, label: str) -> None:
        if self.entries + 1 > self.limits.max_files:
            raise _LimitReached(f"{label}: the submission holds more than {self.limits.max_files} files and folders")
        self.entries += 1

    def _check_size(self, written: int, compressed_bytes: int | None, label: str) -> None:
        limits = self.limits
        if written > limits.max_file_bytes:
            raise _LimitReached(f"{label} holds more than {_size(limits.max_file_bytes)}, the most one file may hold")
        if self.total_bytes + written > limits.max_total_bytes:
            raise _LimitReached(f"{label}: the files add up to more than {_size(limits.max_total_bytes)}, the most a submission may hold")
        if compressed_bytes is not None and written > _RATIO_EXEMPT_BYTES and written > limits.max_compression_ratio * compressed_bytes:
            raise _LimitReached(
                f"{label} expands more than {limits.max_compression_ratio:g} times its compressed size "
                f"({_size(compressed_bytes)}): a zip bomb?"
            )

    def _check_inside(self, path: Path, label: str) -> None:
        resolved = Path(os.path.realpath(path))
        if resolved != self.root and self.root not in resolved.parents:
            raise _Refused(f"{label} escapes the submission folder (it would land at {resolved})")


def _archive_size_limit(limits: UnpackLimits) -> int:
    """The largest zip file that can hold what `limits` allow: the content plus headers for every entry."""
    return limits.max_total_bytes + limits.max_files * _ENTRY_OVERHEAD_BYTES


# ---------------------------------------------------------------------------
# Zips
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _ZipEntry:
    """A zip entry with a safe name, placed relative to the submission's root."""

    info: zipfile.ZipInfo
    parts: tuple[str, ...]
    """Its path's components below the root (any single top folder removed)."""
    is_folder: bool


def _unpack_zip(archive_path: Path, tree: _Tree, course: Course, problems: _Problems) -> None:
    """Extract the assignment folders of the zip at `archive_path` into `tree`.

    Raises:
        _LimitReached: the real bytes passed a limit while extracting.
    """
    limits = tree.limits
    name = archive_path.name
    try:
        size = archive_path.stat().st_size
    except OSError as error:
        problems.add("", f"{name} cannot be read ({error.strerror or error}); nothing was unpacked")
        return
    if size > _archive_size_limit(limits):
        problems.add("", f"{name} is {_size(size)}, more than a submission within the limits can be; nothing was unpacked")
        return
    try:
        archive = zipfile.ZipFile(archive_path)
    except _ZIP_READ_ERRORS as error:
        problems.add("", f"{name} is not a zip file ({error}); nothing was unpacked")
        return
    with archive:
        infos = archive.infolist()
        if len(infos) > limits.max_files:
            problems.add("", f"{name} lists {len(infos)} entries, more than the {limits.max_files} a submission may hold; nothing was unpacked")
            return
        entries = _zip_entries(infos, on_refused=lambda message: problems.add("", f"{message}; skipped"))
        selected = _select_zip_entries(entries, course, problems)
        declared = _declared_size_problem(selected, limits)
        if declared:
            problems.add("", f"{declared}; nothing was unpacked")
            return
        for entry in selected:
            label = f"zip entry {entry.info.filename!r}"
            try:
                if entry.is_folder:
                    tree.folder(entry.parts, label=label)
                else:
                    tree.file(entry.parts, _zip_chunks(archive, entry.info), label=label, compressed_bytes=entry.info.compress_size)
            except _Refused as refusal:
                problems.add("", f"{refusal}; skipped")
            except _ZIP_READ_ERRORS as error:
                problems.add("", f"{label} cannot be read ({error}); skipped")


def _zip_entries(infos: list[zipfile.ZipInfo], *, on_refused: Callable[[str], None]) -> list[_ZipEntry]:
    """The entries with safe names, skipped ones left out, placed below the root.

    `on_refused(message)` hears of each entry whose name is unsafe. When
    every entry sits under one top folder that is not an assignment
    (``alice/a1_tokenizer/...``), that folder is removed from the paths.
    """
    named = []
    for info in infos:
        try:
            parts, is_folder = _safe_zip_name(info.filename)
        except _Refused as refusal:
            on_refused(str(refusal))
            continue
        if parts and not any(_is_skipped(part) for part in parts):
            named.append(_ZipEntry(info, parts, is_folder or stat.S_ISDIR(info.external_attr >> 16)))
    tops = {entry.parts[0] for entry in named}
    if len(tops) == 1:
        top = next(iter(tops))
        if not _ASSIGNMENT_LIKE.match(top) and all(len(entry.parts) > 1 or entry.is_folder for entry in named):
            named = [_ZipEntry(entry.info, entry.parts[1:], entry.is_folder) for entry in named if len(entry.parts) > 1]
    return named


def _safe_zip_name(name: str) -> tuple[tuple[str, ...], bool]:
    """The components of a zip entry's name and whether it names a folder, backslashes read as separators.

    Example: ``"alice\\\\a1_tokenizer/./tokenizer.py"`` -> ``(("alice", "a1_tokenizer", "tokenizer.py"), False)``.

    Raises:
        _Refused: the name is absolute, has a drive letter, a ``..`` component or a control character.
    """
    label = f"zip entry {name!r}"
    text = name.replace("\\", "/")
    if any(ord(char) < 32 or ord(char) == 127 for char in text):
        raise _Refused(f"{label} has a control character in its name")
    if text.startswith("/"):
        raise _Refused(f"{label} is an absolute path")
    if re.match(r"^[A-Za-z]:", text):
        raise _Refused(f"{label} starts with a drive letter")
    parts = tuple(part for part in text.split("/") if part not in ("", "."))
    if ".." in parts:
        raise _Refused(f"{label} escapes the submission folder (a '..' component)")
    return parts, text.endswith("/")


def _select_zip_entries(entries: list[_ZipEntry], course: Course, problems: _Problems) -> list[_ZipEntry]:
    """The entries to extract: files and folders inside course assignment folders, stored or deflated, not encrypted."""
    selected = []
    for entry in entries:
        top, info = entry.parts[0], entry.info
        label = f"zip entry {info.filename!r}"
        if not _ASSIGNMENT_LIKE.match(top) or (len(entry.parts) == 1 and not entry.is_folder):
            continue  # beside the assignment folders: a README, timestamp.txt
        if top not in _assignment_ids(course):
            problems.add("", _no_assignment(top, course))
            continue
        mode = info.external_attr >> 16
        if stat.S_ISLNK(mode):
            problems.add("", f"{label} is a symbolic link; links are not unpacked")
        elif stat.S_IFMT(mode) not in (0, stat.S_IFREG, stat.S_IFDIR):
            problems.add("", f"{label} is {_kind_of(mode)}; only files and folders are unpacked")
        elif entry.is_folder:
            selected.append(entry)
        elif info.flag_bits & _ZIP_ENCRYPTED_FLAG:
            problems.add("", f"{label} is encrypted; hand in a zip without a password")
        elif info.compress_type not in _ZIP_METHODS:
            problems.add("", f"{label} is compressed with method {info.compress_type}; only stored and deflate entries are unpacked")
        else:
            selected.append(entry)
    return selected


def _declared_size_problem(entries: list[_ZipEntry], limits: UnpackLimits) -> str | None:
    """What the sizes the entries declare break of `limits` (one file, ratio, all files), None when nothing."""
    total = 0
    for entry in entries:
        if entry.is_folder:
            continue
        size, compressed, name = entry.info.file_size, entry.info.compress_size, entry.info.filename
        if size > limits.max_file_bytes:
            return f"zip entry {name!r} declares {_size(size)}, more than the {_size(limits.max_file_bytes)} one file may hold"
        if size > _RATIO_EXEMPT_BYTES and size > limits.max_compression_ratio * compressed:
            return (
                f"zip entry {name!r} declares {_size(size)} compressed to {_size(compressed)}, more than "
                f"{limits.max_compression_ratio:g} times: a zip bomb?"
            )
        total += size
    if total > limits.max_total_bytes:
        return f"the zip's entries declare {_size(total)} in all, more than the {_size(limits.max_total_bytes)} a submission may hold"
    return None


def _zip_entry_readable(info: zipfile.ZipInfo) -> bool:
    """True for a plain, unencrypted entry stored or deflated (the methods read with bounded memory)."""
    mode = info.external_attr >> 16
    return (
        stat.S_IFMT(mode) in (0, stat.S_IFREG)
        and not info.flag_bits & _ZIP_ENCRYPTED_FLAG
        and info.compress_type in _ZIP_METHODS
    )


def _zip_chunks(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> Iterator[bytes]:
    """The bytes of one entry, a chunk at a time."""
    with archive.open(info) as stream:
        while True:
            chunk = stream.read(_CHUNK_BYTES)
            if not chunk:
                return
            yield chunk


# ---------------------------------------------------------------------------
# Folders
# ---------------------------------------------------------------------------


def _unpack_folder(source: Path, tree: _Tree, course: Course, problems: _Problems) -> None:
    """Copy the ``aN_*`` folders of the submission folder `source` into `tree`.

    Raises:
        _LimitReached: a limit was passed.
    """
    try:
        with os.scandir(source) as entries:
            names = sorted(entry.name for entry in entries)
    except OSError as error:
        problems.add("", f"{source} cannot be read ({error.strerror or error})")
        return
    for name in names:
        if _ASSIGNMENT_LIKE.match(name):
            _take_assignment_folder(name, source / name, tree, course, problems)


def _take_assignment_folder(
    name: str,
    source: Path,
    tree: _Tree,
    course: Course,
    problems: _Problems,
    *,
    skipped_at_top: frozenset[str] = frozenset(),
) -> None:
    """Copy the folder `source` to ``tree/name`` when `name` is a course assignment and `source` a real folder.

    Raises:
        _LimitReached: a limit was passed.
    """
    if name not in _assignment_ids(course):
        problems.add("", _no_assignment(name, course))
        return
    try:
        mode = source.lstat().st_mode
    except OSError as error:
        problems.add("", f"{name} cannot be read ({error.strerror or error})")
        return
    if stat.S_ISLNK(mode):
        problems.add("", f"{name} is a symbolic link (to {_link_target(source)}); links are not graded")
    elif not stat.S_ISDIR(mode):
        problems.add("", f"{name} is {_kind_of(mode)}; an assignment is handed in as the folder {name}/")
    else:
        _copy_folder(source, (name,), tree, problems, skipped_at_top=skipped_at_top)


def _copy_folder(source: Path, parts: tuple[str, ...], tree: _Tree, problems: _Problems, *, skipped_at_top: frozenset[str]) -> None:
    """Copy the regular files below `source` to ``tree/parts``, depth first in name order, following no link.

    Raises:
        _LimitReached: a limit was passed.
    """
    pending = [(source, parts)]
    while pending:
        folder, folder_parts = pending.pop()
        shown_folder = "/".join(folder_parts)
        try:
            tree.folder(folder_parts, label=shown_folder)
            with os.scandir(folder) as entries:
                children = sorted(entries, key=lambda entry: entry.name)
        except _Refused as refusal:
            problems.add("", f"{refusal}; skipped")
            continue
        except OSError as error:
            problems.add("", f"{shown_folder} cannot be read ({error.strerror or error}); skipped")
            continue
        subfolders = []
        for child in children:
            if _is_skipped(child.name) or (folder_parts == parts and child.name in skipped_at_top):
                continue
            child_parts = (*folder_parts, child.name)
            shown = "/".join(child_parts)
            if child.is_symlink():
                problems.add("", f"{shown} is a symbolic link (to {_link_target(Path(child.path))}); links are not graded")
            elif child.is_dir(follow_symlinks=False):
                subfolders.append((Path(child.path), child_parts))
            elif not child.is_file(follow_symlinks=False):
                problems.add("", f"{shown} is {_kind_of(child.stat(follow_symlinks=False).st_mode)}; only regular files are graded")
            else:
                try:
                    tree.file(child_parts, _file_chunks(Path(child.path)), label=shown)
                except _Refused as refusal:
                    problems.add("", f"{refusal}; skipped")
                except OSError as error:
                    problems.add("", f"{shown} cannot be read ({error.strerror or error}); skipped")
        pending.extend(reversed(subfolders))


def _file_chunks(path: Path) -> Iterator[bytes]:
    """The bytes of the regular file at `path`, a chunk at a time, without following a link.

    Raises:
        OSError: it cannot be read, or is no longer a regular file (a link put in its place fails to open).
    """
    with _open_regular_file(path) as file:
        while True:
            chunk = file.read(_CHUNK_BYTES)
            if not chunk:
                return
            yield chunk


def _open_regular_file(path: Path) -> io.BufferedReader:
    """`path` opened for reading, refusing to follow a link or to block on a fifo.

    Raises:
        OSError: it cannot be opened, or is not a regular file.
    """
    handle = os.open(path, os.O_RDONLY | _NO_FOLLOW | _NON_BLOCKING | _BINARY)
    file = os.fdopen(handle, "rb")
    if not stat.S_ISREG(os.fstat(handle).st_mode):
        file.close()
        raise OSError(f"{path} is not a regular file")
    return file


def _link_target(path: Path) -> str:
    """Where the link at `path` points, shortened for a message; ``"?"`` when it cannot be read."""
    try:
        target = os.readlink(path)
    except OSError:
        return "?"
    return target if len(target) <= _LINK_TARGET_SHOWN else target[: _LINK_TARGET_SHOWN - 1] + "…"


# ---------------------------------------------------------------------------
# What arrived
# ---------------------------------------------------------------------------


def _check_assignments(root: Path, course: Course, problems: _Problems) -> tuple[str, ...]:
    """The course assignments in `root` whose code module exists; records what is wrong with each folder."""
    present = []
    for assignment in course.assignments:
        folder = root / assignment.id
        if not folder.is_dir():
            continue
        if assignment.module is None or (folder / f"{assignment.module}.py").is_file():
            present.append(assignment.id)
        else:
            problems.add(assignment.id, _module_missing(folder, assignment.id, assignment.module, course))
        for path in _python_files(folder):
            data = path.read_bytes()
            try:
                data.decode("utf-8")
            except UnicodeDecodeError as error:
                shown = path.relative_to(root).as_posix()
                problems.add(assignment.id, f"{shown} is not UTF-8 (byte 0x{data[error.start]:02x} at offset {error.start})")
    return tuple(present)


def _module_missing(folder: Path, assignment_id: str, module: str, course: Course) -> str:
    """Why ``folder`` (of `assignment_id`) lacks ``module.py``: another assignment's module in its place, or what it holds."""
    others = [
        other
        for other in course.assignments
        if other.id != assignment_id and other.module is not None and (folder / f"{other.module}.py").is_file()
    ]
    if others:
        held = " and ".join(f"{other.module}.py, the file of {other.id}" for other in others)
        return f"{assignment_id}/ holds {held}: submitted for the wrong assignment?"
    names = sorted(path.name for path in folder.iterdir())
    shown = ", ".join(names[:5]) + (", ..." if len(names) > 5 else "")
    return f"{assignment_id}/ has no {module}.py ({'it holds ' + shown if names else 'it is empty'})"


def _python_files(folder: Path) -> list[Path]:
    """The ``.py`` files below `folder`, sorted."""
    return sorted(
        Path(parent) / name
        for parent, _, names in os.walk(folder)
        for name in names
        if name.endswith(".py")
    )


def _fingerprint(root: Path, submitted_at: dict[str, str]) -> str:
    """sha256 over every file below `root` (relative POSIX path, size, bytes; sorted by path) and `submitted_at`."""
    files = sorted(
        ((Path(parent) / name).relative_to(root).as_posix(), Path(parent) / name)
        for parent, _, names in os.walk(root)
        for name in names
    )
    digest = hashlib.sha256()
    for relative, path in files:
        data = path.read_bytes()
        digest.update(f"{relative}\0{len(data)}\0".encode("utf-8", "surrogateescape"))
        digest.update(data)
    digest.update(b"submitted_at\0" + json.dumps(submitted_at, sort_keys=True).encode("utf-8"))
    return digest.hexdigest()


# ---------------------------------------------------------------------------
# Small helpers
# ---------------------------------------------------------------------------


def _assignment_ids(course: Course) -> tuple[str, ...]:
    return tuple(assignment.id for assignment in course.assignments)


def _no_assignment(name: str, course: Course) -> str:
    return f"{name} is no assignment of this course; expected one of {', '.join(_assignment_ids(course))}"


def _is_skipped(name: str) -> bool:
    """True for names never unpacked nor taken for a submission: hidden ones, ``__pycache__``, ``__MACOSX``."""
    return name.startswith(".") or name in _SKIPPED_NAMES


def _is_zip_name(name: str) -> bool:
    return name.lower().endswith(".zip")


def _is_real_folder(path: Path) -> bool:
    """True when `path` is a folder and not a link to one."""
    return path.is_dir() and not path.is_symlink()


def _folder_name(path: Path) -> str:
    """The last component of `path` made absolute and normal: ``.`` inside alice/ -> ``"alice"``."""
    return Path(os.path.abspath(path)).name


def _kind_of(mode: int) -> str:
    """What a file mode describes, for messages: ``"a symbolic link"``, ``"a fifo"``, ..."""
    kinds = (
        (stat.S_ISLNK, "a symbolic link"),
        (stat.S_ISDIR, "a folder"),
        (stat.S_ISREG, "a regular file"),
        (stat.S_ISFIFO, "a fifo"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISSOCK, "a socket"),
    )
    return next((text for test, text in kinds if test(mode)), f"a special file (mode 0o{mode:o})")


def _size(count: int) -> str:
    """A byte count for messages: ``16777216`` -> ``"16 MiB"``, ``1536`` -> ``"1.5 KiB"``, ``300`` -> ``"300 bytes"``."""
    for unit, scale in (("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if count >= scale:
            return f"{count / scale:.1f}".rstrip("0").rstrip(".") + f" {unit}"
    return f"{count} bytes"
