"""Python strategies run through the same runner, risk checks, OMS and broker as strategy files:
in a backtest, the same trades as the rule file that says the same thing, and as the live
engine replaying the bars; their on_fill and on_score hooks hear what is theirs."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from pathlib import Path

import pytest
from test_backtest import RISK, SPECS, book, broker, columns, live_replay, walk

from tpm.adapters.brokers.paper import PaperBroker
from tpm.adapters.feeds.csvbars import BarFile
from tpm.adapters.feeds.replay import ReplayFeed
from tpm.adapters.feeds.sim import SimulatedMarket
from tpm.config.scores import ScoresConfig
from tpm.domain import Score, Timeframe
from tpm.engine.backtest import run_backtest
from tpm.engine.engine import Engine, EngineSettings
from tpm.store.sql_store import SqlStore
from tpm.strategies import PythonStrategy
from tpm.strategies.files import load_strategy_file

# The sma-cross of SPECS["sma-cross"], written as a trader would write it in Python.
SMA_CROSS = """\
from tpm.analysis.indicators import sma
from tpm.strategies import PythonStrategy


class SmaCross(PythonStrategy):
    name = "py-cross"
    symbols = ("AAA", "BBB")
    timeframe = "1d"

    def on_bar(self, bar, ctx):
        closes = self.closes(bar.symbol)
        if len(closes) < 21:
            return []
        fast, slow = sma(closes, 5), sma(closes, 20)
        if fast[-2] <= slow[-2] and fast[-1] > slow[-1] and ctx.position(bar.symbol) == 0:
            return [self.target(bar.symbol, 100, "fast crossed above slow")]
        if fast[-2] >= slow[-2] and fast[-1] < slow[-1] and ctx.position(bar.symbol) > 0:
            return [self.target(bar.symbol, 0, "fast crossed below slow")]
        return []
"""


def data() -> tuple[dict[str, list], list[BarFile], list]:
    bars = {"AAA": walk("AAA", 300, 1), "BBB": walk("BBB", 300, 2)}
    files = [BarFile(s, Timeframe.D1, b) for s, b in bars.items()]
    return bars, files, list(ReplayFeed(files).instruments())


async def test_a_python_strategy_trades_as_the_rule_file_and_the_live_replay(
    tmp_path: Path,
) -> None:
    path = tmp_path / "cross.py"
    path.write_text(SMA_CROSS, encoding="utf-8")
    bars, files, instruments = data()
    by_symbol = {i.symbol: i for i in instruments}
    series = [columns(by_symbol[s], b) for s, b in bars.items()]
    (python,) = load_strategy_file(path)
    result = await run_backtest(python, series, broker(instruments), risk=RISK)
    rules = await run_backtest(SPECS["sma-cross"], series, broker(instruments), risk=RISK)
    assert len(result.fills) >= 6, "the strategy should trade on these bars"
    assert book(result.fills) == book(rules.fills)
    assert {f.strategy for f in result.fills} == {"py-cross"}
    assert [ts for _, ts, _ in result.signals] == [ts for _, ts, _ in rules.signals]
    (again,) = load_strategy_file(path)  # a fresh instance: its history starts empty
    live = await live_replay(again, files, instruments, tmp_path / "live.db")
    assert book(result.fills) == live


class Bracket(PythonStrategy):
    """Buys on the 30th bar; each fill of its own sets the exit five bars later."""

    name = "bracket"
    symbols = ("AAA",)
    timeframe = Timeframe.D1

    def __init__(self) -> None:
        super().__init__()
        self.fills: list[str] = []
        self.exit_after = -1

    def on_bar(self, bar, ctx):  # type: ignore[no-untyped-def]
        n = len(self.bars(bar.symbol))
        if n == 30:
            return [self.target(bar.symbol, 50, "entry")]
        if n == self.exit_after:
            return [self.target(bar.symbol, 0, "five bars after the fill")]
        return []

    def on_fill(self, fill, ctx):  # type: ignore[no-untyped-def]
        self.fills.append(fill.exec_id)
        if ctx.position(fill.symbol) != 0:
            self.exit_after = len(self.bars(fill.symbol)) + 5
        return []


async def test_on_fill_hears_each_of_its_own_fills_once() -> None:
    bars, _, instruments = data()
    by_symbol = {i.symbol: i for i in instruments}
    st = Bracket()
    result = await run_backtest(
        st, [columns(by_symbol["AAA"], bars["AAA"])], broker(instruments), risk=RISK
    )
    assert [f.exec_id for f in result.fills] == st.fills
    assert [f.qty for f in result.fills] == [Decimal(50), Decimal(50)]
    entry, exit_ = result.fills
    # Entry decided at the close of bar 30 (index 29), filled at bar 31's open; the exit
    # five bars after the bar on which the fill was heard, again at the next open.
    assert entry.ts_ns == bars["AAA"][30].start_ns
    assert exit_.ts_ns == bars["AAA"][30 + 5].start_ns


class ScoreFollower(PythonStrategy):
    name = "score-follower"
    symbols = ()
    timeframe = Timeframe.M1

    def __init__(self, symbol: str) -> None:
        type(self).symbols = (symbol,)
        super().__init__()
        self.scores: list[Score] = []

    def on_score(self, score, ctx):  # type: ignore[no-untyped-def]
        self.scores.append(score)
        if len(self.scores) == 2:
            return [self.target(score.symbol, 10, f"composite {score.composite}")]
        return []


async def test_on_score_hears_its_symbols_scores_and_may_trade_on_them(tmp_path: Path) -> None:
    feed = SimulatedMarket(
        seed=4, symbols=4, tick_hz=20, realtime=False, history_days=60, history_minutes=240
    )
    symbol = next(i.symbol for i in feed.instruments() if i.asset_class == "equity")
    st = ScoreFollower(symbol)
    engine = Engine(
        feed,
        PaperBroker(feed.instruments(), latency_ms=0),
        SqlStore(f"sqlite+aiosqlite:///{tmp_path / 'e.db'}"),
        EngineSettings(market_clock=True, scores=ScoresConfig(timeframe="1m", timeframes=("1m",))),
        [st],
        fundamentals=feed.fundamentals_source(),
        news=feed.news_source(),
    )
    await engine.start()
    try:
        async with asyncio.timeout(30):
            while len(st.scores) < 3 or not engine.portfolio.qty(symbol):
                await asyncio.sleep(0.05)
        assert {s.symbol for s in st.scores} == {symbol}
        await engine.store.flush()
        fills = await engine.store.load_fills()
        assert fills and {f.strategy for f in fills} == {"score-follower"}
        assert engine.portfolio.qty(symbol) == Decimal(10)
    finally:
        await engine.stop()


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("def broken(:\n    pass\n", r"bad\.py: line 1: invalid syntax"),
        (
            "from tpm.strategies import PythonStrategy\nx = 1\nraise RuntimeError('no key')\n",
            r"bad\.py: line 3: RuntimeError: no key",
        ),
        ("import math\n", r"bad\.py: defines no strategy"),
        (
            "from tpm.strategies import PythonStrategy\n"
            "class A(PythonStrategy):\n    name = 'a'\n    symbols = ('X',)\n"
            "    timeframe = '2d'\n",
            r"bad\.py: A\.timeframe: '2d' is not one of 1m, 5m",
        ),
        (
            "from tpm.strategies import PythonStrategy\n"
            "class A(PythonStrategy):\n    name = 'a b'\n    symbols = ('X',)\n",
            r"bad\.py: A\.name: 'a b' is not a name",
        ),
        (
            "from tpm.strategies import PythonStrategy\n"
            "class A(PythonStrategy):\n    name = 'a'\n    symbols = 'X'\n",
            r"bad\.py: A\.symbols: give the symbols it trades",
        ),
    ],
)
def test_a_python_file_that_cannot_load_names_the_line_and_the_reason(
    tmp_path: Path, source: str, message: str
) -> None:
    from tpm.errors import ConfigError

    path = tmp_path / "bad.py"
    path.write_text(source, encoding="utf-8")
    with pytest.raises(ConfigError, match=message):
        load_strategy_file(path)


async def test_targets_queued_before_a_stop_never_become_orders() -> None:
    from tpm.domain import Bar as DomainBar
    from tpm.engine.backtest import _rig
    from tpm.strategies.base import TargetPosition

    bars, _, instruments = data()
    inst = next(i for i in instruments if i.symbol == "AAA")
    rig = _rig(
        [columns(inst, bars["AAA"])], Timeframe.D1, broker(instruments), Decimal(100_000), RISK
    )
    st = Bracket()
    rig.runner.start(st, {})
    first: DomainBar = bars["AAA"][0]
    rig.clock.advance_to(first.end_ns)
    rig.market.on_bar(first)
    rig.runner.want(st, TargetPosition("AAA", Decimal(5), "queued"))
    assert rig.runner.remove("bracket") is st
    await rig.runner.drain()
    assert rig.store.orders == {}
    assert rig.runner.start(Bracket(), {}) is None  # a new start of the same name is allowed
    rig.runner.want(rig.runner.strategies[0], TargetPosition("AAA", Decimal(5), "after"))
    await rig.runner.drain()
    assert [o.qty for o in rig.store.orders.values()] == [Decimal(5)]
