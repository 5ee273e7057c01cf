"""tpm halt / resume / order / risk: talk to the running engine through the store.

A command is queued in the database; the running engine carries it out within a second and
writes back the result. With no engine running, halt and resume change the stored trading
state (the next start obeys it) and orders are refused: only an engine sends orders.
"""

from __future__ import annotations

import asyncio
import getpass
import json
import time
from decimal import Decimal
from typing import Any

from tpm.cli.report import portfolio_view
from tpm.config import Config
from tpm.engine.control import HEARTBEAT_KEY, RISK_STATUS_KEY, dumps_exact, loads_exact
from tpm.engine.kill_switch import STATE_KEY
from tpm.errors import TpmError
from tpm.store.sql_store import SqlStore

__all__ = ["actor", "engine_alive", "offline_risk_status", "send_command"]

_ALIVE_S = 6.0


def actor() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except Exception:
        return "cli"


async def engine_alive(store: SqlStore) -> dict[str, Any] | None:
    """The running engine's heartbeat, or None when no engine has beaten lately."""
    beat = await store.get_state(HEARTBEAT_KEY)
    if not beat:
        return None
    data: dict[str, Any] = json.loads(beat)
    age_s = (time.time_ns() - int(data.get("ts_ns", 0))) / 1e9
    return data if age_s <= _ALIVE_S else None


async def send_command(
    store: SqlStore,
    action: str,
    payload: dict[str, Any],
    *,
    timeout_s: float = 15.0,
    who: str | None = None,
) -> tuple[bool, str]:
    """(succeeded, sentence). Runs on the live engine, or on the stored state without one.
    `who` is the logged-in user (the OS user when the store has no users)."""
    who = who or actor()
    if await engine_alive(store) is None:
        return await _offline(store, action, payload, who)
    command_id = await store.enqueue_command(who, action, json.dumps(payload))
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        cmd = await store.command(command_id)
        if cmd is not None and cmd["status"] != "pending":
            return cmd["status"] == "done", str(cmd["result"])
        await asyncio.sleep(0.1)
    raise TpmError(
        f"the engine did not answer command {command_id} ({action}) within "
        f"{timeout_s:.0f}s; it stays queued and runs when the engine gets to it"
    )


async def _offline(
    store: SqlStore, action: str, payload: dict[str, Any], who: str
) -> tuple[bool, str]:
    if action == "halt":
        reason = payload.get("reason") or f"halted by {who}"
        await store.set_state(STATE_KEY, f"halted|{reason}")
        await store.audit(who, "risk.halted", f"{reason} (no engine running)")
        note = "no engine is running: the halt is stored and the next start obeys it"
        if payload.get("flatten"):
            note += "; positions cannot be flattened without a running engine"
            return False, note
        return True, note
    if action == "resume":
        await store.set_state(STATE_KEY, f"active|resumed by {who}")
        await store.audit(who, "risk.active", f"resumed by {who} (no engine running)")
        return True, "no engine is running: trading will start active"
    return False, "no engine is running: start one (tpm --headless, or tpm) to send orders"


async def offline_risk_status(store: SqlStore, config: Config) -> dict[str, Any]:
    """What `tpm risk` shows when no engine runs: limits, stored state, and the books."""
    state = await store.get_state(STATE_KEY) or "active|"
    name, _, reason = state.partition("|")
    view = await portfolio_view(store)
    equity = view.equity
    day = await store.get_state("account.day_start")
    day_start = Decimal(day.split("|", 1)[1]) if day else None
    peak_text = await store.get_state("account.peak_equity")
    peak = max(Decimal(peak_text), equity) if peak_text else equity
    gross = sum((abs(p.market_value) for p in view.positions), Decimal(0))
    net = sum((p.market_value for p in view.positions), Decimal(0))
    open_orders = len(await store.load_orders(open_only=True))
    return {
        "engine": "not running",
        "state": name,
        "reason": reason,
        "limits": config.risk.model_dump(),
        "usage": {
            "equity": equity,
            "cash": view.cash,
            "day_start_equity": day_start,
            "day_pnl": None if day_start is None else equity - day_start,
            "day_loss_pct": None
            if not day_start
            else float((day_start - equity) / day_start * 100),
            "peak_equity": peak,
            "drawdown_pct": float((peak - equity) / peak * 100) if peak > 0 else 0.0,
            "gross_exposure_pct": float(gross / equity * 100) if equity > 0 else None,
            "net_exposure_pct": float(abs(net) / equity * 100) if equity > 0 else None,
            "orders_last_second": 0,
            "orders_last_minute": 0,
            "open_orders": open_orders,
        },
    }


async def risk_status(store: SqlStore, config: Config) -> dict[str, Any]:
    beat = await engine_alive(store)
    if beat is not None:
        text = await store.get_state(RISK_STATUS_KEY)
        if text:
            status: dict[str, Any] = loads_exact(text)
            status["engine"] = f"running (pid {beat.get('pid')} on {beat.get('host')})"
            return status
    return await offline_risk_status(store, config)


def render_risk(status: dict[str, Any], as_json: bool) -> str:
    if as_json:
        return dumps_exact(status, indent=2)
    u = status["usage"]
    limits = status["limits"]

    def pct(v: Any) -> str:
        return "-" if v is None else f"{float(v):.2f}%"

    def money(v: Any) -> str:
        return "-" if v is None else f"{float(v):,.2f}"

    def num(v: Any) -> str:
        return "-" if v is None else f"{float(v):,.10g}"

    lines = [
        f"trading state: {status['state']}"
        + (f" ({status['reason']})" if status.get("reason") else "")
        + f"   engine: {status.get('engine', 'running')}",
        "",
        f"{'limit':32} {'in force':>14} {'now':>14}",
        f"{'daily loss (risk.daily_loss)':32} {num(limits['daily_loss']['max_pct']):>13}% "
        f"{pct(u.get('day_loss_pct')):>14}",
        f"{'drawdown (risk.drawdown)':32} {num(limits['drawdown']['max_pct']):>13}% "
        f"{pct(u.get('drawdown_pct')):>14}",
        f"{'gross exposure':32} {num(limits['exposure']['max_gross_pct']):>13}% "
        f"{pct(u.get('gross_exposure_pct')):>14}",
        f"{'net exposure':32} {num(limits['exposure']['max_net_pct']):>13}% "
        f"{pct(u.get('net_exposure_pct')):>14}",
        f"{'orders per second':32} {limits['order_rate']['per_second']:>14} "
        f"{u.get('orders_last_second', 0):>14}",
        f"{'orders per minute':32} {limits['order_rate']['per_minute']:>14} "
        f"{u.get('orders_last_minute', 0):>14}",
        f"{'open orders':32} {limits['open_orders']['max_total']:>14} "
        f"{u.get('open_orders', 0):>14}",
        f"{'order quantity':32} {num(limits['order_size']['max_qty']):>14} {'-':>14}",
        f"{'order notional':32} {num(limits['order_size']['max_notional']):>14} {'-':>14}",
        f"{'position quantity':32} {num(limits['position']['max_qty']):>14} {'-':>14}",
        f"{'position notional':32} {num(limits['position']['max_notional']):>14} {'-':>14}",
        "",
        f"equity {money(u['equity'])}   day start {money(u['day_start_equity'])}   "
        f"peak {money(u['peak_equity'])}",
    ]
    return "\n".join(lines)
