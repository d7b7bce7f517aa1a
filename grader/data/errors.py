"""The errors the data package raises for problems a user can fix.

Each message is one line that names what went wrong and what was seen, so
the `course` CLI can print it without a traceback. Problems with arguments
(an unknown dataset, a bad tokenizer kind) raise `ValueError` instead.
"""

from __future__ import annotations

from ..errors import CourseError


class DatasetError(CourseError):
    """A corpus could not be built, fetched or verified."""


class MissingSourceError(DatasetError):
    """The package a corpus is built from is not installed."""


class DownloadError(DatasetError):
    """A download failed (offline, refused, timed out); nothing was kept."""


class ChecksumError(DatasetError):
    """A file's sha256 differs from the one in the manifest; nothing was kept."""
