"""Backtests: the same trades as the live engine replaying the same bars with the paper broker,
fills at the next bar's open, risk checks in force, and an equity curve that adds up."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tpm.adapters.brokers.paper import PaperBroker
from tpm.adapters.feeds.csvbars import BarFile
from tpm.adapters.feeds.replay import ReplayFeed
from tpm.config.risk import RiskConfig
from tpm.domain import Bar, Instrument, Side, Timeframe
from tpm.engine.backtest import SymbolBars, run_backtest
from tpm.engine.engine import Engine, EngineSettings
from tpm.store.sql_store import SqlStore
from tpm.strategies.base import Strategy
from tpm.strategies.rule_strategy import RuleStrategy
from tpm.strategies.spec import StrategySpec, read_strategy

DAY = Timeframe.D1.ns
START = 1_577_836_800 * 1_000_000_000  # 2020-01-01 00:00 UTC


def walk(symbol: str, n: int, seed: int) -> list[Bar]:
    """Daily bars of a random walk with some trend changes, labelled at 00:00 UTC."""
    rng = np.random.default_rng(seed)
    drift = np.repeat(rng.normal(0, 0.004, n // 40 + 1), 40)[:n]
    close = 50 * np.exp(np.cumsum(drift + rng.normal(0, 0.015, n)))
    open_ = np.concatenate(([close[0]], close[:-1])) * (1 + rng.normal(0, 0.003, n))
    high = np.maximum(open_, close) * (1 + np.abs(rng.normal(0, 0.005, n)))
    low = np.minimum(open_, close) * (1 - np.abs(rng.normal(0, 0.005, n)))
    vol = rng.integers(50_000, 150_000, n).astype(float)
    return [
        Bar(
            symbol,
            Timeframe.D1,
            START + i * DAY,
            *map(float, (open_[i], high[i], low[i], close[i])),
            float(vol[i]),
        )
        for i in range(n)
    ]


def columns(inst: Instrument, bars: list[Bar]) -> SymbolBars:
    return SymbolBars(
        inst,
        Timeframe.D1,
        np.array([b.start_ns for b in bars], dtype=np.int64),
        *(
            np.array([getattr(b, f) for b in bars])
            for f in ("open", "high", "low", "close", "volume")
        ),
    )


def strategy(**tables: dict[str, Any]) -> StrategySpec:
    raw: dict[str, Any] = {
        "strategy": {"name": "cross", "symbols": ["AAA", "BBB"], "timeframe": "1d"},
        "entry": {"when": "crosses_above(sma(close, 5), sma(close, 20))"},
        "exit": {"when": "crosses_below(sma(close, 5), sma(close, 20))"},
        "size": {"qty": 100},
    }
    raw.update(tables)
    return read_strategy(raw)


SPECS = {
    "sma-cross": strategy(),
    "sized-with-stops": strategy(
        size={"percent_equity": 20},
        risk={"stop_loss_pct": 4, "trailing_stop_pct": 6, "take_profit_pct": 15},
    ),
    "short-pyramid": strategy(
        entry={"when": "close < lowest(low, 10)[1]", "side": "short", "pyramiding": 3},
        exit={"when": "close > highest(high, 10)[1]"},
        size={"risk_percent": 1, "atr_stop": 2},
    ),
    "reads-its-state": strategy(exit={"when": "bars_held >= 7 or close < entry_price * 0.95"}),
    "reads-the-pillars": strategy(
        entry={"when": "crosses_above(technical, 60) and score > 55"},
        exit={"when": "technical < 45 or sentiment < 20"},  # no news here: never
    ),
}

RISK = RiskConfig.model_validate({"order_size": {"max_notional": 1e9, "max_qty": 1e7}})


def broker(instruments: list[Instrument]) -> PaperBroker:
    return PaperBroker(instruments, commission_per_share=0.01, commission_min=1.0, slippage_bps=5)


def book(fills: list[Any]) -> list[tuple[str, Side, Decimal, Decimal, int]]:
    return sorted((f.symbol, f.side, f.qty, f.price, f.ts_ns) for f in fills)


async def live_replay(
    strategy: Strategy, files: list[BarFile], instruments: list[Instrument], db: Path
) -> list[tuple[str, Side, Decimal, Decimal, int]]:
    feed = ReplayFeed(files, speed=0)
    engine = Engine(
        feed,
        broker(instruments),
        SqlStore(f"sqlite+aiosqlite:///{db}"),
        EngineSettings(
            market_clock=True,
            risk=RISK,
            timeframes=(Timeframe.D1,),
            warmup_bars=0,
            shutdown_orders="leave",
        ),
        [strategy],
    )
    total = sum(len(f.bars) for f in files)
    await engine.start()
    try:
        for _ in range(2000):
            if engine.market.accepted >= total and not engine.runner.has_pending:
                break
            await asyncio.sleep(0.01)
        else:
            pytest.fail("the replay did not finish")
        await asyncio.sleep(0.1)
        return book(await engine.store.load_fills())
    finally:
        await engine.stop()


@pytest.mark.parametrize("name", list(SPECS))
async def test_a_backtest_trades_as_the_live_engine_replaying_the_same_bars(
    tmp_path: Path, name: str
) -> None:
    spec = SPECS[name]
    bars = {"AAA": walk("AAA", 300, 1), "BBB": walk("BBB", 300, 2)}
    files = [BarFile(s, Timeframe.D1, b) for s, b in bars.items()]
    instruments = list(ReplayFeed(files).instruments())  # as the replay makes them
    by_symbol = {i.symbol: i for i in instruments}
    result = await run_backtest(
        spec,
        [columns(by_symbol[s], b) for s, b in bars.items()],
        broker(instruments),
        risk=RISK,
    )
    assert len(result.fills) >= 6, "the strategy should trade on these bars"
    live = await live_replay(RuleStrategy(spec), files, instruments, tmp_path / "live.db")
    assert book(result.fills) == live


async def test_market_orders_fill_at_the_next_bars_open() -> None:
    inst = Instrument("AAA")
    bars = walk("AAA", 200, 3)
    result = await run_backtest(
        strategy(strategy={"name": "x", "symbols": ["AAA"]}),
        [columns(inst, bars)],
        PaperBroker([inst], commission_per_share=0, commission_min=0, slippage_bps=0),
        risk=RISK,
    )
    by_start = {b.start_ns: b for b in bars}
    signal_bars = [ts for _, ts, _ in result.signals]
    assert result.fills and len(result.fills) == len(signal_bars)
    for fill, signal_ts in zip(result.fills, signal_bars, strict=True):
        nxt = by_start[signal_ts + DAY]  # the bar after the signal's (the walk has no gaps)
        assert fill.ts_ns == nxt.start_ns
        assert float(fill.price) == pytest.approx(nxt.open, abs=0.005)


async def test_the_equity_curve_adds_up() -> None:
    inst = Instrument("AAA")
    bars = walk("AAA", 250, 4)
    cash = Decimal(50_000)
    result = await run_backtest(
        strategy(strategy={"name": "x", "symbols": ["AAA"]}),
        [columns(inst, bars)],
        broker([inst]),
        cash=cash,
        risk=RISK,
    )
    assert len(result.equity) == len(bars) and result.bars_processed == len(bars)
    assert result.equity[-1] == pytest.approx(float(result.final_equity), rel=1e-12)
    spent = sum(float(f.cash_delta) for f in result.fills)
    held = sum(float(f.signed_qty) for f in result.fills)
    assert result.equity[-1] == pytest.approx(float(cash) + spent + held * bars[-1].close)
    assert result.decisions < len(bars) // 2  # most bars were settled by the vectorised pass
    # asyncio.run formats the finished task, result included: a summary, not every fill.
    said = repr(result)
    assert said.startswith(f"BacktestResult({len(result.fills)} fills") and len(said) < 200


async def test_risk_limits_refuse_orders_and_say_which() -> None:
    inst = Instrument("AAA")
    tight = RiskConfig.model_validate({"order_size": {"max_notional": 1000}})
    result = await run_backtest(
        strategy(strategy={"name": "x", "symbols": ["AAA"]}),
        [columns(inst, walk("AAA", 200, 5))],
        broker([inst]),
        risk=tight,
    )
    assert not result.fills and result.rejections
    assert all("risk.order_size.max_notional" in r for r in result.rejections)


async def test_bars_of_another_timeframe_are_refused() -> None:
    inst = Instrument("AAA")
    data = columns(inst, walk("AAA", 50, 6))
    hourly = SymbolBars(
        inst, Timeframe.H1, data.ts_ns, data.open, data.high, data.low, data.close, data.volume
    )
    with pytest.raises(ValueError, match="decides on 1d bars; the bars of AAA are 1h"):
        await run_backtest(
            strategy(strategy={"name": "x", "symbols": ["AAA"]}), [hourly], broker([inst])
        )
    with pytest.raises(ValueError, match="no bars for BBB"):
        await run_backtest(strategy(), [data], broker([inst]))
