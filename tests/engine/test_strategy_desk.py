"""The strategy desk through the EngineClient, as the builder uses it: files in the folder,
problems with their lines, trials on the feed's history, start and stop on a running engine."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from itertools import pairwise
from pathlib import Path

import pytest

from tpm.adapters.brokers.paper import PaperBroker
from tpm.adapters.feeds.sim import SimulatedMarket
from tpm.engine.client import LocalEngineClient
from tpm.engine.engine import Engine, EngineSettings
from tpm.errors import TpmError
from tpm.store.sql_store import SqlStore

RULES = """\
[strategy]
name = "always-in"
symbols = ["{symbol}"]
timeframe = "1m"
[entry]
when = "close > 0"
[size]
qty = 10
"""

CROSS = """\
[strategy]
name = "cross"
symbols = ["{symbol}"]
timeframe = "1m"
[entry]
when = "crosses_above(sma(close, 5), sma(close, 20))"
[exit]
when = "crosses_below(sma(close, 5), sma(close, 20))"
[size]
qty = 10
"""


@pytest.fixture
async def engine(tmp_path: Path) -> AsyncIterator[Engine]:
    feed = SimulatedMarket(
        seed=5, symbols=4, tick_hz=20, realtime=False, history_days=30, history_minutes=600
    )
    e = Engine(
        feed,
        PaperBroker(feed.instruments(), latency_ms=0),
        SqlStore(f"sqlite+aiosqlite:///{tmp_path / 'e.db'}"),
        EngineSettings(market_clock=True, strategies_folder=tmp_path / "strategies"),
        trial_broker=lambda instruments: PaperBroker(instruments, latency_ms=0),
    )
    await e.start()
    try:
        yield e
    finally:
        await e.stop()


def equity_symbol(engine: Engine) -> str:
    return next(i.symbol for i in engine.feed.instruments() if i.asset_class == "equity")


async def test_files_problems_and_a_trial(engine: Engine, tmp_path: Path) -> None:
    client = LocalEngineClient(engine)
    sym = equity_symbol(engine)
    assert await client.strategy_files() == []
    said = await client.save_strategy("cross.toml", CROSS.format(symbol=sym))
    assert said == f"saved {tmp_path / 'strategies' / 'cross.toml'}"
    (listed,) = await client.strategy_files()
    assert (listed.file, listed.kind, listed.names, listed.running) == (
        "cross.toml",
        "rules",
        ("cross",),
        (),
    )
    assert await client.read_strategy("cross.toml") == CROSS.format(symbol=sym)

    broken = CROSS.format(symbol=sym).replace("sma(close, 20))", "smaa(close, 20))", 1)
    (problem,) = await client.check_strategy(broken, "rules")
    assert problem.line == 6 and "smaa" in problem.message
    assert (await client.try_strategy(broken, "rules")).problems == (problem,)

    trial = await client.try_strategy(CROSS.format(symbol=sym), "rules", bars=400)
    assert trial.ok and trial.strategy == "cross" and trial.symbol == sym
    assert trial.bars == 400 and len(trial.closes) == len(trial.starts_ns) == 100
    assert trial.marks, "a 5/20 cross trades within 100 one-minute bars of a random walk"
    # Long only: the marks alternate, and each sits on a bar of the chart.
    sides = [m.side for m in trial.marks]
    assert all(a != b for a, b in pairwise(sides))
    assert all(0 <= m.index < 100 for m in trial.marks)
    assert {m.reason for m in trial.marks} <= {
        "entry: crosses_above(sma(close, 5), sma(close, 20))",
        "exit: crosses_below(sma(close, 5), sma(close, 20))",
    }
    assert trial.orders >= len(trial.marks)

    nowhere = await client.try_strategy(CROSS.format(symbol="NOPE"), "rules")
    assert "NOPE not served by the sim feed" in nowhere.problems[0].message


async def test_start_trade_and_stop_from_the_desk(engine: Engine) -> None:
    client = LocalEngineClient(engine)
    sym = equity_symbol(engine)
    await client.save_strategy("always.toml", RULES.format(symbol=sym))
    said = await client.start_strategy("always.toml")
    assert said == f"started always-in on {sym} (1m)"
    with pytest.raises(TpmError, match="always-in is already running"):
        await client.start_strategy("always.toml")
    async with asyncio.timeout(30):
        while True:
            view = next(v for v in engine.publisher.publish().strategies if v.name == "always-in")
            if view.positions:
                break
            await asyncio.sleep(0.05)
    assert view.is_started and view.kind == "rules" and view.source == "always.toml"
    assert view.positions == ((sym, 10),)
    assert view.last_signal.startswith(f"BUY 10 {sym}: entry: close > 0")
    (listed,) = await client.strategy_files()
    assert listed.running == ("always-in",)

    said = await client.stop_strategy("always-in")
    assert (
        said == f"stopped always-in; what it holds stays open ({sym} 10): close it from Positions"
    )
    view = next(v for v in engine.publisher.publish().strategies if v.name == "always-in")
    assert not view.is_started and not view.is_running and view.positions == ((sym, 10),)
    assert engine.portfolio.qty(sym) == 10
    with pytest.raises(TpmError, match="no strategy named 'always-in' is running"):
        await client.stop_strategy("always-in")


@pytest.mark.parametrize("file", ["../escape.toml", "x.txt", ".hidden.toml", "a/b.py"])
async def test_file_names_stay_in_the_folder(engine: Engine, file: str) -> None:
    client = LocalEngineClient(engine)
    with pytest.raises(TpmError, match="a strategy file name is letters"):
        await client.save_strategy(file, "")


async def test_a_python_draft_is_tried_before_it_is_saved(engine: Engine) -> None:
    client = LocalEngineClient(engine)
    sym = equity_symbol(engine)
    draft = f"""\
from tpm.strategies import PythonStrategy

class Flip(PythonStrategy):
    name = "flip"
    symbols = ("{sym}",)
    timeframe = "1m"

    def on_bar(self, bar, ctx):
        n = len(self.bars(bar.symbol))
        if n % 20 == 0:
            return [self.target(bar.symbol, 5 if (n // 20) % 2 else 0, f"bar {{n}}")]
        return []
"""
    trial = await client.try_strategy(draft, "python", bars=200)
    assert trial.ok and trial.strategy == "flip"
    # The chart is bars 101-200: decisions at the closes of bars 120, 140, ... (the one at
    # bar 200 has no next bar to fill in), alternately flat and long.
    assert [(m.index, m.side, m.reason) for m in trial.marks] == [
        (19, "sell", "bar 120"),
        (39, "buy", "bar 140"),
        (59, "sell", "bar 160"),
        (79, "buy", "bar 180"),
    ]
    bad = await client.try_strategy(draft.replace("def on_bar", "def on_bar("), "python")
    assert bad.problems[0].line == 8
    boom = await client.try_strategy(draft.replace('name = "flip"', "name = 1 / 0"), "python")
    assert boom.problems[0].message.startswith("draft.py: line 4: ZeroDivisionError")
    assert boom.problems[0].line == 4
    assert await client.strategy_files() == []  # nothing was saved


PY = """\
from tpm.strategies import PythonStrategy

name = "not-a-strategy"  # a module-level name is not one


class {cls}(PythonStrategy):
    name = "{name}"
    symbols = ("{sym}",)
    timeframe = "1m"

    def on_bar(self, bar, ctx):
{body}
"""


def py(sym: str, body: str, name: str = "mine", cls: str = "Mine") -> str:
    return PY.format(sym=sym, body=body, name=name, cls=cls)


async def test_a_hook_that_returns_nothing_or_raises_is_a_problem_not_a_crash(
    engine: Engine,
) -> None:
    import sys

    client = LocalEngineClient(engine)
    sym = equity_symbol(engine)
    before = set(sys.modules)
    quiet = await client.try_strategy(py(sym, "        pass"), "python", bars=100)
    assert quiet.ok and quiet.strategy == "mine" and quiet.orders == 0
    failing = await client.try_strategy(py(sym, "        return 1 / 0"), "python", bars=100)
    assert failing.problems, "a hook that raises is shown"
    first = failing.problems[0]
    assert first.message == (
        f"mine: on_bar ({sym}): line 12 of draft.py: ZeroDivisionError: division by zero"
    )
    assert first.line == 12
    wrong = await client.try_strategy(py(sym, "        return 5"), "python", bars=100)
    assert "returned int: return TargetPosition values" in wrong.problems[0].message
    # Each draft is imported under a name of its own, and forgotten after its trial.
    assert not [m for m in set(sys.modules) - before if m.startswith("tpm_user_strategy")]


async def test_a_start_that_fails_leaves_nothing_running(engine: Engine) -> None:
    client = LocalEngineClient(engine)
    sym = equity_symbol(engine)
    await client.save_strategy("boom.py", py(sym, "        raise RuntimeError('boom')"))
    with pytest.raises(TpmError) as info:
        await client.start_strategy("boom.py")
    assert str(info.value).startswith("boom.py: not started: mine: warming up: line 12")
    assert "mine" not in {st.name for st in engine.runner.strategies}
    two = py(sym, "        return []") + py(sym, "        return []", cls="Other")
    await client.save_strategy("two.py", two)
    with pytest.raises(TpmError, match="more than one strategy is named mine"):
        await client.start_strategy("two.py")
    assert "mine" not in {st.name for st in engine.runner.strategies}


async def test_files_that_cannot_be_read_are_listed_with_the_reason(
    engine: Engine, tmp_path: Path
) -> None:
    client = LocalEngineClient(engine)
    folder = tmp_path / "strategies"
    folder.mkdir()
    (folder / "latin.py").write_bytes(b"# caf\xe9\n")
    (folder / "ok.py").write_text(py("X", "        return []"), encoding="utf-8")
    listed = {f.file: f for f in await client.strategy_files()}
    assert listed["latin.py"].problem.startswith("not UTF-8 text")
    assert listed["ok.py"].names == ("mine",)
    with pytest.raises(TpmError, match=r"latin\.py: not UTF-8 text"):
        await client.read_strategy("latin.py")


async def test_a_trial_that_does_not_end_is_reported(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tpm.engine import strategy_desk

    monkeypatch.setattr(strategy_desk, "TRIAL_TIMEOUT_S", 0.3)
    client = LocalEngineClient(engine)
    slow = py(
        equity_symbol(engine), "        import time\n        time.sleep(0.05)\n        return []"
    )
    trial = await client.try_strategy(slow, "python", bars=20)  # 20 bars: about 1 s
    assert trial.problems[0].message.startswith("mine: the trial took longer than 0.3 s")
