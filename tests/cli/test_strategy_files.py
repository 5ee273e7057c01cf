"""Strategy files named in config.toml's [strategies] run on the engine beside the demo."""

from __future__ import annotations

from pathlib import Path

import pytest

from tpm.adapters.feeds.sim import SimulatedMarket
from tpm.cli.wiring import _strategies
from tpm.config import Config
from tpm.errors import ConfigError
from tpm.strategies import MovingAverageTrend
from tpm.strategies.rule_strategy import RuleStrategy

FILE = """\
[strategy]
name = "breakout"
symbols = [{symbols}]
timeframe = "{timeframe}"
[entry]
when = "close > highest(high, 20)[1]"
[exit]
when = "close < lowest(low, 10)[1]"
[size]
percent_equity = 5
"""


def config(tmp_path: Path, symbols: str, timeframe: str = "5m", **extra: object) -> Config:
    path = tmp_path / "breakout.toml"
    path.write_text(FILE.format(symbols=symbols, timeframe=timeframe), encoding="utf-8")
    return Config.model_validate({"strategies": {"files": [str(path)]}, **extra})


def test_a_strategy_file_runs_beside_the_demo(tmp_path: Path) -> None:
    feed = SimulatedMarket(seed=1, symbols=6)
    first = feed.instruments()[0].symbol
    strategies = _strategies(config(tmp_path, f'"{first}"'), feed)
    assert [type(s) for s in strategies] == [MovingAverageTrend, RuleStrategy]
    rule = strategies[1]
    assert rule.name == "breakout" and rule.symbols == (first,)
    assert rule.timeframe.value == "5m"
    alone = _strategies(config(tmp_path, f'"{first}"', demo={"enabled": False}), feed)
    assert [s.name for s in alone] == ["breakout"]


@pytest.mark.parametrize(
    ("symbols", "timeframe", "market", "message"),
    [
        ('"NOPE"', "5m", {}, "breakout.toml: breakout: symbols NOPE not served by the sim feed"),
        (
            None,
            "1h",
            {"timeframes": ["1m", "5m"]},
            "breakout.toml: breakout: 1h bars are not built",
        ),
    ],
)
def test_a_file_that_cannot_run_here_says_why(
    tmp_path: Path, symbols: str | None, timeframe: str, market: dict[str, object], message: str
) -> None:
    feed = SimulatedMarket(seed=1, symbols=6)
    listed = symbols or f'"{feed.instruments()[0].symbol}"'
    with pytest.raises(ConfigError, match=message):
        _strategies(config(tmp_path, listed, timeframe, market=market), feed)
