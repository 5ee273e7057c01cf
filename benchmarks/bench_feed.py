"""The benchmark's market feed: the simulated market on N symbols, live or replayed from memory.

`build_sim` clones the sim universe when it has fewer symbols than asked for; `BenchFeed` wraps
a SimulatedMarket as a MarketFeed that stops after N messages, replays pre-built batches
(`pregenerate`) or generates them as it goes, and can pace them to a rate.
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import AsyncIterator, Callable, Sequence
from typing import Any
from unittest import mock

from tpm.adapters.feeds import sim
from tpm.adapters.feeds.sim_universe import UNIVERSE, SymbolSpec
from tpm.domain import Bar, Instrument, Timeframe
from tpm.engine.protocols import MarketEvent

__all__ = ["BenchFeed", "FeedClock", "build_sim", "pregenerate", "universe"]

Batch = Sequence[MarketEvent]


async def _aclose(it: AsyncIterator[Any]) -> None:
    aclose = getattr(it, "aclose", None)  # async generators have it; the Protocol does not say
    if aclose is not None:
        await aclose()


def universe(symbols: int) -> tuple[SymbolSpec, ...]:
    """The sim universe, cloned (AAPL.2, AAPL.3, ...) until it has `symbols` symbols."""
    specs: list[SymbolSpec] = list(UNIVERSE)
    copy = 2
    while len(specs) < symbols:
        for s in UNIVERSE:
            inst = dataclasses.replace(s.instrument, symbol=f"{s.symbol}.{copy}")
            specs.append(dataclasses.replace(s, instrument=inst))
        copy += 1
    return tuple(specs[:symbols])


def build_sim(symbols: int, tick_hz: float, seed: int) -> sim.SimulatedMarket:
    """A non-realtime SimulatedMarket of `symbols` symbols, cloning the universe if it is short."""
    with mock.patch.object(sim, "UNIVERSE", universe(symbols)):
        return sim.SimulatedMarket(seed=seed, symbols=symbols, realtime=False, tick_hz=tick_hz)


class FeedClock:
    """The live clock as the feed sees it: the time stamp of the latest batch.

    The sim runs far ahead of the wall clock, so a LiveClock would find its quotes stale (or, if
    started at now, in the future). This keeps the engine on its live path (a ManualClock would
    select the replay path) with the feed's time standing in for the wall's.
    """

    def __init__(self, start_ns: int) -> None:
        self.now = start_ns

    def now_ns(self) -> int:
        return self.now


class BenchFeed:
    """A MarketFeed over a SimulatedMarket that ends after `limit` messages (live or replayed).

    The first batch flows at once (every symbol gets a quote while the engine starts); the rest
    waits for `go`, then comes as fast as taken or paced to `rate` messages per second. `primed`
    is what `count()` said once the first batch was consumed.
    """

    name = "bench"

    def __init__(
        self, market: sim.SimulatedMarket, limit: int, batches: list[Batch] | None, rate: float
    ) -> None:
        self._sim, self._limit, self._batches, self._rate = market, limit, batches, rate
        self.clock = FeedClock(market.start_ns)
        self.messages = self.timed = self.primed = 0
        self.count: Callable[[], int] = lambda: 0
        self.first_s = self.last_s = 0.0
        self.go, self.done = asyncio.Event(), asyncio.Event()

    def instruments(self) -> Sequence[Instrument]:
        return self._sim.instruments()

    async def connect(self) -> None:
        await self._sim.connect()

    async def subscribe(self, symbols: Sequence[str]) -> None:
        await self._sim.subscribe(symbols)

    async def history(self, symbol: str, timeframe: Timeframe, limit: int) -> list[Bar]:
        return await self._sim.history(symbol, timeframe, limit)

    async def close(self) -> None:
        await self._sim.close()

    async def _replay(self) -> AsyncIterator[Batch]:
        for batch in self._batches or ():
            yield batch
            await asyncio.sleep(0)  # as the sim does between batches

    async def stream(self) -> AsyncIterator[Batch]:
        source = self._replay() if self._batches is not None else self._sim.stream()
        try:
            async for batch in source:
                if self.messages >= self._limit:
                    break
                self.messages += len(batch)
                self.timed += len(batch) if self.first_s else 0
                self.clock.now = batch[-1].ts_ns  # type: ignore[union-attr]
                yield batch
                if not self.first_s:
                    self.primed = self.count()
                    await self.go.wait()
                    self.first_s = time.perf_counter()
                elif self._rate:
                    due_s = self.first_s + self.timed / self._rate
                    await asyncio.sleep(max(due_s - time.perf_counter(), 0.0))
        finally:
            await _aclose(source)
            self.last_s = time.perf_counter()
            self.done.set()


async def pregenerate(market: sim.SimulatedMarket, limit: int) -> list[Batch]:
    await market.connect()
    await market.subscribe([i.symbol for i in market.instruments()])
    batches: list[Batch] = []
    stream = market.stream()
    async for batch in stream:
        batches.append(batch)
        limit -= len(batch)
        if limit <= 0:
            break
    await _aclose(stream)
    return batches
