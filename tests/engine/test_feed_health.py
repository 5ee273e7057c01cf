"""A feed that goes quiet says so, and a feed that drops reconnects, resubscribes and resumes."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Sequence
from decimal import Decimal
from pathlib import Path

from tpm.adapters.brokers.paper import PaperBroker
from tpm.config.risk import RiskConfig, StaleQuoteCheck
from tpm.domain import (
    Bar,
    FeedState,
    FeedStatus,
    Instrument,
    OrderRequest,
    OrderStatus,
    Quote,
    Side,
    Timeframe,
)
from tpm.engine.engine import Engine, EngineSettings
from tpm.errors import FeedDisconnected
from tpm.store.sql_store import SqlStore

ACME = Instrument("ACME", timezone="UTC", session_open="00:00", session_close="00:00")


class ScriptedFeed:
    """An exchange feed we cannot reach, played from a script: quotes on demand, drops on cue."""

    name = "scripted"

    def __init__(self) -> None:
        self.queue: asyncio.Queue[Quote | Exception | None] = asyncio.Queue()
        self.connects = 0
        self.subscriptions: list[list[str]] = []

    def instruments(self) -> Sequence[Instrument]:
        return [ACME]

    async def connect(self) -> None:
        self.connects += 1

    async def subscribe(self, symbols: Sequence[str]) -> None:
        self.subscriptions.append(list(symbols))

    async def stream(self) -> AsyncIterator[list[Quote]]:
        while True:
            item = await self.queue.get()
            if item is None:
                return
            if isinstance(item, Exception):
                raise item
            yield [item]

    async def history(self, symbol: str, timeframe: Timeframe, limit: int) -> list[Bar]:
        return []

    async def close(self) -> None:
        self.queue.put_nowait(None)

    def quote(self, mid: float) -> None:
        self.queue.put_nowait(Quote("ACME", time.time_ns(), mid - 0.01, mid + 0.01, 500, 500))


def _engine(tmp_path: Path, feed: ScriptedFeed) -> Engine:
    settings = EngineSettings(
        stale_after_s=0.5, risk=RiskConfig(stale_quote=StaleQuoteCheck(max_age_s=0.5))
    )
    broker = PaperBroker([ACME], latency_ms=0)
    return Engine(feed, broker, SqlStore(f"sqlite+aiosqlite:///{tmp_path / 'f.db'}"), settings)


async def _until(condition: object, timeout_s: float = 10.0) -> None:
    async with asyncio.timeout(timeout_s):
        while not condition():  # type: ignore[operator]
            await asyncio.sleep(0.02)


async def test_a_quiet_feed_turns_stale_refuses_market_orders_and_recovers(tmp_path: Path) -> None:
    feed = ScriptedFeed()
    engine = _engine(tmp_path, feed)
    states: list[FeedState] = []
    engine.bus.subscribe(FeedStatus, lambda s: states.append(s.state))
    await engine.start()
    try:
        feed.quote(100.0)
        await _until(lambda: engine.market.accepted == 1)
        await _until(lambda: engine.feed_state is FeedState.STALE)
        assert engine.feed_view(time.time_ns()).age_s >= 0.5
        order = await engine.oms.submit(OrderRequest("ACME", Side.BUY, Decimal(1)))
        assert order.status is OrderStatus.REJECTED
        assert (
            "market data for ACME is" in order.reason
            and "risk.stale_quote.max_age_s" in order.reason
        )
        feed.quote(100.5)
        await _until(lambda: engine.feed_state is FeedState.LIVE)
        fresh = await engine.oms.submit(OrderRequest("ACME", Side.BUY, Decimal(1)))
        assert fresh.status is not OrderStatus.REJECTED
        assert states[-2:] == [FeedState.STALE, FeedState.LIVE]
    finally:
        await engine.stop()


async def test_a_dropped_feed_reconnects_and_resubscribes_before_trading(tmp_path: Path) -> None:
    feed = ScriptedFeed()
    engine = _engine(tmp_path, feed)
    seen: list[tuple[FeedState, bool]] = []
    engine.bus.subscribe(FeedStatus, lambda s: seen.append((s.state, engine.can_trade())))
    await engine.start()
    try:
        feed.quote(100.0)
        await _until(lambda: engine.market.accepted == 1)
        feed.queue.put_nowait(FeedDisconnected("connection reset by peer"))
        await _until(lambda: feed.connects == 2)
        feed.quote(100.2)
        await _until(lambda: engine.market.accepted == 2)
        assert feed.subscriptions == [["ACME"], ["ACME"]]
        assert (FeedState.RECONNECTING, False) in seen
        assert engine.feed_state is FeedState.LIVE and engine.can_trade()
    finally:
        await engine.stop()
