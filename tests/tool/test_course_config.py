"""Does grader.course read course.toml into the right records, and point at the exact line of every mistake?"""

from __future__ import annotations

import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from grader.course import Course, CourseConfigError, GradingPolicy, load_course, locate_line
from grader.errors import CourseError

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

COURSE_TOML = Path(__file__).resolve().parents[2] / "course.toml"
SOURCE = COURSE_TOML.read_text(encoding="utf-8")
RAW = tomllib.loads(SOURCE)


@pytest.fixture(scope="module")
def course() -> Course:
    return load_course()


def mutated(tmp_path: Path, old: str, new: str) -> tuple[Path, int]:
    """Write course.toml with the one occurrence of `old` replaced by `new`; return the file and the line where `new` starts."""
    assert SOURCE.count(old) == 1, f"{old!r} must occur exactly once in course.toml (found {SOURCE.count(old)})"
    text = SOURCE.replace(old, new)
    path = tmp_path / "course.toml"
    path.write_text(text, encoding="utf-8")
    return path, SOURCE[: SOURCE.index(old)].count("\n") + 1


def line_containing(path: Path, needle: str) -> int:
    lines = path.read_text(encoding="utf-8").splitlines()
    matches = [number for number, line in enumerate(lines, start=1) if needle in line]
    assert len(matches) == 1, f"{needle!r} is on lines {matches}"
    return matches[0]


def config_error(path: Path) -> CourseConfigError:
    with pytest.raises(CourseConfigError) as caught:
        load_course(path)
    return caught.value


def assert_points_at(error: CourseConfigError, line: int, key_path: str, *fragments: str) -> None:
    message = str(error)
    assert f"course.toml:{line}: {key_path}: " in message, message
    assert (error.line, error.key_path) == (line, key_path), message
    assert "\n" not in message, "the CLI prints the message as one line"
    for fragment in fragments:
        assert fragment in message, f"{fragment!r} not in {message!r}"


# --- the real file ---------------------------------------------------------------------------


def test_real_course_loads_with_every_assignment_and_task(course):
    """Does the shipped course.toml load, keeping every assignment and task in file order?"""
    assert [assignment.id for assignment in course.assignments] == [raw["id"] for raw in RAW["assignments"]]
    for assignment, raw in zip(course.assignments, RAW["assignments"]):
        assert [task.id for task in assignment.tasks] == [task["id"] for task in raw["tasks"]]
        assert assignment.due == raw["due"] and assignment.due.tzinfo is not None
        assert assignment.number == int(raw["id"].split("_")[0][1:])
    assert course.id == RAW["course"]["id"]
    assert course.data.default == RAW["data"]["default"]
    assert course.data.datasets == tuple(RAW["data"]["datasets"])
    assert course.grading.late_days_max == RAW["grading"]["late_days_max"]


def test_points_sum_to_the_raw_totals(course):
    """Do assignment and course totals equal the sums of the points written in course.toml?"""
    for assignment, raw in zip(course.assignments, RAW["assignments"]):
        assert assignment.points == sum(task["points"] for task in raw["tasks"])
    assert course.total_points == sum(task["points"] for raw in RAW["assignments"] for task in raw["tasks"])


def test_manual_defaults_to_false_and_is_read_where_written(course):
    """Is a task manual exactly when course.toml says `manual = true`?"""
    manual = {task["id"] for raw in RAW["assignments"] for task in raw["tasks"] if task.get("manual", False)}
    assert {task.id for assignment in course.assignments for task in assignment.tasks if task.manual} == manual


@pytest.mark.parametrize("name", ["a3", "3", "a3_attention", 3, " a3 "])
def test_assignment_lookup_accepts_short_id_number_and_full_id(course, name):
    """Do "a3", "3", 3 and "a3_attention" all name the attention assignment?"""
    assert course.assignment(name).id == "a3_attention"


def test_unknown_assignment_and_task_are_user_errors(course):
    """Are lookups of names that do not exist one-line CourseErrors listing what does?"""
    with pytest.raises(CourseError, match="a1_tokenizer"):
        course.assignment("a99")
    with pytest.raises(CourseError, match="'9.9'"):
        course.task("9.9")


def test_task_lookup_by_id(course):
    """Does task("4.6") return GPT.init_weights with the points written in course.toml?"""
    raw = next(task for assignment in RAW["assignments"] for task in assignment["tasks"] if task["id"] == "4.6")
    task = course.task("4.6")
    assert (task.id, task.name, task.points) == ("4.6", raw["name"], raw["points"])


# --- the late policy -------------------------------------------------------------------------

DUE = datetime(2027, 2, 5, 23, 59, tzinfo=timezone.utc)
POLICY = GradingPolicy(test_timeout_seconds=20, memory_limit_mb=4096, late_penalty_percent_per_day=10, late_days_max=5)


@pytest.mark.parametrize(
    "late, factor",
    [
        (timedelta(hours=-3), 1.0),  # early
        (timedelta(0), 1.0),  # exactly at the deadline
        (timedelta(seconds=1), 0.9),  # one started day
        (timedelta(days=1.5), 0.8),  # two started days
        (timedelta(days=5), 0.5),  # the last day that still counts
        (timedelta(days=5, seconds=1), 0.0),  # past late_days_max
        (timedelta(days=40), 0.0),
    ],
)
def test_late_factor_counts_started_days(late, factor):
    """Does the late factor lose 10 % per started day and drop to 0 past 5 days?"""
    assert POLICY.late_factor(DUE + late, DUE) == pytest.approx(factor, abs=1e-12)


def test_late_factor_compares_across_time_zones():
    """Is 23:59 UTC the same moment as 00:59 at +01:00 the next day (on time, not late)?"""
    berlin = timezone(timedelta(hours=1))
    assert POLICY.late_factor(datetime(2027, 2, 6, 0, 59, tzinfo=berlin), DUE) == 1.0


def test_late_factor_never_goes_negative():
    """With 30 % per day and 5 days allowed, is 4 days late 0, not -0.2?"""
    steep = GradingPolicy(test_timeout_seconds=20, memory_limit_mb=4096, late_penalty_percent_per_day=30, late_days_max=5)
    assert steep.late_factor(DUE + timedelta(days=4), DUE) == 0.0


def test_late_factor_rejects_naive_datetimes():
    """Is a datetime without a timezone refused rather than silently compared?"""
    with pytest.raises(ValueError, match="no timezone"):
        POLICY.late_factor(datetime(2027, 2, 6), DUE)


# --- validation: one mutation of the real file per error --------------------------------------


def test_missing_file_is_a_user_error(tmp_path):
    """Is a course file that does not exist a one-line CourseError naming the path?"""
    with pytest.raises(CourseError, match="not found"):
        load_course(tmp_path / "course.toml")


def test_toml_syntax_error_names_file_and_line(tmp_path):
    """Does a TOML syntax error keep tomllib's line and name the file?"""
    path, line = mutated(tmp_path, "late_days_max = 5", "late_days_max = = 5")
    error = config_error(path)
    assert error.line == line
    assert f"course.toml:{line}: invalid TOML: " in str(error), str(error)


def test_unknown_task_key(tmp_path):
    """Is a misspelt task key ('pionts') reported on its line with the keys allowed?"""
    path, line = mutated(tmp_path, '"softmax", points = 2', '"softmax", pionts = 2')
    error = config_error(path)
    assert_points_at(error, line, "assignments[2].tasks[1]", "unknown key 'pionts' (expected one of: id, manual, name, points)")


def test_unknown_key_in_a_table(tmp_path):
    """Is an unknown key in [grading] reported on its own line?"""
    path, _ = mutated(tmp_path, "late_days_max = 5", "late_days_max = 5\nretries = 3")
    assert_points_at(config_error(path), line_containing(path, "retries"), "grading", "unknown key 'retries'")


def test_unknown_top_level_table(tmp_path):
    """Is an extra [extras] table reported at its header?"""
    path, _ = mutated(tmp_path, "[data]\n", "[extras]\nanswer = 42\n\n[data]\n")
    assert_points_at(config_error(path), line_containing(path, "[extras]"), "(top level)", "unknown key 'extras'")


def test_missing_required_key_points_at_the_table_header(tmp_path):
    """Is an assignment without a title reported at its [[assignments]] header?"""
    path, _ = mutated(tmp_path, 'title = "Scaled dot-product and multi-head attention"\n', "")
    header = line_containing(path, 'id = "a3_attention"') - 1
    assert_points_at(config_error(path), header, "assignments[2]", "missing required key 'title'")


def test_missing_task_key_points_at_the_task(tmp_path):
    """Is a task without points reported on the task's own line?"""
    path, line = mutated(tmp_path, '"softmax", points = 2 }', '"softmax" }')
    assert_points_at(config_error(path), line, "assignments[2].tasks[1]", "missing required key 'points'")


def test_bool_is_not_a_number(tmp_path):
    """Is `points = true` a type error, although Python's bool is an int?"""
    path, line = mutated(tmp_path, '"softmax", points = 2', '"softmax", points = true')
    assert_points_at(config_error(path), line, "assignments[2].tasks[1].points", "expected a number, got true")


def test_string_where_an_integer_belongs(tmp_path):
    """Is `late_days_max = "5"` a type error naming the value?"""
    path, line = mutated(tmp_path, "late_days_max = 5", 'late_days_max = "5"')
    assert_points_at(config_error(path), line, "grading.late_days_max", "expected an integer, got '5' (str)")


def test_manual_must_be_a_boolean(tmp_path):
    """Is `manual = "yes"` refused?"""
    path, line = mutated(tmp_path, "points = 7, manual = true", 'points = 7, manual = "yes"')
    assert_points_at(config_error(path), line, "assignments[6].tasks[3].manual", "expected true or false")


@pytest.mark.parametrize("points", ["0", "-1", "nan"])
def test_points_must_be_positive(tmp_path, points):
    """Are zero, negative and NaN points refused on the task's line?"""
    path, line = mutated(tmp_path, '"softmax", points = 2', f'"softmax", points = {points}')
    assert_points_at(config_error(path), line, "assignments[2].tasks[1].points", "must be > 0")


def test_duplicate_assignment_id(tmp_path):
    """Is a second assignment with id a3_attention reported on the second id's line?"""
    path, line = mutated(tmp_path, 'id = "a4_transformer"', 'id = "a3_attention"')
    assert_points_at(config_error(path), line, "assignments[3].id", "duplicate assignment id 'a3_attention'")


def test_duplicate_task_id(tmp_path):
    """Are two tasks with id 3.2 reported at the second one?"""
    path, line = mutated(tmp_path, '{ id = "3.3"', '{ id = "3.2"')
    assert_points_at(config_error(path), line, "assignments[2].tasks[2].id", "duplicate task id '3.2'")


def test_task_numbered_for_another_assignment(tmp_path):
    """Is task 4.1 inside a3 reported, naming both numbers?"""
    path, line = mutated(tmp_path, '{ id = "3.3"', '{ id = "4.1"')
    assert_points_at(config_error(path), line, "assignments[2].tasks[2].id", "'4.1'", "assignment 4", "assignment 3")


@pytest.mark.parametrize("bad_id", ["attention", "a3-attention", "A3_attention", "a0_attention", "a3_"])
def test_assignment_id_must_be_a_number_and_name(tmp_path, bad_id):
    """Are ids that are not 'aN_name' refused on the id's line?"""
    path, line = mutated(tmp_path, 'id = "a3_attention"', f'id = "{bad_id}"')
    assert_points_at(config_error(path), line, "assignments[2].id", f"got {bad_id!r}")


def test_assignments_out_of_order(tmp_path):
    """Is a2_transformer after a3_attention reported as out of order?"""
    path, line = mutated(tmp_path, 'id = "a4_transformer"', 'id = "a2_transformer"')
    assert_points_at(config_error(path), line, "assignments[3].id", "'a2_transformer' comes after 'a3_attention'")


def test_due_date_without_timezone(tmp_path):
    """Is a local date-time (no Z, no offset) refused?"""
    path, line = mutated(tmp_path, "due = 2027-02-05T23:59:00Z", "due = 2027-02-05T23:59:00")
    assert_points_at(config_error(path), line, "assignments[2].due", "2027-02-05T23:59:00 has no timezone")


def test_due_date_must_be_a_date_time(tmp_path):
    """Is a bare date (no time of day) refused?"""
    path, line = mutated(tmp_path, "due = 2027-02-05T23:59:00Z", "due = 2027-02-05")
    assert_points_at(config_error(path), line, "assignments[2].due", "expected a date-time")


def test_due_dates_must_increase(tmp_path):
    """Is a4 due before a3 reported on a4's due line?"""
    path, line = mutated(tmp_path, "due = 2027-02-12T23:59:00Z", "due = 2027-02-01T23:59:00Z")
    assert_points_at(config_error(path), line, "assignments[3].due", "is not after a3_attention's due")


def test_default_dataset_must_be_offered(tmp_path):
    """Is data.default outside data.datasets reported on the default line?"""
    path, line = mutated(tmp_path, 'default = "shakespeare"', 'default = "pycode2"')
    assert_points_at(config_error(path), line, "data.default", "'pycode2' is not in data.datasets")


def test_dataset_not_in_the_manifest(tmp_path):
    """Is a dataset that datasets/manifest.toml lacks reported with the manifest's names?"""
    path, line = mutated(tmp_path, '"tinyshakespeare", "pycode"]', '"wikipedia", "pycode"]')
    assert_points_at(config_error(path), line, "data.datasets[1]", "unknown dataset 'wikipedia'", "shakespeare")


def test_unknown_timezone(tmp_path):
    """Is a time zone name that does not exist refused?"""
    path, line = mutated(tmp_path, 'timezone = "UTC"', 'timezone = "Mars/Olympus_Mons"')
    assert_points_at(config_error(path), line, "course.timezone", "'Mars/Olympus_Mons'")


def test_config_errors_are_course_errors():
    """Will the CLI print a CourseConfigError as one line (it subclasses CourseError)?"""
    assert issubclass(CourseConfigError, CourseError)


# --- the locator ---------------------------------------------------------------------------

SMALL = """\
top = 1
[grading]
limit = 3

[[items]]
name = "first"

[[items]]
name = "second"
parts = [
    { id = "x", size = 1 },
    { id = "y{", size = 2 },  # braces in strings and comments are not tables: { }
    { id = "z,}", size = 3 },
]
"""


@pytest.mark.parametrize(
    "key_path, line",
    [
        ((), 1),
        (("top",), 1),
        (("grading",), 2),
        (("grading", "limit"), 3),
        (("grading", "absent"), 2),  # falls back to the table header
        (("items", 0), 5),
        (("items", 1, "name"), 9),
        (("items", 1, "parts"), 10),
        (("items", 1, "parts", 1), 12),
        (("items", 1, "parts", 2), 13),
        (("items", 1, "parts", 2, "size"), 13),
        (("items", 1, "parts", 7), 10),  # no such element: the key holding the array
        (("items", 5, "name"), 1),  # no such table: the top of the file
    ],
)
def test_locate_line(key_path, line):
    """Does the locator find each key path's line, and fall back to the enclosing header when it cannot?"""
    assert locate_line(SMALL, key_path) == line
