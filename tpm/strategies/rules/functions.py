"""The functions a strategy expression may call, each over whole series at once.

Every indicator of `tpm.analysis.indicators` is here under its own name; the ones with several
outputs under one name each (`macd_signal`, `bb_upper`, `stoch_d`). Indicators that read a bar's
high, low, close or volume (`atr`, `stoch_k`, `obv`, `vwap`) take them from the bars themselves.
Periods and factors are literals, checked when the expression is parsed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import Enum

import numpy as np

from tpm.analysis import indicators as ind
from tpm.analysis.indicators_recursion import FloatArray

__all__ = ["FUNCTIONS", "Columns", "Function", "Kind", "Param"]

Columns = Mapping[str, FloatArray]
"""The bars' series by name (open, high, low, close, volume, and the pillars if known)."""


class Kind(Enum):
    SERIES = "a series"
    PERIOD = "a whole number of bars (a literal such as 14)"
    NUMBER = "a number (a literal such as 2.5)"


@dataclass(frozen=True, slots=True)
class Param:
    name: str
    kind: Kind
    default: float | None = None


@dataclass(frozen=True, slots=True)
class Function:
    params: tuple[Param, ...]
    run: Callable[..., FloatArray]
    """Called with the bars' columns, then one value per parameter (arrays for series)."""
    doc: str

    @property
    def signature(self) -> str:
        return ", ".join(
            p.name if p.default is None else f"{p.name}={p.default:g}" for p in self.params
        )


def _x(name: str = "x") -> Param:
    return Param(name, Kind.SERIES)


def _n(name: str = "n", default: float | None = None) -> Param:
    return Param(name, Kind.PERIOD, default)


def _crosses(a: FloatArray, b: FloatArray, above: bool) -> FloatArray:
    """1 on the bar where a moves from at or below b to above it (or the mirror), else 0."""
    now = a > b if above else a < b
    before = np.zeros(len(a), dtype=bool)
    if len(a) > 1:
        before[1:] = a[:-1] <= b[:-1] if above else a[:-1] >= b[:-1]
    return (now & before).astype(np.float64)


def _hlc(c: Columns) -> tuple[FloatArray, FloatArray, FloatArray]:
    return c["high"], c["low"], c["close"]


FUNCTIONS: dict[str, Function] = {
    "sma": Function((_x(), _n()), lambda c, x, n: ind.sma(x, n), "simple moving average"),
    "ema": Function((_x(), _n()), lambda c, x, n: ind.ema(x, n), "exponential moving average"),
    "wma": Function((_x(), _n()), lambda c, x, n: ind.wma(x, n), "weighted moving average"),
    "rsi": Function((_x(), _n(default=14)), lambda c, x, n: ind.rsi(x, n), "RSI, Wilder's (0-100)"),
    "stddev": Function(
        (_x(), _n()), lambda c, x, n: ind.stddev(x, n), "population standard deviation"
    ),
    "roc": Function((_x(), _n(default=10)), lambda c, x, n: ind.roc(x, n), "rate of change, %"),
    "macd": Function(
        (_x(), _n("fast", 12), _n("slow", 26), _n("signal", 9)),
        lambda c, x, f, s, g: ind.macd(x, f, s, g)[0],
        "MACD line",
    ),
    "macd_signal": Function(
        (_x(), _n("fast", 12), _n("slow", 26), _n("signal", 9)),
        lambda c, x, f, s, g: ind.macd(x, f, s, g)[1],
        "MACD signal line",
    ),
    "macd_hist": Function(
        (_x(), _n("fast", 12), _n("slow", 26), _n("signal", 9)),
        lambda c, x, f, s, g: ind.macd(x, f, s, g)[2],
        "MACD histogram",
    ),
    "bb_upper": Function(
        (_x(), _n(default=20), Param("k", Kind.NUMBER, 2.0)),
        lambda c, x, n, k: ind.bollinger(x, n, k)[0],
        "upper Bollinger band",
    ),
    "bb_middle": Function(
        (_x(), _n(default=20), Param("k", Kind.NUMBER, 2.0)),
        lambda c, x, n, k: ind.bollinger(x, n, k)[1],
        "middle Bollinger band",
    ),
    "bb_lower": Function(
        (_x(), _n(default=20), Param("k", Kind.NUMBER, 2.0)),
        lambda c, x, n, k: ind.bollinger(x, n, k)[2],
        "lower Bollinger band",
    ),
    "atr": Function((_n(default=14),), lambda c, n: ind.atr(*_hlc(c), n), "average true range"),
    "stoch_k": Function(
        (_n("k", 5), _n("smooth_k", 3), _n("d", 3)),
        lambda c, k, sk, d: ind.stochastic(*_hlc(c), k, sk, d)[0],
        "slow stochastic %K",
    ),
    "stoch_d": Function(
        (_n("k", 5), _n("smooth_k", 3), _n("d", 3)),
        lambda c, k, sk, d: ind.stochastic(*_hlc(c), k, sk, d)[1],
        "slow stochastic %D",
    ),
    "obv": Function((), lambda c: ind.obv(c["close"], c["volume"]), "on-balance volume"),
    "vwap": Function(
        (_n(),),
        lambda c, n: ind.vwap(*_hlc(c), c["volume"], n),
        "volume-weighted average price over n bars",
    ),
    "highest": Function((_x(), _n()), lambda c, x, n: ind.highest(x, n), "highest of n bars"),
    "lowest": Function((_x(), _n()), lambda c, x, n: ind.lowest(x, n), "lowest of n bars"),
    "crosses_above": Function(
        (_x("a"), _x("b")),
        lambda c, a, b: _crosses(a, b, above=True),
        "a rises above b on this bar",
    ),
    "crosses_below": Function(
        (_x("a"), _x("b")),
        lambda c, a, b: _crosses(a, b, above=False),
        "a falls below b on this bar",
    ),
    "abs": Function((_x(),), lambda c, x: np.abs(x), "absolute value"),
    "min": Function((_x("a"), _x("b")), lambda c, a, b: np.minimum(a, b), "smaller of a and b"),
    "max": Function((_x("a"), _x("b")), lambda c, a, b: np.maximum(a, b), "larger of a and b"),
}
