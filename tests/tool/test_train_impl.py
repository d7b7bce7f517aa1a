"""Does `course train --impl` build the GPT from the learner's own pieces, borrowing the rest from the reference?

The learner's trees are copies in tmp_path: of assignments/ (nothing
finished), with one solution module copied in, or of solutions/ with one
planted bug. Owners are decided by the real public suite (grader/pieces.py);
the model is composed by grader/composed.py.
"""

from __future__ import annotations

import contextlib
import io
import shutil
import sys
from pathlib import Path

import pytest
import torch
from rich.console import Console

from grader.commands import sample, train
from grader.composed import compose, learner_code
from grader.course import load_course
from grader.errors import CourseError
from grader.paths import ASSIGNMENTS, SOLUTIONS
from grader.pieces import Owner, assess_pieces, model_tasks, pieces_table

SMOKE = {"preset": "smoke", "device": "cpu", "eval_interval": 2}
SOFTMAX_RETURNS_ITS_INPUT = "\n\ndef softmax(x, dim=-1):\n    return x\n"
INIT_WEIGHTS_DOES_NOTHING = "\n\ndef _keep_default_weights(self):\n    pass\n\n\nGPT.init_weights = _keep_default_weights\n"


def copy_tree(source: Path, destination: Path) -> Path:
    """A learner's tree: the code of ``source``, without notebooks or caches."""
    return Path(shutil.copytree(source, destination, ignore=shutil.ignore_patterns("*.ipynb", "__pycache__")))


def owners(pieces) -> dict[str, Owner]:
    return {piece.name: piece.owner for piece in pieces}


def row_of(piece: str, table: str) -> str:
    """The line of a printed pieces table that names ``piece`` in its first column."""
    return next(line for line in table.splitlines() if [cell.strip() for cell in line.split("│")[1:2]] == [piece])


def rendered(table) -> str:
    output = io.StringIO()
    Console(file=output, width=200).print(table)
    return output.getvalue()


@pytest.fixture(scope="module")
def stub_run(tmp_path_factory, data_dir):
    """A smoke run of 3 steps with --impl on a fresh copy of assignments/, and what it printed."""
    root = tmp_path_factory.mktemp("fresh")
    tree = copy_tree(ASSIGNMENTS, root / "tree")
    output = io.StringIO()
    # The course's console writes to whatever sys.stdout is when it prints.
    with contextlib.redirect_stdout(output):
        result = train.main(**SMOKE, impl=str(tree), max_iters=3, out=root / "run", data_dir=data_dir)
    return tree, result, output.getvalue()


@pytest.mark.slow
def test_a_fresh_workspace_borrows_every_piece_and_still_trains(stub_run):
    """With nothing finished, is every piece the reference's ("not started"), and does the run still
    train, checkpoint and end with a sample?"""
    tree, result, output = stub_run
    checkpoint = torch.load(result.out_dir / "ckpt.pt", weights_only=True)
    recorded = checkpoint["extra"]["implementation"]
    assert recorded["implementation"] == str(tree.resolve())
    assert {piece["owner"] for piece in recorded["pieces"]} == {"reference"}
    assert len(recorded["pieces"]) == len(model_tasks(load_course()))
    assert f"0 of {len(recorded['pieces'])} pieces are yours" in output
    assert row_of("softmax", output).split() == ["│", "softmax", "│", "3.2", "│", "reference", "│", "not", "started", "│"]
    assert "sample (200 tokens from the reference's generate)" in output
    assert checkpoint["step"] == 2 and torch.isfinite(torch.tensor(checkpoint["history"]["loss"])).all()


@pytest.mark.slow
def test_sample_and_resume_use_the_composition_of_the_checkpoint(stub_run, data_dir, tmp_path):
    """Does `course sample` rebuild the run's composed model, does --resume keep it, and is resuming
    under another --impl refused?"""
    tree, result, _ = stub_run
    texts = sample.main(checkpoint=result.out_dir / "ckpt.pt", prompt="ROMEO:", max_tokens=20, device="cpu")
    assert texts[0].startswith("ROMEO:") and len(texts[0]) > len("ROMEO:")

    run = tmp_path / "run"
    shutil.copytree(result.out_dir, run)
    with pytest.raises(CourseError, match="resume it with that"):
        train.main(out=run, resume=True, max_iters=5, impl="reference", data_dir=data_dir, device="cpu")
    resumed = train.main(out=run, resume=True, max_iters=5, data_dir=data_dir, device="cpu")
    assert resumed.final_step == 4
    assert torch.load(run / "ckpt.pt", weights_only=True)["extra"]["implementation"]["implementation"] == str(tree.resolve())


def test_sampling_a_run_whose_tree_is_gone_names_it(stub_run, tmp_path):
    """Does `course sample` say which tree is missing when the learner's folder of a run was deleted?"""
    _, result, _ = stub_run
    checkpoint = torch.load(result.out_dir / "ckpt.pt", weights_only=True)
    checkpoint["extra"]["implementation"]["implementation"] = str(tmp_path / "deleted-tree")
    torch.save(checkpoint, tmp_path / "ckpt.pt")
    with pytest.raises(CourseError, match="deleted-tree"):
        sample.main(checkpoint=tmp_path / "ckpt.pt", device="cpu")


def test_a_finished_attention_module_shows_as_yours(tmp_path):
    """With solutions' a3 copied into a fresh workspace, are exactly the attention pieces the learner's,
    and does the borrowed transformer block build the learner's attention?"""
    tree = copy_tree(ASSIGNMENTS, tmp_path / "tree")
    shutil.copy(SOLUTIONS / "a3_attention" / "attention.py", tree / "a3_attention" / "attention.py")

    code = learner_code(str(tree))
    yours = [piece for piece in code.pieces if piece.owner is Owner.YOURS]
    assert {piece.assignment for piece in yours} == {"a3_attention"}
    assert "MultiHeadSelfAttention" in owners(yours) and "softmax" in owners(yours)
    assert all(piece.reason.startswith("passes its") for piece in yours)
    table = rendered(pieces_table(code.pieces, title="pieces"))
    assert f"{len(yours)} of {len(code.pieces)} pieces are yours" in table
    assert "yours" in row_of("softmax", table) and "reference" in row_of("LayerNorm", table)

    block = code.model.TransformerBlock(d_model=8, n_heads=2)
    assert type(block.attn).__module__.endswith(".attention_yours")
    assert type(block.ln1).__module__ == code.model.__name__


def test_a_broken_piece_falls_back_with_the_reason(tmp_path):
    """Is a softmax that returns its input borrowed, with the failing tests counted, and does every
    lookup of `softmax` in the composition, the learner's module included, find the reference's?"""
    tree = copy_tree(SOLUTIONS, tmp_path / "tree")
    with open(tree / "a3_attention" / "attention.py", "a", encoding="utf-8") as module:
        module.write(SOFTMAX_RETURNS_ITS_INPUT)

    pieces = assess_pieces(tree)
    softmax = next(piece for piece in pieces if piece.name == "softmax")
    assert softmax.owner is Owner.REFERENCE
    assert softmax.reason.startswith("fails ") and " public tests: " in softmax.reason
    assert owners(pieces)["causal_mask"] is Owner.YOURS

    attention = compose(tree, pieces)["a3_attention"]
    learners_module = sys.modules[attention.__name__ + "_yours"]
    assert attention.softmax is learners_module.softmax
    assert attention.softmax.__module__ == attention.__name__
    scores = torch.tensor([0.0, 0.0])
    assert torch.equal(learners_module.softmax(scores), torch.tensor([0.5, 0.5]))


def test_a_borrowed_method_is_set_on_the_learners_class(tmp_path):
    """When GPT passes but GPT.init_weights does not, is the learner's GPT kept with the reference's init_weights?"""
    tree = copy_tree(SOLUTIONS, tmp_path / "tree")
    with open(tree / "a4_transformer" / "model.py", "a", encoding="utf-8") as module:
        module.write(INIT_WEIGHTS_DOES_NOTHING)

    code = learner_code(str(tree))
    assert owners(code.pieces)["GPT"] is Owner.YOURS
    assert owners(code.pieces)["GPT.init_weights"] is Owner.REFERENCE
    assert code.model.GPT.__module__.endswith(".model_yours")
    assert code.model.GPT.init_weights.__module__ == code.model.__name__


@pytest.mark.slow
def test_every_piece_from_a_copy_of_solutions_trains_bit_for_bit_like_the_reference(tmp_path, data_dir):
    """With every piece the learner's (a copy of solutions/), are the losses, the weights and a sample
    identical to the reference run's for the same seed?"""
    tree = copy_tree(SOLUTIONS, tmp_path / "tree")
    reference = train.main(**SMOKE, max_iters=4, out=tmp_path / "reference", data_dir=data_dir)
    composed = train.main(**SMOKE, impl=str(tree), max_iters=4, out=tmp_path / "composed", data_dir=data_dir)

    saved = [torch.load(result.out_dir / "ckpt.pt", weights_only=True) for result in (reference, composed)]
    assert {piece["owner"] for piece in saved[1]["extra"]["implementation"]["pieces"]} == {"yours"}
    assert saved[0]["history"] == saved[1]["history"]
    assert saved[0]["model"].keys() == saved[1]["model"].keys()
    assert all(torch.equal(saved[0]["model"][name], saved[1]["model"][name]) for name in saved[0]["model"])
    samples = [sample.main(checkpoint=result.out_dir / "ckpt.pt", max_tokens=30, device="cpu") for result in (reference, composed)]
    assert samples[0] == samples[1]


def test_a_helper_of_your_own_can_be_imported_by_your_next_assignment(tmp_path):
    """When the learner's a4 imports a helper that only their a3 defines, does the composition still import?"""
    tree = copy_tree(SOLUTIONS, tmp_path / "tree")
    with open(tree / "a3_attention" / "attention.py", "a", encoding="utf-8") as module:
        module.write("\n\ndef head_width(d_model, n_heads):\n    return d_model // n_heads\n")
    model = tree / "a4_transformer" / "model.py"
    model.write_text(model.read_text().replace(
        "from ..a3_attention.attention import MultiHeadSelfAttention",
        "from ..a3_attention.attention import MultiHeadSelfAttention, head_width",
    ))

    code = learner_code(str(tree))
    assert owners(code.pieces)["GPT"] is Owner.YOURS
    assert sys.modules[code.model.__name__ + "_yours"].head_width(8, 2) == 4
