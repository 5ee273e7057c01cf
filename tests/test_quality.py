"""ruff and mypy stay at zero findings (configured in pyproject.toml)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def _run(*cmd: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, check=False, timeout=300)


PATHS = [p for p in ("tpm", "tests", "benchmarks") if (ROOT / p).is_dir()]


def test_ruff_finds_nothing() -> None:
    r = _run(str(BIN / "ruff"), "check", *PATHS)
    assert r.returncode == 0, r.stdout
    r = _run(str(BIN / "ruff"), "format", "--check", *PATHS)
    assert r.returncode == 0, r.stdout


def test_mypy_finds_nothing() -> None:
    r = _run(str(BIN / "mypy"), "tpm")
    assert r.returncode == 0, r.stdout
