"""Streaming indicators: O(1) per value, equal to their batch twins on the same series.

Each class takes one value (or bar) per `update` and returns the indicator's current value:
NaN (or a tuple of NaNs) during the same warm-up as its batch twin in `tpm.analysis.indicators`.
`value` repeats the last result and `is_ready` says whether the warm-up is over. State is plain
Python floats; the conventions are the batch ones (TA-Lib's seeds, Wilder's smoothing,
population standard deviation). Running sums are re-added exactly every `_RESUM_EVERY` updates
so that their rounding error cannot drift. Standard deviation, Bollinger bands, stochastic and
VWAP live in `indicators_stream.py` and are re-exported here.
"""

from __future__ import annotations

import math
from collections import deque

from tpm.analysis.indicators_args import TA_EPSILON, period
from tpm.analysis.indicators_stream import (
    StreamingBollinger,
    StreamingStdDev,
    StreamingStochastic,
    StreamingVWAP,
)

__all__ = [
    "StreamingATR",
    "StreamingBollinger",
    "StreamingEMA",
    "StreamingMACD",
    "StreamingOBV",
    "StreamingROC",
    "StreamingRSI",
    "StreamingSMA",
    "StreamingStdDev",
    "StreamingStochastic",
    "StreamingVWAP",
    "StreamingWMA",
]

# A running sum drifts after many updates; it is re-added exactly this often.
_RESUM_EVERY = 4096
_NAN3 = (math.nan, math.nan, math.nan)


class StreamingSMA:
    """Simple moving average over the last `n` values; NaN until `n` values have been seen."""

    __slots__ = ("_count", "_sum", "_window", "n")

    def __init__(self, n: int) -> None:
        if n < 1:
            raise ValueError(f"SMA length must be at least 1, got {n}")
        self.n = n
        self._window: deque[float] = deque(maxlen=n)
        self._sum = 0.0
        self._count = 0

    @property
    def is_ready(self) -> bool:
        return len(self._window) == self.n

    @property
    def value(self) -> float:
        return self._sum / self.n if len(self._window) == self.n else math.nan

    def update(self, x: float) -> float:
        w = self._window
        if len(w) == self.n:
            self._sum -= w[0]
        w.append(x)
        self._sum += x
        self._count += 1
        if self._count % _RESUM_EVERY == 0:
            self._sum = math.fsum(w)
        return self.value


class StreamingEMA:
    """Exponential moving average, k = 2/(n+1), seeded with the SMA of the first `n` values."""

    __slots__ = ("_count", "_decay", "_ready", "_sum", "_value", "_weight", "n")

    def __init__(self, n: int) -> None:
        self.n = period(n, "n", "StreamingEMA")
        self._weight = 2.0 / (self.n + 1)
        self._decay = 1.0 - self._weight
        self._count, self._sum, self._value, self._ready = 0, 0.0, math.nan, False

    @property
    def is_ready(self) -> bool:
        return self._ready

    @property
    def value(self) -> float:
        return self._value

    def update(self, x: float) -> float:
        if self._ready:
            v = self._value = self._decay * self._value + self._weight * x
            return v
        self._sum += x
        self._count += 1
        if self._count == self.n:
            self._value, self._ready = self._sum / self.n, True
        return self._value


class StreamingWMA:
    """Weighted moving average with linear weights 1..n, the newest value weighing n."""

    __slots__ = ("_count", "_divisor", "_sum", "_weighted", "_window", "n")

    def __init__(self, n: int) -> None:
        self.n = period(n, "n", "StreamingWMA")
        self._divisor = self.n * (self.n + 1) / 2
        self._window: deque[float] = deque(maxlen=self.n)
        self._sum = self._weighted = 0.0
        self._count = 0

    @property
    def is_ready(self) -> bool:
        return len(self._window) == self.n

    @property
    def value(self) -> float:
        return self._weighted / self._divisor if len(self._window) == self.n else math.nan

    def update(self, x: float) -> float:
        w, n = self._window, self.n
        if len(w) == n:
            self._weighted += n * x - self._sum  # every older value loses one weight step
            self._sum += x - w[0]
        else:
            self._weighted += (len(w) + 1) * x
            self._sum += x
        w.append(x)
        self._count += 1
        if self._count % _RESUM_EVERY == 0:
            self._sum = math.fsum(w)
            self._weighted = math.fsum(i * v for i, v in enumerate(w, 1))
        return self.value


class StreamingRSI:
    """Relative strength index with Wilder's smoothing; first value after `n` changes."""

    __slots__ = ("_count", "_decay", "_gain", "_loss", "_prev", "_ready", "_value", "_weight", "n")

    def __init__(self, n: int = 14) -> None:
        self.n = period(n, "n", "StreamingRSI")
        self._weight = 1.0 / self.n
        self._decay = (self.n - 1) / self.n
        self._count, self._gain, self._loss = 0, 0.0, 0.0
        self._prev, self._value, self._ready = math.nan, math.nan, False

    @property
    def is_ready(self) -> bool:
        return self._ready

    @property
    def value(self) -> float:
        return self._value

    def update(self, x: float) -> float:
        change = x - self._prev
        self._prev = x
        if self._ready:
            d = self._decay
            if change > 0.0:
                gain = self._gain = d * self._gain + self._weight * change
                loss = self._loss = d * self._loss
            else:
                gain = self._gain = d * self._gain
                loss = self._loss = d * self._loss - self._weight * change
        else:
            self._count += 1
            if self._count == 1:
                return math.nan
            if change > 0.0:
                self._gain += change
            else:
                self._loss -= change
            if self._count <= self.n:
                return math.nan
            gain = self._gain = self._gain / self.n
            loss = self._loss = self._loss / self.n
            self._ready = True
        total = gain + loss
        v = self._value = 100.0 * (gain / total) if total >= TA_EPSILON else 0.0
        return v


class StreamingATR:
    """Average true range with Wilder's smoothing; first value at the (n+1)-th bar."""

    __slots__ = ("_count", "_decay", "_prev_close", "_ready", "_sum", "_value", "_weight", "n")

    def __init__(self, n: int = 14) -> None:
        self.n = period(n, "n", "StreamingATR")
        self._weight = 1.0 / self.n
        self._decay = (self.n - 1) / self.n
        self._count, self._sum, self._ready = 0, 0.0, False
        self._prev_close, self._value = math.nan, math.nan

    @property
    def is_ready(self) -> bool:
        return self._ready

    @property
    def value(self) -> float:
        return self._value

    def update(self, high: float, low: float, close: float) -> float:
        prev, self._prev_close = self._prev_close, close
        if self._count == 0:
            self._count = 1
            return math.nan
        tr = max(high - low, abs(high - prev), abs(low - prev))
        if self._ready:
            v = self._value = self._decay * self._value + self._weight * tr
            return v
        self._sum += tr
        self._count += 1
        if self._count > self.n:
            self._value, self._ready = self._sum / self.n, True
        return self._value


class StreamingMACD:
    """MACD (line, signal, histogram) as TA-Lib computes it: see `indicators.macd`."""

    __slots__ = (
        "_count",
        "_fast",
        "_fast_k",
        "_head",
        "_head_sum",
        "_line_sum",
        "_ready",
        "_sig_k",
        "_signal",
        "_slow",
        "_slow_k",
        "_value",
        "fast",
        "signal",
        "slow",
    )

    def __init__(self, fast: int = 12, slow: int = 26, signal: int = 9) -> None:
        self.fast = period(fast, "fast", "StreamingMACD")
        self.slow = period(slow, "slow", "StreamingMACD")
        self.signal = period(signal, "signal", "StreamingMACD")
        if self.fast >= self.slow:
            raise ValueError(f"StreamingMACD: fast ({fast}) must be shorter than slow ({slow})")
        self._fast_k, self._slow_k = 2.0 / (self.fast + 1), 2.0 / (self.slow + 1)
        self._sig_k = 2.0 / (self.signal + 1)
        self._head: deque[float] = deque(maxlen=self.fast)  # the fast EMA's seed values
        self._count, self._head_sum, self._line_sum = 0, 0.0, 0.0
        self._fast = self._slow = self._signal = math.nan
        self._value, self._ready = _NAN3, False

    @property
    def is_ready(self) -> bool:
        return self._ready

    @property
    def value(self) -> tuple[float, float, float]:
        return self._value

    def update(self, x: float) -> tuple[float, float, float]:
        if self._count >= self.slow:
            kf, ks = self._fast_k, self._slow_k
            self._fast = (1.0 - kf) * self._fast + kf * x
            self._slow = (1.0 - ks) * self._slow + ks * x
        else:
            self._head.append(x)
            self._head_sum += x
            if self._count + 1 == self.slow:
                self._fast = math.fsum(self._head) / self.fast
                self._slow = self._head_sum / self.slow
        self._count += 1
        if self._count < self.slow:
            return self._value
        line = self._fast - self._slow
        if self._ready:
            k = self._sig_k
            sig = self._signal = (1.0 - k) * self._signal + k * line
            v = self._value = (line, sig, line - sig)
            return v
        self._line_sum += line
        if self._count - self.slow + 1 == self.signal:
            sig = self._signal = self._line_sum / self.signal
            self._value, self._ready = (line, sig, line - sig), True
        return self._value


class StreamingROC:
    """Rate of change in percent against the value n updates ago (0 where that value is 0)."""

    __slots__ = ("_value", "_window", "n")

    def __init__(self, n: int = 10) -> None:
        self.n = period(n, "n", "StreamingROC")
        self._window: deque[float] = deque(maxlen=self.n + 1)
        self._value = math.nan

    @property
    def is_ready(self) -> bool:
        return len(self._window) > self.n

    @property
    def value(self) -> float:
        return self._value

    def update(self, x: float) -> float:
        w = self._window
        w.append(x)
        if len(w) > self.n:
            before = w[0]
            self._value = (x / before - 1.0) * 100.0 if before != 0.0 else 0.0
        return self._value


class StreamingOBV:
    """On-balance volume, starting at the first volume."""

    __slots__ = ("_prev", "_value")

    def __init__(self) -> None:
        self._prev, self._value = math.nan, math.nan

    @property
    def is_ready(self) -> bool:
        return not math.isnan(self._value)

    @property
    def value(self) -> float:
        return self._value

    def update(self, close: float, volume: float) -> float:
        prev, self._prev = self._prev, close
        if math.isnan(self._value):
            self._value = volume
        elif close > prev:
            self._value += volume
        elif close < prev:
            self._value -= volume
        return self._value
