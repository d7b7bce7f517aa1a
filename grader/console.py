"""One rich console for the whole tool: colour on terminals, plain text elsewhere.

Rich already honours ``NO_COLOR`` and drops styling when stdout is not a
terminal (CI logs, pipes); ``plain_output()`` tells commands to replace live
progress bars by a line of text every so often.
"""

from __future__ import annotations

import os
import sys

from rich.console import Console, RenderableType

console = Console(highlight=False)
error_console = Console(stderr=True, highlight=False)


def plain_output() -> bool:
    """True when live displays would garble the output (not a terminal, CI, NO_COLOR)."""
    return not console.is_terminal or bool(os.environ.get("CI")) or "NO_COLOR" in os.environ


def print_table(table: RenderableType, *, log_width: int = 160) -> None:
    """Print ``table`` on stdout; where stdout is no terminal (a log, a pipe), ``log_width`` characters
    wide instead of rich's default 80, so that no column is cut."""
    if console.is_terminal:
        console.print(table)
    else:
        Console(width=log_width, highlight=False).print(table)


def print_error(message: str) -> None:
    """Print ``error: message`` on stderr, on one line."""
    text = " ".join(str(message).split())
    if error_console.is_terminal:
        error_console.print(f"[bold red]error:[/] {text}", soft_wrap=True)
    else:
        print(f"error: {text}", file=sys.stderr)
