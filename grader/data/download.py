"""Fetch a file once, check its sha256, and keep it only if it matches.

The file is streamed into a temporary file beside its destination while its
hash is computed; only a matching file is moved into place (atomically). A
file already at the destination, downloaded earlier or placed there by hand
for an offline machine, is verified the same way and then used.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import urllib.error
import urllib.request
from pathlib import Path

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

    destination.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary_name = tempfile.mkstemp(
        prefix=f".{destination.name}.", suffix=".part", dir=destination.parent
    )
    temporary = Path(temporary_name)
    try:
        digest = hashlib.sha256()
        with os.fdopen(handle, "wb") as file:
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
            file.flush()
            os.fsync(file.fileno())
        actual = digest.hexdigest()
        if actual != expected:
            raise ChecksumError(
                f"download from {url} has sha256 {actual} but {expected} was expected; nothing was kept"
            )
        os.chmod(temporary, 0o644)
        os.replace(temporary, destination)
    finally:
        temporary.unlink(missing_ok=True)
    return destination
