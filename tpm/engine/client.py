"""The in-process EngineClient: the UI's window onto an Engine running in the same event loop."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from typing import Any

from tpm.domain import Bar, ClientOrderId, Order, OrderRequest, Timeframe
from tpm.domain.snapshot import EngineSnapshot
from tpm.engine.engine import Engine

__all__ = ["LocalEngineClient"]


class LocalEngineClient:
    """Implements tpm.domain.client.EngineClient over an Engine object."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    @property
    def description(self) -> str:
        return "local"

    async def latest(self) -> EngineSnapshot:
        snap = self._engine.publisher.latest
        return snap if snap is not None else self._engine.publisher.publish()

    async def snapshots(self) -> AsyncIterator[EngineSnapshot]:
        sub = self._engine.bus.stream(EngineSnapshot, maxsize=1)
        try:
            yield await self.latest()
            async for snap in sub:
                assert isinstance(snap, EngineSnapshot)
                yield snap
        finally:
            sub.close()

    async def submit_order(self, request: OrderRequest) -> Order:
        return await self._engine.oms.submit(request)

    async def cancel_order(self, client_order_id: ClientOrderId) -> bool:
        return await self._engine.oms.cancel(client_order_id)

    async def bars(self, symbol: str, timeframe: Timeframe, limit: int = 300) -> list[Bar]:
        """Warm history from the feed, then what this run aggregated, then the forming bar."""
        e = self._engine
        history = await e.feed.history(symbol, timeframe, limit)
        since = history[-1].end_ns if history else e.started_ns - timeframe.ns * limit
        live = [b for b in await e.store.load_bars(symbol, timeframe, limit) if b.start_ns >= since]
        bars = (history + live)[-limit:]
        forming = e.market.forming_bar(symbol, timeframe)
        if forming is not None and (not bars or forming.start_ns > bars[-1].start_ns):
            bars.append(forming)
        return bars

    async def set_watchlist(self, symbols: Sequence[str]) -> None:
        await self._engine.set_watchlist(symbols)

    async def symbols(self) -> list[str]:
        return [i.symbol for i in self._engine.feed.instruments()]

    async def halt(self, *, flatten: bool = False) -> str:
        return await self._engine.halt("halted from the app", flatten=flatten, actor="app")

    async def resume(self) -> str:
        return await self._engine.resume(actor="app")

    async def risk_status(self) -> dict[str, Any]:
        return self._engine.risk.status()

    async def set_shutdown_orders(self, mode: str) -> None:
        self._engine.set_shutdown_orders(mode, actor="app")

    async def strategies_live(self) -> bool:
        r = self._engine.runner
        return r.is_running and r.is_trading and bool(r.strategies)
