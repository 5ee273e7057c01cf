"""Commands from other processes, through the store: `tpm halt`, `tpm resume`, `tpm order`.

The running engine polls the commands table, carries each command out through the same
methods the app uses (so an order from the command line passes the same risk checks), and
writes back what happened. It also keeps a heartbeat and its risk status in the store, so the
command line can tell whether an engine is running and what it measures.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import re
import socket
import time
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from tpm.domain import OrderRequest, OrderStatus, OrderType, Side, TimeInForce

if TYPE_CHECKING:
    from tpm.engine.engine import Engine

__all__ = ["HEARTBEAT_KEY", "RISK_STATUS_KEY", "ControlChannel", "dumps_exact", "loads_exact"]

log = logging.getLogger("tpm.engine.control")
HEARTBEAT_KEY = "engine.heartbeat"
RISK_STATUS_KEY = "risk.status"
_MARK = "\x00dec:"


def dumps_exact(value: Any, indent: int | None = None) -> str:
    """JSON in which Decimals are exact number literals (neither floats nor strings)."""

    def default(o: Any) -> Any:
        if isinstance(o, Decimal):
            return f"{_MARK}{o}"
        raise TypeError(f"not JSON serialisable: {type(o).__name__}")

    text = json.dumps(value, default=default, indent=indent)
    return re.sub(r'"\\u0000dec:([^"]+)"', r"\1", text)


def loads_exact(text: str) -> Any:
    """JSON with every non-integer number read as a Decimal."""
    return json.loads(text, parse_float=Decimal)


class ControlChannel:
    """Polls for commands, runs them on the engine, and publishes heartbeat and status."""

    def __init__(self, engine: Engine, *, poll_s: float = 0.25, publish_s: float = 2.0) -> None:
        self._engine = engine
        self._poll_s = poll_s
        self._publish_s = publish_s
        self.done = 0

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        next_publish = 0.0
        while True:
            if loop.time() >= next_publish:
                next_publish = loop.time() + self._publish_s
                await self.publish()
            commands = await self._engine.store.pending_commands()
            for cmd in commands:
                status, result = await self.execute(cmd)
                if cmd is commands[-1]:
                    await self.publish()  # what the command changed is visible at once
                await self._engine.store.finish_command(cmd["id"], status, result)
                self.done += 1
            await asyncio.sleep(self._poll_s)

    async def publish(self) -> None:
        e = self._engine
        beat = {
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "ts_ns": time.time_ns(),  # wall time even in a replay: it says "alive"
            "feed": e.feed.name,
            "broker": e.broker.name,
        }
        await e.store.set_state(HEARTBEAT_KEY, json.dumps(beat))
        await e.store.set_state(RISK_STATUS_KEY, dumps_exact(e.risk.status()))

    async def execute(self, cmd: dict[str, Any]) -> tuple[str, str]:
        """Carry out one command; ("done" | "failed", a sentence saying what happened)."""
        action, actor = cmd["action"], cmd["actor"]
        try:
            payload = json.loads(cmd["payload"] or "{}")
            e = self._engine
            if action == "halt":
                reason = payload.get("reason") or f"halted by {actor}"
                return "done", await e.halt(
                    reason, flatten=bool(payload.get("flatten")), actor=actor
                )
            if action == "resume":
                return "done", await e.resume(actor=actor)
            if action == "flatten":
                sent = await e.kill_switch.flatten(actor=actor)
                return "done", f"{sent} flatten orders sent"
            if action == "order":
                return await self._order(payload, actor)
            return "failed", f"unknown command {action!r}"
        except (KeyError, ValueError, InvalidOperation) as exc:
            return "failed", f"bad {action} command: {exc}"
        except Exception as exc:
            log.exception("command %s failed", cmd.get("id"))
            return "failed", f"{action} failed: {exc}"

    async def _order(self, p: dict[str, Any], actor: str) -> tuple[str, str]:
        req = OrderRequest(
            symbol=str(p["symbol"]).upper(),
            side=Side(p["side"]),
            qty=Decimal(str(p["qty"])),
            type=OrderType(p.get("type", "market")),
            tif=TimeInForce(p.get("tif", "day")),
            limit_price=None if p.get("limit") is None else Decimal(str(p["limit"])),
            stop_price=None if p.get("stop") is None else Decimal(str(p["stop"])),
            source=f"cli:{actor}",
        )
        order = await self._engine.oms.submit(req)
        head = f"order {order.client_order_id[:8]} {order.side} {order.qty} {order.symbol}"
        if order.status is OrderStatus.REJECTED:
            return "failed", f"{head} rejected: {order.reason}"
        return "done", f"{head} sent ({order.status})"
