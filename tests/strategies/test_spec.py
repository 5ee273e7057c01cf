"""Strategy files: the issue's example reads as written; every mistake names file, key, reason."""

from __future__ import annotations

from pathlib import Path

import pytest

from tpm.errors import ConfigError
from tpm.strategies.spec import load_strategy

EXAMPLE = """\
[strategy]
name = "sma-cross"
symbols = ["NVDA"]
timeframe = "1d"
[entry]
when = "crosses_above(sma(close, 10), sma(close, 30))"
[exit]
when = "crosses_below(sma(close, 10), sma(close, 30))"
[size]
qty = 100            # or: percent_equity = 10, or: risk_percent = 1 with atr stop
[risk]
stop_loss_pct = 5    # optional; also take_profit_pct, trailing_stop_pct
"""


def test_the_example_strategy_file(tmp_path: Path) -> None:
    path = tmp_path / "sma-cross.toml"
    path.write_text(EXAMPLE, encoding="utf-8")
    spec = load_strategy(path)
    assert spec.name == "sma-cross" and spec.strategy.symbols == ("NVDA",)
    assert spec.strategy.timeframe == "1d" and spec.entry.side == "long"
    assert spec.size.qty == 100 and spec.risk.stop_loss_pct == 5
    assert spec.entry.pyramiding == 1 and spec.risk.trailing_stop_pct is None


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            ('"crosses_above(sma(close, 10), sma(close, 30))"', '"sma(close, 10) >> 3"'),
            "sma-cross.toml: entry.when: 'sma(close, 10) >> 3' at 17: expected a number",
        ),
        (("qty = 100", "qty = 100\npercent_equity = 5"), "sma-cross.toml: size: give exactly one"),
        (("stop_loss_pct = 5", "stop_loss_pct = 150"), "risk.stop_loss_pct: must be less than 100"),
        (('timeframe = "1d"', 'timeframe = "2d"'), "strategy.timeframe: must be one of"),
        (('symbols = ["NVDA"]', "symbols = []"), "strategy.symbols:"),
        (("[exit]", "[exits]"), 'sma-cross.toml: exits: unknown key (did you mean "exit"?)'),
        (('name = "sma-cross"', 'name = "sma cross!"'), "strategy.name:"),
        (("[size]\nqty = 100", "[size]\nrisk_percent = 1"), ""),  # the stop_loss_pct sizes it
        (("[entry]", "[entry"), "sma-cross.toml: not valid TOML"),
    ],
)
def test_mistakes_name_file_key_and_reason(
    tmp_path: Path, change: tuple[str, str], message: str
) -> None:
    path = tmp_path / "sma-cross.toml"
    path.write_text(EXAMPLE.replace(*change), encoding="utf-8")
    if not message:
        assert load_strategy(path).size.risk_percent == 1
        return
    with pytest.raises(ConfigError) as err:
        load_strategy(path)
    assert message in str(err.value)


def test_risk_sizing_needs_a_stop(tmp_path: Path) -> None:
    path = tmp_path / "s.toml"
    path.write_text(
        EXAMPLE.replace("qty = 100", "risk_percent = 1").replace("stop_loss_pct = 5", ""),
        encoding="utf-8",
    )
    with pytest.raises(ConfigError, match="risk_percent needs a stop to size against"):
        load_strategy(path)


def test_a_missing_file_says_so(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot be read"):
        load_strategy(tmp_path / "nope.toml")
