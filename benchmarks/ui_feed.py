"""A synthetic engine for the UI benchmark: N symbols ticking at a fixed rate, delivered as the
real engine delivers them (coalesced, versioned snapshots at most 10 per second).

The UI is what is measured, so the engine is replaced by the cheapest thing that produces the
same snapshots; everything the app does with them is the real code.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import AsyncIterator, Sequence
from decimal import Decimal
from typing import Any

from tpm.config import Config
from tpm.domain import (
    Bar,
    ClientOrderId,
    EquitySnapshot,
    FeedState,
    Instrument,
    Score,
    Timeframe,
    TradingState,
)
from tpm.domain.snapshot import AccountView, EngineSnapshot, FeedView, WatchRow
from tpm.domain.strategies import StrategyFile

__all__ = ["SyntheticClient"]


class SyntheticClient:
    """The EngineClient calls the app makes while it builds its screens, over generated prices:
    an engine with no stored history (no bars, scores or equity curve yet)."""

    description = "benchmark"

    def __init__(self, symbols: int = 200, tick_hz: float = 10.0, snapshot_hz: float = 10.0):
        self.names = [f"S{i:03d}" for i in range(symbols)]
        self._tick_hz = tick_hz
        self._interval = 1.0 / snapshot_hz
        self._prices = {s: 100.0 + i for i, s in enumerate(self.names)}
        self._versions = dict.fromkeys(self.names, 0)
        self._version = 0
        self.ticks = 0
        self.snapshots_sent = 0
        self._start = time.monotonic()
        # Minute closes change once a minute, so the sparklines' history is fixed here; the
        # feed's own cost stays out of the UI's figure.
        self._history = [tuple(100.0 + i + math.sin(k) for k in range(59)) for i in range(symbols)]

    def _snapshot(self) -> EngineSnapshot:
        now = time.monotonic()
        # Every symbol ticked tick_hz times a second since the start; a snapshot shows where
        # each stands now (the engine coalesces ticks the same way).
        rows = []
        for i, s in enumerate(self.names):
            p = 100.0 + i + math.sin(now * 3.1 + i) * 2
            if p != self._prices[s]:
                self._prices[s] = p
                self._versions[s] += 1
            rows.append(
                WatchRow(
                    s,
                    f"Company {s}",
                    "Sector",
                    p,
                    p - 0.01,
                    p + 0.01,
                    (p / (100.0 + i) - 1) * 100,
                    1e5,
                    self._history[i] + (p,),
                    55.0,
                    "hold",
                    0,
                    self._versions[s],
                )
            )
        self.ticks = int((now - self._start) * self._tick_hz * len(self.names))
        self._version += 1
        account = AccountView(
            Decimal(100_000),
            Decimal(100_000),
            Decimal(100_000),
            Decimal(0),
            Decimal(0),
            Decimal(0),
            Decimal(0),
            Decimal(0),
            TradingState.ACTIVE,
        )
        return EngineSnapshot(
            self._version,
            time.time_ns(),
            FeedView("synthetic", FeedState.LIVE, 0.0),
            account,
            tuple(rows),
        )

    async def latest(self) -> EngineSnapshot:
        return self._snapshot()

    async def snapshots(self) -> AsyncIterator[EngineSnapshot]:
        while True:
            self.snapshots_sent += 1
            yield self._snapshot()
            await asyncio.sleep(self._interval)

    async def settings(self) -> dict[str, Any]:
        return Config().model_dump()

    async def strategies_live(self) -> bool:
        return False

    async def symbols(self) -> list[str]:
        return list(self.names)

    async def cancel_order(self, client_order_id: ClientOrderId) -> bool:
        return False

    async def set_watchlist(self, symbols: Sequence[str]) -> None:
        return None

    async def instruments(self) -> list[Instrument]:
        return [Instrument(s, name=f"Company {s}", sector="Sector") for s in self.names]

    async def bars(self, symbol: str, timeframe: Timeframe, limit: int = 300) -> list[Bar]:
        return []

    async def score(self, symbol: str) -> Score | None:
        return None

    async def equity_curve(self, limit: int = 5000) -> list[EquitySnapshot]:
        return []

    async def strategy_files(self) -> list[StrategyFile]:
        return []  # a synthetic engine has no strategies folder
