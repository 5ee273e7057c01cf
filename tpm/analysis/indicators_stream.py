"""Streaming standard deviation, Bollinger bands, stochastic and VWAP.

Re-exported by `tpm.analysis.streaming`, which documents the common interface.
"""

from __future__ import annotations

import math
from collections import deque

from tpm.analysis.indicators_args import TA_EPSILON, factor, period

__all__ = ["StreamingBollinger", "StreamingStdDev", "StreamingStochastic", "StreamingVWAP"]

_RESUM_EVERY = 4096
_BITS = 80  # values are held as integers in units of 2**-80: exact for any price above 1e-8
_SCALE = float(2**_BITS)


class _ExactMoments:
    """Sum and sum of squares of the last n values, exactly, as integers in units of 2**-80.

    A float running sum of squares loses every digit of a quiet window's variance to the
    noise left by the volatile values that passed through it; exact integers cannot. Values
    are assumed finite and below about 1e280 in size; digits finer than 2**-80 are dropped.
    """

    __slots__ = ("_s1", "_s2", "_window", "n")

    def __init__(self, n: int) -> None:
        self.n = n
        self._window: deque[int] = deque(maxlen=n)
        self._s1 = self._s2 = 0

    @property
    def is_full(self) -> bool:
        return len(self._window) == self.n

    def push(self, x: float) -> None:
        q = int(x * _SCALE)
        w = self._window
        if len(w) == self.n:
            old = w[0]
            self._s1 -= old
            self._s2 -= old * old
        w.append(q)
        self._s1 += q
        self._s2 += q * q

    def mean(self) -> float:
        return self._s1 / (self.n << _BITS)  # int / int: correctly rounded

    def std(self) -> float:
        """Population standard deviation; 0 when the variance is below TA-Lib's epsilon."""
        n, s1 = self.n, self._s1
        var = (n * self._s2 - s1 * s1) / (n * n << 2 * _BITS)
        return math.sqrt(var) if var >= TA_EPSILON else 0.0


class StreamingStdDev:
    """Population standard deviation (ddof=0) of the last n values."""

    __slots__ = ("_moments", "_value", "n")

    def __init__(self, n: int) -> None:
        self.n = period(n, "n", "StreamingStdDev")
        self._moments = _ExactMoments(self.n)
        self._value = math.nan

    @property
    def is_ready(self) -> bool:
        return self._moments.is_full

    @property
    def value(self) -> float:
        return self._value

    def update(self, x: float) -> float:
        m = self._moments
        m.push(x)
        if m.is_full:
            self._value = m.std()
        return self._value


class StreamingBollinger:
    """Bollinger bands (upper, middle, lower): SMA(n) plus and minus k standard deviations."""

    __slots__ = ("_moments", "_value", "k", "n")

    def __init__(self, n: int = 20, k: float = 2.0) -> None:
        self.n = period(n, "n", "StreamingBollinger")
        self.k = factor(k, "k", "StreamingBollinger")
        self._moments = _ExactMoments(self.n)
        self._value = (math.nan, math.nan, math.nan)

    @property
    def is_ready(self) -> bool:
        return self._moments.is_full

    @property
    def value(self) -> tuple[float, float, float]:
        return self._value

    def update(self, x: float) -> tuple[float, float, float]:
        m = self._moments
        m.push(x)
        if m.is_full:
            middle, width = m.mean(), self.k * m.std()
            self._value = (middle + width, middle, middle - width)
        return self._value


class _WindowSum:
    """Sum of the last n values, re-added exactly every `_RESUM_EVERY` updates."""

    __slots__ = ("_count", "_window", "n", "total")

    def __init__(self, n: int) -> None:
        self.n = n
        self._window: deque[float] = deque(maxlen=n)
        self.total = 0.0
        self._count = 0

    def push(self, x: float) -> bool:
        """Add x (dropping the oldest value when full); whether the window is now full."""
        w = self._window
        if len(w) == self.n:
            self.total -= w[0]
        w.append(x)
        self.total += x
        self._count += 1
        if self._count % _RESUM_EVERY == 0:
            self.total = math.fsum(w)
        return len(w) == self.n


class _Extreme:
    """Highest (or lowest) of the last n values: a monotonic queue, amortised O(1)."""

    __slots__ = ("_count", "_is_max", "_queue", "n")

    def __init__(self, n: int, *, is_max: bool) -> None:
        self.n, self._is_max = n, is_max
        self._queue: deque[tuple[int, float]] = deque()
        self._count = 0

    def push(self, x: float) -> float:
        q, i = self._queue, self._count
        self._count = i + 1
        if self._is_max:
            while q and q[-1][1] <= x:
                q.pop()
        else:
            while q and q[-1][1] >= x:
                q.pop()
        q.append((i, x))
        if q[0][0] <= i - self.n:
            q.popleft()
        return q[0][1]


class StreamingStochastic:
    """Slow stochastic (slow %K, slow %D), 0-100; both from the same bar, as in TA-Lib."""

    __slots__ = ("_count", "_high", "_low", "_slow_d", "_slow_k", "_start", "_value", "d", "k")

    def __init__(self, k: int = 5, smooth_k: int = 3, d: int = 3) -> None:
        self.k = period(k, "k", "StreamingStochastic")
        smooth_k = period(smooth_k, "smooth_k", "StreamingStochastic")
        self.d = period(d, "d", "StreamingStochastic")
        self._high, self._low = _Extreme(self.k, is_max=True), _Extreme(self.k, is_max=False)
        self._slow_k, self._slow_d = _WindowSum(smooth_k), _WindowSum(self.d)
        self._start = self.k + smooth_k + self.d - 3
        self._count = 0
        self._value = (math.nan, math.nan)

    @property
    def smooth_k(self) -> int:
        return self._slow_k.n

    @property
    def is_ready(self) -> bool:
        return self._count > self._start

    @property
    def value(self) -> tuple[float, float]:
        return self._value

    def update(self, high: float, low: float, close: float) -> tuple[float, float]:
        highest, lowest = self._high.push(high), self._low.push(low)
        self._count += 1
        if self._count < self.k:
            return self._value
        span = (highest - lowest) / 100.0
        fast = (close - lowest) / span if span != 0.0 else 0.0
        sk = self._slow_k
        if not sk.push(fast):
            return self._value
        slow_k = sk.total / sk.n
        sd = self._slow_d
        if sd.push(slow_k) and self._count > self._start:
            self._value = (slow_k, sd.total / sd.n)
        return self._value


class _ExactSum:
    """Sum of the last n values as an exact integer in units of 2**-80 (see _ExactMoments)."""

    __slots__ = ("_window", "n", "total")

    def __init__(self, n: int) -> None:
        self.n = n
        self._window: deque[int] = deque(maxlen=n)
        self.total = 0

    def push(self, x: float) -> bool:
        """Add x (dropping the oldest value when full); whether the window is now full."""
        q = int(x * _SCALE)
        w = self._window
        if len(w) == self.n:
            self.total -= w[0]
        w.append(q)
        self.total += q
        return len(w) == self.n


class StreamingVWAP:
    """Volume-weighted average typical price: cumulative (n=None) or over the last n bars.

    NaN while the volume it covers is 0. Cumulative sums are floats added in numpy's cumsum
    order; rolling ones are exact integers, since volumes span decades and a float running
    sum would keep the rounding error of a huge bar long after it left the window.
    """

    __slots__ = ("_money", "_money_total", "_shares", "_shares_total", "_traded", "_value", "n")

    def __init__(self, n: int | None = None) -> None:
        self.n = None if n is None else period(n, "n", "StreamingVWAP")
        size = 1 if self.n is None else self.n
        self._money, self._shares = _ExactSum(size), _ExactSum(size)
        self._traded = _ExactSum(size)  # bars in the window that traded
        self._money_total = self._shares_total = 0.0
        self._value = math.nan

    @property
    def is_ready(self) -> bool:
        return not math.isnan(self._value)

    @property
    def value(self) -> float:
        return self._value

    def update(self, high: float, low: float, close: float, volume: float) -> float:
        flow = (high + low + close) / 3.0 * volume
        if self.n is None:
            self._money_total += flow
            self._shares_total += volume
            shares = self._shares_total
            self._value = self._money_total / shares if shares != 0.0 else math.nan
            return self._value
        self._money.push(flow)
        self._shares.push(volume)
        if self._traded.push(1.0 if volume != 0.0 else 0.0):
            money, shares = self._money.total, self._shares.total
            self._value = money / shares if self._traded.total and shares else math.nan
        return self._value
