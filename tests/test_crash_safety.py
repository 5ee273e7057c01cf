"""kill -9 in the middle of trading, then a restart: the books stay whole."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import numpy as np
import pytest


def _bars_csv(path: Path, n: int) -> None:
    rng = np.random.default_rng(5)
    close = 50 * np.exp(np.cumsum(rng.normal(0, 0.003, n)))
    opens = np.r_[close[0], close[:-1]]
    rows = ["timestamp,open,high,low,close,volume"]
    t0 = 1_704_186_000
    for i in range(n):
        hi, lo = max(opens[i], close[i]) * 1.0005, min(opens[i], close[i]) * 0.9995
        rows.append(f"{t0 + 60 * i},{opens[i]:.2f},{hi:.2f},{lo:.2f},{close[i]:.2f},9000")
    path.write_text("\n".join(rows) + "\n")


def _home(tmp_path: Path) -> Path:
    csv = tmp_path / "acme.csv"
    _bars_csv(csv, 40_000)
    (tmp_path / "config.toml").write_text(
        '[feed]\nkind = "replay"\n'
        f'[feed.replay]\nfiles = [{{path = "{csv}", symbol = "ACME"}}]\nspeed = 0\n'
        '[demo]\nsymbols = ["ACME"]\nfast = 2\nslow = 5\npercent_equity = 20\n'
        "[broker.paper]\nlatency_ms = 0\n"
    )
    return tmp_path


def _env(home: Path) -> dict[str, str]:
    env = {**os.environ, "TPM_HOME": str(home)}
    env.pop("TPM_DB_URL", None)
    return env


def _count(db: Path, table: str) -> int:
    try:
        con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)
        try:
            return int(con.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])
        finally:
            con.close()
    except sqlite3.OperationalError:
        return 0


def _tpm(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tpm", *args],
        env=_env(home),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.slow
def test_kill_9_mid_trading_then_restart_keeps_the_books_whole(tmp_path: Path) -> None:
    home = _home(tmp_path)
    db = home / "tpm.db"
    proc = subprocess.Popen(
        [sys.executable, "-m", "tpm", "--headless"],
        env=_env(home),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 90
    while _count(db, "fills") < 40 and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.1)
    assert proc.poll() is None, "the engine stopped before it could be killed"
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    assert proc.stderr is not None
    proc.stderr.close()

    con = sqlite3.connect(db)
    assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    orders_at_kill = {
        row[0]: row[1] for row in con.execute("SELECT client_order_id, status FROM orders")
    }
    con.close()
    assert orders_at_kill

    restart = _tpm(home, "--headless", "--duration", "3")
    assert restart.returncode == 0, restart.stderr
    assert "portfolio rebuilt from" in restart.stderr

    check = _tpm(home, "db", "check")
    assert check.returncode == 0, check.stdout
    orders = json.loads(_tpm(home, "orders", "--json").stdout)
    ids = [o["client_order_id"] for o in orders]
    assert len(ids) == len(set(ids))
    assert set(orders_at_kill) <= set(ids)  # nothing stored before the kill went missing
    fills = json.loads(_tpm(home, "fills", "--json").stdout)
    assert len({f["exec_id"] for f in fills}) == len(fills)

    by_id = {o["client_order_id"]: o for o in orders}
    filled: dict[str, Decimal] = defaultdict(Decimal)
    net = Decimal(0)
    for f in fills:
        filled[f["client_order_id"]] += Decimal(str(f["qty"]))
        net += Decimal(str(f["qty"])) * (1 if f["side"] == "buy" else -1)
    for coid, qty in filled.items():
        assert Decimal(str(by_id[coid]["filled_qty"])) == qty
    folio = json.loads(_tpm(home, "portfolio", "--json").stdout)
    held = sum((Decimal(str(p["qty"])) for p in folio["positions"]), Decimal(0))
    assert held == net
    for coid, status in orders_at_kill.items():
        if status == "new":  # its fate was unknown at the kill: it must not have been resent
            assert by_id[coid]["status"] in ("rejected", "cancelled", "new")
            assert Decimal(str(by_id[coid]["filled_qty"])) == filled.get(coid, Decimal(0))
