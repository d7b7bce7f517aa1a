"""Does the implementation handle reach the right code in every kind of tree?"""

from __future__ import annotations

import shutil

import pytest
import torch

from grader.implementation import (
    KNOWN_TREES,
    Implementation,
    ImplementationError,
    MissingNameError,
    reload_if_changed,
    resolve_tree,
)


def copy_tree(destination, *, with_root_init=True):
    """A student's tree: a copy of solutions/ (the reference, so it starts correct)."""
    shutil.copytree(KNOWN_TREES["solutions"], destination, ignore=shutil.ignore_patterns("__pycache__"))
    if not with_root_init:
        (destination / "__init__.py").unlink()
    return destination


def replace_in(path, old, new):
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_the_reference_tree_is_the_solutions_package_itself(ref):
    """Is ref.a4 the very module `import solutions...` gives, so classes keep one identity?"""
    from solutions.a4_transformer import model

    assert ref.a4 is model
    assert ref.module("a4_transformer") is model and ref.module(4) is model


def test_the_assignments_tree_raises_each_tasks_stub(course):
    """Does impl.a3 on assignments/ reach the stubs, which name their task?"""
    stubs = Implementation(KNOWN_TREES["assignments"], course=course)
    with pytest.raises(NotImplementedError, match=r"^Task 3\.2: softmax$"):
        stubs.a3.softmax(torch.zeros(2))


@pytest.mark.parametrize("with_root_init", [True, False], ids=["package", "plain-folder"])
def test_a_students_tree_is_its_own_package(tmp_path, ref, course, with_root_init):
    """Does a copied tree import side by side with the reference, its relative imports staying inside it?"""
    tree = copy_tree(tmp_path / "student", with_root_init=with_root_init)
    replace_in(tree / "a3_attention" / "attention.py", "def softmax(x: torch.Tensor, dim: int = -1) -> torch.Tensor:", "def softmax(x: torch.Tensor, dim: int = -1) -> torch.Tensor:\n    return x  # a planted bug")
    student = Implementation(tree, course=course)
    scores = torch.tensor([1.0, 2.0, 3.0])
    torch.testing.assert_close(student.a3.softmax(scores), scores, rtol=0, atol=0)
    torch.testing.assert_close(ref.a3.softmax(scores), torch.softmax(scores, dim=-1), rtol=1e-6, atol=1e-7)
    # a4 imports MultiHeadSelfAttention relatively: from the student's a3, not the reference's.
    assert student.a4.MultiHeadSelfAttention is student.a3.MultiHeadSelfAttention
    assert student.a4.MultiHeadSelfAttention is not ref.a3.MultiHeadSelfAttention
    assert student.path_of("a3") == tree.resolve() / "a3_attention" / "attention.py"


def test_a_syntax_error_names_the_file_and_line_and_spares_other_assignments(tmp_path, course):
    """Does a broken a4 fail with its file and line, while a3 still imports?"""
    tree = copy_tree(tmp_path / "student")
    source = tree / "a4_transformer" / "model.py"
    lines = source.read_text(encoding="utf-8").splitlines() + ["def broken(:"]
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    student = Implementation(tree, course=course)
    with pytest.raises(ImplementationError, match=rf"a4_transformer/model\.py cannot be imported: SyntaxError at a4_transformer/model\.py:{len(lines)}:"):
        student.a4
    assert callable(student.a3.softmax)


def test_an_error_raised_while_importing_is_reported_with_where(tmp_path, course):
    """Does a module that raises at import time fail with the exception and its file:line?"""
    tree = copy_tree(tmp_path / "student")
    source = tree / "a2_embeddings" / "embeddings.py"
    source.write_text(source.read_text(encoding="utf-8") + "\nraise RuntimeError('oops')\n", encoding="utf-8")
    student = Implementation(tree, course=course)
    with pytest.raises(ImplementationError, match=r"RuntimeError: oops \(at a2_embeddings/embeddings\.py:\d+\)"):
        student.a2


def test_a_missing_module_is_a_clear_error_also_for_the_modules_that_import_it(tmp_path, course):
    """Is a deleted file an error that names it, both when asked for and when another module imports it?"""
    tree = copy_tree(tmp_path / "student")
    (tree / "a6_sampling" / "sampling.py").unlink()
    student = Implementation(tree, course=course)
    with pytest.raises(ImplementationError, match=r"a6_sampling/sampling\.py"):
        student.a6
    with pytest.raises(ImplementationError, match=r"a7_capstone/capstone\.py cannot be imported: .*a6_sampling\.sampling"):
        student.a7
    with pytest.raises(AttributeError, match="use an assignment like 'a3'"):
        student.softmax


def test_a_renamed_function_is_named_as_missing(tmp_path, course):
    """Does asking for a renamed stub say which file lacks which name, while hasattr and dunder probes behave as usual?"""
    tree = copy_tree(tmp_path / "student")
    replace_in(tree / "a3_attention" / "attention.py", "def softmax(", "def soft_max(")
    student = Implementation(tree, course=course)
    with pytest.raises(MissingNameError, match=r"^a3_attention/attention\.py has no `softmax` \(renamed or deleted\?\)$"):
        student.a3.softmax
    assert not hasattr(student.a3, "softmax") and callable(student.a3.soft_max)
    with pytest.raises(AttributeError) as dunder:
        student.a3.__wrapped__
    assert type(dunder.value) is AttributeError


def test_reload_if_changed_rereads_an_edited_tree_and_only_that_tree(tmp_path, ref, course):
    """Does an edit make reload_if_changed drop the tree's modules, so the next impl.a3 has it, leaving ref alone?"""
    tree = copy_tree(tmp_path / "student")
    student = Implementation(tree, course=course)
    before, reference = student.a3, ref.a3
    assert reload_if_changed(tree) is False and student.a3 is before
    source = tree / "a3_attention" / "attention.py"
    source.write_text(source.read_text(encoding="utf-8") + "\nEDITED = True\n", encoding="utf-8")
    assert reload_if_changed(tree) is True
    assert student.a3 is not before and student.a3.EDITED is True
    # a4 imported the old a3; it is read again too, so the tree stays one consistent set of modules.
    assert student.a4.MultiHeadSelfAttention is student.a3.MultiHeadSelfAttention
    assert ref.a3 is reference


def test_impl_option_accepts_known_names_and_folders_only(tmp_path):
    """Does --impl take 'solutions', 'assignments' or a folder, and refuse anything else by name?"""
    assert resolve_tree("solutions") == KNOWN_TREES["solutions"]
    assert resolve_tree(str(tmp_path)) == tmp_path
    with pytest.raises(ImplementationError, match="no-such-tree"):
        resolve_tree("no-such-tree")


def test_every_task_has_a_registered_marker(pytestconfig, course):
    """Is there a `taskN_M` marker for every task of course.toml?"""
    registered = "\n".join(pytestconfig.getini("markers"))
    for assignment in course.assignments:
        for task in assignment.tasks:
            marker = "task" + task.id.replace(".", "_")
            assert f"{marker}: Task {task.id}: {task.name}" in registered
