"""tpm halt / resume / risk / order, with and without a running engine."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

from tpm.adapters.feeds.sim_universe import UNIVERSE

from .test_cli import tpm

SYMBOL = next(s.symbol for s in UNIVERSE if s.asset_class == "equity")


def test_without_an_engine_halt_and_resume_set_the_stored_state(tmp_path: Path) -> None:
    r = tpm(tmp_path, "halt", "--reason", "going on holiday")
    assert r.returncode == 0 and "no engine is running" in r.stdout
    status = json.loads(tpm(tmp_path, "risk", "--json").stdout)
    assert (status["state"], status["reason"], status["engine"]) == (
        "halted",
        "going on holiday",
        "not running",
    )
    assert status["limits"]["order_size"]["max_qty"] > 0
    order = tpm(tmp_path, "order", "buy", "1", SYMBOL)
    assert order.returncode == 1 and "no engine is running" in order.stderr
    flat = tpm(tmp_path, "halt", "--flatten")
    assert flat.returncode == 1 and "cannot be flattened without a running engine" in flat.stderr
    assert tpm(tmp_path, "resume").returncode == 0
    assert json.loads(tpm(tmp_path, "risk", "--json").stdout)["state"] == "active"
    table = tpm(tmp_path, "risk").stdout
    assert table.startswith("trading state: active") and "daily loss" in table


def test_commands_reach_the_running_engine(tmp_path: Path) -> None:
    env = {**os.environ, "TPM_HOME": str(tmp_path)}
    env.pop("TPM_DB_URL", None)
    engine = subprocess.Popen(
        [sys.executable, "-m", "tpm", "--headless"], env=env, stderr=subprocess.PIPE, text=True
    )
    assert engine.stderr is not None
    try:
        for line in engine.stderr:
            if "engine started" in line:
                break
        ok = tpm(tmp_path, "order", "buy", "5", SYMBOL)
        assert ok.returncode == 0 and f"buy 5 {SYMBOL} sent" in ok.stdout, ok.stderr
        big = tpm(tmp_path, "order", "buy", "100000", SYMBOL)
        assert big.returncode == 1
        assert "exceeds risk.order_size.max_qty 10,000" in big.stderr
        far = tpm(tmp_path, "order", "buy", "5", SYMBOL, "--limit", "0.01")
        assert far.returncode == 1 and "risk.price_collar.max_pct" in far.stderr
        halted = tpm(tmp_path, "halt", "--reason", "fat finger")
        assert halted.returncode == 0 and halted.stdout.startswith("halted: fat finger")
        status = json.loads(tpm(tmp_path, "risk", "--json").stdout)
        assert status["state"] == "halted" and status["engine"].startswith("running")
        refused = tpm(tmp_path, "order", "buy", "5", SYMBOL)
        assert refused.returncode == 1 and "trading is halted (fat finger)" in refused.stderr
        assert tpm(tmp_path, "resume").stdout.strip() == "trading resumed"
    finally:
        engine.send_signal(signal.SIGTERM)
        rest = engine.stderr.read()
        assert engine.wait(timeout=30) == 0, rest
    orders = json.loads(tpm(tmp_path, "orders", "--json").stdout)
    cli = [o for o in orders if o["source"].startswith("cli:")]
    assert [o["qty"] for o in cli] == [5, 100000, 5, 5]
    assert [o["status"] for o in cli][1:] == ["rejected", "rejected", "rejected"]
