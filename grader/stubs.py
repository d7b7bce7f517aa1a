"""Turn reference code into student stubs: a pure text transformation.

Every region from a ``### BEGIN SOLUTION`` line to the matching
``### END SOLUTION`` line (markers included) becomes two lines at the
marker's indentation::

    # YOUR CODE HERE
    raise NotImplementedError("Task 3.2: softmax")

The task id and name come from the nearest ``# ## Task N.M: name`` header
line above the region. Every other byte of the file (signatures,
docstrings, provided helpers, blank lines, line endings, the trailing
newline) is kept exactly, so a stub differs from its solution only inside
the regions.
"""

from __future__ import annotations

import re

BEGIN_MARKER = "### BEGIN SOLUTION"
END_MARKER = "### END SOLUTION"
TASK_HEADER = re.compile(r"^\s*# ## Task (\d+\.\d+): (\S+)\s*$")


def stub_source(text: str, *, filename: str) -> str:
    """Return ``text`` with every solution region replaced by a stub that raises.

    A region is the lines from ``### BEGIN SOLUTION`` to ``### END SOLUTION``
    (each marker alone on its line, any indentation). It becomes
    ``# YOUR CODE HERE`` and ``raise NotImplementedError("Task N.M: name")``
    at the BEGIN marker's indentation, ending with the BEGIN line's own
    newline. ``N.M: name`` is taken from the last task header above the
    region; regions in ``__init__`` and ``forward`` of one class therefore
    share the class's task id.

    >>> source = (
    ...     "# ## Task 3.2: softmax\\n"
    ...     "def softmax(x):\\n"
    ...     "    ### BEGIN SOLUTION\\n"
    ...     "    return x.exp() / x.exp().sum()\\n"
    ...     "    ### END SOLUTION\\n"
    ... )
    >>> print(stub_source(source, filename="attention.py"), end="")
    # ## Task 3.2: softmax
    def softmax(x):
        # YOUR CODE HERE
        raise NotImplementedError("Task 3.2: softmax")

    Raises:
        ValueError: ``filename:line: ...`` for a BEGIN that is never closed,
            an END without a BEGIN, a BEGIN inside an open region, or a
            region above the first task header.
    """
    output: list[str] = []
    task: str | None = None
    region_start: int | None = None
    for number, line in enumerate(text.splitlines(keepends=True), start=1):
        stripped = line.strip()
        if stripped == BEGIN_MARKER:
            if region_start is not None:
                raise ValueError(f"{filename}:{number}: nested {BEGIN_MARKER} (the region opened on line {region_start} is not closed)")
            if task is None:
                raise ValueError(f"{filename}:{number}: {BEGIN_MARKER} before any '# ## Task N.M: name' header")
            region_start = number
            indent = line[: len(line) - len(line.lstrip())]
            newline = line[len(line.rstrip("\r\n")) :] or "\n"
            output.append(f"{indent}# YOUR CODE HERE{newline}")
            output.append(f'{indent}raise NotImplementedError("Task {task}"){newline}')
        elif stripped == END_MARKER:
            if region_start is None:
                raise ValueError(f"{filename}:{number}: {END_MARKER} without a {BEGIN_MARKER} above it")
            region_start = None
        elif region_start is None:
            header = TASK_HEADER.match(line)
            if header:
                task = f"{header.group(1)}: {header.group(2)}"
            output.append(line)
    if region_start is not None:
        raise ValueError(f"{filename}:{region_start}: {BEGIN_MARKER} is never closed by {END_MARKER}")
    return "".join(output)
