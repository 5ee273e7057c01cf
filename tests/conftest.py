"""Fixtures shared by every test package."""

from __future__ import annotations

from pathlib import Path

import pytest

# The real market data lives beside the repository, in /work/shared/data; tests skip without it.
SHARED_DATA = (Path(__file__).resolve().parents[1] / ".." / "shared" / "data").resolve()


@pytest.fixture
def shared_data() -> Path:
    """The folder of real data files; skips the test when it is absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"real data folder {SHARED_DATA} is absent")
    return SHARED_DATA
