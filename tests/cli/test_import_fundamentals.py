"""`tpm import-fundamentals FILE`: real subprocesses and a real SQLite file in TPM_HOME."""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tpm.cli.fundamentals import import_fundamentals

HEADER = (
    "Symbol,P/E,P/B,P/S,EV/EBITDA,ROE,Gross Margin,Operating Margin,Net Margin,"
    "Revenue Growth,EPS Growth,Debt/Equity,Current Ratio,GICS Sector"
)
FULL = "ACME,12,2,1.5,8,0.18,0.4,0.15,0.1,0.05,0.07,0.6,1.4,Industrials"
PARTIAL = "BOLT,25,,3,,,,,,,,,,Information Technology"


def tpm(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "TPM_HOME": str(home)}
    env.pop("TPM_DB_URL", None)
    return subprocess.run(
        [sys.executable, "-m", "tpm", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )


def stored(home: Path) -> tuple[dict[str, tuple[float | None, float | None]], dict[str, str]]:
    with sqlite3.connect(home / "tpm.db") as db:
        rows = {s: (pe, pb) for s, pe, pb in db.execute("SELECT symbol, pe, pb FROM fundamentals")}
        (state,) = db.execute(
            "SELECT value FROM engine_state WHERE key = 'fundamentals.sectors'"
        ).fetchone()
    return rows, json.loads(state)


@pytest.fixture
def small_csv(tmp_path: Path) -> Path:
    path = tmp_path / "figures.csv"
    path.write_text(f"{HEADER}\n{FULL}\n{PARTIAL}\n", encoding="utf-8")
    return path


def test_stores_rows_and_sectors(tmp_path: Path, small_csv: Path) -> None:
    home = tmp_path / "home"
    r = tpm(home, "import-fundamentals", str(small_csv))
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == (
        f"stored 2 companies' fundamentals from {small_csv} (1 with every figure)"
    )
    rows, sectors = stored(home)
    assert rows == {"ACME": (12.0, 2.0), "BOLT": (25.0, None)}  # missing stays NULL, not 0
    assert sectors == {"ACME": "Industrials", "BOLT": "Information Technology"}


def test_a_malformed_file_is_one_sentence_and_exit_1(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("Symbol,P/E\nACME,12\nBOLT,twelve\n", encoding="utf-8")
    r = tpm(tmp_path / "home", "import-fundamentals", str(bad))
    assert r.returncode == 1
    assert r.stderr.strip() == f"tpm: {bad} line 3: \"P/E\" = 'twelve' is not a number"
    assert r.stdout == ""


def test_edgar_without_a_user_agent_is_refused(tmp_path: Path) -> None:
    tickers = tmp_path / "tickers.txt"
    tickers.write_text("AAPL\nMSFT\n", encoding="utf-8")
    r = tpm(tmp_path / "home", "import-fundamentals", str(tickers), "--source", "edgar")
    assert r.returncode == 2
    assert "fundamentals.edgar.user_agent is empty" in r.stderr


def test_real_sp500_file_with_gics_sectors(tmp_path: Path, shared_data: Path) -> None:
    folder = shared_data / "fundamentals"
    path, securities = folder / "constituents-financials.csv", folder / "nyse_securities.csv"
    if not (path.exists() and securities.exists()):
        pytest.skip(f"{path} or {securities} is absent")
    home = tmp_path / "home"
    r = tpm(home, "import-fundamentals", str(path), "--sectors", str(securities))
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("stored 486 companies' fundamentals from ")
    assert "note: " in r.stderr
    rows, sectors = stored(home)
    assert len(rows) == 486
    assert sectors["AAPL"] == "Information Technology"


# In-process: the command function itself, before (and regardless of) its parser wiring.


def run_in_process(monkeypatch: pytest.MonkeyPatch, home: Path, **kw: object) -> int:
    monkeypatch.setenv("TPM_HOME", str(home))
    monkeypatch.delenv("TPM_DB_URL", raising=False)
    args = argparse.Namespace(config=None, source="csv", sectors=None, **kw)
    return import_fundamentals(args)


def test_function_stores_and_merges_sectors(
    tmp_path: Path,
    small_csv: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    home = tmp_path / "home"
    assert run_in_process(monkeypatch, home, file=str(small_csv)) == 0
    assert "(1 with every figure)" in capsys.readouterr().out
    other = tmp_path / "more.csv"
    other.write_text("Ticker,PE,Sector\nCOG,9,Energy\n", encoding="utf-8")
    assert run_in_process(monkeypatch, home, file=str(other)) == 0
    rows, sectors = stored(home)
    assert set(rows) == {"ACME", "BOLT", "COG"}
    assert sectors == {
        "ACME": "Industrials",
        "BOLT": "Information Technology",
        "COG": "Energy",
    }


def test_function_rejects_an_unknown_source(
    tmp_path: Path, small_csv: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tpm.errors import ConfigError

    monkeypatch.setenv("TPM_HOME", str(tmp_path))
    args = argparse.Namespace(config=None, source="ftp", sectors=None, file=str(small_csv))
    with pytest.raises(ConfigError, match="--source ftp: must be csv or edgar"):
        import_fundamentals(args)
