"""Does `course similarity` rank disguised copies first, leave stubs and independent work alone, and survive hostile files?

The sample class is almost all the reference solution: `perfect`, `partial`,
`broken` and the hostile students are copies of solutions/ with one
function changed, and `empty` is the stubs. Copies of a disguised reference
could not honestly rank above `perfect` against `partial` (after
normalisation they are the reference too), so the planted copies start from
an implementation of a3 written independently of the reference (CAROL):
`dave` and `erin` are two disguises of it (renamed variables, reordered
functions, other comments and layout, and erin swaps two checks), and
`frank` is a second independent implementation (FRANK) of the same
functions. Carol herself is not in the class.
"""

from __future__ import annotations

import json
import re
import shutil
import textwrap
from pathlib import Path

import pytest

from grader.commands import similarity as command
from grader.course import load_course
from grader.errors import CourseError
from grader.grading.similarity import (
    K_GRAM,
    WINDOW,
    Scaffold,
    compare_submissions,
    containment,
    fingerprint_source,
    given_names,
    normalise,
    read_source,
    winnow,
)
from grader.grading.similarity_report import write_similarity_report
from grader.paths import ASSIGNMENTS, REPOSITORY

CLASS = REPOSITORY / "examples" / "submissions"
COURSE = load_course()
STUB = (ASSIGNMENTS / "a3_attention" / "attention.py").read_text(encoding="utf-8")
GIVEN = given_names(STUB)
STUB_SCAFFOLD = Scaffold.of(normalise(STUB, given=GIVEN)[0])

# Task id -> the body (or bodies, for the two methods of 3.7) that replace the stub's raise, indented 4 spaces.
CAROL = {
    "3.1": """\
if seq_len < 0:
    raise ValueError("negative length: " + str(seq_len))
rows = torch.arange(seq_len, device=device)
return rows[:, None] >= rows[None, :]
""",
    "3.2": """\
largest, _ = torch.max(x, dim=dim, keepdim=True)
shifted = torch.exp(x - largest.detach())
total = torch.sum(shifted, dim=dim, keepdim=True)
return shifted / total
""",
    "3.3": """\
if q.size(-1) != k.size(-1):
    raise ValueError("query width %d differs from key width %d" % (q.size(-1), k.size(-1)))
if mask is not None and mask.dtype is not torch.bool:
    raise ValueError("mask dtype must be torch.bool, not %s" % mask.dtype)
scale = 1.0 / math.sqrt(q.size(-1))
logits = torch.matmul(q, k.transpose(-1, -2)) * scale
if mask is not None:
    logits = torch.where(mask, logits, torch.full_like(logits, float("-inf")))
return softmax(logits, dim=-1)
""",
    "3.4": """\
if k.size(-2) != v.size(-2):
    raise ValueError("keys and values disagree on T_k: %d vs %d" % (k.size(-2), v.size(-2)))
probabilities = attention_weights(q, k, mask=mask)
return torch.matmul(probabilities, v)
""",
    "3.5": """\
if x.ndim != 3:
    raise ValueError("expected a (B, T, C) tensor, got shape %s" % (tuple(x.shape),))
batch, time, channels = x.size()
if n_heads < 1 or channels % n_heads:
    raise ValueError("cannot split %d channels into %d heads" % (channels, n_heads))
width = channels // n_heads
return x.reshape(batch, time, n_heads, width).permute(0, 2, 1, 3)
""",
    "3.6": """\
if x.ndim != 4:
    raise ValueError("expected a (B, H, T, D) tensor, got shape %s" % (tuple(x.shape),))
batch, heads, time, width = x.size()
return x.permute(0, 2, 1, 3).reshape(batch, time, heads * width)
""",
    "3.7": (
        """\
    if n_heads < 1 or d_model % n_heads:
        raise ValueError("d_model %d is not a multiple of n_heads %d" % (d_model, n_heads))
    if dropout < 0.0 or dropout >= 1.0:
        raise ValueError("dropout %r outside [0, 1)" % dropout)
    self.head_dim = d_model // n_heads
    self.q_proj = nn.Linear(d_model, d_model, bias=False)
    self.k_proj = nn.Linear(d_model, d_model, bias=False)
    self.v_proj = nn.Linear(d_model, d_model, bias=False)
    self.o_proj = nn.Linear(d_model, d_model, bias=False)
    self.attn_dropout = nn.Dropout(p=dropout)
    self.resid_dropout = nn.Dropout(p=dropout)
""",
        """\
    time = x.size(1)
    queries = split_heads(self.q_proj(x), self.n_heads)
    keys = split_heads(self.k_proj(x), self.n_heads)
    values = split_heads(self.v_proj(x), self.n_heads)
    mask = None
    if self.causal:
        mask = causal_mask(time, device=x.device)
    probabilities = attention_weights(queries, keys, mask)
    mixed = torch.matmul(self.attn_dropout(probabilities), values)
    result = self.resid_dropout(self.o_proj(merge_heads(mixed)))
    return (result, probabilities) if return_weights else result
""",
    ),
}

FRANK = {
    "3.1": """\
if seq_len < 0:
    raise ValueError(f"seq_len must be >= 0, got {seq_len}")
return torch.tril(torch.ones((seq_len, seq_len), device=device)).bool()
""",
    "3.2": """\
m = x.max(dim=dim, keepdim=True).values
e = (x - m).exp()
return e / e.sum(dim=dim, keepdim=True)
""",
    "3.3": """\
d = q.shape[-1]
if k.shape[-1] != d:
    raise ValueError(f"last dims differ: {d} and {k.shape[-1]}")
if mask is not None and mask.dtype != torch.bool:
    raise ValueError(f"mask must be bool, got {mask.dtype}")
s = torch.einsum("...qd,...kd->...qk", q, k) / d ** 0.5
if mask is not None:
    s = s.masked_fill(mask == False, -math.inf)
return softmax(s)
""",
    "3.4": """\
if v.shape[-2] != k.shape[-2]:
    raise ValueError(f"{k.shape[-2]} keys but {v.shape[-2]} values")
return torch.einsum("...qk,...kd->...qd", attention_weights(q, k, mask), v)
""",
    "3.5": """\
if len(x.shape) != 3:
    raise ValueError(f"want 3 dims, got shape {tuple(x.shape)}")
b, t, c = x.shape
if n_heads <= 0 or c % n_heads != 0:
    raise ValueError(f"{c} channels, {n_heads} heads")
return x.view(b, t, n_heads, -1).transpose(1, 2)
""",
    "3.6": """\
if len(x.shape) != 4:
    raise ValueError(f"want 4 dims, got shape {tuple(x.shape)}")
b, h, t, d = x.shape
return x.transpose(1, 2).reshape(b, t, h * d)
""",
    "3.7": (
        """\
    if n_heads <= 0 or d_model % n_heads != 0:
        raise ValueError(f"n_heads={n_heads} must divide d_model={d_model}")
    if not (0 <= dropout < 1):
        raise ValueError(f"bad dropout {dropout}")
    self.head_dim = d_model // n_heads
    for name in ("q_proj", "k_proj", "v_proj", "o_proj"):
        setattr(self, name, nn.Linear(d_model, d_model, bias=False))
    self.attn_dropout, self.resid_dropout = nn.Dropout(dropout), nn.Dropout(dropout)
""",
        """\
    b, t, c = x.shape
    q, k, v = (split_heads(proj(x), self.n_heads) for proj in (self.q_proj, self.k_proj, self.v_proj))
    w = attention_weights(q, k, causal_mask(t, device=x.device) if self.causal else None)
    y = self.resid_dropout(self.o_proj(merge_heads(self.attn_dropout(w) @ v)))
    if return_weights:
        return y, w
    return y
""",
    ),
}

# Dave renames every local, puts the functions in another order, and comments and spaces his lines his own way.
DAVE_RENAMES = {
    "rows": "idx", "largest": "peak", "shifted": "numerators", "total": "denominator", "scale": "factor",
    "logits": "energy", "probabilities": "attn", "batch": "bsz", "time": "seqlen", "channels": "dim_all",
    "width": "hd", "heads": "nh", "queries": "qh", "keys": "kh", "values": "vh", "mixed": "context", "result": "output",
}
SCRIPT = "<script>alert('copied')</script>"
DAVE_ORDER = ["3.6", "3.5", "3.7", "3.2", "3.1", "3.4", "3.3"]
# Erin renames differently, keeps another order, and swaps the two checks of attention_weights.
ERIN_RENAMES = {
    "rows": "r", "largest": "mx", "shifted": "ex", "total": "s", "scale": "inv_sqrt_d", "logits": "sc",
    "probabilities": "p", "batch": "B_", "time": "T_", "channels": "C_", "width": "D_", "heads": "H_",
    "queries": "Q", "keys": "K", "values": "V", "mixed": "ctx", "result": "y",
}
ERIN_ORDER = ["3.7", "3.1", "3.3", "3.2", "3.6", "3.4", "3.5"]


def split_stub() -> tuple[str, dict[str, str]]:
    """The stub's header (docstring, imports) and its sections by task id, each from its ``# ## Task`` line."""
    header, *sections = re.split(r"(?m)^(?=# ## Task )", STUB)
    return header, {re.match(r"# ## Task (\S+):", section).group(1): section for section in sections}


def implementation(bodies: dict, *, order: list[str] | None = None, renames: dict[str, str] | None = None, comment: str = "") -> str:
    """The stub with each task's raise replaced by `bodies`, sections in `order`, locals renamed, `comment` before each body."""
    header, sections = split_stub()
    renames = renames or {}

    def disguise(body: str, indent: str) -> str:
        for old, new in renames.items():
            body = re.sub(rf"(?<![.\w]){old}\b", new, body)
        lines = ([f"{comment}\n"] if comment else []) + textwrap.dedent(body).splitlines(keepends=True)
        return "".join(indent + line if line.strip() else line for line in lines)

    filled = {}
    for task, section in sections.items():
        body = bodies[task]
        for method_body in body if isinstance(body, tuple) else (body,):
            raise_at = re.search(r"(?m)^( +)# YOUR CODE HERE\n +raise NotImplementedError\(.*\)\n", section)
            section = section[: raise_at.start()] + disguise(method_body, raise_at.group(1)) + section[raise_at.end() :]
        filled[task] = section
    return header + "".join(filled[task].rstrip("\n") + "\n\n\n" for task in (order or list(sections)))


def dave_source() -> str:
    """Carol's code as dave hands it in: DAVE_RENAMES, DAVE_ORDER, his own comments and spacing."""
    source = implementation(CAROL, order=DAVE_ORDER, renames=DAVE_RENAMES, comment=f"# my own work, promise {SCRIPT}")
    # Other spacing and line breaks: what a formatter or a hurried copy changes.
    return source.replace(", ", " ,  ").replace("(x)", "( x )").replace(" = ", "=")


def erin_source() -> str:
    """Carol's code as erin hands it in: ERIN_RENAMES, ERIN_ORDER, her comments, fewer blank lines, two checks swapped."""
    lines = CAROL["3.3"].splitlines(keepends=True)
    checks_swapped = "".join(lines[2:4] + lines[0:2] + lines[4:])
    source = implementation({**CAROL, "3.3": checks_swapped}, order=ERIN_ORDER, renames=ERIN_RENAMES, comment="    # step by step:")
    return source.replace("\n\n\n", "\n\n")


def write_student(root: Path, student: str, files: dict[str, str | bytes]) -> Path:
    """A submission folder ``root/student`` holding `files` (relative path -> text or bytes)."""
    for relative, content in files.items():
        path = root / student / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    return root / student


def a3(source: str | bytes) -> dict[str, str | bytes]:
    return {"a3_attention/__init__.py": "", "a3_attention/attention.py": source}


def own_fingerprints(source: str) -> frozenset[int]:
    """The fingerprints of an a3 module beyond the stub's scaffolding."""
    return fingerprint_source(source, given=GIVEN, scaffold=STUB_SCAFFOLD).hashes


@pytest.fixture(scope="module")
def planted_class(tmp_path_factory) -> Path:
    """A copy of the sample class (its folders and zips) with dave, erin, frank and a second stub-only student."""
    root = tmp_path_factory.mktemp("class") / "submissions"
    shutil.copytree(CLASS, root, symlinks=True)
    shutil.copytree(CLASS / "empty", root / "empty-twin")
    write_student(root, "dave", a3(dave_source()))
    write_student(root, "erin", a3(erin_source()))
    write_student(root, "frank", a3(implementation(FRANK)))
    return root


@pytest.fixture(scope="module")
def report(planted_class):
    """The comparison of the planted class over every assignment, with the command's defaults."""
    return compare_submissions([planted_class], course=COURSE, threshold=0.5)


# ---------------------------------------------------------------------------
# The planted class
# ---------------------------------------------------------------------------


def test_the_planted_copies_rank_first(report):
    """Do two disguised copies of one implementation (renamed, reordered, recommented) rank first, per assignment and
    overall, with every function matched to its own counterpart although the order differs?"""
    first = report.pairs[0]
    assert (first.students, first.assignment) == (("dave", "erin"), "a3_attention")
    assert first.score >= 0.9
    assert report.overall[0].students == ("dave", "erin")
    functions = {"causal_mask", "softmax", "attention_weights", "scaled_dot_product_attention", "split_heads", "merge_heads",
                 "MultiHeadSelfAttention.__init__", "MultiHeadSelfAttention.forward"}
    assert {region.units for region in first.regions} == {(name, name) for name in functions}
    # Dave put merge_heads first and erin near the end: the regions follow dave's file, the lines differ.
    merge = next(region for region in first.regions if region.units[0] == "merge_heads")
    assert merge.lines[0][0] < 100 < merge.lines[1][0]


def test_independent_implementations_do_not_pair(report, planted_class):
    """Is frank, who wrote the same functions on his own, listed with nobody, even at threshold 0, while his code
    and dave's share under a tenth of their fingerprints and dave's and erin's over nine tenths?"""
    assert all("frank" not in pair.students for pair in report.pairs)
    everything = compare_submissions([planted_class], course=COURSE, assignments=["a3"], threshold=0.0)
    assert all("frank" not in pair.students for pair in everything.pairs)
    dave, erin, frank = own_fingerprints(dave_source()), own_fingerprints(erin_source()), own_fingerprints(implementation(FRANK))
    assert containment(dave, frank) < 0.1 and containment(frank, dave) < 0.1
    assert containment(dave, erin) > 0.9 and containment(erin, dave) > 0.9


def test_copies_of_the_reference_are_reported_once_each_not_as_pairs(report):
    """The sample class is mostly the reference: are perfect and partial listed as matching the reference solution
    (its own column), never as a pair, and do the students who wrote their own code show a small reference share?"""
    assert all(not {"perfect", "partial"} & set(pair.students) for pair in report.pairs)
    matches = {(match.student, match.assignment): match.share for match in report.reference_matches}
    for student in ("perfect", "partial"):
        for assignment in ("a1_tokenizer", "a2_embeddings", "a3_attention"):
            assert matches[(student, assignment)] == pytest.approx(1.0)
    assert matches[("perfect", "a7_capstone")] == pytest.approx(1.0)
    assert ("partial", "a7_capstone") not in matches  # a stub: nothing of its own
    dave_share, erin_share = report.pairs[0].reference
    assert dave_share < 0.3 and erin_share < 0.3
    assert ("dave", "a3_attention") not in matches


def test_stub_only_submissions_pair_with_nobody(report):
    """Are two students who handed in the untouched stubs left out of the pairs and of the reference matches, having
    no code of their own?"""
    assert all(not {"empty", "empty-twin"} & set(pair.students) for pair in report.pairs)
    assert all(match.student not in ("empty", "empty-twin") for match in report.reference_matches)
    assert own_fingerprints(STUB) == frozenset()
    assert {"empty", "empty-twin"} <= set(report.students)


def test_the_sample_class_problems_are_reported(report):
    """Are the sample class's unreadable submissions reported, one line each, without stopping the comparison?"""
    problems = {(problem.student, problem.assignment): problem.message for problem in report.problems}
    assert "syntax error at line" in problems[("broken", "a3_attention")]
    assert "not UTF-8" in problems[("hostile-non-utf8", "a3_attention")]
    assert "bad bytes replaced" in problems[("hostile-non-utf8", "a3_attention")]
    assert sum(problem.student == "hostile-non-utf8" for problem in report.problems) == 1
    assert "symbolic link" in problems[("hostile-symlink", "")]
    assert "1 GiB" in problems[("hostile-zip-bomb", "")]
    # Still compared: the non-UTF-8 file is the reference with one bad byte in a comment.
    assert ("hostile-non-utf8", "a3_attention") in {(match.student, match.assignment) for match in report.reference_matches}


# ---------------------------------------------------------------------------
# Normalisation and winnowing
# ---------------------------------------------------------------------------

ORIGINAL = '''\
import torch


def scores(queries, keys):
    """Dot products, scaled."""
    width = queries.shape[-1]
    product = queries @ keys.transpose(-2, -1)  # (T, T)
    return product / width ** 0.5


def normalise_rows(matrix):
    largest = matrix.amax(dim=-1, keepdim=True)
    exponentials = torch.exp(matrix - largest)
    return exponentials / exponentials.sum(dim=-1, keepdim=True)
'''

RENAMED_AND_RESPACED = '''\
import torch
def normalise_rows( m ):
    # subtract the max first
    big=m.amax(dim = -1,keepdim = True)
    e = torch.exp(m-big)
    return e/e.sum(dim=-1,
                   keepdim=True)
def scores(q, k):
    "Another docstring, another comment."
    d = q.shape[ -1 ]; p = q @ k.transpose( -2 , -1 )
    return p/d**0.5
'''


def test_renaming_respacing_and_recommenting_change_no_fingerprint():
    """Do two files differing only in local names, spacing, line breaks, comments, docstrings, `;` and function
    order give the very same fingerprints?"""
    assert fingerprint_source(ORIGINAL).hashes == fingerprint_source(RENAMED_AND_RESPACED).hashes
    assert len(fingerprint_source(ORIGINAL).hashes) > 5


def test_reordering_functions_keeps_containment_whole():
    """Does a file whose functions are reordered and interleaved with a new one still contain all of the original?"""
    original = fingerprint_source(ORIGINAL).hashes
    helper = "\n\ndef extra(values):\n    return [value * 2 for value in values if value > 0 and value < 100]\n"
    reordered = RENAMED_AND_RESPACED.replace("def scores", helper + "\ndef scores")
    assert containment(original, fingerprint_source(reordered).hashes) == 1.0


def test_what_the_code_does_still_tells_files_apart():
    """Do another library call or another operator change the fingerprints, while the values of numbers stay out
    of them (only their kind counts)?"""
    base = "def f(x):\n    return x.sum(dim=-1, keepdim=True) + 1 * x.shape[0] - 2\n"
    assert fingerprint_source(base).hashes != fingerprint_source(base.replace(".sum", ".mean")).hashes
    assert fingerprint_source(base).hashes != fingerprint_source(base.replace("+ 1", "- 1")).hashes
    assert fingerprint_source(base).hashes == fingerprint_source(base.replace("- 2", "- 7").replace("-1", "-3")).hashes


def test_normalised_tokens_read_as_documented():
    """Are names the student chose V, given names, builtins and library attributes kept, own attributes V,
    literals their kind, and comments and docstrings gone?"""
    source = 'def forward(self, x):\n    """Doc."""\n    self.scale = len(x)  # why\n    return torch.tril(x) * self.scale + "s"\n'
    (unit,) = normalise(source, given=frozenset({"torch", "forward", "self", "x"}))[0]
    assert unit.name == "forward"
    assert " ".join(unit.tokens) == 'def forward ( self , x ) : ; { self .V = len ( x ) ; return torch .tril ( x ) * self .V + " ; }'


def test_units_are_functions_and_methods():
    """Is each top-level function and each method its own unit, named for the report, with a decorator kept with
    its function and a nested function inside its parent?"""
    source = (
        "import torch\n\nclass Model:\n    size = 3\n\n    @property\n    def width(self):\n        def inner():\n"
        "            return 1\n        return inner()\n\n    def forward(self, x):\n        return x\n\ndef helper():\n    return 2\n"
    )
    assert [unit.name for unit in normalise(source)[0]] == ["(module)", "Model", "Model.width", "Model.forward", "helper"]


def test_winnowing_keeps_the_papers_fingerprints():
    """Does winnowing keep the rightmost minimum of each window once, as in Schleimer et al. 2003, figure 2?"""
    hashes = [77, 74, 42, 17, 98, 50, 17, 98, 8, 88, 67, 39, 77, 74, 42, 17, 98]
    assert [hashes[position] for position in winnow(hashes, window=4)] == [17, 17, 8, 39, 17]
    assert winnow([5, 3, 9], window=4) == [1]
    assert winnow([], window=4) == []


def test_every_long_enough_match_is_found():
    """Does a run of K_GRAM + WINDOW - 1 equal tokens inside otherwise different code give a shared fingerprint?"""
    shared = "    total = torch.cumsum(x, dim=0).flip(0) - 3\n"
    first = "def f(x):\n    print(x, x, x, x)\n" + shared + "    return total\n"
    second = "def g(y, x):\n    while y:\n        y = y - 1\n" + shared + "    yield total, y\n"
    assert len(normalise(shared.strip())[0][0].tokens) >= K_GRAM + WINDOW - 1
    assert fingerprint_source(first).hashes & fingerprint_source(second).hashes


def test_a_line_inserted_into_the_stub_counts_as_one_line():
    """Does one line added to the stub's provided code count as that line's few tokens, however many new k-grams
    span it, so that two students who both add an import are not paired?"""
    with_import = STUB.replace("import math\n", "import math\nimport sys\n")
    found = fingerprint_source(with_import, given=GIVEN, scaffold=STUB_SCAFFOLD)
    assert len(found.fingerprints) > 1
    own_tokens = {token for fingerprint in found.fingerprints for token in fingerprint.tokens}
    assert len(own_tokens) <= 3
    assert found.lines_of(own_tokens) == {with_import.splitlines().index("import sys") + 1}


# ---------------------------------------------------------------------------
# Hostile files
# ---------------------------------------------------------------------------


def test_hostile_files_are_reported_and_compared_as_far_as_they_can_be_read(tmp_path):
    """Do a non-UTF-8 file, a file padded past the size limit, an unterminated string, NUL bytes, a syntax error and
    a thousand nested parentheses each give one problem line and no crash, while copies hidden behind a bad byte,
    a megabyte of padding or a broken file are still found?"""
    root = tmp_path / "class"
    # A coding declaration naming a codec that cannot decode, and a Latin-1 byte: read as UTF-8 all the same.
    latin1 = b"# -*- coding: rot13 -*-\n" + dave_source().encode("utf-8").replace(b"import math\n", b"import math  # caf\xe9\n", 1)
    padding = "".join(f"# {'padding ' * 125}{line}\n" for line in range(1200))
    write_student(root, "bad-byte", a3(latin1))
    write_student(root, "padded", a3(erin_source() + padding))
    write_student(root, "unterminated", a3(implementation(FRANK) + 'NOTE = """never closed\n'))
    write_student(root, "nul", a3(implementation(FRANK).replace("import math\n", "import math\0\n")))
    missing_colon = implementation(FRANK).replace("def merge_heads(x: torch.Tensor) -> torch.Tensor:", "def merge_heads(x)")
    write_student(root, "missing-colon", a3(missing_colon))
    write_student(root, "nested", a3(STUB + "DEEP = " + "(" * 1000 + ")" * 1000 + "\n"))
    assert len(erin_source() + padding) > 1 << 20

    found = compare_submissions([root], course=COURSE, assignments=["a3"])

    problems = {problem.student: problem.message for problem in found.problems}
    assert "not UTF-8 (byte 0xe9" in problems["bad-byte"] and "bad bytes replaced" in problems["bad-byte"]
    assert "only its first 1 MiB" in problems["padded"]
    assert "tokenizing stopped at line" in problems["unterminated"]
    assert "null bytes" in problems["nul"]
    assert "syntax error at line" in problems["missing-colon"]
    assert "nested parentheses" in problems["nested"]
    assert [problem.student for problem in found.problems].count("bad-byte") == 1
    # Each damaged file is still compared: the copies of frank's code behind them pair up as well.
    assert {pair.students for pair in found.pairs if pair.score >= 0.9} == {
        ("bad-byte", "padded"), ("missing-colon", "nul"), ("missing-colon", "unterminated"), ("nul", "unterminated"),
    }


def test_the_page_escapes_student_code(planted_class, tmp_path):
    """Does `<script>` written in a student's file reach the side-by-side page only as text?"""
    found = compare_submissions([planted_class], course=COURSE, assignments=["a3"])
    assert any(SCRIPT in line for line in found.sources[("dave", "a3_attention")].lines)
    html_path, _ = write_similarity_report(found, out=tmp_path, title="<b>course</b>")
    page = html_path.read_text(encoding="utf-8")
    assert "<script" not in page.lower()
    assert "&lt;script&gt;alert(&#x27;copied&#x27;)&lt;/script&gt;" in page
    assert "&lt;b&gt;course&lt;/b&gt;" in page
    assert 'id="pair-1"' in page and '<tr class="r0"><td class="line">' in page


# ---------------------------------------------------------------------------
# The command
# ---------------------------------------------------------------------------


def test_the_command_prints_the_ranked_table_and_writes_both_files(planted_class, tmp_path, capsys):
    """Does `course similarity` print the pairs, the reference matches and the problems, and write the page and the
    JSON with the same ranking?"""
    out = tmp_path / "out"
    found = command.main(submissions=[planted_class], out=out, assignments=["a3"])
    printed = capsys.readouterr().out
    assert "dave and erin" in printed and "a3_attention" in printed
    assert "match the reference solution" in printed and "perfect" in printed
    assert "syntax error" in printed and str(out / "similarity.html") in printed
    data = json.loads((out / "similarity.json").read_text())
    assert data == json.loads(json.dumps(found.to_json()))
    assert data["pairs"][0]["students"] == ["dave", "erin"]
    assert data["parameters"]["threshold"] == 0.5
    assert (out / "similarity.html").is_file()


def test_the_command_prints_json_when_asked(planted_class, tmp_path, capsys):
    """Does `--json` print the report's JSON and nothing else, and still write the files?"""
    command.main(submissions=[planted_class], out=tmp_path, assignments=["a3_attention"], json_output=True)
    data = json.loads(capsys.readouterr().out)
    assert data["pairs"][0]["students"] == ["dave", "erin"] and data["assignments"] == ["a3_attention"]
    assert (tmp_path / "similarity.html").is_file() and (tmp_path / "similarity.json").is_file()


@pytest.mark.parametrize(
    ("options", "error", "message"),
    [
        ({"threshold": 1.5}, ValueError, "threshold=1.5 must be in [0, 1]"),
        ({"top": 0}, ValueError, "top=0 must be at least 1"),
        ({"common_limit": 1}, ValueError, "common_limit=1 must be at least 2"),
        ({"assignments": ["a9"]}, CourseError, "unknown assignment 'a9'"),
    ],
)
def test_bad_options_are_refused_by_name(options, error, message, tmp_path):
    """Is a bad option refused before anything is read, with a message naming it and its value?"""
    with pytest.raises(error) as raised:
        compare_submissions([tmp_path / "nothing-here"], course=COURSE, **options)
    assert message in str(raised.value)


def test_read_source_cuts_a_large_file_at_a_line_end(tmp_path):
    """Is a file over the limit read up to its last full line within the limit, and said so?"""
    path = tmp_path / "big.py"
    path.write_text("x = 1\n" * 100)
    text, problems = read_source(path, shown_as="a1_tokenizer/tokenizer.py", max_bytes=50)
    assert text == "x = 1\n" * 8
    assert problems == ("a1_tokenizer/tokenizer.py is 600 bytes: only its first 50 bytes (8 lines) was compared",)
