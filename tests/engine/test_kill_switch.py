"""The kill switch end to end, and every way an order can enter: all pass the risk engine."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path

import numpy as np
import pytest

from tpm.adapters.brokers.paper import PaperBroker
from tpm.adapters.feeds.replay import ReplayFeed
from tpm.adapters.feeds.sim import SimulatedMarket
from tpm.config.risk import LossLimit, OrderSizeLimits, RiskConfig
from tpm.domain import (
    Bar,
    Order,
    OrderRequest,
    OrderStatus,
    OrderType,
    Side,
    Timeframe,
    TimeInForce,
    TradingState,
)
from tpm.engine.client import LocalEngineClient
from tpm.engine.engine import Engine, EngineSettings
from tpm.engine.protocols import MarketFeed
from tpm.store.sql_store import SqlStore
from tpm.strategies.base import StrategyContext, TargetPosition


class Churn:
    """A runaway strategy: flips between long and short on every bar, paying every spread."""

    name = "churn"
    timeframe = Timeframe.M1

    def __init__(self, symbol: str, notional: int) -> None:
        self.symbols = (symbol,)
        self._notional = notional
        self._sign = 1

    def on_bar(self, bar: Bar, ctx: StrategyContext) -> Sequence[TargetPosition]:
        self._sign = -self._sign
        qty = int(self._notional / bar.close)
        return (TargetPosition(bar.symbol, Decimal(self._sign * qty), "churn"),)

    def on_start(self, ctx: StrategyContext) -> Sequence[TargetPosition]:
        return ()


class ProbeBroker(PaperBroker):
    """The paper broker, recording what reached it and whether the risk engine had let it in."""

    def __init__(self, *args: object, **kw: object) -> None:
        super().__init__(*args, **kw)  # type: ignore[arg-type]
        self.engine: Engine | None = None
        self.received: list[tuple[Order, bool, TradingState]] = []

    async def submit(self, order: Order) -> None:
        assert self.engine is not None
        admitted = self.engine.risk.book.is_tracked(order.client_order_id)
        self.received.append((order, admitted, self.engine.risk.state))
        await super().submit(order)


def _csv(path: Path, n: int) -> None:
    rng = np.random.default_rng(9)
    close = 40 * np.exp(np.cumsum(rng.normal(0, 0.002, n)))
    opens = np.r_[close[0], close[:-1]]
    rows = ["timestamp,open,high,low,close,volume"]
    for i in range(n):
        hi, lo = max(opens[i], close[i]) * 1.002, min(opens[i], close[i]) * 0.998
        rows.append(
            f"{1_704_186_000 + 60 * i},{opens[i]:.2f},{hi:.2f},{lo:.2f},{close[i]:.2f},50000"
        )
    path.write_text("\n".join(rows) + "\n")


def _engine(
    tmp_path: Path, risk: RiskConfig, speed: float = 200.0, market: str = "replay"
) -> tuple[Engine, ProbeBroker]:
    csv = tmp_path / "acme.csv"
    if not csv.exists():
        _csv(csv, 3000)
    feed: MarketFeed
    if market == "sim":
        # The simulated market, as fast as it goes, on the clock its ticks carry.
        feed = SimulatedMarket(
            seed=5, symbols=3, tick_hz=2, realtime=False, history_days=5, history_minutes=60
        )
        symbol = feed.instruments()[0].symbol
    else:
        feed = ReplayFeed([(csv, "ACME")], speed=speed)
        symbol = "ACME"
    broker = ProbeBroker(
        feed.instruments(), latency_ms=0, slippage_bps=20, commission_per_share=0.02
    )
    settings = EngineSettings(market_clock=True, risk=risk, equity_interval_s=0.5)
    engine = Engine(
        feed,
        broker,
        SqlStore(f"sqlite+aiosqlite:///{tmp_path / 'k.db'}"),
        settings,
        [Churn(symbol, 16_000)],
    )
    broker.engine = engine
    return engine, broker


async def _until(condition: object, timeout_s: float = 30.0) -> None:
    async with asyncio.timeout(timeout_s):
        while not condition():  # type: ignore[operator]
            await asyncio.sleep(0.02)


@pytest.mark.parametrize("market", ["sim", "replay"])
async def test_a_runaway_strategy_hits_the_loss_limit_and_everything_stops(
    tmp_path: Path, market: str
) -> None:
    risk = RiskConfig(daily_loss=LossLimit(max_pct=0.5))
    engine, broker = _engine(tmp_path, risk, market=market)
    symbol = engine.runner.strategies[0].symbols[0]
    await engine.start()
    try:
        await _until(lambda: engine.oms.orders and engine.portfolio.fill_count >= 2)
        state = engine.market.state(symbol)
        assert state is not None
        resting = await engine.oms.submit(
            OrderRequest(
                symbol,
                Side.BUY,
                Decimal(10),
                OrderType.LIMIT,
                TimeInForce.GTC,
                limit_price=state.instrument.price(state.last_price * 0.95),
            )
        )
        assert resting.is_open
        await _until(lambda: engine.risk.state is TradingState.HALTED)
        assert "risk.daily_loss.max_pct" in engine.risk.state_reason
        await _until(lambda: not engine.oms.open_orders())  # every working order cancelled
        assert engine.oms.orders[resting.client_order_id].status is OrderStatus.CANCELLED
        reached = len(broker.received)
        await asyncio.sleep(1.0)  # bars keep coming; the strategy keeps wanting to trade
        assert len(broker.received) == reached
        assert all(admitted for _, admitted, _ in broker.received)
        assert all(st is not TradingState.HALTED for _, _, st in broker.received)
    finally:
        await engine.stop()
    again, broker2 = _engine(tmp_path, risk, market=market)
    await again.start()
    try:
        assert again.risk.state is TradingState.HALTED
        assert "risk.daily_loss.max_pct" in again.risk.state_reason
        await asyncio.sleep(0.5)
        assert broker2.received == []
    finally:
        await again.stop()


async def test_every_entry_point_goes_through_the_risk_engine(tmp_path: Path) -> None:
    risk = RiskConfig(order_size=OrderSizeLimits(max_qty=500))
    engine, broker = _engine(tmp_path, risk, speed=50.0)
    engine.runner.strategies[0]._notional = 36_000  # type: ignore[attr-defined]  # 900 shares
    await engine.start()
    try:
        await _until(lambda: engine.risk.rejections["max_order_qty"] >= 1)  # the strategy
        client = LocalEngineClient(engine)  # the app's order ticket
        ticket = await client.submit_order(OrderRequest("ACME", Side.BUY, Decimal(600)))
        assert ticket.status is OrderStatus.REJECTED and "risk.order_size.max_qty" in ticket.reason
        small = await client.submit_order(OrderRequest("ACME", Side.BUY, Decimal(5)))
        assert small.status is not OrderStatus.REJECTED
        store = engine.store
        assert isinstance(store, SqlStore)
        cid = await store.enqueue_command(  # the command line (tpm order), via the store
            "cli:test", "order", json.dumps({"side": "buy", "qty": "700", "symbol": "ACME"})
        )
        await _until(lambda: engine.control.done >= 1)
        cmd = await store.command(cid)
        assert cmd is not None and cmd["status"] == "failed"
        assert "risk.order_size.max_qty 500" in cmd["result"]
        await engine.halt("test", flatten=True, actor="test")  # the engine's own flatten
        await _until(lambda: engine.portfolio.qty("ACME") == 0 or not engine.oms.open_orders())
        assert broker.received, "nothing at all reached the broker"
        for order, admitted, _ in broker.received:
            assert admitted, f"order {order.client_order_id} reached the broker unchecked"
            assert order.qty <= 500
    finally:
        await engine.stop()
