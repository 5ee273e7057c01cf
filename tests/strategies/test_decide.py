"""What a strategy file decides at a closed bar (shared by backtests and live trading), and the
live strategy that feeds it bars from the engine."""

from __future__ import annotations

import math
from decimal import Decimal
from typing import Any

import numpy as np
import pytest

from tpm.domain import Bar, ClientOrderId, Fill, Instrument, Side, Timeframe
from tpm.engine.bus import Bus
from tpm.engine.market import MarketData
from tpm.engine.portfolio import Portfolio
from tpm.engine.runner import EngineContext
from tpm.strategies.decide import Holding, Signal, decide
from tpm.strategies.rule_strategy import RuleStrategy
from tpm.strategies.rules import Evaluation, parse_expression
from tpm.strategies.spec import StrategySpec, read_strategy


def spec(**tables: dict[str, Any]) -> StrategySpec:
    raw: dict[str, Any] = {
        "strategy": {"name": "t", "symbols": ["AAA"], "timeframe": "1d"},
        "entry": {"when": "close > 100"},
        "exit": {"when": "close < 90"},
        "size": {"qty": 10},
    }
    for name, table in tables.items():
        raw[name] = {**raw.get(name, {}), **table}
    return read_strategy(raw)


CLOSE = np.array([95.0, 101.0, 102.0, 89.0, 105.0])


def at(
    s: StrategySpec,
    i: int,
    *,
    position: float = 0.0,
    entry_price: float = math.nan,
    holding: Holding | None = None,
    close: np.ndarray = CLOSE,
    equity: float = 100_000.0,
    atr: float = math.nan,
) -> Signal | None:
    cols = {"open": close, "high": close, "low": close, "close": close, "volume": close * 0}
    entry, exit_ = s.trees()
    return decide(
        s,
        i,
        Evaluation(entry, cols),
        None if exit_ is None else Evaluation(exit_, cols),
        close=float(close[i]),
        atr=atr,
        position=position,
        entry_price=entry_price,
        equity=equity,
        holding=Holding() if holding is None else holding,
    )


def test_flat_enters_on_the_condition_only() -> None:
    assert at(spec(), 0) is None  # 95: no entry
    sig = at(spec(), 1)
    assert sig is not None and sig.target == 10.0 and sig.reason == "entry: close > 100"
    short = at(spec(entry={"side": "short"}), 1)
    assert short is not None and short.target == -10.0


def test_an_open_position_takes_no_second_entry_unless_pyramiding() -> None:
    held = Holding()
    assert at(spec(), 2, position=10, entry_price=101.0, holding=held) is None
    s = spec(entry={"pyramiding": 2})
    held = Holding()
    first = at(s, 2, position=10, entry_price=101.0, holding=held)
    assert first is not None and first.target == 20.0
    assert at(s, 2, position=20, entry_price=101.5, holding=held) is None  # two entries made


def test_exit_closes_the_whole_position_and_wins_over_an_entry() -> None:
    sig = at(spec(), 3, position=30, entry_price=101.0)
    assert sig == Signal(0.0, "exit: close < 90")
    both = spec(exit={"when": "close > 104"})
    assert at(both, 4, position=10, entry_price=101.0) == Signal(0.0, "exit: close > 104")


@pytest.mark.parametrize(
    ("risk", "position", "entry_price", "i", "starts"),
    [
        ({"stop_loss_pct": 5}, 10, 100.0, 0, "stop loss: -5.00%"),  # 95 is 5% under 100
        ({"stop_loss_pct": 5}, -10, 96.0, 4, "stop loss: -9.38%"),  # short, 105 is 9.4% over
        ({"take_profit_pct": 4}, 10, 98.0, 2, "take profit: +4.08%"),
        ({"take_profit_pct": 4}, -10, 101.0, 0, "take profit: +5.94%"),
    ],
)
def test_stops_close_at_the_bar_that_reaches_them(
    risk: dict[str, float], position: float, entry_price: float, i: int, starts: str
) -> None:
    sig = at(spec(exit={"when": ""}, risk=risk), i, position=position, entry_price=entry_price)
    assert sig is not None and sig.target == 0.0 and sig.reason.startswith(starts)


def test_a_stop_not_reached_does_nothing() -> None:
    s = spec(exit={"when": ""}, risk={"stop_loss_pct": 6, "take_profit_pct": 10})
    assert at(s, 0, position=10, entry_price=100.0) is None  # -5% against a 6% stop; no entry


def test_trailing_stop_follows_the_best_close() -> None:
    s = spec(exit={"when": ""}, risk={"trailing_stop_pct": 10})
    close = np.array([100.0, 110.0, 120.0, 109.0, 107.0])
    held = Holding()
    for i in range(3):  # 100 -> 120: the best close rises with it
        assert at(s, i, position=10, entry_price=100.0, holding=held, close=close) is None
    assert held.best == 120.0 and held.bars_held == 3
    # 109 is 9.17% under the best close of 120: not yet
    assert at(s, 3, position=10, entry_price=100.0, holding=held, close=close) is None
    assert at(s, 4, position=10, entry_price=100.0, holding=held, close=close) == Signal(
        0.0, "trailing stop: -10.83% from the best close 120"
    )


def test_bars_held_counts_closed_bars_in_the_position() -> None:
    s = spec(exit={"when": "bars_held >= 3"}, entry={"when": "close < 0"})
    held = Holding()
    close = np.full(5, 100.0)
    assert at(s, 0, position=5, entry_price=100.0, holding=held, close=close) is None
    assert at(s, 1, position=5, entry_price=100.0, holding=held, close=close) is None
    sig = at(s, 2, position=5, entry_price=100.0, holding=held, close=close)
    assert sig is not None and sig.target == 0.0
    at(s, 3, holding=held, close=close)  # flat again: the count starts over
    assert held.bars_held == 0 and held.entries == 0


@pytest.mark.parametrize(
    ("size", "risk", "atr", "qty"),
    [
        ({"qty": None, "percent_equity": 10}, {}, math.nan, 100_000 * 0.10 / 101),
        ({"qty": None, "risk_percent": 1}, {"stop_loss_pct": 5}, math.nan, 1000 / (101 * 0.05)),
        ({"qty": None, "risk_percent": 1, "atr_stop": 2}, {}, 1.5, 1000 / 3.0),
    ],
)
def test_sizing(size: dict[str, Any], risk: dict[str, Any], atr: float, qty: float) -> None:
    raw_size = {k: v for k, v in size.items() if v is not None}
    s = read_strategy(
        {
            "strategy": {"name": "t", "symbols": ["AAA"]},
            "entry": {"when": "close > 100"},
            "size": raw_size,
            "risk": risk,
        }
    )
    sig = at(s, 1, atr=atr)
    assert sig is not None and sig.target == pytest.approx(qty)


def test_risk_sizing_without_an_atr_yet_waits() -> None:
    s = read_strategy(
        {
            "strategy": {"name": "t", "symbols": ["AAA"]},
            "entry": {"when": "close > 100"},
            "size": {"risk_percent": 1, "atr_stop": 2},
        }
    )
    assert at(s, 1, atr=math.nan) is None


def _bar(i: int, close: float) -> Bar:
    return Bar("AAA", Timeframe.D1, i * Timeframe.D1.ns, close, close + 1, close - 1, close, 1e5)


def test_live_strategy_on_the_engine_context() -> None:
    """The live strategy sees closed bars one at a time and reads the real portfolio."""
    inst = Instrument("AAA", lot_size=Decimal(1))
    portfolio = Portfolio(Decimal(100_000))
    ctx = EngineContext(portfolio, MarketData(Bus(), [inst]))
    s = spec(
        entry={"when": "crosses_above(close, sma(close, 3))"},
        exit={"when": "close < entry_price * 0.97"},
        size={"qty": None, "percent_equity": 10},
    )
    strategy = RuleStrategy(s)
    closes = [100.0, 99.0, 98.0, 103.0, 104.0, 100.0]
    wanted = [strategy.on_bar(_bar(i, c), ctx) for i, c in enumerate(closes[:4])]
    assert [len(w) for w in wanted] == [0, 0, 0, 1]  # 103 crosses above SMA3 = 100
    target = wanted[3][0]
    assert target.qty == Decimal(97)  # 10% of 100,000 at 103, rounded down to whole shares
    portfolio.apply(
        Fill(
            "x1",
            ClientOrderId("c1"),
            "AAA",
            Side.BUY,
            Decimal(97),
            Decimal("103.50"),
            Decimal(0),
            1,
        )
    )
    assert strategy.on_bar(_bar(4, 104.0), ctx) == ()
    (out,) = strategy.on_bar(_bar(5, 100.0), ctx)  # 100 < 103.50 * 0.97
    assert out.qty == 0 and out.reason == "exit: close < entry_price * 0.97"
    assert strategy.last_signal["AAA"].target == 0.0
    assert strategy.on_bar(Bar("ZZZ", Timeframe.D1, 0, 1, 1, 1, 1, 1), ctx) == ()


def test_the_spec_expressions_are_the_parsed_ones() -> None:
    s = spec()
    entry, exit_ = s.trees()
    assert entry == parse_expression("close > 100") and exit_ == parse_expression("close < 90")


def test_a_live_rule_strategy_keeps_a_bounded_history() -> None:
    from tpm.domain import Bar, Timeframe
    from tpm.strategies.rule_strategy import KEEP_BARS, BarHistory

    history = BarHistory()
    n = 2 * KEEP_BARS + 5
    for i in range(n):
        history.append(Bar("X", Timeframe.M1, i * 60_000_000_000, 1.0, 2.0, 0.5, float(i), 1.0))
    cols = history.columns()
    assert KEEP_BARS <= len(history) <= 2 * KEEP_BARS
    assert cols["close"][-1] == n - 1  # the newest bars are the ones kept
    assert list(cols["close"][-3:]) == [n - 3, n - 2, n - 1]
    assert all(len(c) == len(history) for c in cols.values())


def test_a_bounded_history_keeps_the_pillar_columns_in_step() -> None:
    from tpm.domain import Bar, Timeframe
    from tpm.strategies.pillars import LivePillars
    from tpm.strategies.rule_strategy import KEEP_BARS, BarHistory

    history = BarHistory(LivePillars("X"))
    for i in range(2 * KEEP_BARS + 3):
        history.append(Bar("X", Timeframe.M1, i * 60_000_000_000, 1.0, 2.0, 0.5, 1.5, 1.0))
    cols = history.columns()
    assert "technical" in cols
    assert {len(c) for c in cols.values()} == {len(history)}
