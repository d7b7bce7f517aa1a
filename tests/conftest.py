"""Fixtures shared by every suite."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def data_dir(tmp_path_factory) -> "Path":
    """One dataset cache for the whole session, so the corpus is built once."""
    return tmp_path_factory.mktemp("data-cache")
