"""The command line as a user meets it: real subprocesses, a real SQLite file in TPM_HOME."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import pytest

COMMANDS = [
    [],
    ["import"],
    ["orders"],
    ["fills"],
    ["portfolio"],
    ["db"],
    ["db", "upgrade"],
    ["db", "check"],
    ["backtest"],
    ["optimize"],
    ["user"],
    ["user", "add"],
    ["audit"],
]


def tpm(home: Path, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "TPM_HOME": str(home)}
    env.pop("TPM_DB_URL", None)
    return subprocess.run(
        [sys.executable, "-m", "tpm", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=timeout,
        check=False,
    )


@pytest.mark.parametrize("args", [["--version"]] + [[*c, "--help"] for c in COMMANDS])
def test_help_and_version_start_without_heavy_imports(args: list[str]) -> None:
    probe = (
        "import sys\nfrom tpm.cli import main\n"
        f"try:\n    main({args!r})\nexcept SystemExit as e:\n    code = e.code\n"
        "heavy = [m for m in ('pandas', 'plotext', 'asyncmy', 'textual', 'sqlalchemy', 'numpy')"
        " if m in sys.modules]\n"
        "print('EXIT', code, 'HEAVY', heavy)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60
    ).stdout
    assert "EXIT 0 HEAVY []" in out, out
    assert ("tpm 0." in out) if args == ["--version"] else ("usage: tpm" in out)


def test_a_bad_config_exits_2_with_one_line(tmp_path: Path) -> None:
    (tmp_path / "config.toml").write_text('[risk.order_size]\nmax_notional = "lots"\n')
    r = tpm(tmp_path, "--headless", "--duration", "1")
    assert r.returncode == 2
    assert r.stderr.strip() == (
        'tpm: config.toml: risk.order_size.max_notional: expected a number, got "lots"'
    )


def test_a_missing_explicit_config_exits_2(tmp_path: Path) -> None:
    r = tpm(tmp_path, "--config", str(tmp_path / "nope.toml"), "orders")
    assert r.returncode == 2 and "no such config file" in r.stderr


def test_headless_trades_on_the_sim_market_and_the_store_agrees(tmp_path: Path) -> None:
    r = tpm(tmp_path, "--headless", "--duration", "4")
    assert r.returncode == 0, r.stderr
    log = r.stderr
    for event in (
        "engine started",
        "feed sim live",
        "order ",
        "fill ",
        "engine stopped",
        "summary:",
    ):
        assert event in log, f"{event!r} missing from the log:\n{log}"
    assert (tmp_path / "tpm.db").exists()

    orders = json.loads(tpm(tmp_path, "orders", "--json").stdout)
    fills = json.loads(tpm(tmp_path, "fills", "--json").stdout)
    folio = json.loads(tpm(tmp_path, "portfolio", "--json").stdout)
    assert orders and fills
    assert {f["client_order_id"] for f in fills} <= {o["client_order_id"] for o in orders}
    net: dict[str, Decimal] = defaultdict(Decimal)
    cash = Decimal(str(folio["cash"]))
    for f in fills:
        signed = Decimal(str(f["qty"])) * (1 if f["side"] == "buy" else -1)
        net[f["symbol"]] += signed
        cash += signed * Decimal(str(f["price"])) + Decimal(str(f["commission"]))
    assert {p["symbol"]: Decimal(str(p["qty"])) for p in folio["positions"]} == {
        s: q for s, q in net.items() if q
    }
    assert cash == Decimal(str(folio["initial_cash"]))
    check = tpm(tmp_path, "db", "check")
    assert check.returncode == 0 and check.stdout.startswith("ok"), check.stdout
    import sqlite3

    con = sqlite3.connect(tmp_path / "tpm.db")
    snapshots = con.execute("SELECT COUNT(*), MAX(equity) FROM equity_snapshots").fetchone()
    assert snapshots[0] >= 1  # at start and at stop, at least
    audit = [r[0] for r in con.execute("SELECT action FROM audit_log ORDER BY id")]
    assert audit[0] == "engine.start" and audit[-1] == "engine.stop"


def test_import_stores_bars_from_a_real_export(tmp_path: Path, shared_data: Path) -> None:
    src = shared_data / "prices/daily/AAPL-2012-2017.csv"
    rows = [line for line in src.read_text().splitlines()[1:] if line.strip()]
    r = tpm(tmp_path, "import", str(src))
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith(f"stored {len(rows):,} 1d bars of AAPL")
    import sqlite3

    con = sqlite3.connect(tmp_path / "tpm.db")
    first = rows[0].split(",")
    stored = con.execute(
        "SELECT COUNT(*), MIN(start_ts) FROM bars WHERE symbol = 'AAPL'"
    ).fetchone()
    assert stored[0] == len(rows) and stored[1].startswith(first[0])


def test_import_of_a_malformed_file_names_file_line_and_problem(
    tmp_path: Path, shared_data: Path
) -> None:
    r = tpm(
        tmp_path,
        "import",
        str(shared_data / "prices/intraday/index-1m-2006.txt"),
        "--symbol",
        "IDX",
    )
    assert r.returncode == 1
    assert r.stderr.strip() == "tpm: index-1m-2006.txt line 2: 8 fields but the header names 7"


def test_db_upgrade_creates_the_schema(tmp_path: Path) -> None:
    r = tpm(tmp_path, "db", "upgrade")
    assert r.returncode == 0 and "up to date" in r.stdout
    import sqlite3

    tables = {
        row[0]
        for row in sqlite3.connect(tmp_path / "tpm.db").execute(
            "SELECT name FROM sqlite_master WHERE type = 'table'"
        )
    }
    assert {"orders", "fills", "bars", "equity_snapshots", "audit_log", "alembic_version"} <= tables


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_headless_stops_cleanly_on_a_signal(tmp_path: Path, sig: signal.Signals) -> None:
    env = {**os.environ, "TPM_HOME": str(tmp_path)}
    env.pop("TPM_DB_URL", None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "tpm", "--headless"], env=env, stderr=subprocess.PIPE, text=True
    )
    assert proc.stderr is not None
    seen = []
    for line in proc.stderr:
        seen.append(line)
        if "engine started" in line:
            break
    proc.send_signal(sig)
    rest = proc.stderr.read()
    assert proc.wait(timeout=30) == 0, "".join(seen) + rest
    assert "engine stopped" in rest and "summary:" in rest


def test_an_absent_database_is_retried_and_a_signal_still_stops_it(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "TPM_HOME": str(tmp_path),
        "TPM_DB_URL": "mysql+asyncmy://root:pw@127.0.0.1:1/tpm",
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "tpm", "--headless"], env=env, stderr=subprocess.PIPE, text=True
    )
    assert proc.stderr is not None
    for line in proc.stderr:
        if "database unavailable" in line:
            assert "127.0.0.1:1" in line and "pw" not in line.replace("/tpm", "")
            break
    proc.send_signal(signal.SIGTERM)
    rest = proc.stderr.read()
    assert proc.wait(timeout=30) == 0
    assert "stopped during start-up" in rest
