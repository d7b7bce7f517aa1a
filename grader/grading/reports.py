"""Reports made from grading results: the grade sheet, per-student feedback, Gradescope's results.json.

Every report is made from ``SubmissionResult`` records alone
(grader/grading/results.py), with course.toml only for the order and the
titles of the assignments, so the reports can be rebuilt at any time from
``<out>/results/``. The same results always give the same bytes: rows are
sorted, and nothing holds a timestamp. ``write_reports`` writes, each file
atomically (grader/atomic.py)::

    <out>/grades.csv                          one row per student, one column per assignment
    <out>/feedback/<student>.md and .html     what each student reads
    <out>/gradescope/<student>/results.json   Gradescope's autograder format

Text a student controls (failure messages quote the student's values,
problems name the student's files) never becomes markup: the HTML escapes
it, the Markdown keeps it in fenced code blocks longer than any run of
backticks inside, and the CSV prefixes a cell that a spreadsheet would run
as a formula with a single quote. Feedback shows test names and messages,
never test code.

Example::

    results = [load_result(path) for path in sorted(Path("out/results").glob("*.json"))]
    paths = write_reports(results, out=Path("out"), course=load_course())
    console.print(summary_table(results, course=load_course()))
"""

from __future__ import annotations

import csv
import html
import io
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from rich.table import Table
from rich.text import Text

from ..atomic import atomic_write_json, atomic_write_text
from ..course import Assignment, Course
from ..errors import CourseError
from .results import AssignmentOutcome, SubmissionResult, TaskOutcome, TestOutcome

_STUDENT_ID = re.compile(r"(?!\.+\Z)[A-Za-z0-9._-]+")
# OWASP's list of the first characters that make a spreadsheet read a cell as a formula.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_STATUS_LABELS = {"missing": "not submitted", "manual": "graded by hand"}
# Statuses whose feedback is the table row alone: nothing failed that the student could fix by reading more.
_NO_DETAILS = ("passed", "manual", "missing")
_HTML_STATUS_CLASSES = {"passed": "passed", "failed": "failed", "error": "failed", "not started": "todo", "missing": "todo"}


class ReportError(CourseError, ValueError):
    """Results that cannot be turned into reports: an unsafe student id, a student twice, another course's results."""


@dataclass(frozen=True)
class ReportPaths:
    """Where ``write_reports`` put each report."""

    grades_csv: Path
    """``<out>/grades.csv``: one row per student."""
    feedback: dict[str, tuple[Path, Path]]
    """Student -> (``<out>/feedback/<student>.md``, ``<out>/feedback/<student>.html``)."""
    gradescope: dict[str, Path]
    """Student -> ``<out>/gradescope/<student>/results.json``."""


def write_reports(results: Sequence[SubmissionResult], *, out: Path, course: Course) -> ReportPaths:
    """Write the grade sheet, every student's feedback and Gradescope file under ``out``.

    Every result is checked before the first file is written, so a refused
    run writes nothing. Files of students not in ``results`` are left alone.

    Example: results of alice and bob -> ``out/grades.csv``,
    ``out/feedback/alice.md``, ``out/feedback/alice.html``,
    ``out/gradescope/alice/results.json`` and the same three for bob.

    Raises:
        ReportError: a student id that is not a safe file name, a student
            whose results appear twice (or two ids that differ only in case),
            results of another course, or an assignment that course.toml
            does not have.
    """
    out = Path(out)
    # Keyed case-insensitively: "Alice" and "alice" would share files on macOS and Windows.
    seen: dict[str, str] = {}
    for result in results:
        check_student_id(result.student)
        earlier = seen.get(result.student.lower())
        if earlier == result.student:
            raise ReportError(f"student {result.student!r} has two results; grade each student once")
        if earlier is not None:
            raise ReportError(f"students {earlier!r} and {result.student!r} differ only in case; their report files would collide")
        seen[result.student.lower()] = result.student
        if result.course_id != course.id:
            raise ReportError(f"the results of {result.student!r} are for course {result.course_id!r}, not {course.id!r}")
        _graded_assignments(result, course)

    grades = out / "grades.csv"
    atomic_write_text(grades, grades_csv(results, course=course))
    feedback: dict[str, tuple[Path, Path]] = {}
    gradescope: dict[str, Path] = {}
    for result in sorted(results, key=_student):
        markdown_path = out / "feedback" / f"{result.student}.md"
        html_path = out / "feedback" / f"{result.student}.html"
        gradescope_path = out / "gradescope" / result.student / "results.json"
        atomic_write_text(markdown_path, feedback_markdown(result, course=course))
        atomic_write_text(html_path, feedback_html(result, course=course))
        atomic_write_json(gradescope_path, gradescope_results(result, course=course))
        feedback[result.student] = (markdown_path, html_path)
        gradescope[result.student] = gradescope_path
    return ReportPaths(grades_csv=grades, feedback=feedback, gradescope=gradescope)


def check_student_id(student: str) -> str:
    """``student`` itself when it is safe as a file name: letters, digits, ``.``, ``_`` and ``-``, not only dots.

    >>> check_student_id("alice.b-2")
    'alice.b-2'

    Raises:
        ReportError: anything else, e.g. ``"../alice"`` or ``""`` (the message names it).
    """
    if not _STUDENT_ID.fullmatch(student):
        raise ReportError(f"student id {student!r} is not a safe file name (use letters, digits, '.', '_' and '-')")
    return student


# ---------------------------------------------------------------------------
# The grade sheet and the summary table
# ---------------------------------------------------------------------------


def grades_csv(results: Sequence[SubmissionResult], *, course: Course) -> str:
    """The grade sheet as CSV text: what ``write_reports`` writes to ``grades.csv``.

    Columns: ``student``, one per course assignment in course order,
    ``total`` (after late penalties) and ``max_points`` (of the assignments
    graded). One row per student, sorted by student. An assignment not graded
    in this run is an empty cell; one graded but not submitted is ``0``.
    Points are the stored values with at most 2 decimals and no trailing
    zeros. Lines end in ``\\r\\n`` (the csv module's dialect); a student id
    starting with ``= + - @`` is prefixed with ``'``.

    Example (a course of a1 and a2, bob graded on a2 only)::

        student,a1_tokenizer,a2_embeddings,total,max_points
        bob,,3.2,3.2,6

    Raises:
        ReportError: a result holds an assignment that course.toml does not have.
    """
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    writer.writerow(["student", *(assignment.id for assignment in course.assignments), "total", "max_points"])
    for result in sorted(results, key=_student):
        graded = {assignment.id: outcome for assignment, outcome in _graded_assignments(result, course)}
        cells = ["" if assignment.id not in graded else format_points(graded[assignment.id].points) for assignment in course.assignments]
        writer.writerow([spreadsheet_safe(result.student), *cells, format_points(result.points), format_points(result.max_points)])
    return buffer.getvalue()


def summary_table(results: Sequence[SubmissionResult], *, course: Course) -> Table:
    """One rich table of the run: a row per student (sorted), a column per course assignment, the total.

    An assignment header carries its auto-graded points (``a3_attention / 15``);
    a cell holds the points after the late penalty, ``-`` when the assignment
    was not graded in this run. Red marks a student or an assignment with
    problems; nothing else is coloured. No results give the header alone,
    with the caption ``no results``.

    Raises:
        ReportError: a result holds an assignment that course.toml does not have.
    """
    table = Table(title=f"Grades of {_count(len(results), 'student')}", title_justify="left")
    table.add_column("student", no_wrap=True)
    for assignment in course.assignments:
        auto_graded = sum(task.points for task in assignment.tasks if not task.manual)
        table.add_column(f"{assignment.id}\n/ {format_points(auto_graded)}", justify="right", no_wrap=True)
    table.add_column("total", justify="right", no_wrap=True)
    for result in sorted(results, key=_student):
        graded = {assignment.id: outcome for assignment, outcome in _graded_assignments(result, course)}
        has_problems = bool(result.problems) or any(outcome.problems for outcome in graded.values())
        cells = [Text(result.student, style="red" if has_problems else "")]
        for assignment in course.assignments:
            outcome = graded.get(assignment.id)
            if outcome is None:
                cells.append(Text("-", style="dim"))
            else:
                cells.append(Text(format_points(outcome.points), style="red" if outcome.problems else ""))
        cells.append(Text(f"{format_points(result.points)} / {format_points(result.max_points)}"))
        table.add_row(*cells)
    if not results:
        table.caption = "no results"
    return table


def format_points(value: float) -> str:
    """Points as people write them: at most 2 decimals, no trailing zeros.

    >>> format_points(15.0), format_points(12.5), format_points(1 / 3)
    ('15', '12.5', '0.33')
    """
    return f"{value:.2f}".rstrip("0").rstrip(".")


def spreadsheet_safe(text: str) -> str:
    """``text``, prefixed with ``'`` when a spreadsheet would run it as a formula (CSV injection).

    >>> spreadsheet_safe("=HYPERLINK(0)"), spreadsheet_safe("-alice"), spreadsheet_safe("alice")
    ("'=HYPERLINK(0)", "'-alice", 'alice')
    """
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


# ---------------------------------------------------------------------------
# Feedback: Markdown and HTML
# ---------------------------------------------------------------------------


def feedback_markdown(result: SubmissionResult, *, course: Course) -> str:
    """A student's feedback as Markdown (what ``write_reports`` writes to ``feedback/<student>.md``).

    A title with the student and the total points; then per assignment its
    points, the late penalty when there is one, its problems, and a table of
    tasks (id, name, status, points / max); then, for every task that neither
    passed nor is graded by hand nor was not submitted, its message, its hint
    and each failed test's name, suite and message. Student text sits in
    fenced code blocks (```` ```text ````) whose fence is longer than any
    run of backticks inside, so it cannot close the block and become markup.

    Example (start)::

        # Feedback for bob: 3.2 / 6 points

        ## a2_embeddings (Token embeddings and positional encodings): 3.2 / 6 points

    Raises:
        ReportError: an unsafe student id, or an assignment course.toml does not have.
    """
    check_student_id(result.student)
    lines = [f"# {_title(result)}", "", course.title, ""]
    if result.problems:
        lines += ["Problems with the submission:", "", *_fenced("\n".join(result.problems)), ""]
    for assignment, outcome in _graded_assignments(result, course):
        lines += [f"## {_assignment_heading(assignment, outcome)}", ""]
        if outcome.late_factor < 1:
            lines += [_late_sentence(outcome), ""]
        if outcome.problems:
            lines += ["Problems:", "", *_fenced("\n".join(outcome.problems)), ""]
        if outcome.tasks:
            lines += ["| Task | Name | Status | Points |", "|---|---|---|---:|"]
            lines += ["| " + " | ".join(_task_row(task)) + " |" for task in outcome.tasks]
            lines.append("")
        for task in _tasks_with_details(outcome):
            lines += [f"### Task {task.id} {task.name}: {_status_label(task)}", ""]
            if task.message:
                lines += [*_fenced(task.message), ""]
            if task.hint:
                lines += ["Hint:", "", *_fenced(task.hint), ""]
            for test in _failed_tests(task):
                lines += [f"#### {_inline_code(test.name)} ({test.suite} test)", ""]
                if test.message:
                    lines += [*_fenced(test.message), ""]
    return "\n".join(lines).rstrip("\n") + "\n"


_HTML_STYLE = """\
body { font-family: system-ui, sans-serif; max-width: 60rem; margin: 2rem auto; padding: 0 1rem; color: #222; }
table { border-collapse: collapse; margin: 1rem 0; }
th, td { border: 1px solid #ccc; padding: 0.3rem 0.6rem; text-align: left; }
td.points { text-align: right; }
pre { background: #f6f6f6; padding: 0.6rem; overflow-x: auto; white-space: pre-wrap; }
.passed { color: #176f2c; }
.failed, .problems { color: #b00020; }
.todo { color: #8a6100; }
.manual { color: #555; }
"""


def feedback_html(result: SubmissionResult, *, course: Course) -> str:
    """A student's feedback as one self-contained HTML page: the same content as ``feedback_markdown``.

    Inline CSS, no JavaScript (a Content-Security-Policy forbids scripts
    outright), and every string from the results escaped with
    ``html.escape``: a message ``<script>`` arrives as ``&lt;script&gt;``.

    Raises:
        ReportError: an unsafe student id, or an assignment course.toml does not have.
    """
    check_student_id(result.student)
    escape = html.escape
    title = escape(_title(result))
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">",
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{title}</title>",
        f"<style>\n{_HTML_STYLE}</style>",
        "</head>",
        "<body>",
        f"<h1>{title}</h1>",
        f"<p>{escape(course.title)}</p>",
    ]
    if result.problems:
        parts += ['<p class="problems">Problems with the submission:</p>', _pre("\n".join(result.problems))]
    for assignment, outcome in _graded_assignments(result, course):
        parts += ["<section>", f"<h2>{escape(_assignment_heading(assignment, outcome))}</h2>"]
        if outcome.late_factor < 1:
            parts.append(f"<p>{escape(_late_sentence(outcome))}</p>")
        if outcome.problems:
            parts += ['<p class="problems">Problems:</p>', _pre("\n".join(outcome.problems))]
        if outcome.tasks:
            parts += ["<table>", "<tr><th>Task</th><th>Name</th><th>Status</th><th>Points</th></tr>"]
            for task in outcome.tasks:
                task_id, name, status, points = (escape(cell) for cell in _task_row(task))
                status_class = "manual" if task.manual else _HTML_STATUS_CLASSES.get(task.status, "")
                parts.append(
                    f'<tr><td>{task_id}</td><td>{name}</td><td class="{status_class}">{status}</td><td class="points">{points}</td></tr>'
                )
            parts.append("</table>")
        for task in _tasks_with_details(outcome):
            parts.append(f"<h3>Task {escape(task.id)} {escape(task.name)}: {escape(_status_label(task))}</h3>")
            if task.message:
                parts.append(_pre(task.message))
            if task.hint:
                parts += ["<p>Hint:</p>", _pre(task.hint)]
            for test in _failed_tests(task):
                parts.append(f"<h4><code>{escape(test.name)}</code> ({escape(test.suite)} test)</h4>")
                if test.message:
                    parts.append(_pre(test.message))
        parts.append("</section>")
    parts += ["</body>", "</html>"]
    return "\n".join(parts) + "\n"


# ---------------------------------------------------------------------------
# Gradescope
# ---------------------------------------------------------------------------


def gradescope_results(result: SubmissionResult, *, course: Course) -> dict[str, Any]:
    """The submission in Gradescope's autograder format (``/autograder/results/results.json``).

    Top level: ``score`` (the total after late penalties), ``execution_time``
    (whole seconds), ``output`` (a short summary naming the isolation level),
    ``output_format`` and ``test_output_format`` ``"text"`` (student text is
    shown as typed, never as HTML or Markdown), ``visibility`` ``"visible"``,
    ``stdout_visibility`` ``"hidden"`` and ``tests``.

    One test entry per task and suite that ran tests, named ``"3.2 softmax
    (public tests)"`` with ``number`` ``"3.2"``. A task's points
    ``max_points * passed / total`` (over both suites) are split so that its
    entries add up to them (each rounded to 4 decimals)::

        public:  max_score = max_points * public_total / total,  score = max_points * public_passed / total
        hidden:  max_score = max_points * hidden_total / total,  score = max_points * hidden_passed / total

    Scores of a late assignment are multiplied by its late factor, and the
    entries say so. Public entries are ``"visible"``, hidden ones
    ``"after_published"``; an entry's ``output`` lists its failed tests'
    messages. A task without tests that ran (written answers, an assignment
    not submitted, a module that could not be imported) is one visible entry
    scoring 0 of the task's points; a written answer's entry has no
    ``status``, since it is neither passed nor failed until graded by hand.

    Example: task 3.2 (2 points) with public 2/2 and hidden 1/2 passed ->
    ``(public tests)`` 1.0 of 1.0, ``(hidden tests)`` 0.5 of 1.0.

    Raises:
        ReportError: an unsafe student id, or an assignment course.toml does not have.
    """
    check_student_id(result.student)
    graded = _graded_assignments(result, course)
    tests = [entry for _, outcome in graded for task in outcome.tasks for entry in _gradescope_entries(task, outcome)]
    return {
        "score": float(result.points),
        "execution_time": int(round(result.seconds)),
        "output": _gradescope_summary(result, graded),
        "output_format": "text",
        "test_output_format": "text",
        "visibility": "visible",
        "stdout_visibility": "hidden",
        "tests": tests,
    }


def _gradescope_entries(task: TaskOutcome, outcome: AssignmentOutcome) -> list[dict[str, Any]]:
    """The Gradescope test entries of one task (see ``gradescope_results``)."""
    late = f"Late penalty: {late_note(outcome)}." if outcome.late_factor < 1 else ""
    counted = [test for test in task.tests if test.outcome != "skipped"]
    if task.manual or not counted:
        if task.status == "missing":
            output = "not submitted"
        elif task.manual:
            output = "graded by hand"
        else:
            hint = f"Hint: {task.hint}" if task.hint else ""
            output = "\n".join(line for line in (task.message or "no test of this task ran", hint) if line)
        entry = {
            "name": f"{task.id} {task.name}",
            "number": task.id,
            "score": 0.0,
            "max_score": float(task.max_points),
            "output": output,
            "visibility": "visible",
        }
        return [entry] if task.manual else [{**entry, "status": "failed"}]

    total = len(counted)
    entries = []
    for suite in sorted({test.suite for test in counted}, key=lambda suite: (suite != "public", suite)):
        in_suite = [test for test in counted if test.suite == suite]
        failed = [test for test in in_suite if test.outcome != "passed"]
        passed = len(in_suite) - len(failed)
        messages = [f"{test.name}:\n{test.message}" if test.message else test.name for test in failed]
        entries.append(
            {
                "name": f"{task.id} {task.name} ({suite} tests)",
                "number": task.id,
                "score": round(task.max_points * passed / total * outcome.late_factor, 4),
                "max_score": round(task.max_points * len(in_suite) / total, 4),
                "status": "failed" if failed else "passed",
                "output": "\n\n".join(part for part in (*messages, late) if part),
                "visibility": "visible" if suite == "public" else "after_published",
            }
        )
    return entries


def _gradescope_summary(result: SubmissionResult, graded: list[tuple[Assignment, AssignmentOutcome]]) -> str:
    """The top-level ``output``: the total, one line per assignment, the problems and the isolation level."""
    lines = [f"{result.student}: {format_points(result.points)} / {format_points(result.max_points)} points."]
    for assignment, outcome in graded:
        line = f"{assignment.id}: {format_points(outcome.points)} / {format_points(outcome.max_points)}"
        if not outcome.submitted:
            line += ", not submitted"
        if outcome.late_factor < 1:
            line += f", {late_note(outcome)}"
        if outcome.problems:
            line += "; problems: " + "; ".join(outcome.problems)
        lines.append(line + ".")
    if result.problems:
        lines.append("Problems with the submission: " + "; ".join(result.problems))
    isolation = f"Isolation: {result.isolation}"
    if result.isolation_notes:
        isolation += f" ({'; '.join(result.isolation_notes)})"
    lines.append(isolation + ".")
    return "\n".join(lines)


# ---------------------------------------------------------------------------
# Pieces both feedback formats share
# ---------------------------------------------------------------------------


def late_note(outcome: AssignmentOutcome) -> str:
    """The late penalty of an assignment in words, counting started days as the late policy does.

    Example: submitted 2027-01-31T10:00Z, due 2027-01-29T23:59Z, factor 0.8
    -> ``"submitted 2 days late: x 0.8"``; without a usable submission time
    -> ``"late penalty: x 0.8"``.
    """
    factor = f"x {format_points(outcome.late_factor)}"
    days = _started_days_late(outcome.submitted_at, outcome.due)
    if days is None:
        return f"late penalty: {factor}"
    return f"submitted {_count(days, 'day')} late: {factor}"


def _started_days_late(submitted_at: str | None, due: str) -> int | None:
    """Started 24-hour days from ``due`` to ``submitted_at`` (ISO 8601); None when unknown or not late."""
    if submitted_at is None:
        return None
    try:
        late = _parse_moment(submitted_at) - _parse_moment(due)
    except (ValueError, TypeError):  # unparsable, or one moment without a timezone
        return None
    days = math.ceil(late / timedelta(days=1))
    return days if days > 0 else None


def _parse_moment(text: str) -> datetime:
    # Python 3.10's fromisoformat does not read the "Z" suffix.
    return datetime.fromisoformat(text[:-1] + "+00:00" if text.endswith("Z") else text)


def _late_sentence(outcome: AssignmentOutcome) -> str:
    note = late_note(outcome)
    return f"{note[0].upper()}{note[1:]} ({format_points(outcome.raw_points)} points before the penalty)."


def _title(result: SubmissionResult) -> str:
    return f"Feedback for {result.student}: {format_points(result.points)} / {format_points(result.max_points)} points"


def _assignment_heading(assignment: Assignment, outcome: AssignmentOutcome) -> str:
    points = f"{format_points(outcome.points)} / {format_points(outcome.max_points)} points"
    if not outcome.submitted:
        points = f"not submitted ({points})"
    return f"{assignment.id} ({assignment.title}): {points}"


def _task_row(task: TaskOutcome) -> tuple[str, str, str, str]:
    """(id, name, status, points) of a task's table row; a written answer's points read ``- / 3``."""
    earned = "-" if task.manual else format_points(task.points)
    return task.id, task.name, _status_label(task), f"{earned} / {format_points(task.max_points)}"


def _status_label(task: TaskOutcome) -> str:
    return _STATUS_LABELS.get(task.status, task.status)


def _tasks_with_details(outcome: AssignmentOutcome) -> list[TaskOutcome]:
    return [task for task in outcome.tasks if task.status not in _NO_DETAILS and not task.manual]


def _failed_tests(task: TaskOutcome) -> list[TestOutcome]:
    return [test for test in task.tests if test.outcome not in ("passed", "skipped")]


def _longest_backtick_run(text: str) -> int:
    return max((len(run) for run in re.findall(r"`+", text)), default=0)


def _fenced(text: str) -> list[str]:
    """``text`` as the lines of a fenced code block that nothing inside can close.

    >>> _fenced("a ``` b")
    ['````text', 'a ``` b', '````']
    """
    fence = "`" * max(3, _longest_backtick_run(text) + 1)
    return [f"{fence}text", *text.splitlines(), fence]


def _inline_code(text: str) -> str:
    """``text`` on one line as a Markdown code span that nothing inside can close.

    >>> _inline_code("test_a[`x`]")
    '`` test_a[`x`] ``'
    """
    text = " ".join(text.splitlines())
    fence = "`" * (_longest_backtick_run(text) + 1)
    padding = " " if "`" in text else ""
    return f"{fence}{padding}{text}{padding}{fence}"


def _pre(text: str) -> str:
    return f"<pre>{html.escape(text)}</pre>"


def _graded_assignments(result: SubmissionResult, course: Course) -> list[tuple[Assignment, AssignmentOutcome]]:
    """Each graded assignment of ``result`` beside its course.toml record, in the result's order.

    Raises:
        ReportError: the result holds an assignment that course.toml does not have.
    """
    by_id = {assignment.id: assignment for assignment in course.assignments}
    pairs = []
    for outcome in result.assignments:
        if outcome.id not in by_id:
            known = ", ".join(by_id)
            raise ReportError(
                f"the results of {result.student!r} hold assignment {outcome.id!r}, which course.toml does not have (it has: {known})"
            )
        pairs.append((by_id[outcome.id], outcome))
    return pairs


def _student(result: SubmissionResult) -> str:
    return result.student


def _count(number: int, unit: str) -> str:
    return f"{number} {unit}" if number == 1 else f"{number} {unit}s"
