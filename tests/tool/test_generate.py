"""Tests of `course generate`: solutions/ -> the student workspace assignments/."""

from __future__ import annotations

import importlib
import json
import os
import re
from collections import Counter
from pathlib import Path

import nbformat
import pytest
import torch
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from grader.cli import main as cli_main
from grader.commands import generate
from grader.commands.generate import Action
from grader.stubs import stub_source

ROOT = Path(__file__).resolve().parents[2]
SOLUTIONS = ROOT / "solutions"
ASSIGNMENTS = ROOT / "assignments"
SOLUTION_FILES = sorted(path.relative_to(SOLUTIONS).as_posix() for path in SOLUTIONS.rglob("*.py") if "__pycache__" not in path.parts)
SOURCE_NOTEBOOKS = sorted(path.relative_to(SOLUTIONS).as_posix() for path in SOLUTIONS.glob("a*/*.ipynb"))
STUB_MESSAGE = re.compile(r'^\s*raise NotImplementedError\("Task (\d+\.\d+): (\S+)"\)\n$')


def tree(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` except Python's caches: relative path -> bytes."""
    return {
        path.relative_to(folder).as_posix(): path.read_bytes()
        for path in sorted(folder.rglob("*"))
        if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc"
    }


def solution_regions(lines: list[str]) -> tuple[list[str], list[list[str]]]:
    """Split a solution file into the lines outside regions and each region's body, written plainly."""
    outside, regions, inside = [], [], None
    for line in lines:
        if line.strip() == "### BEGIN SOLUTION":
            inside = []
        elif line.strip() == "### END SOLUTION":
            regions.append(inside)
            inside = None
        elif inside is not None:
            inside.append(line)
        else:
            outside.append(line)
    return outside, regions


def without_stubs(lines: list[str]) -> tuple[list[str], int]:
    """Remove each `# YOUR CODE HERE` + `raise NotImplementedError(...)` pair; count the pairs."""
    kept, index, pairs = [], 0, 0
    while index < len(lines):
        if lines[index].strip() == "# YOUR CODE HERE" and index + 1 < len(lines) and STUB_MESSAGE.match(lines[index + 1]):
            index += 2
            pairs += 1
        else:
            kept.append(lines[index])
            index += 1
    return kept, pairs


@pytest.fixture(scope="module")
def fresh(tmp_path_factory) -> Path:
    """One generation of the real solutions/ into a temporary folder."""
    dest = tmp_path_factory.mktemp("fresh") / "assignments"
    generate.main(source=SOLUTIONS, dest=dest)
    return dest


@pytest.fixture
def small_source(tmp_path) -> Path:
    """A two-file solutions/ tree plus files generation must skip."""
    source = tmp_path / "solutions"
    (source / "a1_demo" / "__pycache__").mkdir(parents=True)
    (source / "a1_demo" / "__init__.py").write_text('"""Demo."""\n')
    (source / "a1_demo" / "demo.py").write_text(
        "# ## Task 1.1: double\ndef double(x):\n    ### BEGIN SOLUTION\n    return 2 * x\n    ### END SOLUTION\n"
    )
    (source / "a1_demo" / "notes.txt").write_bytes(b"data \x00 as is\r\n")
    (source / "a1_demo" / "__pycache__" / "demo.cpython-310.pyc").write_bytes(b"\x00")
    (source / "a1_demo" / "stray.pyc").write_bytes(b"\x00")
    (source / ".hidden").write_text("secret")
    return source


def test_committed_assignments_equal_a_fresh_generation(fresh):
    """Does the committed assignments/ equal a fresh generation byte for byte, with the same file set?"""
    committed, generated = tree(ASSIGNMENTS), tree(fresh)
    assert sorted(committed) == sorted(generated), "run `course generate` and commit assignments/"
    drifted = [path for path in generated if committed[path] != generated[path]]
    assert drifted == [], f"assignments/ drifted from solutions/ in {drifted}; run `course generate`"


def test_every_python_file_and_notebook_is_generated_and_readme_and_record_written(fresh):
    """Does generation cover every solutions/*.py and source notebook, plus README.md and a record of every file's sha256?"""
    files = tree(fresh)
    assert set(SOLUTION_FILES) | set(SOURCE_NOTEBOOKS) | {"README.md", ".generated.json"} == set(files)
    record = json.loads(files[".generated.json"])
    assert set(record) == set(files) - {".generated.json"}
    for path, digest in record.items():
        assert generate.sha256(files[path]) == digest, path
    readme = files["README.md"].decode()
    assert "course generate" in readme and "--force" in readme and "YOUR CODE HERE" in readme


@pytest.mark.parametrize("relative", SOLUTION_FILES)
def test_outside_regions_stubs_are_byte_identical(fresh, relative):
    """Outside the solution regions, is each stub byte-identical to its solution, one stub per region?"""
    solution_lines = (SOLUTIONS / relative).read_text(encoding="utf-8").splitlines(keepends=True)
    stub_lines = (fresh / relative).read_text(encoding="utf-8").splitlines(keepends=True)
    outside, regions = solution_regions(solution_lines)
    remaining, pairs = without_stubs(stub_lines)
    assert remaining == outside
    assert pairs == len(regions)


@pytest.mark.parametrize("relative", SOLUTION_FILES)
def test_no_solution_code_leaks_into_stubs(fresh, relative):
    """Is every region's code (its non-blank, non-comment lines as a block) absent from the stub?"""
    solution_lines = (SOLUTIONS / relative).read_text(encoding="utf-8").splitlines(keepends=True)
    outside, regions = solution_regions(solution_lines)

    def code(lines):
        return [line.strip() for line in lines if line.strip() and not line.strip().startswith("#")]

    stub_code = "\n" + "\n".join(code((fresh / relative).read_text(encoding="utf-8").splitlines())) + "\n"
    provided_code = "\n" + "\n".join(code(outside)) + "\n"
    checked = 0
    for region in regions:
        block = "\n" + "\n".join(code(region)) + "\n"
        # A short generic block (`return x`) may also be provided code elsewhere; that is no leak.
        if block in provided_code:
            continue
        assert block not in stub_code, f"{relative}: solution code leaked:{block}"
        checked += 1
    assert checked >= len(regions) * 3 // 4, f"{relative}: too few regions could be checked ({checked}/{len(regions)})"


def _model_config():
    from assignments.a4_transformer.model import GPTConfig

    return GPTConfig(vocab_size=10, block_size=8, n_layer=1, n_head=2, d_model=4)


# One call per task: (module, call) -> the task whose stub it must reach.
TASK_CALLS = {
    "1.1: CharTokenizer": ("a1_tokenizer.tokenizer", lambda m: m.CharTokenizer("ab")),
    "1.2: get_pair_counts": ("a1_tokenizer.tokenizer", lambda m: m.get_pair_counts([1, 2])),
    "1.3: merge_pair": ("a1_tokenizer.tokenizer", lambda m: m.merge_pair([1, 2], (1, 2), 256)),
    "1.4: count_pretokens": ("a1_tokenizer.tokenizer", lambda m: m.count_pretokens("hi")),
    "1.5: PairIndex": ("a1_tokenizer.tokenizer", lambda m: m.PairIndex(Counter({(104, 105): 1}), {i: bytes([i]) for i in range(256)})),
    "1.6: train_bpe": ("a1_tokenizer.tokenizer", lambda m: m.train_bpe("hello", 257)),
    "1.7: BPETokenizer": ("a1_tokenizer.tokenizer", lambda m: m.BPETokenizer([])),
    "2.1: TokenEmbedding": ("a2_embeddings.embeddings", lambda m: m.TokenEmbedding(10, 4)(torch.zeros(1, 2, dtype=torch.long))),
    "2.2: sinusoidal_positional_encoding": ("a2_embeddings.embeddings", lambda m: m.sinusoidal_positional_encoding(4, 4)),
    "2.3: LearnedPositionalEmbedding": ("a2_embeddings.embeddings", lambda m: m.LearnedPositionalEmbedding(8, 4)(3)),
    "3.1: causal_mask": ("a3_attention.attention", lambda m: m.causal_mask(3)),
    "3.2: softmax": ("a3_attention.attention", lambda m: m.softmax(torch.zeros(2))),
    "3.3: attention_weights": ("a3_attention.attention", lambda m: m.attention_weights(torch.zeros(1, 2, 4), torch.zeros(1, 2, 4))),
    "3.4: scaled_dot_product_attention": (
        "a3_attention.attention",
        lambda m: m.scaled_dot_product_attention(torch.zeros(1, 2, 4), torch.zeros(1, 2, 4), torch.zeros(1, 2, 4)),
    ),
    "3.5: split_heads": ("a3_attention.attention", lambda m: m.split_heads(torch.zeros(1, 2, 4), 2)),
    "3.6: merge_heads": ("a3_attention.attention", lambda m: m.merge_heads(torch.zeros(1, 2, 2, 2))),
    "3.7: MultiHeadSelfAttention": ("a3_attention.attention", lambda m: m.MultiHeadSelfAttention(4, 2)),
    "4.1: LayerNorm": ("a4_transformer.model", lambda m: m.LayerNorm(4)),
    "4.2: gelu": ("a4_transformer.model", lambda m: m.gelu(torch.zeros(2))),
    "4.3: FeedForward": ("a4_transformer.model", lambda m: m.FeedForward(4)),
    "4.4: TransformerBlock": ("a4_transformer.model", lambda m: m.TransformerBlock(4, 2)),
    "4.5: GPT": ("a4_transformer.model", lambda m: m.GPT(_model_config())),
    # GPT's own __init__ is a stub too, so call the method unbound on a bare instance.
    "4.6: GPT.init_weights": ("a4_transformer.model", lambda m: m.GPT.init_weights(m.GPT.__new__(m.GPT))),
    "5.1: get_batch": ("a5_training.training", lambda m: m.get_batch(torch.arange(20), 2, 4)),
    "5.2: SlidingWindowDataset": ("a5_training.training", lambda m: len(m.SlidingWindowDataset(torch.arange(20), 4))),
    "5.3: cross_entropy": ("a5_training.training", lambda m: m.cross_entropy(torch.zeros(2, 3), torch.zeros(2, dtype=torch.long))),
    "5.4: lr_schedule": ("a5_training.training", lambda m: m.lr_schedule(0, max_lr=1.0, min_lr=0.1, warmup_steps=1, total_steps=4)),
    "5.5: clip_grad_norm": ("a5_training.training", lambda m: m.clip_grad_norm([torch.zeros(2, requires_grad=True)], 1.0)),
    "5.6: AdamW": ("a5_training.training", lambda m: m.AdamW([torch.nn.Parameter(torch.zeros(2))]).step()),
    "5.7: save_checkpoint": (
        "a5_training.training",
        lambda m: m.save_checkpoint("unused.pt", model=None, optimizer=None, step=0, config=None, history=None),
    ),
    "5.8: load_checkpoint": ("a5_training.training", lambda m: m.load_checkpoint("unused.pt")),
    "5.9: estimate_loss": ("a5_training.training", lambda m: m.estimate_loss(None, {}, batch_size=1, block_size=1, eval_iters=1)),
    "5.10: train_step": ("a5_training.training", lambda m: m.train_step(None, None, torch.arange(20), None)),
    "6.1: greedy_next": ("a6_sampling.sampling", lambda m: m.greedy_next(torch.zeros(1, 3))),
    "6.2: apply_temperature": ("a6_sampling.sampling", lambda m: m.apply_temperature(torch.zeros(1, 3), 1.0)),
    "6.3: top_k_filter": ("a6_sampling.sampling", lambda m: m.top_k_filter(torch.zeros(1, 3), 1)),
    "6.4: top_p_filter": ("a6_sampling.sampling", lambda m: m.top_p_filter(torch.zeros(1, 3), 0.5)),
    "6.5: sample_next": ("a6_sampling.sampling", lambda m: m.sample_next(torch.zeros(1, 3))),
    "6.6: generate": ("a6_sampling.sampling", lambda m: m.generate(None, torch.zeros(1, 1, dtype=torch.long), 1)),
    "7.1: train_char_model": ("a7_capstone.capstone", lambda m: m.train_char_model("hello", None)),
    "7.2: train_bpe_model": ("a7_capstone.capstone", lambda m: m.train_bpe_model("hello", 257, None)),
    "7.3: attention_maps": ("a7_capstone.capstone", lambda m: m.attention_maps(None, torch.zeros(1, 2, dtype=torch.long))),
}


def test_every_task_header_has_a_call():
    """Does TASK_CALLS cover exactly the tasks whose headers the solutions declare?"""
    header = re.compile(r"^\s*# ## Task (\d+\.\d+): (\S+)\s*$")
    declared = {
        f"{match.group(1)}: {match.group(2)}"
        for relative in SOLUTION_FILES
        for line in (SOLUTIONS / relative).read_text(encoding="utf-8").splitlines()
        if (match := header.match(line))
    }
    assert declared == set(TASK_CALLS)


@pytest.mark.parametrize("task", list(TASK_CALLS))
def test_each_stub_raises_not_implemented_naming_its_task(task, tmp_path, monkeypatch):
    """Does calling each task's function or class in assignments/ raise NotImplementedError("Task N.M: name")?"""
    monkeypatch.chdir(tmp_path)
    module_name, call = TASK_CALLS[task]
    module = importlib.import_module(f"assignments.{module_name}")
    with pytest.raises(NotImplementedError) as raised:
        call(module)
    assert str(raised.value) == f"Task {task}"


def test_skips_caches_and_hidden_files_and_copies_others_as_is(small_source, tmp_path):
    """Are __pycache__, *.pyc and hidden files skipped, and non-Python files copied byte for byte?"""
    dest = tmp_path / "out"
    result = generate.main(source=small_source, dest=dest)
    assert [file.path for file in result.files] == ["README.md", "a1_demo/__init__.py", "a1_demo/demo.py", "a1_demo/notes.txt"]
    assert {file.action for file in result.files} == {Action.WRITTEN}
    assert (dest / "a1_demo" / "notes.txt").read_bytes() == b"data \x00 as is\r\n"
    assert (dest / "a1_demo" / "demo.py").read_text() == (
        '# ## Task 1.1: double\ndef double(x):\n    # YOUR CODE HERE\n    raise NotImplementedError("Task 1.1: double")\n'
    )


MODEL_ANSWER = "Because the model answer says so, in words a grader can check."


def demo_notebook(*, grade_id: str = "task1_1") -> nbformat.NotebookNode:
    """A source notebook: a cell with an output, a check cell, a question and its model answer."""
    grade = {"grade": True, "solution": False, "locked": True, "grade_id": grade_id, "points": 1, "schema_version": 3}
    question = {"grade": False, "solution": False, "locked": True, "grade_id": "written_1_1_question", "schema_version": 3}
    answer = {"grade": True, "solution": True, "locked": False, "grade_id": "written_1_1", "points": 3, "schema_version": 3}
    printed = new_output("stream", name="stdout", text="42\n")
    shown = new_code_cell("print(2 * 21)", outputs=[printed], execution_count=1, id="shown")
    return new_notebook(
        cells=[
            shown,
            new_code_cell('check_task("1.1")', metadata={"nbgrader": grade}, id="check"),
            new_markdown_cell("Why?", metadata={"nbgrader": question}, id="question"),
            new_markdown_cell(MODEL_ANSWER, metadata={"nbgrader": answer}, id="answer"),
        ],
        metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}},
    )


@pytest.fixture
def notebook_source(small_source) -> Path:
    """small_source plus a source notebook, and Jupyter's checkpoint copy of it (to be skipped)."""
    nbformat.write(demo_notebook(), small_source / "a1_demo" / "a1_demo.ipynb")
    (small_source / "a1_demo" / ".ipynb_checkpoints").mkdir()
    nbformat.write(demo_notebook(), small_source / "a1_demo" / ".ipynb_checkpoints" / "a1_demo-checkpoint.ipynb")
    return small_source


def test_notebooks_are_released_through_nbgrader_not_copied(notebook_source, tmp_path):
    """Is a source notebook released with its model answer replaced, outputs cleared and check cell locked?"""
    dest = tmp_path / "out"
    result = generate.main(source=notebook_source, dest=dest)
    assert "a1_demo/a1_demo.ipynb" in result.paths(Action.WRITTEN)
    assert not (dest / "a1_demo" / ".ipynb_checkpoints").exists()
    text = (dest / "a1_demo" / "a1_demo.ipynb").read_text(encoding="utf-8")
    assert MODEL_ANSWER not in text
    shown, check, question, answer = nbformat.reads(text, as_version=4).cells
    assert shown.outputs == [] and shown.execution_count is None
    assert check.metadata.editable is False and check.metadata.nbgrader["checksum"]
    assert question.source == "Why?" and answer.source == "YOUR ANSWER HERE"
    assert json.loads((dest / ".generated.json").read_text())["a1_demo/a1_demo.ipynb"] == generate.sha256(text.encode())


def test_edited_notebook_is_kept_unless_forced(notebook_source, tmp_path):
    """Is a student's edited notebook kept when the source notebook changes, and replaced only with --force?"""
    dest = tmp_path / "out"
    generate.main(source=notebook_source, dest=dest)
    released = dest / "a1_demo" / "a1_demo.ipynb"
    edited = nbformat.read(released, as_version=4)
    edited.cells[3].source = "My own answer."
    nbformat.write(edited, released)
    changed = demo_notebook()
    changed.cells[2].source = "Why, in one sentence?"
    nbformat.write(changed, notebook_source / "a1_demo" / "a1_demo.ipynb")

    assert generate.main(source=notebook_source, dest=dest).paths(Action.KEPT) == ["a1_demo/a1_demo.ipynb"]
    assert "My own answer." in released.read_text(encoding="utf-8")
    assert generate.main(source=notebook_source, dest=dest, force=True).paths(Action.WRITTEN) == ["a1_demo/a1_demo.ipynb"]
    assert "Why, in one sentence?" in released.read_text(encoding="utf-8")


def test_notebook_outside_an_assignment_folder_is_refused(small_source, tmp_path):
    """Is a notebook nbgrader cannot release (not directly in an assignment folder) an error naming it?"""
    nbformat.write(demo_notebook(), small_source / "overview.ipynb")
    with pytest.raises(ValueError, match=r"overview\.ipynb: a source notebook must sit directly in its assignment folder"):
        generate.main(source=small_source, dest=tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_notebook_nbgrader_rejects_is_an_error_naming_it_and_the_reason(small_source, tmp_path):
    """Does a duplicate grade id stop generation with the folder and nbgrader's reason, writing nothing?"""
    notebook = demo_notebook(grade_id="written_1_1")
    nbformat.write(notebook, small_source / "a1_demo" / "a1_demo.ipynb")
    with pytest.raises(ValueError, match=r"a1_demo: nbgrader cannot release its notebooks: .*Duplicate grade id: written_1_1"):
        generate.main(source=small_source, dest=tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_edited_files_are_kept_unless_forced(small_source, tmp_path):
    """Is a student's edited file kept without --force (and stays 'edited' next time), overwritten with it?"""
    dest = tmp_path / "out"
    generate.main(source=small_source, dest=dest)
    student = dest / "a1_demo" / "demo.py"
    student.write_text("def double(x):\n    return x + x\n")
    (small_source / "a1_demo" / "notes.txt").write_text("new notes\n")

    result = generate.main(source=small_source, dest=dest)
    actions = {file.path: file.action for file in result.files}
    assert actions["a1_demo/demo.py"] is Action.KEPT
    assert actions["a1_demo/notes.txt"] is Action.WRITTEN
    assert actions["README.md"] is Action.UNCHANGED
    assert student.read_text() == "def double(x):\n    return x + x\n"
    assert (dest / "a1_demo" / "notes.txt").read_text() == "new notes\n"
    again = generate.main(source=small_source, dest=dest)
    assert again.paths(Action.KEPT) == ["a1_demo/demo.py"]

    forced = generate.main(source=small_source, dest=dest, force=True)
    assert forced.paths(Action.WRITTEN) == ["a1_demo/demo.py"]
    assert "NotImplementedError" in student.read_text()
    record = json.loads((dest / ".generated.json").read_text())
    assert record["a1_demo/demo.py"] == generate.sha256(student.read_bytes())


def test_unrecorded_differing_file_is_kept_unless_forced(small_source, tmp_path):
    """Is a file that was never generated (no record) and differs kept, like a placeholder README?"""
    dest = tmp_path / "out"
    dest.mkdir()
    (dest / "README.md").write_text("placeholder\n")
    result = generate.main(source=small_source, dest=dest)
    assert result.paths(Action.KEPT) == ["README.md"]
    assert (dest / "README.md").read_text() == "placeholder\n"
    assert "README.md" not in json.loads((dest / ".generated.json").read_text())
    generate.main(source=small_source, dest=dest, force=True)
    assert (dest / "README.md").read_bytes() == generate.README_TEMPLATE.read_bytes()


def test_unchanged_files_are_not_touched(small_source, tmp_path):
    """Does regenerating an up-to-date folder leave every file's mtime (the record's too) as it was?"""
    dest = tmp_path / "out"
    generate.main(source=small_source, dest=dest)
    old = 1_000_000_000
    for path in dest.rglob("*"):
        os.utime(path, ns=(old * 10**9, old * 10**9))
    result = generate.main(source=small_source, dest=dest)
    assert not result.changed
    assert {path.name: path.stat().st_mtime_ns for path in dest.rglob("*") if path.is_file()} == {
        path.name: old * 10**9 for path in dest.rglob("*") if path.is_file()
    }


@pytest.mark.parametrize(
    "source, message",
    [
        ("# ## Task 1.1: f\ndef f():\n    ### BEGIN SOLUTION\n    return 1\n", "broken.py:3: ### BEGIN SOLUTION is never closed"),
        ("# ## Task 1.1: f\ndef f():\n    return 1\n    ### END SOLUTION\n", "broken.py:4: ### END SOLUTION without a ### BEGIN SOLUTION"),
        (
            "# ## Task 1.1: f\ndef f():\n    ### BEGIN SOLUTION\n    ### BEGIN SOLUTION\n    ### END SOLUTION\n",
            "broken.py:4: nested ### BEGIN SOLUTION (the region opened on line 3",
        ),
        ("def f():\n    ### BEGIN SOLUTION\n    return 1\n    ### END SOLUTION\n", "broken.py:2: ### BEGIN SOLUTION before any"),
    ],
    ids=["unclosed", "end-without-begin", "nested", "before-header"],
)
def test_stub_source_errors_name_file_and_line(source, message):
    """Does each malformed region raise ValueError naming file:line?"""
    with pytest.raises(ValueError, match=re.escape(message)):
        stub_source(source, filename="broken.py")


def test_stub_source_keeps_indentation_line_endings_and_class_task():
    """Do regions in __init__ and forward share the class's (indented-header) task, at their own indent and CRLF?"""
    source = (
        "class Net:\r\n"
        "    # ## Task 4.6: Net.init\r\n"
        "    def __init__(self):\r\n"
        "        ### BEGIN SOLUTION\r\n"
        "        self.x = 1\r\n"
        "        ### END SOLUTION\r\n"
        "\r\n"
        "    def forward(self):\r\n"
        "        ### BEGIN SOLUTION\r\n"
        "        return self.x\r\n"
        "        ### END SOLUTION"
    )
    stub = (
        "class Net:\r\n"
        "    # ## Task 4.6: Net.init\r\n"
        "    def __init__(self):\r\n"
        "        # YOUR CODE HERE\r\n"
        '        raise NotImplementedError("Task 4.6: Net.init")\r\n'
        "\r\n"
        "    def forward(self):\r\n"
        "        # YOUR CODE HERE\r\n"
        '        raise NotImplementedError("Task 4.6: Net.init")\r\n'
    )
    assert stub_source(source, filename="net.py") == stub


def test_cli_generate_twice_reports_nothing_changed(tmp_path, capsys):
    """Does `course generate --out DIR` write the tree, and a second run say nothing changed?"""
    out = tmp_path / "workspace"
    assert cli_main(["generate", "--out", str(out)]) == 0
    first = capsys.readouterr().out
    assert "written" in first and (out / "a3_attention" / "attention.py").exists()
    assert cli_main(["generate", "--out", str(out)]) == 0
    second = capsys.readouterr().out
    assert "nothing changed" in second and "written" not in second


def test_cli_reports_kept_files_and_force_overwrites(tmp_path, capsys):
    """Does the CLI say a file was kept (edited) and point at --force, which then overwrites it?"""
    out = tmp_path / "workspace"
    assert cli_main(["generate", "--out", str(out)]) == 0
    edited = out / "a6_sampling" / "sampling.py"
    edited.write_text("# my work\n")
    capsys.readouterr()
    assert cli_main(["generate", "--out", str(out)]) == 0
    report = capsys.readouterr().out
    assert "kept (edited)" in report and "--force" in report
    assert edited.read_text() == "# my work\n"
    assert cli_main(["generate", "--out", str(out), "--force"]) == 0
    assert edited.read_bytes() == tree(ASSIGNMENTS)["a6_sampling/sampling.py"]
