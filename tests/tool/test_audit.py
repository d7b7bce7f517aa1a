"""Does `course audit` judge each tree by what it must score, and does the course's own catalogue pass it?"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from grader import cli
from grader.course import load_course
from grader.audit import AuditTarget, RowKind, judge, plan, run_audit
from grader.catalogue import CatalogueEntry, EntryKind
from grader.leaks import hidden_test_lines

TASKS = ("3.1", "3.2", "3.3")


def report(statuses: dict[str, str], messages: dict[str, str] | None = None) -> dict:
    """A worker's report (CheckReport.to_json() shape) with these task statuses and failure messages."""
    messages = messages or {}
    return {
        "results": [{"task": task, "status": status, "message": messages.get(task, "")} for task, status in statuses.items()],
        "tests": [
            {"test": f"test_{task}", "suite": "hidden", "task": task, "outcome": "failed" if status != "passed" else "passed", "message": messages.get(task, "")}
            for task, status in statuses.items()
        ],
    }


def verdict(kind: RowKind, statuses: dict[str, str], *, task: str | None = "3.2", messages=None, hidden_lines=None):
    a3 = load_course().assignment("a3")
    entry = None
    if task is not None:
        entry = CatalogueEntry(Path("entry.py"), "a3_attention/entry", a3, load_course().task(task), EntryKind(kind.value), "an entry")
    target = AuditTarget("a3_attention/entry", kind, a3, "an entry", entry=entry)
    return judge(target, report(statuses, messages), seconds=1.0, hidden_lines=hidden_lines or {})


def test_a_mutant_is_caught_only_when_its_own_task_loses_points():
    """Is a mutant caught when its task fails, and missed when only other tasks do?"""
    caught = verdict(RowKind.MUTANT, {"3.1": "passed", "3.2": "failed", "3.3": "failed"})
    assert caught.ok and caught.lost == ("3.2", "3.3")
    missed = verdict(RowKind.MUTANT, {"3.1": "passed", "3.2": "passed", "3.3": "failed"})
    assert not missed.ok and "not caught" in missed.problem and "only in 3.3" in missed.problem


def test_a_mutant_that_breaks_the_import_proves_nothing():
    """Is a mutant whose own task is an error (import error, missing suite) a problem, not a catch?"""
    row = verdict(RowKind.MUTANT, {"3.1": "error", "3.2": "error"}, messages={"3.2": "SyntaxError at a3_attention/attention.py:3"})
    assert not row.ok and "could not run" in row.problem and "SyntaxError" in row.problem


def test_an_alternative_and_the_reference_must_keep_full_marks():
    """Does any lost task fail an alternative (and the reference), naming the task and its message?"""
    assert verdict(RowKind.ALTERNATIVE, dict.fromkeys(TASKS, "passed")).ok
    row = verdict(RowKind.REFERENCE, {"3.1": "passed", "3.2": "failed"}, task=None, messages={"3.2": "softmax(x): values differ"})
    assert not row.ok and row.problem == "loses points: Task 3.2 is failed: softmax(x): values differ"


def test_the_stubs_must_all_be_not_started():
    """Are the stubs fine only when every task is 'not started', so a student who did nothing gets 0 cleanly?"""
    assert verdict(RowKind.STUBS, dict.fromkeys(TASKS, "not started"), task=None).ok
    row = verdict(RowKind.STUBS, {"3.1": "not started", "3.2": "passed"}, task=None)
    assert not row.ok and row.lost == ("3.2",)


def test_a_message_that_quotes_a_hidden_test_line_fails_the_row():
    """Does a failure message holding a line of the hidden suites fail even a caught mutant, naming the line?"""
    secret = "expected = reference_attention(query_batch, key_batch)"
    row = verdict(
        RowKind.MUTANT,
        {"3.1": "passed", "3.2": "failed"},
        messages={"3.2": f"assert_close failed\n{secret}"},
        hidden_lines={secret: "tests/hidden/test_a3_attention.py:40"},
    )
    assert not row.ok and row.leaks == (f"tests/hidden/test_a3_attention.py:40: {secret}",)


def test_hidden_test_lines_leave_out_what_public_tests_share(course):
    """Are the hidden suites' distinctive lines collected, without the lines a public test has too?"""
    lines = hidden_test_lines()
    assert lines and all(origin.startswith("tests/hidden/") for origin in lines.values())
    assert 'pytestmark = pytest.mark.usefixtures("single_thread")' not in lines


def entry(body: str, *, task: str, kind: str) -> str:
    return f'"""{kind} of Task {task}."""\n\nTASK = "{task}"\nKIND = "{kind}"\n\n' + textwrap.dedent(body)


@pytest.fixture
def small_catalogue(tmp_path):
    """A catalogue for a2: a mutant, an alternative, an entry that loops in a test and one that hangs at import."""
    folder = tmp_path / "catalogue" / "a2_embeddings"
    folder.mkdir(parents=True)
    (folder / "learned_from_zero.py").write_text(
        entry(
            """\
            class LearnedPositionalEmbedding:
                def forward(self, seq_len):
                    if seq_len > self.max_seq_len:
                        raise ValueError(f"seq_len={seq_len} is longer than max_seq_len={self.max_seq_len}")
                    if seq_len < 0:
                        raise ValueError(f"seq_len={seq_len} must not be negative")
                    return self.weight[1 : seq_len + 1]
            """,
            task="2.3",
            kind="mutant",
        ),
        encoding="utf-8",
    )
    (folder / "learned_by_narrow.py").write_text(
        entry(
            """\
            class LearnedPositionalEmbedding:
                def forward(self, seq_len):
                    if seq_len > self.max_seq_len:
                        raise ValueError(f"seq_len={seq_len} is longer than max_seq_len={self.max_seq_len}")
                    if seq_len < 0:
                        raise ValueError(f"seq_len={seq_len} must not be negative")
                    return self.weight.narrow(0, 0, seq_len)
            """,
            task="2.3",
            kind="alternative",
        ),
        encoding="utf-8",
    )
    return tmp_path / "catalogue"


@pytest.mark.slow
def test_an_audit_runs_each_entry_in_its_own_worker(small_catalogue, course):
    """Does audit() run a mutant and an alternative of a small catalogue, with the baselines, to the right verdicts?"""
    rows = run_audit(plan(catalogue=small_catalogue, assignments=["a2"], course=course), jobs=2)
    verdicts = {(row.kind, row.name): row for row in rows}
    assert [row.kind for row in rows] == [RowKind.REFERENCE, RowKind.STUBS, RowKind.ALTERNATIVE, RowKind.MUTANT]
    assert all(row.ok for row in rows), [row.problem for row in rows if not row.ok]
    assert verdicts[(RowKind.MUTANT, "a2_embeddings/learned_from_zero")].lost == ("2.3",)
    assert verdicts[(RowKind.ALTERNATIVE, "a2_embeddings/learned_by_narrow")].lost == ()


@pytest.mark.slow
def test_an_entry_that_hangs_is_stopped_and_reported(small_catalogue, course):
    """Is an entry that loops inside a test failed by the per-test limit, and one that hangs at import killed by the tree limit?"""
    folder = small_catalogue / "a2_embeddings"
    (folder / "loops.py").write_text(
        entry("def sinusoidal_positional_encoding(seq_len, d_model):\n    while True:\n        pass\n", task="2.2", kind="mutant"), encoding="utf-8"
    )
    (folder / "hangs_at_import.py").write_text(
        entry("import time\n\ntime.sleep(600)\n\n\ndef sinusoidal_positional_encoding(seq_len, d_model):\n    return None\n", task="2.2", kind="mutant"),
        encoding="utf-8",
    )
    targets = plan(catalogue=small_catalogue, assignments=["a2"], only=["loops", "hangs_at_import"], baselines=False, course=course)
    rows = run_audit(targets, jobs=2, test_time_limit=1, tree_time_limit=20)
    by_name = {row.name: row for row in rows}
    assert by_name["a2_embeddings/loops"].ok and "2.2" in by_name["a2_embeddings/loops"].lost
    hung = by_name["a2_embeddings/hangs_at_import"]
    assert not hung.ok and "longer than 20 s" in hung.problem and hung.seconds < 60


def test_the_cli_names_an_unknown_entry_or_assignment(small_catalogue, capsys):
    """Do `course audit --only NAME` with no such entry and `course audit a9` stop with one clear line (exit 2)?"""
    assert cli.main(["audit", "--mutants", str(small_catalogue), "--only", "no_such_entry"]) == 2
    assert "no catalogue entry named no_such_entry" in capsys.readouterr().err
    assert cli.main(["audit", "a9"]) == 2
    assert "a9" in capsys.readouterr().err


@pytest.mark.slow
def test_the_course_catalogue_passes_its_audit(course, capsys):
    """Does every mutant of tests/mutants lose points in its own task, every alternative keep full marks,
    the reference score 100 %, the stubs 0 with clean failures, and no message quote the hidden suites?"""
    exit_code = cli.main(["audit", "--json"])
    result = json.loads(capsys.readouterr().out)
    failing = [f"{row['name']} ({row['assignment']}): {row['problem']}" for row in result["rows"] if not row["ok"]]
    assert exit_code == 0, "\n".join(failing)
    rows = result["rows"]
    assert result["ok"] and all(row["ok"] and not row["leaks"] for row in rows)
    assert {row["assignment"] for row in rows if row["kind"] == "reference"} == {record.id for record in course.assignments}
    for row in rows:
        if row["kind"] == "mutant":
            assert row["task"] in row["lost"]
