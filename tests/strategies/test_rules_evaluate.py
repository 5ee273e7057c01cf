"""Expressions evaluated over whole series, and bar by bar where they read the position."""

from __future__ import annotations

import numpy as np
import pytest

from tpm.analysis import indicators as ind
from tpm.strategies.rules import Evaluation, State, parse_expression

CLOSE = np.array([10.0, 11, 12, 11, 10, 11, 12, 13, 14, 13])


def bars(close: np.ndarray = CLOSE) -> dict[str, np.ndarray]:
    return {
        "open": close - 0.5,
        "high": close + 1.0,
        "low": close - 1.0,
        "close": close,
        "volume": np.full(len(close), 100.0),
    }


def series(text: str, cols: dict[str, np.ndarray] | None = None) -> np.ndarray:
    return Evaluation(parse_expression(text), cols or bars()).series()


def test_arithmetic_by_hand() -> None:
    out = series("(close - open) * 2 + high / 2")
    assert out[0] == pytest.approx(1.0 + 5.5)
    assert out[-1] == pytest.approx(1.0 + 7.0)
    assert series("-close")[2] == -12.0


def test_bars_ago_shift_with_nan_before_the_start() -> None:
    out = series("close[2]")
    assert np.isnan(out[:2]).all()
    assert out[2:].tolist() == CLOSE[:-2].tolist()
    assert np.isnan(series("close[20]")).all()


def test_crosses_by_hand() -> None:
    # close vs its SMA(3), which starts at index 2: 11, 11.33, 11, 10.67, 11, 12, 13, 13.33.
    # Down at 3 (11 < 11.33 after 12 >= 11) and 9 (13 < 13.33 after 14 >= 13); up at 5.
    up = series("crosses_above(close, sma(close, 3))")
    down = series("crosses_below(close, sma(close, 3))")
    assert np.flatnonzero(up).tolist() == [5]
    assert np.flatnonzero(down).tolist() == [3, 9]


def test_indicators_are_the_analysis_functions_with_defaults() -> None:
    c = np.linspace(100, 130, 60) + np.sin(np.arange(60))
    cols = bars(c)
    np.testing.assert_array_equal(series("rsi(close)", cols), ind.rsi(c, 14))
    np.testing.assert_array_equal(series("macd_signal(close)", cols), ind.macd(c, 12, 26, 9)[1])
    np.testing.assert_array_equal(
        series("bb_lower(close, 10, 1.5)", cols), ind.bollinger(c, 10, 1.5)[2]
    )
    np.testing.assert_array_equal(series("atr(5)", cols), ind.atr(cols["high"], cols["low"], c, 5))
    np.testing.assert_array_equal(
        series("stoch_d()", cols), ind.stochastic(cols["high"], cols["low"], c)[1]
    )
    np.testing.assert_array_equal(
        series("highest(high, 4)", cols)[3:],
        [max(cols["high"][i - 3 : i + 1]) for i in range(3, 60)],
    )


def test_warm_up_is_false_in_conditions() -> None:
    out = series("sma(close, 5) > 0")
    assert out[:4].tolist() == [0.0] * 4 and out[4:].tolist() == [1.0] * 6
    assert series("not sma(close, 5) > 0")[:4].tolist() == [1.0] * 4
    assert series("sma(close, 5) != 1")[:4].tolist() == [0.0] * 4  # unknown is not "different"


def test_scores_never_computed_are_unknown() -> None:
    assert series("score > 50").tolist() == [0.0] * len(CLOSE)
    cols = bars() | {"score": np.where(CLOSE > 11, 70.0, 40.0)}
    assert series("score > 50", cols).tolist() == (CLOSE > 11).astype(float).tolist()


def test_logic_and_division_by_zero() -> None:
    assert (
        series("close > 11 and close < 13").tolist()
        == ((CLOSE > 11) & (CLOSE < 13)).astype(float).tolist()
    )
    assert (
        series("close < 11 or close > 13").tolist()
        == ((CLOSE < 11) | (CLOSE > 13)).astype(float).tolist()
    )
    assert np.isinf(series("close / (close - close)")).all()
    assert series("close / (close - close) > 0 and 1").tolist() == [1.0] * len(CLOSE)


def test_the_position_is_read_one_bar_at_a_time() -> None:
    ev = Evaluation(parse_expression("position > 0 and close < entry_price * 0.9"), bars())
    assert ev.stateful
    assert ev.at(4, State(position=100, entry_price=12.0, bars_held=3)) == 1.0  # 10 < 10.8
    assert ev.at(4, State(position=100, entry_price=11.0, bars_held=3)) == 0.0  # 10 > 9.9
    assert ev.at(4, State()) == 0.0  # flat
    held = Evaluation(parse_expression("bars_held >= 5 or -position > 0"), bars())
    assert held.at(0, State(position=1, entry_price=1.0, bars_held=5)) == 1.0
    assert held.at(0, State(position=-1, entry_price=1.0, bars_held=1)) == 1.0
    assert held.at(0, State(position=1, entry_price=1.0, bars_held=4)) == 0.0


def test_a_stateless_expression_gives_the_same_bar_by_bar() -> None:
    text = "crosses_above(ema(close, 3), sma(close, 4)) or rsi(close, 3) < 30"
    ev = Evaluation(parse_expression(text), bars())
    whole = ev.series()
    assert [ev.at(i, State()) for i in range(len(CLOSE))] == whole.tolist()


def test_causal_a_later_bar_never_changes_an_earlier_value() -> None:
    text = "macd_hist(close, 3, 6, 2) + bb_upper(close, 4) - highest(close, 3)[1]"
    c = np.cumsum(np.random.default_rng(7).normal(0, 1, 80)) + 100
    full = series(text, bars(c))
    for cut in (20, 45, 79):
        # Equal but for the last bits: the kernels sum a window in pieces that depend on the
        # series' length.
        np.testing.assert_allclose(series(text, bars(c[:cut])), full[:cut], rtol=1e-12)
