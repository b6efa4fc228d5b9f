from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    """The directory an upload is extracted and indexed in (the caller's, removed after)."""
    path = tmp_path / "work"
    path.mkdir()
    return path


@pytest.fixture
def parts_dir(tmp_path: Path) -> Path:
    """Where the tests write the district's files (multipart parts saved to disk)."""
    return tmp_path / "parts"
