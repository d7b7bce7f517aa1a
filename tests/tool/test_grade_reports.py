"""Do the grading reports (grader.grading.reports) say exactly what the results hold, safely?

The results are built by hand for a small course of three assignments, one
student per kind of outcome: alice passes everything, bob is partly right
and two days late, carol's code cannot be imported, dave submitted nothing,
erin has a task not started and a written answer to be graded by hand.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import json
from datetime import datetime
from html.parser import HTMLParser
from pathlib import Path

import pytest
from markdown_it import MarkdownIt
from rich.console import Console

from grader.course import Assignment, Course, DataConfig, GradingPolicy, Task
from grader.errors import CourseError
from grader.grading.reports import (
    ReportError,
    feedback_html,
    feedback_markdown,
    grades_csv,
    gradescope_results,
    summary_table,
    write_reports,
)
# Imported under another name: pytest would try to collect a class named Test* as a test class.
from grader.grading.results import AssignmentOutcome, SubmissionResult, TaskOutcome
from grader.grading.results import TestOutcome as Outcome

A1_DUE = "2027-01-22T23:59:00+00:00"
A2_DUE = "2027-01-29T23:59:00+00:00"

COURSE = Course(
    id="minigpt",
    title="MiniGPT: build a GPT from scratch",
    timezone="UTC",
    grading=GradingPolicy(test_timeout_seconds=20, memory_limit_mb=4096, late_penalty_percent_per_day=10, late_days_max=5),
    data=DataConfig(default="shakespeare", datasets=("shakespeare",)),
    assignments=(
        Assignment(
            id="a1_tokenizer",
            title="Tokenizers",
            due=datetime.fromisoformat(A1_DUE),
            tasks=(Task("1.1", "CharTokenizer", 2), Task("1.2", "merge_pair", 2), Task("1.3", "written_answers", 3, manual=True)),
            module="tokenizer",
        ),
        Assignment(
            id="a2_embeddings",
            title="Token embeddings and positional encodings",
            due=datetime.fromisoformat(A2_DUE),
            tasks=(Task("2.1", "TokenEmbedding", 2), Task("2.2", "sinusoidal_positional_encoding", 4)),
            module="embeddings",
        ),
        Assignment(
            id="a3_attention",
            title="Attention",
            due=datetime.fromisoformat("2027-02-05T23:59:00+00:00"),
            tasks=(Task("3.1", "causal_mask", 1),),
            module="attention",
        ),
    ),
)

# A failure message that tries to inject HTML and to break out of a Markdown code block.
HOSTILE_MESSAGE = (
    "encoding[0, 1] is wrong: got <script>alert('owned')</script>\n"
    "```\n"
    "# Injected heading\n"
    "````\n"
    "Hint: sin goes in the even columns"
)
MULTILINE_MESSAGE = "encoding has shape (8, 7)\nexpected (8, 8)\nHint: use d_model columns"
IMPORT_ERROR = "a1_tokenizer/tokenizer.py cannot be imported: SyntaxError: invalid syntax (tokenizer.py, line 3)"


def outcomes_of(task_id: str, suite: str, passed: int, failed: int = 0, message: str = "") -> tuple[Outcome, ...]:
    """``passed`` passing then ``failed`` failing tests of one suite, named after the task."""
    name = f"test_task{task_id.replace('.', '_')}_{suite}"
    return tuple(Outcome(f"{name}[{index}]", suite, "passed", seconds=0.01) for index in range(passed)) + tuple(
        Outcome(f"{name}[{passed + index}]", suite, "failed", message, 0.02) for index in range(failed)
    )


def task(task_id: str, *tests: Outcome, status: str = "", message: str = "", hint: str = "") -> TaskOutcome:
    """A task of COURSE with its points computed as grading computes them: ``max_points * passed / total``."""
    course_task = COURSE.task(task_id)
    counted = [test for test in tests if test.outcome != "skipped"]
    passed = sum(test.outcome == "passed" for test in counted)
    points = 0.0 if course_task.manual or not counted else course_task.points * passed / len(counted)
    if not status:
        status = "manual" if course_task.manual else ("passed" if counted and passed == len(counted) else "failed")
    return TaskOutcome(
        id=task_id,
        name=course_task.name,
        status=status,
        points=points,
        max_points=float(course_task.points),
        passed=passed,
        total=len(counted),
        manual=course_task.manual,
        message=message,
        hint=hint,
        tests=tests,
    )


def assignment(
    assignment_id: str, *tasks: TaskOutcome, submitted_at: str | None = None, late_factor: float = 1.0, submitted: bool = True, problems=()
) -> AssignmentOutcome:
    raw = sum(item.points for item in tasks)
    return AssignmentOutcome(
        id=assignment_id,
        submitted=submitted,
        submitted_at=submitted_at,
        due=A1_DUE if assignment_id == "a1_tokenizer" else A2_DUE,
        late_factor=late_factor,
        raw_points=raw,
        points=round(raw * late_factor, 2),
        max_points=float(sum(item.max_points for item in tasks if not item.manual)),
        seconds=1.0,
        problems=tuple(problems),
        tasks=tasks,
    )


def submission(student: str, *assignments: AssignmentOutcome, problems=(), seconds: float = 4.6) -> SubmissionResult:
    return SubmissionResult(
        student=student,
        source=f"submissions/{student}",
        fingerprint="sha256:" + "0" * 64,
        tool_version="0.1.0",
        course_id="minigpt",
        course_version="sha256:" + "1" * 64,
        isolation="sandbox",
        isolation_notes=("no network", "no view of solutions/"),
        seconds=seconds,
        problems=tuple(problems),
        assignments=assignments,
    )


ALICE = submission(
    "alice",
    assignment(
        "a2_embeddings",
        task("2.1", *outcomes_of("2.1", "public", 2), *outcomes_of("2.1", "hidden", 2)),
        task("2.2", *outcomes_of("2.2", "public", 3), *outcomes_of("2.2", "hidden", 3)),
        submitted_at="2027-01-29T20:00:00+00:00",
    ),
)
BOB = submission(
    "bob",
    assignment(
        "a2_embeddings",
        task("2.1", *outcomes_of("2.1", "public", 1), *outcomes_of("2.1", "hidden", 1)),
        task(
            "2.2",
            *outcomes_of("2.2", "public", 1, 1, HOSTILE_MESSAGE),
            *outcomes_of("2.2", "hidden", 1, 1, MULTILINE_MESSAGE),
            message="encoding[0, 1] is wrong",
            hint="sin goes in the even columns <b>",
        ),
        submitted_at="2027-01-31T10:00:00+00:00",  # 1 day 10 hours late: 2 started days
        late_factor=0.8,
    ),
)
CAROL = submission(
    "carol",
    assignment(
        "a1_tokenizer",
        task("1.1", status="error", message=IMPORT_ERROR),
        task("1.2", *outcomes_of("1.2", "public", 0, 2, IMPORT_ERROR), status="error", message=IMPORT_ERROR),
        task("1.3"),
        problems=["a1_tokenizer/tokenizer.py:3: SyntaxError: invalid syntax"],
    ),
    problems=["ignored a2_embeddings/notes.txt: not part of any assignment"],
)
DAVE = submission(
    "dave",
    assignment(
        "a1_tokenizer", task("1.1", status="missing"), task("1.2", status="missing"), task("1.3", status="missing"), submitted=False
    ),
    assignment("a2_embeddings", task("2.1", status="missing"), task("2.2", status="missing"), submitted=False),
)
ERIN = submission(
    "erin",
    assignment(
        "a1_tokenizer",
        task("1.1", *outcomes_of("1.1", "public", 2), Outcome("test_gpu_round_trip", "hidden", "skipped")),
        task(
            "1.2",
            *outcomes_of("1.2", "public", 0, 2, "Task 1.2: merge_pair"),
            Outcome("test_merge_keeps_<unk>[`a`]", "public", "failed", "Task 1.2: merge_pair"),
            status="not started",
            message="not started yet",
        ),
        task("1.3"),
        submitted_at="2027-01-21T09:00:00+00:00",
    ),
)
RESULTS = (ERIN, CAROL, ALICE, DAVE, BOB)  # not sorted: the reports sort by student


def markdown_of(result: SubmissionResult) -> str:
    return feedback_markdown(result, course=COURSE)


def html_of(result: SubmissionResult) -> str:
    return feedback_html(result, course=COURSE)


def entries(result: SubmissionResult) -> dict[str, dict]:
    return {entry["name"]: entry for entry in gradescope_results(result, course=COURSE)["tests"]}


def files_under(folder: Path) -> dict[str, bytes]:
    return {path.relative_to(folder).as_posix(): path.read_bytes() for path in sorted(folder.rglob("*")) if path.is_file()}


class PreTexts(HTMLParser):
    """The text of every <pre> element of a page, unescaped."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.texts: list[str] = []
        self.inside = False

    def handle_starttag(self, tag, attrs) -> None:
        if tag == "pre":
            self.inside = True
            self.texts.append("")

    def handle_endtag(self, tag) -> None:
        if tag == "pre":
            self.inside = False

    def handle_data(self, data) -> None:
        if self.inside:
            self.texts[-1] += data


# --- grades.csv ----------------------------------------------------------------------------------


def test_grades_csv_has_one_exact_row_per_student():
    """Is grades.csv sorted by student, in course order, empty for ungraded and 0 for unsubmitted assignments?"""
    assert grades_csv(RESULTS, course=COURSE) == (
        "student,a1_tokenizer,a2_embeddings,a3_attention,total,max_points\r\n"
        "alice,,6,,6,6\r\n"
        "bob,,3.2,,3.2,6\r\n"
        "carol,0,,,0,4\r\n"
        "dave,0,0,,0,10\r\n"
        "erin,2,,,2,4\r\n"
    )


def test_grades_csv_keeps_two_decimals_without_noise():
    """Are points shown as stored, at most 2 decimals, with no trailing zeros or float noise?"""
    noisy = assignment("a3_attention", task("3.1", *outcomes_of("3.1", "public", 1, 2)))  # 1/3 point
    late = AssignmentOutcome("a2_embeddings", True, None, A2_DUE, 0.7, 6.0, 4.2, 6.0)
    text = grades_csv([submission("frank", late, noisy)], course=COURSE)
    assert text.splitlines()[1] == "frank,,4.2,0.33,4.53,7"


def test_csv_cells_a_spreadsheet_would_run_are_quoted():
    """Does a student id starting with = + - or @ come out with a leading single quote, and others unchanged?"""
    results = [submission(student) for student in ("=HYPERLINK(\"http://x\")", "+1", "-2", "@SUM(A1)", "plain-id")]
    rows = list(csv.reader(io.StringIO(grades_csv(results, course=COURSE), newline="")))[1:]
    assert [row[0] for row in rows] == ["'+1", "'-2", "'=HYPERLINK(\"http://x\")", "'@SUM(A1)", "plain-id"]


def test_write_reports_quotes_a_student_id_starting_with_a_dash(tmp_path):
    """Is an id that is a safe file name but starts with '-' still quoted in grades.csv?"""
    paths = write_reports([submission("-rm")], out=tmp_path, course=COURSE)
    assert paths.grades_csv.read_text(encoding="utf-8").splitlines()[1] == "'-rm,,,,0,0"
    assert (tmp_path / "feedback" / "-rm.md").is_file()


# --- feedback: Markdown -------------------------------------------------------------------------


def test_markdown_shows_points_late_penalty_and_task_rows():
    """Does bob's Markdown give the total, the assignment's points, the late penalty and a row per task?"""
    text = markdown_of(BOB)
    assert text.startswith("# Feedback for bob: 3.2 / 6 points\n")
    assert "## a2_embeddings (Token embeddings and positional encodings): 3.2 / 6 points" in text
    assert "Submitted 2 days late: x 0.8 (4 points before the penalty)." in text
    assert "| 2.1 | TokenEmbedding | passed | 2 / 2 |" in text
    assert "| 2.2 | sinusoidal_positional_encoding | failed | 2 / 4 |" in text
    assert "a1_tokenizer" not in text, "an assignment not graded in this run is not in the feedback"


def test_markdown_details_failed_tasks_with_hint_and_failed_tests():
    """Does a failed task give its message, its hint, and each failed test's name, suite and whole message?"""
    text = markdown_of(BOB)
    assert "### Task 2.2 sinusoidal_positional_encoding: failed\n\n```text\nencoding[0, 1] is wrong\n```" in text
    assert "Hint:\n\n```text\nsin goes in the even columns <b>\n```" in text
    assert "#### `test_task2_2_public[1]` (public test)" in text
    assert "#### `test_task2_2_hidden[1]` (hidden test)\n\n```text\n" + MULTILINE_MESSAGE + "\n```" in text
    assert "### Task 2.1" not in text, "a passed task needs no details"
    assert "test_task2_2_public[0]" not in text, "passed tests are not listed"


def test_markdown_student_text_cannot_break_out_of_its_code_block():
    """Does a message holding ``` and ```` stay one code block, so its '# Injected heading' and <script> are never markup?"""
    text = markdown_of(BOB)
    parser = MarkdownIt("commonmark")
    tokens = parser.parse(text)
    assert HOSTILE_MESSAGE + "\n" in [token.content for token in tokens if token.type == "fence"]
    headings = [tokens[index + 1].content for index, token in enumerate(tokens) if token.type == "heading_open"]
    assert "Injected heading" not in headings
    assert "<script" not in parser.render(text)
    assert "`````text\n" + HOSTILE_MESSAGE + "\n`````" in text, "the fence is one backtick longer than the longest run inside"


def test_markdown_says_manual_tasks_are_graded_by_hand_and_not_started_tasks_why():
    """Does erin's feedback mark the written answer 'graded by hand' and explain the task not started?"""
    text = markdown_of(ERIN)
    assert "| 1.3 | written_answers | graded by hand | - / 3 |" in text
    assert "| 1.2 | merge_pair | not started | 0 / 2 |" in text
    assert "### Task 1.2 merge_pair: not started\n\n```text\nnot started yet\n```" in text
    assert "#### `` test_merge_keeps_<unk>[`a`] `` (public test)" in text, "a code span that the backticks in the name cannot close"
    assert "### Task 1.3" not in text
    assert "late" not in text.lower(), "an assignment handed in on time has no late line"


def test_markdown_shows_problems_of_the_submission_and_the_assignment():
    """Does carol's feedback show both kinds of problem and the import error of each task?"""
    text = markdown_of(CAROL)
    assert "Problems with the submission:\n\n```text\nignored a2_embeddings/notes.txt: not part of any assignment\n```" in text
    assert "Problems:\n\n```text\na1_tokenizer/tokenizer.py:3: SyntaxError: invalid syntax\n```" in text
    assert "### Task 1.1 CharTokenizer: error\n\n```text\n" + IMPORT_ERROR + "\n```" in text
    assert "| 1.1 | CharTokenizer | error | 0 / 2 |" in text


def test_markdown_of_a_missing_submission_lists_its_tasks_without_details():
    """Does dave's feedback say 'not submitted' per assignment and per task, with no failure sections?"""
    text = markdown_of(DAVE)
    assert "## a1_tokenizer (Tokenizers): not submitted (0 / 4 points)" in text
    assert "| 1.1 | CharTokenizer | not submitted | 0 / 2 |" in text
    assert "| 1.3 | written_answers | not submitted | - / 3 |" in text
    assert "###" not in text


# --- feedback: HTML -----------------------------------------------------------------------------


def test_html_escapes_every_student_string():
    """Does a <script> in a message come out as text, never as a tag, on a page without any script?"""
    page = html_of(BOB)
    assert "&lt;script&gt;alert(&#x27;owned&#x27;)&lt;/script&gt;" in page
    assert "<script" not in page.lower()
    assert "sin goes in the even columns &lt;b&gt;" in page
    parser = PreTexts()
    parser.feed(page)
    assert HOSTILE_MESSAGE in parser.texts and MULTILINE_MESSAGE in parser.texts, "escaping loses nothing"


def test_html_is_one_self_contained_page_with_the_same_content():
    """Is the page standalone (inline CSS, no external resource, scripts forbidden) with the rows and details of the Markdown?"""
    page = html_of(BOB)
    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")
    assert "<style>" in page and "<link" not in page and "src=" not in page
    assert "default-src 'none'" in page
    assert "<h1>Feedback for bob: 3.2 / 6 points</h1>" in page
    assert (
        '<tr><td>2.2</td><td>sinusoidal_positional_encoding</td><td class="failed">failed</td><td class="points">2 / 4</td></tr>'
        in page
    )
    assert "<p>Submitted 2 days late: x 0.8 (4 points before the penalty).</p>" in page
    assert "<h4><code>test_task2_2_hidden[1]</code> (hidden test)</h4>" in page
    erin = html_of(ERIN)
    assert "<h4><code>test_merge_keeps_&lt;unk&gt;[`a`]</code> (public test)</h4>" in erin and "<unk>" not in erin
    manual_row = '<td>1.3</td><td>written_answers</td><td class="manual">graded by hand</td><td class="points">- / 3</td>'
    assert manual_row in erin


# --- Gradescope ---------------------------------------------------------------------------------


ENTRY_KEYS = {"name", "number", "score", "max_score", "output", "visibility", "status"}


@pytest.mark.parametrize("result", RESULTS, ids=lambda result: result.student)
def test_gradescope_results_follow_the_schema(result):
    """Are the top-level keys and every entry's keys, types and visibilities those Gradescope documents?"""
    data = gradescope_results(result, course=COURSE)
    json.dumps(data)  # plain JSON types only
    top_level = {"score", "execution_time", "output", "output_format", "test_output_format", "visibility", "stdout_visibility", "tests"}
    assert set(data) == top_level
    assert data["output_format"] == data["test_output_format"] == "text", "student text is never rendered as markup"
    assert isinstance(data["score"], float) and isinstance(data["execution_time"], int) and data["execution_time"] == 5
    assert (data["visibility"], data["stdout_visibility"]) == ("visible", "hidden")
    assert "Isolation: sandbox (no network; no view of solutions/)." in data["output"]
    assert data["tests"], "every graded task has an entry"
    for entry in data["tests"]:
        assert {"name", "number", "score", "max_score", "output", "visibility"} <= set(entry) <= ENTRY_KEYS
        assert isinstance(entry["number"], str) and entry["name"].startswith(entry["number"] + " ")
        assert isinstance(entry["score"], float) and isinstance(entry["max_score"], float)
        assert 0 <= entry["score"] <= entry["max_score"]
        assert entry.get("status", "passed") in ("passed", "failed")
        hidden = entry["name"].endswith("(hidden tests)")
        assert entry["visibility"] == ("after_published" if hidden else "visible")


@pytest.mark.parametrize("result", RESULTS, ids=lambda result: result.student)
def test_gradescope_scores_add_up(result):
    """Do the entries sum to the result's total, and each task's entries to the task's points?"""
    data = gradescope_results(result, course=COURSE)
    assert data["score"] == result.points
    assert abs(sum(entry["score"] for entry in data["tests"]) - result.points) <= 1e-6
    for outcome in result.assignments:
        for item in outcome.tasks:
            mine = [entry for entry in data["tests"] if entry["number"] == item.id]
            assert abs(sum(entry["max_score"] for entry in mine) - item.max_points) <= 1e-6
            assert abs(sum(entry["score"] for entry in mine) - item.points * outcome.late_factor) <= 1e-6


def test_gradescope_splits_a_task_by_suite_and_applies_the_late_penalty():
    """Does bob's task 2.2 (4 points, 1/2 public and 1/2 hidden passed, 2 days late) become two entries of 0.8 of 2?"""
    by_name = entries(BOB)
    assert list(by_name) == [
        "2.1 TokenEmbedding (public tests)",
        "2.1 TokenEmbedding (hidden tests)",
        "2.2 sinusoidal_positional_encoding (public tests)",
        "2.2 sinusoidal_positional_encoding (hidden tests)",
    ]
    public = by_name["2.2 sinusoidal_positional_encoding (public tests)"]
    hidden = by_name["2.2 sinusoidal_positional_encoding (hidden tests)"]
    assert (public["number"], public["score"], public["max_score"], public["status"]) == ("2.2", 0.8, 2.0, "failed")
    assert (hidden["score"], hidden["max_score"], hidden["visibility"]) == (0.8, 2.0, "after_published")
    assert public["output"] == f"test_task2_2_public[1]:\n{HOSTILE_MESSAGE}\n\nLate penalty: submitted 2 days late: x 0.8."
    assert MULTILINE_MESSAGE in hidden["output"]
    passed = by_name["2.1 TokenEmbedding (public tests)"]
    assert (passed["score"], passed["max_score"], passed["status"]) == (0.8, 1.0, "passed")
    assert "a2_embeddings: 3.2 / 6, submitted 2 days late: x 0.8." in gradescope_results(BOB, course=COURSE)["output"]


def test_gradescope_gives_tasks_without_tests_one_entry():
    """Do a written answer, an unsubmitted task and a task whose module failed to import each give one 0-point entry?"""
    manual = entries(ERIN)["1.3 written_answers"]
    assert manual == {
        "name": "1.3 written_answers",
        "number": "1.3",
        "score": 0.0,
        "max_score": 3.0,
        "output": "graded by hand",
        "visibility": "visible",
    }, "a written answer is neither passed nor failed: no status"
    missing = entries(DAVE)["2.2 sinusoidal_positional_encoding"]
    assert (missing["output"], missing["max_score"], missing["status"]) == ("not submitted", 4.0, "failed")
    assert missing["visibility"] == "visible"
    broken = entries(CAROL)["1.1 CharTokenizer"]
    assert (broken["output"], broken["score"], broken["status"]) == (IMPORT_ERROR, 0.0, "failed")
    assert "1.1 CharTokenizer (hidden tests)" not in entries(ERIN), "a suite whose tests were all skipped has no entry"
    assert "Problems with the submission: ignored a2_embeddings/notes.txt" in gradescope_results(CAROL, course=COURSE)["output"]


# --- the summary table --------------------------------------------------------------------------


def rendered(table, *, styles: bool = False) -> list[str]:
    """The table as printed on a 200-column colour terminal: plain text, or with the ANSI colour codes."""
    console = Console(record=True, width=200, file=io.StringIO(), force_terminal=True, color_system="standard")
    console.print(table)
    return console.export_text(styles=styles).splitlines()


def row_cells(lines: list[str], student: str) -> list[str]:
    [line] = [line for line in lines if f" {student} " in line]
    return [cell.strip() for cell in line.split("│")[1:-1]]


def test_summary_table_has_a_row_per_student_and_a_column_per_assignment():
    """Does the table show points per assignment, '-' when not graded, the total and the maximum of each assignment?"""
    lines = rendered(summary_table(RESULTS, course=COURSE))
    plain = "\n".join(lines)
    assert "Grades of 5 students" in plain
    assert "a1_tokenizer" in plain and "/ 4" in plain and "/ 6" in plain and "/ 1" in plain
    assert row_cells(lines, "bob") == ["bob", "-", "3.2", "-", "3.2 / 6"]
    assert row_cells(lines, "dave") == ["dave", "0", "0", "-", "0 / 10"]
    students = [student for line in lines for student in ("alice", "bob", "carol", "dave", "erin") if f" {student} " in line]
    assert students == ["alice", "bob", "carol", "dave", "erin"]


def test_summary_table_marks_only_submissions_with_problems_red():
    """Is carol's row (problems) red, and alice's row free of colour?"""
    lines = rendered(summary_table(RESULTS, course=COURSE), styles=True)
    [carol] = [line for line in lines if "carol" in line]
    [alice] = [line for line in lines if "alice" in line]
    assert "\x1b[31mcarol" in carol
    assert "\x1b[31m" not in alice


def test_summary_table_of_no_results_renders():
    """Does an empty run still render the header, with a caption saying there are no results?"""
    plain = "\n".join(rendered(summary_table([], course=COURSE)))
    assert "Grades of 0 students" in plain and "a3_attention" in plain and "no results" in plain


# --- write_reports ------------------------------------------------------------------------------


def test_write_reports_writes_every_file_and_the_same_bytes_twice(tmp_path):
    """Does write_reports write the sheet and each student's three files, and byte-identical files on a rerun?"""
    paths = write_reports(RESULTS, out=tmp_path, course=COURSE)
    first = files_under(tmp_path)
    students = ["alice", "bob", "carol", "dave", "erin"]
    expected = ["grades.csv"] + [f"feedback/{s}.{ext}" for s in students for ext in ("md", "html")]
    assert sorted(first) == sorted(expected + [f"gradescope/{s}/results.json" for s in students])
    assert paths.grades_csv == tmp_path / "grades.csv"
    assert paths.feedback["bob"] == (tmp_path / "feedback" / "bob.md", tmp_path / "feedback" / "bob.html")
    assert list(paths.gradescope) == students
    assert first["grades.csv"] == grades_csv(RESULTS, course=COURSE).encode("utf-8")
    assert first["feedback/bob.md"] == markdown_of(BOB).encode("utf-8")
    assert json.loads(first["gradescope/bob/results.json"]) == gradescope_results(BOB, course=COURSE)

    write_reports(list(reversed(RESULTS)), out=tmp_path, course=COURSE)
    assert files_under(tmp_path) == first


@pytest.mark.parametrize("student", ["../evil", "a/b", "", "..", "al ice", "=cmd", "carol\n"])
def test_write_reports_refuses_an_unsafe_student_id_before_writing(tmp_path, student):
    """Is a student id that is not a safe file name refused by name, with nothing written at all?"""
    with pytest.raises(ValueError, match="not a safe file name") as caught:
        write_reports([ALICE, submission(student)], out=tmp_path / "out", course=COURSE)
    assert repr(student) in str(caught.value)
    assert isinstance(caught.value, CourseError), "the CLI prints it as one line"
    assert not (tmp_path / "out").exists()


def test_write_reports_refuses_results_that_do_not_fit_the_course(tmp_path):
    """Are a student graded twice, ids equal but for case, another course's results and an unknown assignment refused by name?"""
    with pytest.raises(ReportError, match="'alice' has two results"):
        write_reports([ALICE, BOB, ALICE], out=tmp_path, course=COURSE)
    with pytest.raises(ReportError, match="'alice' and 'Alice' differ only in case"):
        write_reports([ALICE, dataclasses.replace(ALICE, student="Alice")], out=tmp_path, course=COURSE)
    other = dataclasses.replace(ALICE, course_id="othercourse")
    with pytest.raises(ReportError, match="'othercourse', not 'minigpt'"):
        write_reports([other], out=tmp_path, course=COURSE)
    unknown = submission("gina", AssignmentOutcome("a9_extra", True, None, A2_DUE, 1.0, 0.0, 0.0, 1.0))
    with pytest.raises(ReportError, match="'a9_extra'"):
        write_reports([unknown], out=tmp_path, course=COURSE)
    assert list(tmp_path.iterdir()) == []
