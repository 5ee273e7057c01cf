"""The whole engine on a real feed, the paper broker and a SQLite file: lifecycle and restarts."""

from __future__ import annotations

import asyncio
import math
from decimal import Decimal
from pathlib import Path

import numpy as np

from tpm.adapters.brokers.paper import PaperBroker
from tpm.adapters.feeds.replay import ReplayFeed
from tpm.adapters.feeds.sim import SimulatedMarket
from tpm.domain import (
    FillBooked,
    OrderRequest,
    OrderStatus,
    OrderUpdated,
    Side,
    Timeframe,
    TradingState,
)
from tpm.engine.engine import Engine, EngineSettings
from tpm.store.sql_store import SqlStore
from tpm.strategies import MovingAverageTrend


def _write_csv(path: Path, n: int = 600, seed: int = 3) -> None:
    rng = np.random.default_rng(seed)
    close = 100 * np.exp(np.cumsum(rng.normal(0, 0.004, n)))
    open_ = np.r_[close[0], close[:-1]]
    lines = ["timestamp,open,high,low,close,volume"]
    t0 = 1_704_186_000  # 2024-01-02 09:00 UTC
    for i in range(n):
        hi, lo = max(open_[i], close[i]) * 1.001, min(open_[i], close[i]) * 0.999
        lines.append(f"{t0 + 60 * i},{open_[i]:.2f},{hi:.2f},{lo:.2f},{close[i]:.2f},5000")
    path.write_text("\n".join(lines) + "\n")


def _replay_engine(csv: Path, db: Path) -> Engine:
    feed = ReplayFeed([(csv, "ACME")], speed=0)
    broker = PaperBroker(feed.instruments(), latency_ms=0, slippage_bps=0)
    settings = EngineSettings(market_clock=True, initial_cash=Decimal(100_000))
    strategy = MovingAverageTrend(
        ["ACME"], timeframe=Timeframe.M1, fast=3, slow=8, percent_equity=20
    )
    return Engine(feed, broker, SqlStore(f"sqlite+aiosqlite:///{db}"), settings, [strategy])


async def _run_until_feed_done(engine: Engine) -> None:
    await engine.start()
    pump = next(t for t in engine._tasks if t.get_name() == "feed-pump")
    await asyncio.wait_for(asyncio.shield(pump), 60)
    await engine.stop()


async def test_a_replay_trades_at_the_next_bar_open_and_repeats_exactly(tmp_path: Path) -> None:
    csv = tmp_path / "acme.csv"
    _write_csv(csv)
    runs = []
    for i in range(2):
        engine = _replay_engine(csv, tmp_path / f"r{i}.db")
        fills: list[FillBooked] = []
        engine.bus.subscribe(FillBooked, fills.append)
        await _run_until_feed_done(engine)
        runs.append([(f.fill.side, f.fill.qty, f.fill.price, f.fill.ts_ns) for f in fills])
    assert len(runs[0]) >= 10
    assert runs[0] == runs[1]
    opens = {}
    for line in csv.read_text().splitlines()[1:]:
        ts, o, *_ = line.split(",")
        opens[int(ts) * 1_000_000_000] = Decimal(o)
    for _, _, price, ts in runs[0]:
        assert opens[ts] == price  # filled at the open of the bar after the signal


async def test_start_trade_stop_leaves_nothing_running_and_a_restart_rebuilds(
    db_url: str,
) -> None:

    def engine() -> Engine:
        feed = SimulatedMarket(
            seed=11, symbols=6, tick_hz=50, realtime=False, history_days=40, history_minutes=120
        )
        broker = PaperBroker(feed.instruments(), latency_ms=0)
        strat = MovingAverageTrend(
            [i.symbol for i in feed.instruments()][:4], timeframe=Timeframe.M1, fast=2, slow=4
        )
        return Engine(
            feed,
            broker,
            SqlStore(db_url),
            EngineSettings(market_clock=True),
            [strat],
        )

    first = engine()
    updates: list[OrderUpdated] = []
    first.bus.subscribe(OrderUpdated, updates.append)
    enough = asyncio.Event()
    first.bus.subscribe(FillBooked, lambda _: first.portfolio.fill_count >= 6 and enough.set())
    before = set(asyncio.all_tasks())
    await first.start()
    await asyncio.wait_for(enough.wait(), 30)
    await first.stop()
    assert set(asyncio.all_tasks()) - before == set()
    positions = {s: p.qty for s, p in first.portfolio.positions.items()}
    cash = first.portfolio.cash
    assert any(u.order.status is OrderStatus.FILLED for u in updates)

    second = engine()
    second.runner.is_running = False  # only the rebuild is under test here
    await second.store.open()
    await second.oms.load()
    assert {s: p.qty for s, p in second.portfolio.positions.items()} == positions
    assert second.portfolio.cash == cash
    bars = await second.store.load_bars(first.runner.strategies[0].symbols[0], Timeframe.M1)
    assert bars and all(math.isfinite(b.close) for b in bars)
    await second.store.close()


async def test_a_halt_survives_a_restart_and_blocks_orders(tmp_path: Path) -> None:
    db = tmp_path / "h.db"
    store = SqlStore(f"sqlite+aiosqlite:///{db}")
    await store.open()
    await store.set_state("risk.state", "halted|daily loss limit")
    await store.close()
    csv = tmp_path / "acme.csv"
    _write_csv(csv, n=120)
    engine = _replay_engine(csv, db)
    updates: list[OrderUpdated] = []
    engine.bus.subscribe(OrderUpdated, updates.append)
    await engine.start()
    pump = next(t for t in engine._tasks if t.get_name() == "feed-pump")
    await asyncio.wait_for(asyncio.shield(pump), 60)
    try:
        assert engine.risk.state is TradingState.HALTED
        assert updates == []  # strategies stay stopped while halted
        manual = await engine.oms.submit(OrderRequest("ACME", Side.BUY, Decimal(1)))
        assert manual.status is OrderStatus.REJECTED
        assert manual.reason == "trading is halted (daily loss limit)"
        assert engine.portfolio.fill_count == 0
    finally:
        await engine.stop()
