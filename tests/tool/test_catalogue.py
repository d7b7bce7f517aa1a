"""Does a catalogue entry read and apply as its docstring says, and is the course's own catalogue sound?"""

from __future__ import annotations

import textwrap

import pytest
import torch

from grader.catalogue import CatalogueError, EntryKind, apply_entry, build_tree, load_catalogue
from grader.implementation import Implementation
from grader.paths import SOLUTIONS

MODULE = textwrap.dedent(
    '''\
    """A module."""

    import math

    import torch


    # ## Task 9.1: double
    def double(x):
        """Twice x."""
        return 2 * x


    class Counter:
        """Counts."""

        def __init__(self):
            self.count = 0

        @property
        def value(self):
            return self.count

        def add(self, n):
            self.count += n


    def last():
        return "last"
    '''
)


def entry(body: str, *, task: str = "3.3", kind: str = "mutant") -> str:
    return f'"""An entry."""\n\nTASK = "{task}"\nKIND = "{kind}"\n\n' + textwrap.dedent(body)


def run(source: str) -> dict:
    namespace: dict = {}
    exec(compile(source, "<patched>", "exec"), namespace)
    return namespace


def test_a_function_replaces_the_function_of_its_name():
    """Does an entry's function take the place of the module's, leaving the rest (headers included) alone?"""
    patched = apply_entry(MODULE, entry("def double(x):\n    return x + x + 1\n"))
    namespace = run(patched)
    assert namespace["double"](3) == 7 and namespace["last"]() == "last"
    assert "# ## Task 9.1: double" in patched and patched.count("def double") == 1
    assert patched.splitlines()[:5] == MODULE.splitlines()[:5]


def test_a_class_is_partial_its_methods_replace_or_add():
    """Does a class of the entry replace only the methods it defines (decorators included), and add new ones?"""
    patched = apply_entry(
        MODULE,
        entry(
            """\
            class Counter:
                @property
                def value(self):
                    return -self.count

                def reset(self):
                    self.count = 0
            """
        ),
    )
    counter = run(patched)["Counter"]()
    counter.add(4)
    assert counter.value == -4
    counter.reset()
    assert counter.value == 0
    assert patched.count("@property") == 1


def test_helpers_and_imports_are_added_where_the_code_needs_them():
    """Are an entry's new helpers put before the first definition it replaces, and its new imports after the module's?"""
    patched = apply_entry(
        MODULE,
        entry(
            """\
            import math
            import functools

            _OFFSET = 10


            def _shift(x):
                return x + _OFFSET


            def last():
                return functools.reduce(lambda a, b: a + b, [_shift(1), 1])
            """
        ),
    )
    assert run(patched)["last"]() == 12
    lines = patched.splitlines()
    assert lines.count("import math") == 1
    assert lines.index("import functools") < lines.index("def _shift(x):") < lines.index("def last():")


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("def dubble(x):\n    return x\n", "replaces nothing"),
        ("def double(x)\n    return x\n", "syntax error"),
        ("class Counter:\n    LIMIT = 3\n", "holds only methods"),
    ],
    ids=["unknown-name", "syntax-error", "attribute-in-partial-class"],
)
def test_a_broken_entry_is_named_with_the_problem(body, message):
    """Is an entry that replaces nothing, does not parse, or puts attributes in a partial class refused clearly?"""
    with pytest.raises(CatalogueError, match=message):
        apply_entry(MODULE, entry(body), entry_name="a3_attention/broken.py")


def write_catalogue(root, folder: str, name: str, text: str):
    (root / folder).mkdir(parents=True, exist_ok=True)
    (root / folder / f"{name}.py").write_text(text, encoding="utf-8")
    return root


@pytest.mark.parametrize(
    ("folder", "text", "message"),
    [
        ("a9_nothing", entry("def f():\n    pass\n"), "names no assignment"),
        ("a3_attention", entry("def softmax(x, dim=-1):\n    return x\n", task="4.1"), "TASK '4.1' is not a checked task of a3_attention"),
        ("a3_attention", entry("def softmax(x, dim=-1):\n    return x\n", task="3.8"), "TASK '3.8' is not a checked task"),
        ("a3_attention", entry("def softmax(x, dim=-1):\n    return x\n", kind="bug"), "KIND must be 'mutant' or 'alternative', got 'bug'"),
        ("a3_attention", '"""No metadata."""\n\ndef softmax(x, dim=-1):\n    return x\n', "needs a string constant TASK"),
    ],
    ids=["unknown-folder", "task-of-another-assignment", "manual-task", "unknown-kind", "no-metadata"],
)
def test_a_catalogue_with_wrong_metadata_is_refused(tmp_path, course, folder, text, message):
    """Is each metadata mistake an error naming the file and the value?"""
    root = write_catalogue(tmp_path / "catalogue", folder, "entry", text)
    with pytest.raises(CatalogueError, match=message):
        load_catalogue(root, course=course)


def test_a_missing_catalogue_is_named(tmp_path, course):
    """Does a catalogue folder that does not exist give an error naming it?"""
    with pytest.raises(CatalogueError, match="does not exist"):
        load_catalogue(tmp_path / "nowhere", course=course)


def test_a_built_tree_is_the_reference_with_one_definition_changed(tmp_path, course, ref):
    """Does build_tree write an importable copy of the reference (code only) in which only the entry's definition differs?"""
    root = write_catalogue(
        tmp_path / "catalogue",
        "a3_attention",
        "identity_softmax",
        entry('def softmax(x, dim=-1):\n    """Forgot the exp."""\n    return x / x.sum(dim=dim, keepdim=True)\n', task="3.2"),
    )
    (found,) = load_catalogue(root, course=course)
    assert (found.name, found.kind, found.task.id, found.description) == ("a3_attention/identity_softmax", EntryKind.MUTANT, "3.2", "An entry.")
    tree = build_tree(found, tmp_path / "tree")
    assert not list(tree.rglob("*.ipynb")) and not list(tree.rglob("__pycache__"))
    mutant = Implementation(tree, course=course)
    x = torch.tensor([1.0, 3.0])
    assert torch.equal(mutant.a3.softmax(x), torch.tensor([0.25, 0.75]))
    assert torch.equal(mutant.a3.causal_mask(3), ref.a3.causal_mask(3))
    with pytest.raises(CatalogueError, match="already exists"):
        build_tree(found, tree)


def test_the_course_catalogue_has_mutants_and_alternatives_for_every_assignment(course):
    """Does tests/mutants hold at least 5 mutants and 2 alternatives for each assignment, each readable?"""
    entries = load_catalogue(course=course)
    for assignment in course.assignments:
        kinds = [entry.kind for entry in entries if entry.assignment.id == assignment.id]
        assert kinds.count(EntryKind.MUTANT) >= 5, f"{assignment.id} has {kinds.count(EntryKind.MUTANT)} mutants"
        assert kinds.count(EntryKind.ALTERNATIVE) >= 2, f"{assignment.id} has {kinds.count(EntryKind.ALTERNATIVE)} alternatives"
    for found in entries:
        module = SOLUTIONS / found.assignment.id / f"{found.assignment.module}.py"
        apply_entry(module.read_text(encoding="utf-8"), found.path.read_text(encoding="utf-8"), entry_name=str(found.path))
