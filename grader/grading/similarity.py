"""Find pairs of students whose code is suspiciously alike: MOSS's winnowing over normalised Python tokens.

For each assignment, each student's code module (course.toml ``module``,
e.g. ``a3_attention/attention.py``) goes through four steps:

1. **Normalise** (``normalise``): Python's ``tokenize`` splits the source;
   comments, docstrings (a statement that is only a string), blank lines
   and indentation widths disappear; every number becomes ``0`` and every
   string ``"``; a name the student chose (a local variable, a helper, a
   parameter of a helper) becomes ``V``. Kept as written: keywords,
   operators, builtins (``range``, ``len``), the names the stub gives
   (``torch``, ``nn``, ``causal_mask``, parameters such as ``seq_len``:
   renaming them would break the contract, so they are no disguise), and
   attribute names after a dot (``.tril``, ``.masked_fill``: library calls
   are what the code does) unless the file assigns that attribute
   (``self.scale = ...``), which makes it the student's own name.
   ``NEWLINE`` and ``;`` both become ``;``, indentation becomes ``{`` / ``}``.
2. **Split into units**: a new unit starts at each ``def``, ``class`` or
   decorator at the top level or directly in a class body, so a unit is one
   function or method; no k-gram crosses a unit boundary, so reordering the
   functions of a file changes nothing.
3. **Winnow** (Schleimer, Wilkerson and Aiken, SIGMOD 2003): hash every
   ``K_GRAM`` consecutive tokens of a unit and keep the smallest hash of
   every ``WINDOW`` consecutive hashes. Any run of at least
   ``K_GRAM + WINDOW - 1`` equal tokens in two files yields a fingerprint in
   both; runs shorter than ``K_GRAM`` tokens never do.
4. **Subtract what is not evidence**: the stub (``assignments/<aid>/<module>.py``,
   the scaffolding every student starts from) never counts: a fingerprint
   that is any k-gram of the stub is dropped, and a token inside any run of
   ``SCAFFOLD_GRAM`` tokens the stub has is scaffolding, so a line a
   student inserts into the stub's code counts as that line. Fingerprints that more than ``common_limit``
   submissions hold are common idioms (MOSS's ``-m``). Fingerprints that are
   k-grams of the reference solution are the obvious way to write it: they
   are left out of the pair score and reported on their own.

What is reported (``compare_submissions``):

- ``pairs``: per assignment, each pair whose ``score``, the share of the
  smaller student's counted fingerprints (beyond stub, reference and common
  code) found in the other's, reaches ``threshold``, and whose shared
  fingerprints hold at least ``MIN_SHARED_TOKENS`` of each student's own
  tokens; with the matched regions (unit to unit, line numbers) for a
  side-by-side view;
- ``overall``: the same pooled over every assignment the two both handed in;
- ``reference_matches``: each submission whose own code (beyond the stub)
  is mostly the reference solution. Two students who both hand in the
  reference are listed here, each once, instead of as a pair: their common
  code is explained by the reference, and a class where the solution leaked
  would otherwise fill the pair list with every pair of those who copied it;
- ``problems``: what intake refused, files that are not UTF-8, do not
  tokenize or parse, or are too large; each is still compared as far as it
  can be read.

Student code is only read as text: nothing is imported or run.

Example::

    report = compare_submissions(["submissions"], course=load_course(), assignments=["a3"])
    report.pairs[0].students, report.pairs[0].score   # ("dave", "erin"), 0.95: two disguised copies
    report.reference_matches[0]                       # ReferenceMatch(student="perfect", assignment="a3_attention", share=1.0, ...)
"""

from __future__ import annotations

import ast
import builtins
import hashlib
import io
import keyword
import tempfile
import tokenize
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from itertools import combinations
from pathlib import Path

from ..course import Assignment, Course
from ..errors import CourseError
from ..paths import ASSIGNMENTS, SOLUTIONS
from .intake import _size, discover, unpack

K_GRAM = 12
"""Tokens per hashed k-gram: shorter runs of equal tokens are noise (half a line of ``x.view(B, T, C)``)."""
WINDOW = 4
"""Consecutive k-gram hashes per winnowing window: equal runs of ``K_GRAM + WINDOW - 1`` = 15 tokens always match."""
SCAFFOLD_GRAM = 6
"""A token inside a run of this many tokens that the stub has is scaffolding, not the student's own: short enough
that the tokens beside a line inserted into the stub's code, even near the start of a function, stay scaffolding."""
MIN_SHARED_TOKENS = 40
"""Fewest own tokens (not the stub's) each student of a pair must have in shared fingerprints to be listed: about
three lines. Fewer is an import or a line, which students write alike; and a line inserted into the stub's code
makes a dozen new k-grams, which must count as the one line it is."""
MAX_SOURCE_BYTES = 1 << 20
"""Bytes of a module compared; a larger file is compared up to the last full line within this and reported."""
MAX_SHOWN_LINES = 2000
"""Lines of a module kept for the side-by-side view."""
COMMON_LIMIT = 10
"""A fingerprint more submissions than this hold is a common idiom, not evidence (MOSS's ``-m`` default)."""

IDENTIFIER = "V"
NUMBER = "0"
STRING = '"'
END_OF_STATEMENT = ";"
BEGIN_BLOCK = "{"
END_BLOCK = "}"

_BUILTIN_NAMES = frozenset(dir(builtins))
_ASSIGNING_OPERATORS = frozenset({"=", "+=", "-=", "*=", "/=", "//=", "%=", "**=", "@=", "&=", "|=", "^=", ">>=", "<<="})
_UNIT_STARTS = frozenset({"def", "class", "async", "@"})
_SKIPPED_TOKENS = frozenset({tokenize.COMMENT, tokenize.NL, tokenize.ENCODING, tokenize.ENDMARKER})
# Python 3.12 splits f-strings into several tokens (3.11 has one STRING); either way one literal.
_FSTRING_START = getattr(tokenize, "FSTRING_START", None)
_FSTRING_END = getattr(tokenize, "FSTRING_END", None)


# ---------------------------------------------------------------------------
# Records
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Unit:
    """One function or method (or the module code around them), normalised."""

    name: str
    """Where it is, for people: ``"causal_mask"``, ``"MultiHeadSelfAttention.forward"``, ``"(module)"``."""
    tokens: tuple[str, ...]
    """The normalised tokens, e.g. ``("def", "causal_mask", "(", "seq_len", ")", ":", ";", "{", ...)``."""
    lines: tuple[tuple[int, int], ...]
    """Per token, its first and last line in the source (1-based)."""


@dataclass(frozen=True)
class Fingerprint:
    """One winnowed k-gram of a file."""

    hash: int
    """64-bit hash of the k-gram's tokens; the same tokens give the same hash in every run."""
    unit: int
    """Index of its unit in ``SourceFingerprints.units``."""
    tokens: tuple[int, ...]
    """File-wide indices of its tokens that are the student's own: inside no run of tokens the scaffolding has."""


@dataclass(frozen=True)
class SourceFingerprints:
    """What one source file brings to the comparison: its fingerprints beyond the scaffolding it was given."""

    units: tuple[str, ...]
    """The names of its units, in file order."""
    fingerprints: tuple[Fingerprint, ...]
    """The winnowed k-grams that are no k-gram of the scaffolding, in file order."""
    token_lines: tuple[tuple[int, int], ...]
    """Per file-wide token index, its first and last source line (1-based)."""
    problems: tuple[str, ...] = ()
    """Why the file was compared only in part or with repairs (not UTF-8, a tokenize error, too large, a syntax error)."""

    @property
    def hashes(self) -> frozenset[int]:
        """The distinct fingerprint hashes."""
        return frozenset(fingerprint.hash for fingerprint in self.fingerprints)

    def lines_of(self, tokens: Iterable[int]) -> set[int]:
        """The source lines that the tokens at these file-wide indices are on."""
        return {line for token in tokens for line in range(self.token_lines[token][0], self.token_lines[token][1] + 1)}


@dataclass(frozen=True)
class Scaffold:
    """What a stub gives every student, in the two forms the comparison subtracts."""

    kgrams: frozenset[int]
    """Every k-gram hash of the stub: a fingerprint that is one of them never counts."""
    short_grams: frozenset[int]
    """Every ``SCAFFOLD_GRAM``-gram hash of the stub: a token inside one of them is not the student's own."""

    @classmethod
    def of(cls, units: Sequence[Unit]) -> Scaffold:
        """The scaffold of a stub's units; ``Scaffold.of(())`` subtracts nothing.

        Example: ``Scaffold.of(normalise(stub_text, given=given_names(stub_text))[0])``.
        """
        return cls(kgrams=gram_hashes(units, n=K_GRAM), short_grams=gram_hashes(units, n=SCAFFOLD_GRAM))


NO_SCAFFOLD = Scaffold(kgrams=frozenset(), short_grams=frozenset())
"""Subtracts nothing: every token of a file is its own."""


@dataclass(frozen=True)
class Region:
    """Code of one unit of student A that matches code of one unit of student B."""

    units: tuple[str, str]
    """The unit names in A and in B, e.g. ``("softmax", "softmax")``; they differ when a function was renamed."""
    lines: tuple[tuple[int, ...], tuple[int, ...]]
    """The lines of A's file and of B's file holding the matched own code, sorted."""


@dataclass(frozen=True)
class PairMatch:
    """Two students whose code for one assignment is alike."""

    assignment: str
    """The assignment id, e.g. ``"a3_attention"``."""
    students: tuple[str, str]
    """The two student ids, sorted."""
    score: float
    """Shared fingerprints over the smaller of the two students' counted fingerprints, in [0, 1]."""
    shared: int
    """How many counted fingerprints (beyond stub, reference and common code) the two share."""
    fingerprints: tuple[int, int]
    """Each student's counted fingerprints; the smaller is the score's denominator."""
    shared_tokens: tuple[int, int]
    """Each student's own tokens (not the stub's) inside the shared fingerprints."""
    matched_lines: tuple[int, int]
    """Lines of each student's file holding those tokens."""
    reference: tuple[float | None, float | None]
    """Each student's share of fingerprints (beyond the stub) found in the reference solution; None without a
    reference or without code of their own."""
    regions: tuple[Region, ...]
    """The matched regions, in the order of A's file."""

    def to_json(self) -> dict:
        return {
            "assignment": self.assignment,
            "students": list(self.students),
            "score": round(self.score, 4),
            "shared_fingerprints": self.shared,
            "fingerprints": list(self.fingerprints),
            "shared_tokens": list(self.shared_tokens),
            "matched_lines": list(self.matched_lines),
            "reference": [None if share is None else round(share, 4) for share in self.reference],
            "regions": [{"units": list(region.units), "lines": [line_spans(lines) for lines in region.lines]} for region in self.regions],
        }


@dataclass(frozen=True)
class OverallMatch:
    """Two students alike over every assignment both handed in."""

    students: tuple[str, str]
    """The two student ids, sorted."""
    score: float
    """Shared fingerprints summed over those assignments, over the smaller student's counted fingerprints summed, in [0, 1]."""
    shared: int
    """Shared counted fingerprints, summed over the assignments."""
    assignments: tuple[str, ...]
    """The assignments in which the two share code, in course order."""

    def to_json(self) -> dict:
        return {
            "students": list(self.students),
            "score": round(self.score, 4),
            "shared_fingerprints": self.shared,
            "assignments": list(self.assignments),
        }


@dataclass(frozen=True)
class ReferenceMatch:
    """A submission whose own code is mostly the reference solution."""

    student: str
    """The student id."""
    assignment: str
    """The assignment id."""
    share: float
    """Share of the student's fingerprints (beyond the stub) found in the reference, in [0, 1]."""
    fingerprints: int
    """The student's fingerprints beyond the stub."""

    def to_json(self) -> dict:
        return {"student": self.student, "assignment": self.assignment, "share": round(self.share, 4), "fingerprints": self.fingerprints}


@dataclass(frozen=True)
class Problem:
    """Something that kept a submission from being compared in full."""

    student: str
    """The student id."""
    assignment: str
    """The assignment id, or ``""`` for the whole submission."""
    message: str
    """One line, naming the file and what is wrong."""

    def to_json(self) -> dict:
        return {"student": self.student, "assignment": self.assignment, "problem": self.message}


@dataclass(frozen=True)
class SourceView:
    """A compared file as shown side by side."""

    path: str
    """Its path in the submission, e.g. ``"a3_attention/attention.py"``."""
    lines: tuple[str, ...]
    """Its first ``MAX_SHOWN_LINES`` lines, decoded (bad bytes replaced), untrusted."""
    total_lines: int
    """How many lines were compared."""


@dataclass(frozen=True)
class SimilarityReport:
    """Everything ``compare_submissions`` found; the command prints and writes it."""

    assignments: tuple[str, ...]
    """The assignments compared, in course order."""
    students: tuple[str, ...]
    """Every student found, sorted."""
    pairs: tuple[PairMatch, ...]
    """Pairs per assignment at or above the threshold, most alike first."""
    overall: tuple[OverallMatch, ...]
    """Pairs at or above the threshold over all assignments, most alike first."""
    reference_matches: tuple[ReferenceMatch, ...]
    """Submissions at or above the threshold of reference code, most first."""
    problems: tuple[Problem, ...]
    """What could not be compared in full, by student."""
    sources: dict[tuple[str, str], SourceView] = field(hash=False)
    """(student, assignment) -> the file, for every student in ``pairs``."""
    parameters: dict[str, float | int] = field(hash=False)
    """The settings of the run: k, window, threshold, common_limit, min_shared_tokens."""

    def to_json(self) -> dict:
        return {
            "parameters": self.parameters,
            "assignments": list(self.assignments),
            "students": list(self.students),
            "pairs": [pair.to_json() for pair in self.pairs],
            "overall": [match.to_json() for match in self.overall],
            "reference_matches": [match.to_json() for match in self.reference_matches],
            "problems": [problem.to_json() for problem in self.problems],
        }


# ---------------------------------------------------------------------------
# One file: read, normalise, winnow
# ---------------------------------------------------------------------------


def read_source(path: Path, *, shown_as: str, max_bytes: int = MAX_SOURCE_BYTES) -> tuple[str, tuple[str, ...]]:
    """The text of the Python file at `path` (at most `max_bytes`, cut at a line end) and what had to be repaired.

    The bytes are read as UTF-8, as intake requires, whatever coding
    declaration the file makes (a hostile one can name a codec that fails
    or recurses); bytes that do not decode are replaced (U+FFFD), so a stray
    Latin-1 byte in a comment cannot hide a file from the comparison.
    `shown_as` names the file in the problems.

    Example: a 3 MiB file -> its first 1 MiB of lines and
    ``("a1_tokenizer/tokenizer.py is 3 MiB: only its first 1 MiB (21000 lines) was compared",)``.
    """
    with open(path, "rb") as file:
        data = file.read(max_bytes + 1)
        size = path.stat().st_size
    problems = []
    if len(data) > max_bytes:
        data = data[: data.rfind(b"\n", 0, max_bytes) + 1]
        lines = data.count(b"\n")
        problems.append(f"{shown_as} is {_size(size)}: only its first {_size(max_bytes)} ({lines} lines) was compared")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        text = data.decode("utf-8", errors="replace")
        # Worded as intake words it, so that the command can show one line where both noticed.
        where = f"byte 0x{data[error.start]:02x} at offset {error.start}"
        problems.append(f"{shown_as} is not UTF-8 ({where}); compared with the bad bytes replaced")
    return text.removeprefix("\ufeff"), tuple(problems)


def given_names(stub_source: str) -> frozenset[str]:
    """The names a stub hands every student: what it imports, defines, and its parameters; kept when normalising.

    Example: ``"import torch\\ndef causal_mask(seq_len): ..."`` -> ``{"torch", "causal_mask", "seq_len"}``.

    Raises:
        SyntaxError: the stub does not parse (course files are trusted; a broken stub is a bug to fix).
    """
    names = set()
    for node in ast.walk(ast.parse(stub_source)):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            names.update((alias.asname or alias.name).split(".")[0] for alias in node.names)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.arg):
            names.add(node.arg)
    return frozenset(names)


def normalise(source: str, *, given: frozenset[str] = frozenset()) -> tuple[tuple[Unit, ...], tuple[str, ...]]:
    """`source` as units of normalised tokens (see the module docstring), and why tokenizing stopped early, if it did.

    Tokens before a tokenize error are kept: a file with an unterminated
    string is compared up to it. `given` are the names kept as written.

    Example::

        units, _ = normalise("def f(a):\\n    return a.sum() + 1  # total\\n")
        units[0].tokens   # ("def", "V", "(", "V", ")", ":", ";", "{", "return", "V", ".sum", "(", ")", "+", "0", ";", "}")
    """
    raw, problem = _tokens(source)
    bound = _bound_attributes(raw)
    builder = _UnitBuilder()
    statement: list[_Token] = []
    previous = ""
    fstring_depth = 0
    for token in raw:
        kind, text = token.type, token.string
        lines = (token.start[0], token.end[0])
        if fstring_depth:
            fstring_depth += (kind == _FSTRING_START) - (kind == _FSTRING_END)
            continue
        if kind in _SKIPPED_TOKENS or (kind == tokenize.ERRORTOKEN and not text.strip()):
            continue
        if kind == tokenize.NEWLINE or (kind == tokenize.OP and text == ";"):
            # A statement that is only a string is a docstring or a comment in disguise.
            if any(normal != STRING for normal, _, _ in statement):
                builder.add_statement(statement + [(END_OF_STATEMENT, text, lines)])
            statement, previous = [], END_OF_STATEMENT
            continue
        if kind in (tokenize.INDENT, tokenize.DEDENT):
            builder.add_block(BEGIN_BLOCK if kind == tokenize.INDENT else END_BLOCK, lines)
            continue
        if kind == _FSTRING_START:
            fstring_depth = 1
            normal = STRING
        elif kind == tokenize.STRING:
            normal = STRING
        elif kind == tokenize.NUMBER:
            normal = NUMBER
        elif kind == tokenize.NAME and previous == ".":
            # The dot and the attribute make one token: ".tril" is a call of torch, not "." then a name.
            statement.pop()
            normal = "." + (IDENTIFIER if text in bound else text)
        elif kind == tokenize.NAME:
            normal = text if keyword.iskeyword(text) or text in given or text in _BUILTIN_NAMES else IDENTIFIER
        else:
            normal = text
        statement.append((normal, text, lines))
        previous = text
    if any(normal != STRING for normal, _, _ in statement):
        builder.add_statement(statement)
    return builder.units(), ((problem,) if problem else ())


def winnow(hashes: Sequence[int], *, window: int = WINDOW) -> list[int]:
    """The positions winnowing keeps: the rightmost smallest hash of every `window` consecutive ones, each once.

    A sequence shorter than `window` keeps its smallest hash.

    Example: ``winnow([77, 74, 42, 17, 98, 50, 17, 98, 8, 88], window=4)`` -> ``[3, 6, 8]``
    (Schleimer et al. 2003, figure 2 keeps 17 17 8).
    """
    if not hashes:
        return []
    kept: list[int] = []
    for start in range(max(1, len(hashes) - window + 1)):
        stop = min(start + window, len(hashes))
        smallest = min(range(start, stop), key=lambda position: (hashes[position], -position))
        if not kept or kept[-1] != smallest:
            kept.append(smallest)
    return kept


def gram_hashes(units: Iterable[Unit], *, n: int = K_GRAM) -> frozenset[int]:
    """Every hash of `n` consecutive tokens of a unit, not winnowed: what a stub or a reference is made of.

    Subtracting every k-gram of the stub, not only its winnowed ones, takes
    out each piece of scaffolding wherever winnowing happens to pick it.

    Example: one unit of 14 tokens and ``n=12`` -> 3 hashes (fewer where runs repeat).
    """
    return frozenset(_hash(unit.tokens[start : start + n]) for unit in units for start in range(len(unit.tokens) - n + 1))


def fingerprint_units(
    units: Sequence[Unit], *, scaffold: Scaffold = NO_SCAFFOLD, k: int = K_GRAM, window: int = WINDOW
) -> tuple[tuple[Fingerprint, ...], tuple[tuple[int, int], ...]]:
    """The winnowed fingerprints of each unit that are no k-gram of `scaffold`, and every token's lines.

    No k-gram crosses units, so a unit shorter than `k` gives none. A token
    inside a run of ``SCAFFOLD_GRAM`` tokens that the scaffold has is not
    the student's own: a fingerprint's ``tokens`` lists the others, so a
    line inserted into the stub's code counts as that line, not as the
    dozen new k-grams around it.

    Example: a unit of 20 tokens has 9 k-grams of 12 tokens; winnowing with
    a window of 4 keeps 3 to 6 of them.
    """
    fingerprints, token_lines = [], []
    for index, unit in enumerate(units):
        offset = len(token_lines)
        token_lines += unit.lines
        scaffolding = [False] * len(unit.tokens)
        for start in range(len(unit.tokens) - SCAFFOLD_GRAM + 1):
            if _hash(unit.tokens[start : start + SCAFFOLD_GRAM]) in scaffold.short_grams:
                scaffolding[start : start + SCAFFOLD_GRAM] = [True] * SCAFFOLD_GRAM
        hashes = [_hash(unit.tokens[start : start + k]) for start in range(len(unit.tokens) - k + 1)]
        for position in winnow(hashes, window=window):
            if hashes[position] not in scaffold.kgrams:
                own = tuple(offset + token for token in range(position, position + k) if not scaffolding[token])
                fingerprints.append(Fingerprint(hash=hashes[position], unit=index, tokens=own))
    return tuple(fingerprints), tuple(token_lines)


def fingerprint_source(
    source: str, *, given: frozenset[str] = frozenset(), scaffold: Scaffold = NO_SCAFFOLD, shown_as: str = "the file"
) -> SourceFingerprints:
    """Normalise and winnow `source` beyond `scaffold`, and check that it parses (a syntax error is reported, the
    tokens still compared).

    Example: ``fingerprint_source(text, given=given_names(stub), scaffold=Scaffold.of(stub_units)).hashes``
    -> ``frozenset({8213..., ...})``, the student's own fingerprints.
    """
    units, problems = normalise(source, given=given)
    syntax = _syntax_problem(source)
    problems = tuple(f"{shown_as}: {problem}" for problem in problems)
    if syntax and not problems:
        problems = (f"{shown_as} {syntax}; compared token by token anyway",)
    fingerprints, token_lines = fingerprint_units(units, scaffold=scaffold)
    names = tuple(unit.name for unit in units)
    return SourceFingerprints(units=names, fingerprints=fingerprints, token_lines=token_lines, problems=problems)


def containment(part: frozenset[int], whole: frozenset[int]) -> float:
    """The share of `part` found in `whole`: ``|part & whole| / |part|``; 0.0 for an empty `part`.

    Example: ``containment(frozenset({1, 2, 3, 4}), frozenset({2, 3, 9}))`` -> ``0.5``.
    """
    return len(part & whole) / len(part) if part else 0.0


def line_spans(lines: Iterable[int]) -> list[list[int]]:
    """Line numbers as inclusive spans: ``[3, 4, 5, 9, 11, 12]`` -> ``[[3, 5], [9, 9], [11, 12]]``."""
    spans: list[list[int]] = []
    for line in sorted(set(lines)):
        if spans and line == spans[-1][1] + 1:
            spans[-1][1] = line
        else:
            spans.append([line, line])
    return spans


# ---------------------------------------------------------------------------
# A class: every student against every other, per assignment
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _Baseline:
    """What one assignment gives every student: the stub's names and k-grams, the reference's k-grams."""

    assignment: Assignment
    given: frozenset[str]
    stub: Scaffold
    reference: frozenset[int] | None
    """The reference's k-grams that are not the stub's; None without a reference."""


def compare_submissions(
    paths: Sequence[str | Path],
    *,
    course: Course,
    assignments: Sequence[str] = (),
    threshold: float = 0.5,
    top: int | None = None,
    common_limit: int = COMMON_LIMIT,
    stubs: Path = ASSIGNMENTS,
    reference: Path | None = SOLUTIONS,
    on_start: Callable[[int], None] | None = None,
    on_submission: Callable[[str], None] | None = None,
) -> SimilarityReport:
    """Compare every pair of students found at `paths`, per assignment and overall (see the module docstring).

    Submissions are found and unpacked by grader/grading/intake.py into a
    temporary folder, removed afterwards. `assignments` ("a3" or
    "a3_attention") narrows the comparison; all code assignments by default.
    `stubs` and `reference` are the trees of stubs and of reference
    solutions (no reference: None, or a missing file, leaves the reference
    columns empty). `top` keeps the first pairs only. `on_start(count)` is
    called once submissions are found, `on_submission(student)` after each
    is read.

    Example: ``compare_submissions(["subs"], course=course, assignments=["a3"], threshold=0.6).pairs``
    -> ``(PairMatch(assignment="a3_attention", students=("dave", "erin"), score=0.95, ...),)``.

    Raises:
        SubmissionError: no submission found at `paths` (see ``intake.discover``).
        CourseError: an unknown assignment, one without code, or a missing stub.
        ValueError: `threshold` outside [0, 1], `top` below 1, `common_limit` below 2.
    """
    if not 0.0 <= threshold <= 1.0:
        raise ValueError(f"threshold={threshold} must be in [0, 1]")
    if top is not None and top < 1:
        raise ValueError(f"top={top} must be at least 1")
    if common_limit < 2:
        raise ValueError(f"common_limit={common_limit} must be at least 2: a pair is two submissions")
    baselines = [_baseline(assignment, stubs, reference) for assignment in course.code_assignments(assignments)]
    submissions = discover(paths, course=course)
    if on_start is not None:
        on_start(len(submissions))
    files: dict[str, dict[str, SourceFingerprints]] = {baseline.assignment.id: {} for baseline in baselines}
    sources: dict[tuple[str, str], SourceView] = {}
    problems: list[Problem] = []
    with tempfile.TemporaryDirectory(prefix="course-similarity-") as work:
        for index, submission in enumerate(submissions):
            unpacked = unpack(submission, Path(work) / str(index), course=course)
            intake_problems = [
                (where, message) for where, messages in unpacked.problems.items() if where in {"", *files} for message in messages
            ]
            compare_problems = []
            for baseline in baselines:
                assignment = baseline.assignment
                if assignment.id not in unpacked.assignments:
                    continue
                shown_as = f"{assignment.id}/{assignment.module}.py"
                text, read_problems = read_source(unpacked.tree / shown_as, shown_as=shown_as)
                found = fingerprint_source(text, given=baseline.given, scaffold=baseline.stub, shown_as=shown_as)
                compare_problems += [(assignment.id, message) for message in read_problems + found.problems]
                files[assignment.id][submission.student] = found
                lines = _source_lines(text)
                sources[(submission.student, assignment.id)] = SourceView(shown_as, tuple(lines[:MAX_SHOWN_LINES]), len(lines))
            # Intake's "is not UTF-8" line is left out where the comparison says the same and how it coped.
            problems += [
                Problem(submission.student, where, message)
                for where, message in intake_problems
                if not any(said.startswith(message) for _, said in compare_problems)
            ]
            problems += [Problem(submission.student, where, message) for where, message in compare_problems]
            if on_submission is not None:
                on_submission(submission.student)
    comparisons = [_AssignmentComparison(baseline, files[baseline.assignment.id], common_limit=common_limit) for baseline in baselines]
    pairs = sorted(
        (pair for comparison in comparisons for pair in comparison.pairs(threshold=threshold)),
        key=lambda pair: (-pair.score, -pair.shared, pair.assignment, pair.students),
    )[:top]
    reference_matches = sorted(
        (match for comparison in comparisons for match in comparison.reference_matches(threshold=threshold)),
        key=lambda match: (-match.share, match.assignment, match.student),
    )
    listed = {(student, pair.assignment) for pair in pairs for student in pair.students}
    return SimilarityReport(
        assignments=tuple(baseline.assignment.id for baseline in baselines),
        students=tuple(sorted({submission.student for submission in submissions})),
        pairs=tuple(pairs),
        overall=tuple(_overall(comparisons, threshold=threshold)[:top]),
        reference_matches=tuple(reference_matches),
        problems=tuple(sorted(problems, key=lambda problem: (problem.student, problem.assignment, problem.message))),
        sources={key: view for key, view in sources.items() if key in listed},
        parameters={
            "k": K_GRAM, "window": WINDOW, "threshold": threshold, "common_limit": common_limit, "min_shared_tokens": MIN_SHARED_TOKENS,
        },
    )


class _AssignmentComparison:
    """Every student of one assignment against every other: what counts as evidence, and which pairs share it."""

    def __init__(self, baseline: _Baseline, files: dict[str, SourceFingerprints], *, common_limit: int) -> None:
        self.assignment = baseline.assignment.id
        self.files = files
        reference = baseline.reference if baseline.reference is not None else frozenset()
        holders = Counter(fingerprint for found in files.values() for fingerprint in found.hashes)
        common = frozenset(fingerprint for fingerprint, count in holders.items() if count > common_limit)
        self.reference_shares = {
            student: containment(found.hashes, reference) if baseline.reference is not None and found.hashes else None
            for student, found in files.items()
        }
        self.evidence = {student: found.hashes - reference - common for student, found in files.items()}
        # An inverted index: each fingerprint names its holders, so only pairs that share one are ever counted.
        holders_of: dict[int, list[str]] = defaultdict(list)
        for student in sorted(self.evidence):
            for fingerprint in self.evidence[student]:
                holders_of[fingerprint].append(student)
        self.shared = Counter(pair for students in holders_of.values() for pair in combinations(students, 2))
        self._matches: dict[tuple[str, str], tuple[tuple[Region, ...], tuple[int, int]]] = {}

    def score(self, pair: tuple[str, str]) -> float:
        """Shared evidence over the smaller student's evidence."""
        return self.shared[pair] / min(len(self.evidence[student]) for student in pair)

    def shared_tokens(self, pair: tuple[str, str]) -> tuple[int, int]:
        """Each student's own tokens inside the fingerprints the pair shares."""
        return self._match(pair)[1]

    def pairs(self, *, threshold: float) -> list[PairMatch]:
        """The pairs at or above `threshold` that share at least ``MIN_SHARED_TOKENS`` own tokens each."""
        found = []
        for pair in sorted(self.shared):
            score = self.score(pair)
            if score < threshold:
                continue
            regions, shared_tokens = self._match(pair)
            if min(shared_tokens) < MIN_SHARED_TOKENS:
                continue
            found.append(
                PairMatch(
                    assignment=self.assignment,
                    students=pair,
                    score=score,
                    shared=self.shared[pair],
                    fingerprints=tuple(len(self.evidence[student]) for student in pair),
                    shared_tokens=shared_tokens,
                    matched_lines=tuple(len({line for region in regions for line in region.lines[side]}) for side in (0, 1)),
                    reference=tuple(self.reference_shares[student] for student in pair),
                    regions=regions,
                )
            )
        return found

    def reference_matches(self, *, threshold: float) -> list[ReferenceMatch]:
        """The submissions at least a `threshold` share of whose fingerprints (beyond the stub) are the reference's."""
        return [
            ReferenceMatch(student=student, assignment=self.assignment, share=share, fingerprints=len(self.files[student].hashes))
            for student, share in sorted(self.reference_shares.items())
            if share is not None and share >= threshold and self._own_tokens(student) >= MIN_SHARED_TOKENS
        ]

    def _own_tokens(self, student: str) -> int:
        """How many tokens of the student's file are their own (not the stub's) and in a fingerprint."""
        return len({token for fingerprint in self.files[student].fingerprints for token in fingerprint.tokens})

    def _match(self, pair: tuple[str, str]) -> tuple[tuple[Region, ...], tuple[int, int]]:
        """The pair's regions and shared own tokens, worked out once."""
        if pair not in self._matches:
            first, second = pair
            shared = self.evidence[first] & self.evidence[second]
            self._matches[pair] = _regions(self.files[first], self.files[second], shared)
        return self._matches[pair]


def _overall(comparisons: Sequence[_AssignmentComparison], *, threshold: float) -> list[OverallMatch]:
    """Pairs scored over all the assignments both handed in: shared evidence summed, over the smaller summed evidence."""
    matches = []
    for pair in sorted({pair for comparison in comparisons for pair in comparison.shared}):
        both = [comparison for comparison in comparisons if set(pair) <= comparison.evidence.keys()]
        shared = sum(comparison.shared[pair] for comparison in both)
        smaller = min(sum(len(comparison.evidence[student]) for comparison in both) for student in pair)
        if not smaller or shared / smaller < threshold:
            continue
        alike = [comparison for comparison in both if comparison.shared[pair]]
        if min(sum(comparison.shared_tokens(pair)[side] for comparison in alike) for side in (0, 1)) < MIN_SHARED_TOKENS:
            continue
        assignments = tuple(comparison.assignment for comparison in alike)
        matches.append(OverallMatch(students=pair, score=shared / smaller, shared=shared, assignments=assignments))
    matches.sort(key=lambda match: (-match.score, -match.shared, match.students))
    return matches


def _regions(first: SourceFingerprints, second: SourceFingerprints, shared: frozenset[int]) -> tuple[tuple[Region, ...], tuple[int, int]]:
    """Shared code grouped by (unit of `first`, unit of `second`) with the lines of its own tokens on each side, and
    how many own tokens each side has in shared fingerprints.

    A k-gram found in several units of `second` (two functions that start
    with the same check) is matched in the unit of `second` that shares the
    most with its unit of `first`, so renamed or reordered functions pair up
    whole.
    """
    in_second: dict[int, list[Fingerprint]] = defaultdict(list)
    for fingerprint in second.fingerprints:
        if fingerprint.hash in shared:
            in_second[fingerprint.hash].append(fingerprint)
    matched_first = [fingerprint for fingerprint in first.fingerprints if fingerprint.hash in in_second]
    overlap: Counter[tuple[int, int]] = Counter(
        (fingerprint.unit, unit) for fingerprint in matched_first for unit in {match.unit for match in in_second[fingerprint.hash]}
    )
    grouped: dict[tuple[int, int], tuple[set[int], set[int]]] = {}
    for fingerprint in matched_first:
        match = max(in_second[fingerprint.hash], key=lambda candidate: overlap[(fingerprint.unit, candidate.unit)])
        lines_first, lines_second = grouped.setdefault((fingerprint.unit, match.unit), (set(), set()))
        lines_first.update(first.lines_of(fingerprint.tokens))
        lines_second.update(second.lines_of(match.tokens))
    regions = [
        Region(units=(first.units[unit_first], second.units[unit_second]), lines=(tuple(sorted(lines_first)), tuple(sorted(lines_second))))
        for (unit_first, unit_second), (lines_first, lines_second) in grouped.items()
        if lines_first and lines_second
    ]
    regions.sort(key=lambda region: (region.lines[0][0], region.lines[1][0]))
    shared_tokens = (
        len({token for fingerprint in matched_first for token in fingerprint.tokens}),
        len({token for matches in in_second.values() for fingerprint in matches for token in fingerprint.tokens}),
    )
    return tuple(regions), shared_tokens


def _baseline(assignment: Assignment, stubs: Path, reference: Path | None) -> _Baseline:
    """Read one assignment's stub (required) and reference solution (optional)."""
    relative = f"{assignment.id}/{assignment.module}.py"
    stub_path = stubs / relative
    if not stub_path.is_file():
        raise CourseError(f"no stub {stub_path} for {assignment.id}: the comparison subtracts it; run `course generate`")
    stub_text = stub_path.read_text(encoding="utf-8")
    given = given_names(stub_text)
    stub = Scaffold.of(normalise(stub_text, given=given)[0])
    reference_path = reference / relative if reference is not None else None
    reference_kgrams = None
    if reference_path is not None and reference_path.is_file():
        reference_kgrams = gram_hashes(normalise(reference_path.read_text(encoding="utf-8"), given=given)[0]) - stub.kgrams
    return _Baseline(assignment=assignment, given=given, stub=stub, reference=reference_kgrams)


# ---------------------------------------------------------------------------
# Normalisation helpers
# ---------------------------------------------------------------------------


_Token = tuple[str, str, tuple[int, int]]
"""A token of a statement being read: (normalised, as written, (first line, last line))."""


def _tokens(source: str) -> tuple[list[tokenize.TokenInfo], str | None]:
    """The tokens of `source` up to the first tokenize error, and that error in words (None when there is none)."""
    tokens: list[tokenize.TokenInfo] = []
    try:
        # newline=None reads "\r" and "\r\n" as line ends, as Python does: old Mac line ends hide nothing.
        tokens.extend(tokenize.generate_tokens(io.StringIO(source, newline=None).readline))
    except tokenize.TokenError as error:
        message, (line, _) = error.args
        return tokens, f"tokenizing stopped at line {line} ({message}); compared up to there"
    except SyntaxError as error:
        return tokens, f"tokenizing stopped at line {error.lineno} ({error.msg}); compared up to there"
    return tokens, None


def _bound_attributes(tokens: Sequence[tokenize.TokenInfo]) -> frozenset[str]:
    """Attribute names the file assigns (``self.scale = ...``, ``obj.count += 1``): the student's own names."""
    return frozenset(
        name.string
        for dot, name, operator in zip(tokens, tokens[1:], tokens[2:])
        if dot.string == "." and name.type == tokenize.NAME and operator.type == tokenize.OP and operator.string in _ASSIGNING_OPERATORS
    )


def _hash(tokens: Sequence[str]) -> int:
    """A 64-bit hash of `tokens`, equal in every process (``hash()`` of a str is salted per process)."""
    return int.from_bytes(hashlib.blake2b("\x1f".join(tokens).encode("utf-8", "surrogatepass"), digest_size=8).digest(), "big")


def _source_lines(text: str) -> list[str]:
    """The lines of `text` as tokenize numbers them: split at "\n", "\r\n" and "\r" only (``str.splitlines`` also
    splits at form feeds and U+2028, which would shift the line numbers of the side-by-side view)."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return lines[:-1] if lines and not lines[-1] else lines


def _syntax_problem(source: str) -> str | None:
    """Why `source` does not parse, in words, or None when it does; nothing is run."""
    try:
        ast.parse(source)
    except SyntaxError as error:
        where = f" at line {error.lineno}" if error.lineno else ""
        return f"has a syntax error{where} ({error.msg})"
    except (ValueError, RecursionError, MemoryError) as error:
        return f"does not parse ({type(error).__name__}: {error})"
    return None


class _UnitBuilder:
    """Collects statements into units, starting a new one at each def, class or decorator at depth 0 or 1."""

    def __init__(self) -> None:
        self._units: list[tuple[list[str], list[str], list[tuple[int, int]]]] = []
        self._depth = 0
        self._class: str | None = None
        self._decorated = False

    def add_block(self, token: str, lines: tuple[int, int]) -> None:
        """Add an indent or dedent token."""
        self._depth += 1 if token == BEGIN_BLOCK else -1
        self._append(token, lines)

    def add_statement(self, statement: list[_Token]) -> None:
        """Add a logical line's tokens, first starting a unit when it opens a def, a class or a decorator."""
        opening = statement[0][1]
        if opening in _UNIT_STARTS and self._depth <= 1:
            if not self._decorated:
                self._units.append((["(module)"], [], []))
            self._decorated = opening == "@"
            if opening != "@":
                self._name_unit([text for _, text, _ in statement])
        elif self._depth == 0:
            self._class = None
        for normal, _, lines in statement:
            self._append(normal, lines)

    def units(self) -> tuple[Unit, ...]:
        """The units collected, without empty ones."""
        return tuple(Unit(name=name[0], tokens=tuple(tokens), lines=tuple(lines)) for name, tokens, lines in self._units if tokens)

    def _name_unit(self, words: list[str]) -> None:
        """Name the current unit after the def or class `words` opens, and remember the enclosing class."""
        opener = "class" if "class" in words else "def"
        at = words.index(opener) if opener in words else len(words)
        name = words[at + 1] if at + 1 < len(words) else "?"
        if self._depth == 0:
            self._class = name if opener == "class" else None
            self._units[-1][0][0] = name
        else:
            self._units[-1][0][0] = f"{self._class}.{name}" if self._class else name

    def _append(self, token: str, lines: tuple[int, int]) -> None:
        if not self._units:
            self._units.append((["(module)"], [], []))
        self._units[-1][1].append(token)
        self._units[-1][2].append(lines)
