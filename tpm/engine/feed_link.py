"""The engine's link to its market feed: pumping data in, health, reconnects.

A feed that goes quiet for `stale_after_s` is reported stale (with its age); one that drops is
reconnected with backoff and resubscribed before it is called live and trading resumes.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence

from tpm.domain import Bar, FeedState, FeedStatus, Quote, Severity, Trade
from tpm.domain.snapshot import FeedView
from tpm.engine.bus import Bus
from tpm.engine.clock import Clock, ManualClock
from tpm.engine.market import MarketData
from tpm.engine.protocols import MarketFeed
from tpm.engine.runner import StrategyRunner
from tpm.errors import FeedDisconnected

__all__ = ["FeedLink"]

log = logging.getLogger("tpm.engine")
_NS = 1_000_000_000


class FeedLink:
    """Moves market data from a feed into the market stage and tracks the feed's health."""

    def __init__(
        self,
        feed: MarketFeed,
        market: MarketData,
        bus: Bus,
        clock: Clock,
        runner: StrategyRunner,
        *,
        stale_after_s: float,
        settle_broker: Callable[[], Awaitable[None]],
        note: Callable[[Severity, str, str], None],
        on_market_time: Callable[[int], Awaitable[int]] | None = None,
    ) -> None:
        self.feed = feed
        self._market = market
        self._bus = bus
        self._clock = clock
        self._runner = runner
        self._stale_ns = int(stale_after_s * _NS)
        self._settle_broker = settle_broker
        self._note = note
        # Replays keep time by the market: what the engine does at intervals (equity points,
        # loss limits) happens at market times, so a replay repeats however fast it runs.
        self._on_market_time = on_market_time
        self._market_due_ns = 0
        self.state = FeedState.STOPPED
        self.detail = ""

    async def connect(self) -> None:
        self.set_state(FeedState.CONNECTING)
        await self.feed.connect()
        await self.feed.subscribe([i.symbol for i in self.feed.instruments()])
        self.set_state(FeedState.LIVE, "connected")

    async def pump(self) -> None:
        """Feed every batch to the market stage until the feed ends; reconnect when it drops."""
        delay = 0.5
        replayed = isinstance(self._clock, ManualClock)
        consume = self._consume_replayed if replayed else self._consume
        while True:
            try:
                async for batch in self.feed.stream():
                    await consume(batch)
                    if self.state is not FeedState.LIVE:
                        self.set_state(FeedState.LIVE, "data flowing again")
                    delay = 0.5
                    # A feed that is never idle must not starve the runner, the broker's
                    # messages and the store's writer: give them a turn after every batch.
                    await asyncio.sleep(0)
                log.info("feed %s finished", self.feed.name)
                return
            except (FeedDisconnected, OSError) as exc:
                self.set_state(FeedState.RECONNECTING, str(exc))
                await asyncio.sleep(delay)
                delay = min(delay * 2, 30.0)
                try:
                    await self.connect()
                except (FeedDisconnected, OSError) as again:
                    log.warning("feed %s reconnect failed: %s", self.feed.name, again)

    async def _consume(self, batch: Sequence[Quote | Trade | Bar]) -> None:
        self._market.on_events(batch)

    async def _consume_replayed(self, batch: Sequence[Quote | Trade | Bar]) -> None:
        """Replayed data: the clock follows each message, and the strategies' orders go out
        before the next message, so a replay decides the same way however fast it runs."""
        clock = self._clock
        assert isinstance(clock, ManualClock)
        for ev in batch:
            clock.advance_to(ev.end_ns if isinstance(ev, Bar) else ev.ts_ns)
            self._market.on_events((ev,))
            now = clock.now_ns()
            if self._on_market_time is not None and now >= self._market_due_ns:
                self._market_due_ns = await self._on_market_time(now)
            await self._settle_broker()
            if self._runner.deferred:
                self._runner.retry_deferred()
            if self._runner.has_pending:
                await self._runner.drain()
                await self._settle_broker()

    def check_staleness(self, now_ns: int) -> None:
        last = self._market.last_message_ns
        quiet_ns = now_ns - last
        if self.state is FeedState.LIVE and last and quiet_ns > self._stale_ns:
            self.set_state(FeedState.STALE, f"no data for {quiet_ns / _NS:.0f}s")

    def view(self, now_ns: int) -> FeedView:
        last = self._market.last_message_ns
        dropped = sum(v for k, v in self._market.dropped.items() if ":" not in k)
        age = max(0.0, (now_ns - last) / _NS) if last else None
        return FeedView(self.feed.name, self.state, age, dropped, self.detail)

    def set_state(self, state: FeedState, detail: str = "") -> None:
        if state is self.state:
            return
        previous, self.state = self.state, state
        self.detail = detail
        name = self.feed.name
        self._bus.publish(FeedStatus(name, state, self._market.last_message_ns, detail))
        if state in (FeedState.STALE, FeedState.RECONNECTING):
            log.warning("feed %s is %s: %s", name, state, detail)
            self._note(Severity.WARNING, f"Feed {state}", f"{name}: {detail}")
        elif state is FeedState.LIVE:
            log.info("feed %s live (%s)", name, detail)
            if previous in (FeedState.STALE, FeedState.RECONNECTING):
                self._note(Severity.INFO, "Feed live", f"{name}: {detail}")
