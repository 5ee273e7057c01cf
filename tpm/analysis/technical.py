"""The technical pillar: trend, momentum, volatility and volume sub-scores, 0-100 each, from the
indicators, combined into one 0-100 score with the readings that drove it.

50 is neutral. Trend and momentum are measured in units of the bar's own volatility (ATR), so a
score means the same on a $5 stock and a $500 one. Overbought and oversold RSI readings pull
momentum back towards neutral (a stretched move tends to pause). Volatility scores a calm market
above a turbulent one, relative to the symbol's own recent range. `TechnicalState` follows closed
bars one at a time in O(1); `technical_series` computes the same sub-scores for whole arrays, so a
backtest or an evaluation sees exactly what live scoring would have said.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from tpm.analysis import indicators as ind
from tpm.analysis.streaming import (
    StreamingATR,
    StreamingEMA,
    StreamingMACD,
    StreamingOBV,
    StreamingROC,
    StreamingRSI,
    StreamingSMA,
)
from tpm.domain.score import Driver, PillarScore

__all__ = [
    "WEIGHTS",
    "TechnicalReading",
    "TechnicalState",
    "ordinal",
    "score_reading",
    "technical_series",
]

FloatArray = npt.NDArray[np.float64]
WEIGHTS = {"trend": 0.35, "momentum": 0.30, "volatility": 0.15, "volume": 0.20}
VOL_LOOKBACK = 100


@dataclass(frozen=True, slots=True)
class TechnicalReading:
    """The indicator values one score is made of (NaN where not yet known)."""

    close: float
    open: float
    ema_fast: float
    ema_slow: float
    macd_hist: float
    rsi: float
    roc: float
    atr: float
    atr_pct_rank: float
    """Where the current ATR% sits among the last VOL_LOOKBACK bars', 0 (calmest) to 1."""
    obv: float
    obv_ema: float
    volume: float
    volume_avg: float


def _tanh_score(z: float, scale: float) -> float:
    return 50.0 + 50.0 * math.tanh(z / scale)


def _rsi_score(r: float) -> float:
    if r > 70:
        return 70.0 - (r - 70.0) * 1.5
    if r < 30:
        return 30.0 + (30.0 - r) * 1.5
    return r


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _mean(values: list[float]) -> float:
    known = [v for v in values if not math.isnan(v)]
    return sum(known) / len(known) if known else math.nan


def score_reading(r: TechnicalReading) -> PillarScore:
    """The pillar for one reading, with its drivers."""
    atr = r.atr if r.atr > 0 else math.nan
    drivers: list[tuple[float, str, str]] = []  # (sub-score offset, group, sentence)

    above = (r.close - r.ema_slow) / atr
    cross = (r.ema_fast - r.ema_slow) / atr
    hist = r.macd_hist / atr
    trend_parts = [_tanh_score(above, 2.0), _tanh_score(cross, 1.0), _tanh_score(hist, 0.25)]
    trend = _mean(trend_parts)
    if not math.isnan(above):
        where = "above" if above > 0 else "below"
        drivers.append(
            (trend_parts[0] - 50, "trend", f"price {abs(above):.1f} ATR {where} its slow EMA")
        )
    if not math.isnan(cross):
        drivers.append(
            (trend_parts[1] - 50, "trend", f"fast EMA {'above' if cross > 0 else 'below'} slow EMA")
        )
    if not math.isnan(hist):
        drivers.append(
            (
                trend_parts[2] - 50,
                "trend",
                f"MACD histogram {'positive' if hist > 0 else 'negative'}",
            )
        )

    roc_z = r.roc / (100.0 * atr / r.close * math.sqrt(10.0)) if r.close > 0 else math.nan
    momentum_parts = [_tanh_score(roc_z, 1.5), _rsi_score(r.rsi)]
    momentum = _mean(momentum_parts)
    if not math.isnan(r.rsi):
        label = (
            "overbought"
            if r.rsi > 70
            else "oversold"
            if r.rsi < 30
            else ("firm" if r.rsi >= 55 else "soft" if r.rsi <= 45 else "neutral")
        )
        drivers.append((momentum_parts[1] - 50, "momentum", f"RSI {r.rsi:.0f}: {label}"))
    if not math.isnan(roc_z):
        drivers.append(
            (
                momentum_parts[0] - 50,
                "momentum",
                f"10-bar return {r.roc:+.1f}% ({abs(roc_z):.1f} volatility units)",
            )
        )

    volatility = 65.0 - 30.0 * r.atr_pct_rank
    if not math.isnan(volatility):
        pct = round(r.atr_pct_rank * 100)
        drivers.append(
            (
                volatility - 50,
                "volatility",
                f"volatility at the {ordinal(pct)} percentile of its last {VOL_LOOKBACK} bars",
            )
        )

    vol_avg = r.volume_avg if r.volume_avg > 0 else math.nan
    obv_z = (r.obv - r.obv_ema) / (5.0 * vol_avg)
    relvol = r.volume / vol_avg
    direction = 1.0 if r.close > r.open else -1.0 if r.close < r.open else 0.0
    volume_parts = [_tanh_score(obv_z, 1.0), 50.0 + 25.0 * math.tanh(relvol - 1.0) * direction]
    volume = _mean(volume_parts)
    if not math.isnan(obv_z):
        drivers.append(
            (
                volume_parts[0] - 50,
                "volume",
                f"on-balance volume {'rising' if obv_z > 0 else 'falling'}",
            )
        )
    if not math.isnan(relvol) and direction:
        drivers.append(
            (
                volume_parts[1] - 50,
                "volume",
                f"volume {relvol:.1f}x average on a {'rising' if direction > 0 else 'falling'} bar",
            )
        )

    parts = {"trend": trend, "momentum": momentum, "volatility": volatility, "volume": volume}
    known = {k: v for k, v in parts.items() if not math.isnan(v)}
    if not known:
        return PillarScore(None, 0.0, {k: None for k in parts})
    weight = sum(WEIGHTS[k] for k in known)
    value = sum(WEIGHTS[k] * v for k, v in known.items()) / weight
    counts = {k: sum(1 for d in drivers if d[1] == k) for k in known}
    ranked = sorted(
        (
            Driver(text, offset * WEIGHTS[group] / weight / max(counts[group], 1))
            for offset, group, text in drivers
            if group in known
        ),
        key=lambda d: abs(d.impact),
        reverse=True,
    )
    return PillarScore(
        value=value,
        confidence=weight,
        parts={k: (None if math.isnan(v) else v) for k, v in parts.items()},
        drivers=tuple(ranked),
    )


class TechnicalState:
    """Streaming indicators of one symbol on one bar size; O(1) per closed bar."""

    __slots__ = (
        "_atr",
        "_atr_pcts",
        "_close",
        "_ema_fast",
        "_ema_slow",
        "_macd",
        "_obv",
        "_obv_ema",
        "_open",
        "_roc",
        "_rsi",
        "_vol_avg",
        "_volume",
        "bars",
    )

    def __init__(self) -> None:
        self._ema_fast = StreamingEMA(20)
        self._ema_slow = StreamingEMA(50)
        self._macd = StreamingMACD(12, 26, 9)
        self._rsi = StreamingRSI(14)
        self._roc = StreamingROC(10)
        self._atr = StreamingATR(14)
        self._obv = StreamingOBV()
        self._obv_ema = StreamingEMA(20)
        self._vol_avg = StreamingSMA(20)
        self._atr_pcts: deque[float] = deque(maxlen=VOL_LOOKBACK)
        self._close = self._open = self._volume = math.nan
        self.bars = 0

    def update(self, o: float, h: float, lo: float, c: float, v: float) -> None:
        self.bars += 1
        self._open, self._close, self._volume = o, c, v
        self._ema_fast.update(c)
        self._ema_slow.update(c)
        self._macd.update(c)
        self._rsi.update(c)
        self._roc.update(c)
        atr = self._atr.update(h, lo, c)
        obv = self._obv.update(c, v)
        self._obv_ema.update(obv)
        self._vol_avg.update(v)
        if not math.isnan(atr) and c > 0:
            self._atr_pcts.append(atr / c)

    def reading(self) -> TechnicalReading:
        pcts = self._atr_pcts
        rank = math.nan
        if len(pcts) >= 20:
            now = pcts[-1]
            rank = sum(1 for p in pcts if p < now) / (len(pcts) - 1)
        return TechnicalReading(
            close=float(self._close),
            open=float(self._open),
            ema_fast=float(self._ema_fast.value),
            ema_slow=float(self._ema_slow.value),
            macd_hist=float(self._macd.value[2]),
            rsi=float(self._rsi.value),
            roc=float(self._roc.value),
            atr=float(self._atr.value),
            atr_pct_rank=rank,
            obv=float(self._obv.value),
            obv_ema=float(self._obv_ema.value),
            volume=float(self._volume),
            volume_avg=float(self._vol_avg.value),
        )

    def pillar(self) -> PillarScore:
        return score_reading(self.reading())


def _rolling_rank(x: FloatArray, lookback: int, min_count: int = 20) -> FloatArray:
    out = np.full(x.shape, np.nan)
    finite_at = np.flatnonzero(np.isfinite(x))
    if finite_at.size == 0:
        return out
    first = int(finite_at[0])
    for i in range(first + min_count - 1, len(x)):
        window = x[max(first, i - lookback + 1) : i + 1]
        out[i] = np.count_nonzero(window < x[i]) / (len(window) - 1)
    return out


def technical_series(
    o: FloatArray, h: FloatArray, lo: FloatArray, c: FloatArray, v: FloatArray
) -> dict[str, FloatArray]:
    """The pillar and its four sub-scores at every bar, as live scoring would have had them."""
    ema_fast, ema_slow = ind.ema(c, 20), ind.ema(c, 50)
    hist = ind.macd(c, 12, 26, 9)[2]
    rsi, roc, atr = ind.rsi(c, 14), ind.roc(c, 10), ind.atr(h, lo, c, 14)
    obv = ind.obv(c, v)
    obv_ema = ind.ema(obv, 20)
    vol_avg = ind.sma(v, 20)
    ranks = _rolling_rank(atr / c, VOL_LOOKBACK)
    names = ("score", "trend", "momentum", "volatility", "volume")
    out = {name: np.full(len(c), np.nan) for name in names}
    for i in range(len(c)):
        p = score_reading(
            TechnicalReading(
                float(c[i]),
                float(o[i]),
                float(ema_fast[i]),
                float(ema_slow[i]),
                float(hist[i]),
                float(rsi[i]),
                float(roc[i]),
                float(atr[i]),
                float(ranks[i]),
                float(obv[i]),
                float(obv_ema[i]),
                float(v[i]),
                float(vol_avg[i]),
            )
        )
        if p.value is not None:
            out["score"][i] = p.value
        for name in names[1:]:
            part = p.parts.get(name)
            if part is not None:
                out[name][i] = part
    return out


def ordinal(n: int) -> str:
    """1st, 2nd, 3rd, 4th, 11th, 12th, 13th, 21st, 43rd."""
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"
