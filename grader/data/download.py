"""Fetch a file once, check its sha256, and keep it only if it matches.

The file is streamed through `grader.atomic.atomic_write` while its hash is
computed; only a matching file is moved into place. A
file already at the destination, downloaded earlier or placed there by hand
for an offline machine, is verified the same way and then used.
"""

from __future__ import annotations

import hashlib
import urllib.error
import urllib.request
from pathlib import Path
from typing import BinaryIO

from ..atomic import atomic_write
from .errors import ChecksumError, DownloadError

_CHUNK_BYTES = 1 << 16


def sha256_of_file(path: Path) -> str:
    """The hex sha256 digest of the file at `path`, read in chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as file:
        for chunk in iter(lambda: file.read(_CHUNK_BYTES), b""):
            digest.update(chunk)
    return digest.hexdigest()


def fetch_verified(url: str, sha256: str, destination: Path, *, timeout: float = 30.0) -> Path:
    """Return `destination`, downloading it from `url` first if it is not there.

    Args:
        url: where to fetch from; ``http(s)://`` or ``file://``.
        sha256: the expected hex digest (lowercase or uppercase).
        destination: where the verified file is kept.
        timeout: seconds to wait for the server before giving up.

    Example: ``fetch_verified("file:///tmp/input.txt", "86c4...", cache / "input.txt")``
    copies the file into the cache if its hash is ``86c4...`` and returns the new path.

    Raises:
        ChecksumError: the downloaded file, or one found at `destination`, has
            another hash (the message names both); a download is deleted, a
            file found in place is left for the user to inspect.
        DownloadError: the URL could not be read (offline, refused, timed out);
            the message names the URL, the reason, and where a copy obtained by
            hand can be placed instead.
    """
    expected = sha256.lower()
    if destination.exists():
        actual = sha256_of_file(destination)
        if actual != expected:
            raise ChecksumError(
                f"{destination} has sha256 {actual} but {expected} was expected; "
                f"delete it to download it again from {url}"
            )
        return destination

    def download_and_verify(file: BinaryIO) -> None:
        # Raising here makes atomic_write delete the partial file: only a
        # verified download ever reaches `destination`.
        digest = hashlib.sha256()
        try:
            with urllib.request.urlopen(url, timeout=timeout) as response:
                for chunk in iter(lambda: response.read(_CHUNK_BYTES), b""):
                    digest.update(chunk)
                    file.write(chunk)
        except (urllib.error.URLError, OSError, ValueError) as error:
            reason = getattr(error, "reason", error)
            raise DownloadError(
                f"could not download {url} ({reason}); to work offline, save a copy of that "
                f"file as {destination} (it must have sha256 {expected})"
            ) from None
        actual = digest.hexdigest()
        if actual != expected:
            raise ChecksumError(
                f"download from {url} has sha256 {actual} but {expected} was expected; nothing was kept"
            )

    atomic_write(destination, download_and_verify)
    return destination
