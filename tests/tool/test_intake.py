"""Does intake find every form of submission, and unpack hostile ones without writing outside its folder?"""

from __future__ import annotations

import os
import stat
import struct
import zipfile
from pathlib import Path

import pytest

from grader.course import Course, load_course
from grader.grading.intake import Submission, SubmissionError, Unpacked, UnpackLimits, discover, unpack

TOKENIZER = "def train_bpe(text, vocab_size):\n    return None\n"
ATTENTION = "def causal_mask(seq_len):\n    return None\n"
EMBEDDINGS = "class TokenEmbedding:\n    pass\n"


@pytest.fixture(scope="module")
def course() -> Course:
    return load_course()


def write_files(root: Path, files: dict[str, str | bytes]) -> Path:
    """Write `files` (relative path -> text or bytes) below `root`; return `root`."""
    for relative, content in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    return root


def make_zip(path: Path, files: dict[str, str | bytes], *, compression: int = zipfile.ZIP_DEFLATED) -> Path:
    """A zip at `path` holding `files` (entry name -> content)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", compression=compression) as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return path


def add_entry(path: Path, name: str, content: str | bytes, *, mode: int, compression: int = zipfile.ZIP_DEFLATED) -> None:
    """Append one entry whose Unix mode (file type and permissions) is `mode`."""
    info = zipfile.ZipInfo(name)
    info.external_attr = mode << 16
    info.create_system = 3
    with zipfile.ZipFile(path, "a") as archive:
        archive.writestr(info, content, compress_type=compression)


def patch_central_directory(path: Path, offset: int, layout: str, value: int) -> None:
    """Overwrite a field of the (last) central directory header of the zip at `path`.

    Offsets from the header's signature: 8 flags, 24 uncompressed size.
    """
    data = bytearray(path.read_bytes())
    header = data.rfind(b"PK\x01\x02")
    assert header >= 0
    struct.pack_into(layout, data, header + offset, value)
    path.write_bytes(bytes(data))


def snapshot(folder: Path) -> set[str]:
    """Every path below `folder`, relative, links included and not followed."""
    return {
        Path(parent, name).relative_to(folder).as_posix()
        for parent, folders, files in os.walk(folder)
        for name in folders + files
    }


def tree_files(root: Path) -> dict[str, bytes]:
    return {
        Path(parent, name).relative_to(root).as_posix(): Path(parent, name).read_bytes()
        for parent, _, files in os.walk(root)
        for name in files
    }


def only(submissions: list[Submission]) -> Submission:
    assert len(submissions) == 1, submissions
    return submissions[0]


def unpack_into(tmp_path: Path, submission: Submission, course: Course, **limits: int) -> Unpacked:
    return unpack(submission, tmp_path / "graded" / submission.student, course=course, limits=UnpackLimits(**limits))


def whole(unpacked: Unpacked) -> str:
    """The submission-wide problems as one text, for `in` checks."""
    return "\n".join(unpacked.problems.get("", ()))


# --- discover ------------------------------------------------------------------------------------


def test_zip_file_is_one_submission_named_by_its_stem(tmp_path: Path, course: Course) -> None:
    """Is a .zip one submission whose student is the file's stem?"""
    archive = make_zip(tmp_path / "alice.zip", {"a1_tokenizer/tokenizer.py": TOKENIZER})
    submission = only(discover([archive], course=course))
    assert submission == Submission(student="alice", source=archive, kind="zip", parts=(archive,), submitted_at={})


def test_folder_with_assignment_folders_is_one_submission(tmp_path: Path, course: Course) -> None:
    """Is a folder holding aN_* folders one submission named after the folder, even for an assignment the course lacks?"""
    folder = write_files(tmp_path / "bob", {"a9_extra/extra.py": "x = 1\n"})
    submission = only(discover([str(folder)], course=course))
    assert (submission.student, submission.kind, submission.parts) == ("bob", "folder", (folder,))


def test_folder_of_submissions_gives_one_each_sorted_without_noise(tmp_path: Path, course: Course) -> None:
    """Does a folder of submissions give one per child folder or zip, sorted, skipping hidden entries, caches and plain files?"""
    submissions = tmp_path / "submissions"
    make_zip(submissions / "bob.zip", {"bob/a1_tokenizer/tokenizer.py": TOKENIZER})
    write_files(submissions, {
        "carol/a3_attention/attention.py": ATTENTION,
        "alice/a1_tokenizer/tokenizer.py": TOKENIZER,
        ".hidden/a1_tokenizer/tokenizer.py": TOKENIZER,
        "__pycache__/a1_tokenizer/x.pyc": b"\0",
        "README.md": "how to hand in\n",
    })
    found = discover([submissions], course=course)
    assert [(item.student, item.kind, item.source) for item in found] == [
        ("alice", "folder", submissions / "alice"),
        ("bob", "zip", submissions / "bob.zip"),
        ("carol", "folder", submissions / "carol"),
    ]


def test_child_that_is_neither_submission_nor_plain_file_is_refused(tmp_path: Path, course: Course) -> None:
    """Is a child folder without assignment folders, or a link, refused by name instead of silently dropped?"""
    submissions = write_files(tmp_path / "submissions", {"alice/a1_tokenizer/tokenizer.py": TOKENIZER, "notes/todo.txt": "x"})
    with pytest.raises(SubmissionError, match=r"notes is a folder without aN_\* assignment folders"):
        discover([submissions], course=course)
    (submissions / "notes" / "todo.txt").unlink()
    (submissions / "notes").rmdir()
    (submissions / "dave").symlink_to(submissions / "alice")
    with pytest.raises(SubmissionError, match=r"dave is a symbolic link"):
        discover([submissions], course=course)


@pytest.mark.parametrize("name", ["nothing_here", "notes.txt", "empty"])
def test_path_that_is_no_submission_is_refused(tmp_path: Path, course: Course, name: str) -> None:
    """Is a missing path, a file that is no zip, or a folder with no submission refused, naming the path?"""
    (tmp_path / "notes.txt").write_text("x", encoding="utf-8")
    (tmp_path / "empty").mkdir()
    with pytest.raises(SubmissionError, match=name):
        discover([tmp_path / name], course=course)


def test_nbgrader_layout_gives_one_submission_per_student_with_times(tmp_path: Path, course: Course) -> None:
    """Does nbgrader's submitted/<student>/<assignment>/ give parts and submission times, from the course root or submitted/?"""
    submitted = write_files(tmp_path / "course" / "submitted", {
        "alice/a1_tokenizer/tokenizer.py": TOKENIZER,
        "alice/a1_tokenizer/timestamp.txt": "2027-02-05 20:00:00.000000 UTC\n",
        "alice/a3_attention/attention.py": ATTENTION,
        "alice/a3_attention/timestamp.txt": "2027-02-06T09:30:00+01:00",
        "bob/a2_embeddings/embeddings.py": EMBEDDINGS,
    })
    for path in (tmp_path / "course", submitted):
        alice, bob = discover([path], course=course)
        assert alice == Submission(
            student="alice",
            source=submitted / "alice",
            kind="nbgrader",
            parts=(submitted / "alice" / "a1_tokenizer", submitted / "alice" / "a3_attention"),
            submitted_at={"a1_tokenizer": "2027-02-05T20:00:00+00:00", "a3_attention": "2027-02-06T09:30:00+01:00"},
        )
        assert (bob.student, bob.parts, bob.submitted_at) == ("bob", (submitted / "bob" / "a2_embeddings",), {})


def test_timestamp_without_zone_is_read_in_the_course_zone(tmp_path: Path, course: Course) -> None:
    """Is a timestamp without a zone read in course.toml's time zone?"""
    write_files(tmp_path / "submitted", {"alice/a1_tokenizer/timestamp.txt": "2027-01-20 10:00:00"})
    alice = only(discover([tmp_path / "submitted"], course=course))
    assert course.timezone == "UTC"
    assert alice.submitted_at == {"a1_tokenizer": "2027-01-20T10:00:00+00:00"}


@pytest.mark.parametrize("text", ["yesterday evening", "2027-02-30 10:00:00 UTC", "2027-02-05 20:00:00 Mars/Olympus"])
def test_unreadable_timestamp_is_refused_naming_file_and_text(tmp_path: Path, course: Course, text: str) -> None:
    """Is a timestamp that is no time refused with the file and the text seen, rather than taken as on time?"""
    write_files(tmp_path / "submitted", {"alice/a1_tokenizer/timestamp.txt": text})
    with pytest.raises(SubmissionError) as caught:
        discover([tmp_path / "submitted"], course=course)
    assert "timestamp.txt" in str(caught.value) and text.split()[-1] in str(caught.value)


def test_root_timestamp_dates_every_assignment_of_a_folder_or_zip(tmp_path: Path, course: Course) -> None:
    """Does a timestamp.txt at the root of a folder or zip date each assignment in it (and no other)?"""
    folder = write_files(tmp_path / "subs" / "alice", {
        "timestamp.txt": "2027-01-21 08:00:00 UTC",
        "a1_tokenizer/tokenizer.py": TOKENIZER,
        "a3_attention/attention.py": ATTENTION,
    })
    make_zip(tmp_path / "subs" / "bob.zip", {
        "bob/timestamp.txt": "2027-01-30T23:00:00Z",
        "bob/a2_embeddings/embeddings.py": EMBEDDINGS,
    })
    alice, bob = discover([tmp_path / "subs"], course=course)
    assert alice.source == folder
    assert alice.submitted_at == {"a1_tokenizer": "2027-01-21T08:00:00+00:00", "a3_attention": "2027-01-21T08:00:00+00:00"}
    assert bob.submitted_at == {"a2_embeddings": "2027-01-30T23:00:00+00:00"}


def test_two_submissions_of_one_student_are_refused_naming_both(tmp_path: Path, course: Course) -> None:
    """Are a folder and a zip of the same student refused, with both sources named?"""
    subs = write_files(tmp_path / "subs", {"alice/a1_tokenizer/tokenizer.py": TOKENIZER})
    make_zip(subs / "alice.zip", {"a1_tokenizer/tokenizer.py": TOKENIZER})
    with pytest.raises(SubmissionError) as caught:
        discover([subs], course=course)
    message = str(caught.value)
    assert "'alice'" in message and str(subs / "alice") in message and str(subs / "alice.zip") in message


def test_unsafe_student_names_are_refused(tmp_path: Path, course: Course) -> None:
    """Are student ids with spaces or path parts refused, whether from a folder name or a roster?"""
    folder = write_files(tmp_path / "a b", {"a1_tokenizer/tokenizer.py": TOKENIZER})
    with pytest.raises(SubmissionError, match=r"a b: student id 'a b' is not safe"):
        discover([folder], course=course)
    roster = tmp_path / "roster.csv"
    roster.write_text("student,folder\n../x,a b\n", encoding="utf-8")
    with pytest.raises(SubmissionError, match=r"roster.csv:2: student id '\.\./x' is not safe"):
        discover([folder], course=course, roster=roster)


def test_roster_maps_folders_to_students_and_lists_the_missing(tmp_path: Path, course: Course) -> None:
    """Does the roster map folder and zip names to ids, add its students without a submission as missing, and not count as one?"""
    subs = write_files(tmp_path / "subs", {"Alice Smith/a1_tokenizer/tokenizer.py": TOKENIZER})
    make_zip(subs / "bob.zip", {"a1_tokenizer/tokenizer.py": TOKENIZER})
    roster = subs / "roster.csv"
    roster.write_text("\ufeffstudent,folder\ns001,Alice Smith\nbob,\ncarol,\n", encoding="utf-8")
    found = discover([subs], course=course, roster=roster)
    assert [(item.student, item.kind, item.source, item.parts) for item in found] == [
        ("bob", "zip", subs / "bob.zip", (subs / "bob.zip",)),
        ("carol", "missing", roster, ()),
        ("s001", "folder", subs / "Alice Smith", (subs / "Alice Smith",)),
    ]


def test_submission_not_on_the_roster_is_refused_naming_it(tmp_path: Path, course: Course) -> None:
    """Is every submission the roster does not list named in one error?"""
    subs = write_files(tmp_path / "subs", {"alice/a1_tokenizer/tokenizer.py": TOKENIZER, "mallory/a1_tokenizer/tokenizer.py": TOKENIZER})
    make_zip(subs / "eve.zip", {"a1_tokenizer/tokenizer.py": TOKENIZER})
    roster = tmp_path / "roster.csv"
    roster.write_text("student\nalice\n", encoding="utf-8")
    with pytest.raises(SubmissionError) as caught:
        discover([subs], course=course, roster=roster)
    message = str(caught.value)
    assert "not on the roster" in message and "'mallory'" in message and "'eve'" in message and "'alice'" not in message


@pytest.mark.parametrize(
    "text, expected",
    [
        ("name,folder\nalice,alice\n", "no 'student' column"),
        ("student\nalice\nalice\n", r"roster.csv:3: student 'alice' is listed twice \(also on line 2\)"),
        ("student,folder\nalice,x\nbob,x\n", r"roster.csv:3: folder 'x' is listed twice"),
        ("student,folder\n,x\n", r"roster.csv:2: the student column is empty"),
    ],
)
def test_bad_roster_is_refused_naming_the_line(tmp_path: Path, course: Course, text: str, expected: str) -> None:
    """Is a roster without a student column, or with an empty or repeated student or folder, refused at its line?"""
    folder = write_files(tmp_path / "alice", {"a1_tokenizer/tokenizer.py": TOKENIZER})
    roster = tmp_path / "roster.csv"
    roster.write_text(text, encoding="utf-8")
    with pytest.raises(SubmissionError, match=expected):
        discover([folder], course=course, roster=roster)


# --- unpack: zips --------------------------------------------------------------------------------


def test_zip_unpacks_its_assignment_folders_below_one_top_folder(tmp_path: Path, course: Course) -> None:
    """Is the single top folder stripped, and only course assignment folders kept, without caches or macOS noise?"""
    archive = make_zip(tmp_path / "alice.zip", {
        "alice/a1_tokenizer/tokenizer.py": TOKENIZER,
        "alice/a3_attention/attention.py": ATTENTION,
        "alice/a3_attention/__pycache__/attention.cpython-311.pyc": b"\0\0",
        "alice/a3_attention/.ipynb_checkpoints/a3-checkpoint.ipynb": "{}",
        "alice/README.md": "hi",
        "__MACOSX/alice/._README.md": b"\0",
    })
    unpacked = unpack_into(tmp_path, only(discover([archive], course=course)), course)
    assert unpacked.tree == tmp_path / "graded" / "alice"
    assert tree_files(unpacked.tree) == {"a1_tokenizer/tokenizer.py": TOKENIZER.encode(), "a3_attention/attention.py": ATTENTION.encode()}
    assert unpacked.assignments == ("a1_tokenizer", "a3_attention")
    assert unpacked.problems == {}


def test_zip_with_assignment_folders_at_its_top_is_not_stripped(tmp_path: Path, course: Course) -> None:
    """Is a zip whose only top folder is an assignment kept as it is?"""
    archive = make_zip(tmp_path / "bob.zip", {"a3_attention/attention.py": ATTENTION, "a3_attention/helpers/util.py": "x = 1\n"})
    unpacked = unpack_into(tmp_path, only(discover([archive], course=course)), course)
    assert sorted(tree_files(unpacked.tree)) == ["a3_attention/attention.py", "a3_attention/helpers/util.py"]
    assert unpacked.assignments == ("a3_attention",)


def test_zip_slip_entries_are_refused_and_nothing_lands_outside(tmp_path: Path, course: Course) -> None:
    """Are absolute, drive-letter and '..' entries refused one by one, the rest unpacked, and nothing written outside the destination?"""
    absolute = f"{tmp_path}/absolute_evil.py"
    hostile = ["../evil.py", absolute, "/tmp/x", "C:/evil.py", "a1_tokenizer/../../evil.py", "..\\evil_backslash.py"]
    archive = make_zip(tmp_path / "in" / "mallory.zip", {**{name: "pwned = True\n" for name in hostile}, "a1_tokenizer/tokenizer.py": TOKENIZER})
    before = snapshot(tmp_path)
    unpacked = unpack_into(tmp_path, only(discover([archive], course=course)), course)
    created = snapshot(tmp_path) - before
    assert created == {"graded", "graded/mallory", "graded/mallory/a1_tokenizer", "graded/mallory/a1_tokenizer/tokenizer.py"}
    assert unpacked.assignments == ("a1_tokenizer",)
    problems = unpacked.problems[""]
    assert len(problems) == len(hostile)
    assert "zip entry '../evil.py' escapes the submission folder (a '..' component); skipped" in problems
    assert f"zip entry {absolute!r} is an absolute path; skipped" in problems
    assert "zip entry 'C:/evil.py' starts with a drive letter; skipped" in problems
    assert "zip entry '..\\\\evil_backslash.py' escapes the submission folder (a '..' component); skipped" in problems


def test_symlink_entry_in_a_zip_is_refused(tmp_path: Path, course: Course) -> None:
    """Is a zip entry that is a symbolic link (to the solutions) not recreated, so its assignment counts as not there?"""
    archive = make_zip(tmp_path / "mallory.zip", {"a1_tokenizer/tokenizer.py": TOKENIZER})
    add_entry(archive, "a3_attention/attention.py", "../../solutions/a3_attention/attention.py", mode=stat.S_IFLNK | 0o777)
    unpacked = unpack_into(tmp_path, only(discover([archive], course=course)), course)
    assert not (unpacked.tree / "a3_attention" / "attention.py").exists()
    assert not (unpacked.tree / "a3_attention" / "attention.py").is_symlink()
    assert unpacked.problems[""] == ("zip entry 'a3_attention/attention.py' is a symbolic link; links are not unpacked",)
    assert unpacked.assignments == ("a1_tokenizer",)


@pytest.mark.parametrize("file_type, word", [(stat.S_IFIFO, "a fifo"), (stat.S_IFCHR, "a character device"), (stat.S_IFBLK, "a block device")])
def test_device_and_fifo_entries_in_a_zip_are_refused(tmp_path: Path, course: Course, file_type: int, word: str) -> None:
    """Are zip entries that claim to be devices or fifos refused?"""
    archive = make_zip(tmp_path / "mallory.zip", {"a1_tokenizer/tokenizer.py": TOKENIZER})
    add_entry(archive, "a1_tokenizer/device", "", mode=file_type | 0o666)
    unpacked = unpack_into(tmp_path, only(discover([archive], course=course)), course)
    assert unpacked.problems[""] == (f"zip entry 'a1_tokenizer/device' is {word}; only files and folders are unpacked",)
    assert sorted(tree_files(unpacked.tree)) == ["a1_tokenizer/tokenizer.py"]


def test_unpacked_files_are_0644_and_folders_0755_whatever_the_zip_says(tmp_path: Path, course: Course) -> None:
    """Are setuid, exec and world-writable bits from a zip dropped, and the modes exact whatever the umask?"""
    archive = make_zip(tmp_path / "alice.zip", {})
    add_entry(archive, "a1_tokenizer/", "", mode=stat.S_IFDIR | 0o777)
    add_entry(archive, "a1_tokenizer/tokenizer.py", TOKENIZER, mode=stat.S_IFREG | stat.S_ISUID | 0o777)
    add_entry(archive, "a1_tokenizer/sub/run.sh", "echo\n", mode=stat.S_IFREG | 0o755)
    previous_umask = os.umask(0o077)
    try:
        unpacked = unpack_into(tmp_path, only(discover([archive], course=course)), course)
    finally:
        os.umask(previous_umask)
    modes = {path: stat.S_IMODE(os.lstat(unpacked.tree / path).st_mode) for path in snapshot(unpacked.tree)}
    assert modes == {"a1_tokenizer": 0o755, "a1_tokenizer/sub": 0o755, "a1_tokenizer/tokenizer.py": 0o644, "a1_tokenizer/sub/run.sh": 0o644}
    assert stat.S_IMODE(os.lstat(unpacked.tree).st_mode) == 0o755


def test_zip_bomb_is_refused_by_its_ratio_before_anything_is_written(tmp_path: Path, course: Course) -> None:
    """Is 50 MB of zeros compressed to a few KB refused for its compression ratio, with size limits out of the way?"""
    archive = make_zip(tmp_path / "mallory.zip", {"a1_tokenizer/tokenizer.py": TOKENIZER, "a1_tokenizer/zeros.bin": bytes(50 * 2**20)})
    assert archive.stat().st_size < 2**20
    unpacked = unpack_into(
        tmp_path, only(discover([archive], course=course)), course, max_file_bytes=2**30, max_total_bytes=2**30, max_compression_ratio=200
    )
    assert snapshot(unpacked.tree) == set()
    (problem,) = unpacked.problems[""]
    assert "zip entry 'a1_tokenizer/zeros.bin' declares 50 MiB compressed to" in problem and "zip bomb?" in problem
    assert problem.endswith("nothing was unpacked")


@pytest.mark.parametrize(
    "limits, expected",
    [
        ({"max_file_bytes": 800}, "zip entry 'a1_tokenizer/b.txt' declares 900 bytes, more than the 800 bytes one file may hold"),
        ({"max_total_bytes": 1000}, "the zip's entries declare 1.5 KiB in all, more than the 1000 bytes a submission may hold"),
    ],
)
def test_declared_sizes_over_the_limits_stop_before_writing(tmp_path: Path, course: Course, limits: dict, expected: str) -> None:
    """Does a zip whose entries declare more than one file or all files may hold write nothing?"""
    archive = make_zip(tmp_path / "alice.zip", {"a1_tokenizer/a.txt": "a" * 636, "a1_tokenizer/b.txt": "b" * 900})
    unpacked = unpack_into(tmp_path, only(discover([archive], course=course)), course, **limits)
    assert unpacked.problems[""] == (f"{expected}; nothing was unpacked",)
    assert snapshot(unpacked.tree) == set()


def test_lying_declared_size_does_not_let_more_bytes_through(tmp_path: Path, course: Course) -> None:
    """Is an entry that declares 500 bytes but holds 100 KB refused while extracting, leaving no more than the limit on disk?"""
    archive = make_zip(tmp_path / "mallory.zip", {"a1_tokenizer/tokenizer.py": "x = 1\n" * 20_000})
    patch_central_directory(archive, 24, "<I", 500)
    assert zipfile.ZipFile(archive).getinfo("a1_tokenizer/tokenizer.py").file_size == 500
    unpacked = unpack_into(tmp_path, only(discover([archive], course=course)), course, max_file_bytes=1000)
    (problem,) = unpacked.problems[""]
    assert problem.startswith("zip entry 'a1_tokenizer/tokenizer.py' cannot be read (") and problem.endswith("; skipped")
    assert "declares" not in problem
    assert tree_files(unpacked.tree) == {}
    assert unpacked.assignments == ()


def test_entry_count_bomb_is_refused_before_writing(tmp_path: Path, course: Course) -> None:
    """Is a zip listing more entries than the limit refused without writing a file?"""
    archive = make_zip(tmp_path / "mallory.zip", {f"a1_tokenizer/f{index}.txt": "" for index in range(30)})
    unpacked = unpack_into(tmp_path, only(discover([archive], course=course)), course, max_files=10)
    assert unpacked.problems[""] == ("mallory.zip lists 30 entries, more than the 10 a submission may hold; nothing was unpacked",)
    assert snapshot(unpacked.tree) == set()


def test_zip_that_is_no_zip_is_a_problem_and_no_tree(tmp_path: Path, course: Course) -> None:
    """Is a .zip that is not a zip reported, leaving the destination empty?"""
    fake = tmp_path / "alice.zip"
    fake.write_bytes(b"this is a PDF, really\n" * 10)
    submission = only(discover([fake], course=course))
    assert submission.submitted_at == {}
    unpacked = unpack_into(tmp_path, submission, course)
    (problem,) = unpacked.problems[""]
    assert problem.startswith("alice.zip is not a zip file (") and problem.endswith("nothing was unpacked")
    assert unpacked.assignments == () and snapshot(unpacked.tree) == set()


def test_zip_names_are_read_as_utf8_when_flagged_and_as_cp437_otherwise(tmp_path: Path, course: Course) -> None:
    """Is an entry name flagged UTF-8 read as UTF-8, and an unflagged one as cp437?"""
    archive = make_zip(tmp_path / "alice.zip", {"a1_tokenizer/données.txt": "1", "a1_tokenizer/cafX.txt": "2"})
    data = archive.read_bytes()
    assert data.count(b"cafX") == 2  # the local header and the central directory
    archive.write_bytes(data.replace(b"cafX", b"caf\x82"))
    unpacked = unpack_into(tmp_path, only(discover([archive], course=course)), course)
    assert tree_files(unpacked.tree) == {"a1_tokenizer/données.txt": b"1", "a1_tokenizer/café.txt": b"2"}


def test_backslashes_in_zip_names_are_folder_separators(tmp_path: Path, course: Course) -> None:
    """Is a Windows-style name 'alice\\a1_tokenizer\\tokenizer.py' unpacked into folders?"""
    archive = make_zip(tmp_path / "alice.zip", {"alice\\a1_tokenizer\\tokenizer.py": TOKENIZER})
    unpacked = unpack_into(tmp_path, only(discover([archive], course=course)), course)
    assert tree_files(unpacked.tree) == {"a1_tokenizer/tokenizer.py": TOKENIZER.encode()}


def test_repeated_zip_entry_keeps_the_first_copy(tmp_path: Path, course: Course) -> None:
    """Does an entry name listed twice keep the first copy and say so?"""
    archive = tmp_path / "alice.zip"
    with pytest.warns(UserWarning, match="Duplicate name"):
        with zipfile.ZipFile(archive, "w") as writer:
            writer.writestr("a1_tokenizer/tokenizer.py", TOKENIZER)
            writer.writestr("a1_tokenizer/tokenizer.py", "pwned = True\n")
    unpacked = unpack_into(tmp_path, only(discover([archive], course=course)), course)
    assert tree_files(unpacked.tree) == {"a1_tokenizer/tokenizer.py": TOKENIZER.encode()}
    assert unpacked.problems[""] == ("zip entry 'a1_tokenizer/tokenizer.py' appears twice; the first copy is kept; skipped",)


def test_bzip2_and_encrypted_entries_are_refused(tmp_path: Path, course: Course) -> None:
    """Are entries compressed with a method read without a memory bound, or encrypted, refused?"""
    archive = make_zip(tmp_path / "alice.zip", {"a1_tokenizer/tokenizer.py": TOKENIZER})
    add_entry(archive, "a1_tokenizer/big.txt", "b" * 100, mode=stat.S_IFREG | 0o644, compression=zipfile.ZIP_BZIP2)
    add_entry(archive, "a1_tokenizer/secret.txt", "s", mode=stat.S_IFREG | 0o644)
    patch_central_directory(archive, 8, "<H", 0x1)
    unpacked = unpack_into(tmp_path, only(discover([archive], course=course)), course)
    assert unpacked.problems[""] == (
        f"zip entry 'a1_tokenizer/big.txt' is compressed with method {zipfile.ZIP_BZIP2}; only stored and deflate entries are unpacked",
        "zip entry 'a1_tokenizer/secret.txt' is encrypted; hand in a zip without a password",
    )
    assert sorted(tree_files(unpacked.tree)) == ["a1_tokenizer/tokenizer.py"]


def test_zip_without_assignment_folders_at_its_top_says_so(tmp_path: Path, course: Course) -> None:
    """Does a zip with its assignments nested too deep report that no assignment folder was found?"""
    archive = make_zip(tmp_path / "alice.zip", {"minigpt/assignments/a1_tokenizer/tokenizer.py": TOKENIZER})
    unpacked = unpack_into(tmp_path, only(discover([archive], course=course)), course)
    assert unpacked.assignments == ()
    assert "alice.zip holds no assignment folder at its top level; expected some of a1_tokenizer/, " in whole(unpacked)


# --- unpack: folders -----------------------------------------------------------------------------


def test_link_to_solutions_in_a_folder_is_not_followed(tmp_path: Path, course: Course) -> None:
    """Is a symbolic link to the reference solutions (a file or a whole folder) reported and never copied?"""
    secret = write_files(tmp_path / "solutions", {"a3_attention/attention.py": "SECRET = 1\n", "a1_tokenizer/tokenizer.py": "SECRET = 1\n"})
    alice = write_files(tmp_path / "subs" / "alice", {"a3_attention/notes.md": "mine\n", "a2_embeddings/embeddings.py": EMBEDDINGS})
    target = secret / "a3_attention" / "attention.py"
    (alice / "a3_attention" / "attention.py").symlink_to(target)
    (alice / "a1_tokenizer").symlink_to(secret / "a1_tokenizer", target_is_directory=True)
    unpacked = unpack_into(tmp_path, only(discover([alice], course=course)), course)
    assert unpacked.problems[""] == (
        f"a1_tokenizer is a symbolic link (to {secret / 'a1_tokenizer'}); links are not graded",
        f"a3_attention/attention.py is a symbolic link (to {target}); links are not graded",
    )
    assert unpacked.problems["a3_attention"] == ("a3_attention/ has no attention.py (it holds notes.md)",)
    assert unpacked.assignments == ("a2_embeddings",)
    assert b"SECRET" not in b"".join(tree_files(unpacked.tree).values())
    assert not any((unpacked.tree / path).is_symlink() for path in snapshot(unpacked.tree))


def test_folder_copy_skips_caches_and_hidden_files_and_reports_foreign_assignments(tmp_path: Path, course: Course) -> None:
    """Are caches, checkpoints, hidden files and folders beside the assignments left out, and a9_extra reported?"""
    alice = write_files(tmp_path / "alice", {
        "a1_tokenizer/tokenizer.py": TOKENIZER,
        "a1_tokenizer/__pycache__/tokenizer.cpython-311.pyc": b"\0",
        "a1_tokenizer/.ipynb_checkpoints/a1-checkpoint.ipynb": "{}",
        "a1_tokenizer/.env": "TOKEN=1",
        "a9_extra/extra.py": "x = 1\n",
        "notes/plan.md": "later",
        "timestamp.txt": "2027-01-21 08:00:00 UTC",
    })
    unpacked = unpack_into(tmp_path, only(discover([alice], course=course)), course)
    assert tree_files(unpacked.tree) == {"a1_tokenizer/tokenizer.py": TOKENIZER.encode()}
    expected = ", ".join(assignment.id for assignment in course.assignments)
    assert unpacked.problems == {"": (f"a9_extra is no assignment of this course; expected one of {expected}",)}


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no fifos on this system")
def test_fifo_in_a_folder_is_not_read(tmp_path: Path, course: Course) -> None:
    """Is a fifo in a submission folder reported instead of blocking the grader?"""
    alice = write_files(tmp_path / "alice", {"a1_tokenizer/tokenizer.py": TOKENIZER})
    os.mkfifo(alice / "a1_tokenizer" / "pipe")
    unpacked = unpack_into(tmp_path, only(discover([alice], course=course)), course)
    assert unpacked.problems[""] == ("a1_tokenizer/pipe is a fifo; only regular files are graded",)
    assert unpacked.assignments == ("a1_tokenizer",)


@pytest.mark.parametrize(
    "limits, expected, kept",
    [
        ({"max_total_bytes": 1000}, "a1_tokenizer/c.txt: the files add up to more than 1000 bytes, the most a submission may hold", 2),
        ({"max_file_bytes": 300}, "a1_tokenizer/a.txt holds more than 300 bytes, the most one file may hold", 0),
        ({"max_files": 3}, "a1_tokenizer/c.txt: the submission holds more than 3 files and folders", 2),
    ],
)
def test_real_bytes_and_files_are_counted_while_copying(tmp_path: Path, course: Course, limits: dict, expected: str, kept: int) -> None:
    """Does copying stop at the first file past a limit, counting real bytes, and leave no part of that file?"""
    alice = write_files(tmp_path / "alice", {f"a1_tokenizer/{name}.txt": name * 400 for name in "abcd"})
    unpacked = unpack_into(tmp_path, only(discover([alice], course=course)), course, **limits)
    assert unpacked.problems[""] == (f"{expected}; unpacking stopped there",)
    files = tree_files(unpacked.tree)
    assert sorted(files) == [f"a1_tokenizer/{name}.txt" for name in "abcd"[:kept]]
    assert all(len(data) == 400 for data in files.values())


# --- unpack: what arrived ------------------------------------------------------------------------


def test_python_file_that_is_not_utf8_is_reported_and_kept(tmp_path: Path, course: Course) -> None:
    """Is a .py file with a byte that is not UTF-8 reported with the byte and its offset, and still copied?"""
    source = b"x = 1\n" * 20 + b"\xff\n"
    archive = make_zip(tmp_path / "alice.zip", {"a3_attention/attention.py": source})
    unpacked = unpack_into(tmp_path, only(discover([archive], course=course)), course)
    assert unpacked.problems == {"a3_attention": ("a3_attention/attention.py is not UTF-8 (byte 0xff at offset 120)",)}
    assert (unpacked.tree / "a3_attention" / "attention.py").read_bytes() == source
    assert unpacked.assignments == ("a3_attention",)


def test_folder_holding_another_assignments_module_is_the_wrong_assignment(tmp_path: Path, course: Course) -> None:
    """Is a3_attention/ holding tokenizer.py (and no attention.py) reported as handed in for the wrong assignment?"""
    alice = write_files(tmp_path / "alice", {"a3_attention/tokenizer.py": TOKENIZER, "a1_tokenizer/tokenizer.py": TOKENIZER})
    unpacked = unpack_into(tmp_path, only(discover([alice], course=course)), course)
    assert unpacked.problems == {
        "a3_attention": ("a3_attention/ holds tokenizer.py, the file of a1_tokenizer: submitted for the wrong assignment?",)
    }
    assert unpacked.assignments == ("a1_tokenizer",)


def test_nbgrader_parts_become_assignment_folders(tmp_path: Path, course: Course) -> None:
    """Does each nbgrader assignment folder become destination/<assignment>/, without nbgrader's timestamp.txt?"""
    write_files(tmp_path / "submitted", {
        "alice/a3_attention/attention.py": ATTENTION,
        "alice/a3_attention/a3_attention.ipynb": "{}",
        "alice/a3_attention/timestamp.txt": "2027-02-05 20:00:00.000000 UTC",
        "alice/ps1/answers.py": "x = 1\n",
    })
    alice = only(discover([tmp_path / "submitted"], course=course))
    unpacked = unpack_into(tmp_path, alice, course)
    assert sorted(tree_files(unpacked.tree)) == ["a3_attention/a3_attention.ipynb", "a3_attention/attention.py"]
    assert unpacked.assignments == ("a3_attention",)
    assert unpacked.problems[""] == (f"ps1 is no assignment of this course; expected one of {', '.join(a.id for a in course.assignments)}",)


def test_missing_submission_unpacks_to_an_empty_tree(tmp_path: Path, course: Course) -> None:
    """Does a roster student without a submission unpack to an empty tree with no assignment?"""
    missing = Submission(student="carol", source=tmp_path / "roster.csv", kind="missing", parts=())
    unpacked = unpack_into(tmp_path, missing, course)
    assert (unpacked.assignments, unpacked.problems, snapshot(unpacked.tree)) == ((), {}, set())


def test_destination_must_be_new_or_empty(tmp_path: Path, course: Course) -> None:
    """Does unpack refuse a destination that holds something, or is a link?"""
    alice = write_files(tmp_path / "alice", {"a1_tokenizer/tokenizer.py": TOKENIZER})
    submission = only(discover([alice], course=course))
    full = write_files(tmp_path / "full", {"keep.txt": "mine"})
    with pytest.raises(SubmissionError, match="is not empty"):
        unpack(submission, full, course=course)
    (tmp_path / "empty").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "empty", target_is_directory=True)
    with pytest.raises(SubmissionError, match="is a symbolic link"):
        unpack(submission, tmp_path / "link", course=course)
    assert (full / "keep.txt").read_text(encoding="utf-8") == "mine" and snapshot(tmp_path / "empty") == set()


def test_fingerprint_follows_the_bytes_and_the_submission_times(tmp_path: Path, course: Course) -> None:
    """Is the fingerprint equal for equal submissions and different when a byte or a submission time changes?"""
    alice = write_files(tmp_path / "alice", {"a1_tokenizer/tokenizer.py": TOKENIZER})
    submission = only(discover([alice], course=course))
    first = unpack(submission, tmp_path / "1", course=course).fingerprint
    again = unpack(submission, tmp_path / "2", course=course).fingerprint
    later = unpack(
        Submission(submission.student, submission.source, submission.kind, submission.parts, {"a1_tokenizer": "2027-01-23T00:00:00+00:00"}),
        tmp_path / "3",
        course=course,
    ).fingerprint
    (alice / "a1_tokenizer" / "tokenizer.py").write_text(TOKENIZER + "\n", encoding="utf-8")
    edited = unpack(submission, tmp_path / "4", course=course).fingerprint
    assert first == again and len({first, later, edited}) == 3 and len(first) == 64


@pytest.mark.parametrize("name", ["max_files", "max_total_bytes", "max_file_bytes", "max_compression_ratio"])
def test_unpack_limits_must_be_positive(name: str) -> None:
    """Is a limit of 0 refused, naming it?"""
    with pytest.raises(ValueError, match=f"UnpackLimits.{name} must be > 0, got 0"):
        UnpackLimits(**{name: 0})
