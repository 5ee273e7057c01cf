"""Technical indicators on numpy arrays, with TA-Lib's conventions and outputs.

Every function takes one-dimensional float64 arrays (anything numpy turns into one) and returns
arrays of the same length, NaN during the warm-up, exactly where TA-Lib's output has not begun:

| indicator | first value at index |
|---|---|
| `sma`, `wma`, `stddev`, `bollinger`, rolling `vwap` (n) | n - 1 |
| `ema` (seeded with the SMA of the first n values) | n - 1 |
| `rsi`, `atr` (Wilder's smoothing, seeded with a simple average), `roc` | n |
| `macd` (line, signal and histogram alike) | slow - 1 + signal - 1 |
| `stochastic` (k and d alike) | k - 1 + smooth_k - 1 + d - 1 |
| `obv`, cumulative `vwap` | 0 |

Values agree with TA-Lib 0.6 to about 1e-12, relative (benchmarks/indicators.py measures it),
except where TA-Lib's own running sums drift over a long series (WMA, STDDEV, BBANDS): tpm sums
each window afresh (variance by stable pairwise merges, never E[x^2] - mean^2) and matches the
exact values there. SMA over long windows (n = 100 or 200) uses a running sum too, blocked, and
drifts no more than TA-Lib's. TA-Lib's zero tests are kept: RSI is 0 when the average gain plus
the average loss is below 1e-14 (a flat series), and a standard deviation is 0 when the
variance is below 1e-14. One deliberate difference: `macd` refuses fast >= slow, where TA-Lib
swaps them (and TA-Lib misplaces its signal line when signal = 1).

Inputs are taken as clean: finite float64 values (and volumes >= 0). They are not checked for
NaN or infinity, which would cost a pass over the data; one makes the outputs whose window or
smoothing history contains it meaningless (usually NaN, possibly a little beyond the window),
and TA-Lib promises nothing there either.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import numpy.typing as npt

from tpm.analysis.indicators_args import (
    TA_EPSILON,
    factor,
    nan_head,
    period,
    same_length,
    series,
    smooth,
)
from tpm.analysis.indicators_kernels import (
    rolling_max,
    rolling_mean_var,
    rolling_min,
    rolling_sum,
    rolling_weighted_sum,
)
from tpm.analysis.indicators_recursion import FloatArray, recursion

__all__ = [
    "atr",
    "bollinger",
    "ema",
    "highest",
    "lowest",
    "macd",
    "obv",
    "roc",
    "rsi",
    "sma",
    "stddev",
    "stochastic",
    "vwap",
    "wma",
]


def sma(x: npt.ArrayLike, n: int) -> FloatArray:
    """Simple moving average: the mean of the last n values."""
    a, n = series(x, "x", "sma"), period(n, "n", "sma")
    out = nan_head(len(a), n - 1)
    if len(a) >= n:
        rolling_sum(a, n, out[n - 1 :], divisor=n)
    return out


def ema(x: npt.ArrayLike, n: int) -> FloatArray:
    """Exponential moving average, k = 2/(n+1), seeded at index n-1 with the SMA of n values."""
    a, n = series(x, "x", "ema"), period(n, "n", "ema")
    out = nan_head(len(a), n - 1)
    if len(a) >= n:
        out[n - 1] = seed = float(a[:n].sum()) / n
        k = 2.0 / (n + 1)
        smooth(a, n, seed, out, 1.0 - k, k)
    return out


def wma(x: npt.ArrayLike, n: int) -> FloatArray:
    """Weighted moving average with linear weights 1..n, the newest value weighing n."""
    a, n = series(x, "x", "wma"), period(n, "n", "wma")
    out = nan_head(len(a), n - 1)
    if len(a) >= n:
        body = out[n - 1 :]
        rolling_weighted_sum(a, n, body)
        body /= n * (n + 1) / 2
    return out


def _rsi_into(gain: FloatArray, loss: FloatArray, out: FloatArray) -> None:
    total = np.add(gain, loss)
    with np.errstate(invalid="ignore", divide="ignore"):
        np.divide(gain, total, out=out)
    out *= 100.0
    flat = total < TA_EPSILON
    if flat.any():
        out[flat] = 0.0


def rsi(x: npt.ArrayLike, n: int = 14) -> FloatArray:
    """Relative strength index, 0-100, with Wilder's smoothing of gains and losses.

    The first value (index n) uses the simple averages of the first n gains and losses; each
    later average is (previous * (n-1) + today's) / n. 0 where the series has not moved.
    """
    a, n = series(x, "x", "rsi"), period(n, "n", "rsi")
    out = nan_head(len(a), n)
    if len(a) <= n:
        return out
    first = np.diff(a[: n + 1])
    state = np.array([[np.maximum(first, 0.0).sum()], [np.maximum(-first, 0.0).sum()]]) / n
    _rsi_into(state[0], state[1], out[n : n + 1])
    state = state[:, 0].copy()

    def moves(lo: int, hi: int) -> FloatArray:
        change = np.subtract(a[lo:hi], a[lo - 1 : hi - 1])
        both = np.empty((2, hi - lo))
        np.maximum(change, 0.0, out=both[0])
        np.subtract(both[0], change, out=both[1])  # max(-change, 0), exactly
        both *= 1.0 / n
        return both

    def ratio(lo: int, hi: int, averages: FloatArray) -> None:
        _rsi_into(averages[0], averages[1], out[lo:hi])

    recursion((n - 1) / n).solve(moves, n + 1, len(a), state, emit=ratio, two_pass=False)
    return out


def macd(
    x: npt.ArrayLike, fast: int = 12, slow: int = 26, signal: int = 9
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """MACD line (EMA(fast) - EMA(slow)), its signal line (EMA(signal) of it) and histogram.

    As in TA-Lib, both EMAs start at index slow-1, the fast one seeded with the SMA of the fast
    values ending there (not of the first ones); the signal EMA is seeded with the SMA of the
    first `signal` MACD values; all three outputs are NaN until the signal line exists.
    """
    a = series(x, "x", "macd")
    fast, slow = period(fast, "fast", "macd"), period(slow, "slow", "macd")
    signal = period(signal, "signal", "macd")
    if fast >= slow:
        raise ValueError(f"macd: fast ({fast}) must be shorter than slow ({slow})")
    begin, start = slow - 1, slow + signal - 2
    if len(a) <= start:
        return nan_head(len(a), start), nan_head(len(a), start), nan_head(len(a), start)
    line = nan_head(len(a), begin)
    kf, ks = 2.0 / (fast + 1), 2.0 / (slow + 1)
    state = np.array([float(a[slow - fast : slow].sum()) / fast, float(a[:slow].sum()) / slow])
    line[begin] = state[0] - state[1]

    def subtract(lo: int, hi: int, slow_ema: FloatArray) -> None:
        line[lo:hi] -= slow_ema[0]

    recursion(1.0 - kf).solve(
        lambda lo, hi: np.multiply(a[None, lo:hi], kf), slow, len(a), state[:1], line[None, :]
    )
    recursion(1.0 - ks).solve(
        lambda lo, hi: np.multiply(a[None, lo:hi], ks), slow, len(a), state[1:], emit=subtract
    )
    sig = nan_head(len(a), start)
    sig[start] = seed = float(line[begin : start + 1].sum()) / signal
    k = 2.0 / (signal + 1)
    smooth(line, start + 1, seed, sig, 1.0 - k, k)
    line[begin:start] = np.nan
    return line, sig, np.subtract(line, sig)


def _std_into(a: FloatArray, n: int, mean: FloatArray | None, std: FloatArray) -> None:
    """Rolling population standard deviation into std[n-1:] (0 below TA-Lib's epsilon)."""
    if len(a) >= n:
        var = std[n - 1 :]
        rolling_mean_var(a, n, None if mean is None else mean[n - 1 :], var)
        var[var < TA_EPSILON] = 0.0
        np.sqrt(var, out=var)


def stddev(x: npt.ArrayLike, n: int) -> FloatArray:
    """Population standard deviation (ddof=0) of the last n values."""
    a, n = series(x, "x", "stddev"), period(n, "n", "stddev")
    out = nan_head(len(a), n - 1)
    _std_into(a, n, None, out)
    return out


def bollinger(
    x: npt.ArrayLike, n: int = 20, k: float = 2.0
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Bollinger bands: SMA(n) plus and minus k population standard deviations."""
    a, n = series(x, "x", "bollinger"), period(n, "n", "bollinger")
    k = factor(k, "k", "bollinger")
    middle, upper = nan_head(len(a), n - 1), nan_head(len(a), n - 1)
    _std_into(a, n, middle, upper)
    upper *= k
    lower = np.subtract(middle, upper)
    upper += middle
    return upper, middle, lower


def _true_range(h: FloatArray, lo: FloatArray, prev_close: FloatArray) -> FloatArray:
    """max(high - low, |high - previous close|, |low - previous close|)."""
    tr = np.subtract(h, lo)
    gap = np.subtract(h, prev_close)
    np.abs(gap, out=gap)
    np.maximum(tr, gap, out=tr)
    np.subtract(lo, prev_close, out=gap)
    np.abs(gap, out=gap)
    return np.maximum(tr, gap, out=tr)


def atr(high: npt.ArrayLike, low: npt.ArrayLike, close: npt.ArrayLike, n: int = 14) -> FloatArray:
    """Average true range with Wilder's smoothing.

    The first value (index n) averages the true ranges of bars 1..n (bar 0 has no previous
    close); each later one is (previous * (n-1) + true range) / n.
    """
    h, lo, c = series(high, "high", "atr"), series(low, "low", "atr"), series(close, "close", "atr")
    size = same_length("atr", high=h, low=lo, close=c)
    n = period(n, "n", "atr")
    out = nan_head(size, n)
    if size <= n:
        return out
    out[n] = seed = float(_true_range(h[1 : n + 1], lo[1 : n + 1], c[:n]).sum()) / n

    def ranges(a: int, b: int) -> FloatArray:
        tr = _true_range(h[a:b], lo[a:b], c[a - 1 : b - 1])
        tr *= 1.0 / n
        return tr[None, :]

    wilder = recursion((n - 1) / n)
    wilder.solve(ranges, n + 1, size, np.array([seed]), out[None, :], two_pass=False)
    return out


def highest(x: npt.ArrayLike, n: int) -> FloatArray:
    """The largest of the last n values, the current one included (TA-Lib MAX)."""
    return _rolling_extreme(x, n, "highest", rolling_max)


def lowest(x: npt.ArrayLike, n: int) -> FloatArray:
    """The smallest of the last n values, the current one included (TA-Lib MIN)."""
    return _rolling_extreme(x, n, "lowest", rolling_min)


def _rolling_extreme(
    x: npt.ArrayLike, n: int, func: str, kernel: Callable[[FloatArray, int, FloatArray], None]
) -> FloatArray:
    a, n = series(x, "x", func), period(n, "n", func)
    out = nan_head(len(a), n - 1)
    if len(a) >= n:
        kernel(a, n, out[n - 1 :])
    return out


def roc(x: npt.ArrayLike, n: int = 10) -> FloatArray:
    """Rate of change in percent, (x / x[n bars ago] - 1) * 100; 0 where that price is 0."""
    a, n = series(x, "x", "roc"), period(n, "n", "roc")
    out = nan_head(len(a), n)
    if len(a) > n:
        body, before = out[n:], a[:-n]
        with np.errstate(invalid="ignore", divide="ignore"):
            np.divide(a[n:], before, out=body)
        body -= 1.0
        body *= 100.0
        zero = before == 0.0
        if zero.any():
            body[zero] = 0.0
    return out


def stochastic(
    high: npt.ArrayLike,
    low: npt.ArrayLike,
    close: npt.ArrayLike,
    k: int = 5,
    smooth_k: int = 3,
    d: int = 3,
) -> tuple[FloatArray, FloatArray]:
    """Slow stochastic (TA-Lib STOCH with SMAs): returns (slow %K, slow %D), 0-100.

    Fast %K = (close - lowest low) / (highest high - lowest low) * 100 over k bars (0 when the
    range is 0); slow %K is its SMA(smooth_k) and slow %D the SMA(d) of slow %K. As in TA-Lib,
    both outputs start at the same index, k - 1 + smooth_k - 1 + d - 1.
    """
    func = "stochastic"
    h, lo, c = series(high, "high", func), series(low, "low", func), series(close, "close", func)
    size = same_length(func, high=h, low=lo, close=c)
    k, smooth_k, d = period(k, "k", func), period(smooth_k, "smooth_k", func), period(d, "d", func)
    start = k + smooth_k + d - 3
    if size <= start:
        return nan_head(size, size), nan_head(size, size)
    highest, lowest = np.empty(size - k + 1), np.empty(size - k + 1)
    rolling_max(h, k, highest)
    rolling_min(lo, k, lowest)
    span = np.subtract(highest, lowest)
    span /= 100.0
    fast = np.subtract(c[k - 1 :], lowest)
    with np.errstate(invalid="ignore", divide="ignore"):
        fast /= span
    flat = span == 0.0
    if flat.any():
        fast[flat] = 0.0
    slow_k = sma(fast, smooth_k)
    slow_d = sma(slow_k[smooth_k - 1 :], d)
    out_k, out_d = nan_head(size, start), nan_head(size, start)
    out_k[start:] = slow_k[start - k + 1 :]
    out_d[start:] = slow_d[d - 1 :]
    return out_k, out_d


def obv(close: npt.ArrayLike, volume: npt.ArrayLike) -> FloatArray:
    """On-balance volume, starting at the first volume.

    Each later volume is added on an up close, subtracted on a down close, ignored otherwise.
    """
    c, v = series(close, "close", "obv"), series(volume, "volume", "obv")
    size = same_length("obv", close=c, volume=v)
    if size == 0:
        return np.empty(0)
    signed = np.empty(size)
    signed[0] = v[0]
    np.sign(np.subtract(c[1:], c[:-1]), out=signed[1:])
    signed[1:] *= v[1:]
    return np.cumsum(signed, out=signed)


def vwap(
    high: npt.ArrayLike,
    low: npt.ArrayLike,
    close: npt.ArrayLike,
    volume: npt.ArrayLike,
    n: int | None = None,
) -> FloatArray:
    """Volume-weighted average of the typical price (high + low + close) / 3.

    With n=None it is cumulative from the first bar (reset it per session by slicing the
    arrays); with n it covers the last n bars (first value at index n-1). NaN while the volume
    it covers is 0 (no bar in it traded). TA-Lib has no VWAP.
    """
    func = "vwap"
    h, lo, c = series(high, "high", func), series(low, "low", func), series(close, "close", func)
    v = series(volume, "volume", func)
    size = same_length(func, high=h, low=lo, close=c, volume=v)
    typical = np.add(h, lo)
    typical += c
    typical /= 3.0
    flow = np.multiply(typical, v, out=typical)
    if n is None:
        money, shares, head = np.cumsum(flow), np.cumsum(v), 0
        none = shares == 0.0
    else:
        n = period(n, "n", func)
        head = n - 1
        if size < n:
            return nan_head(size, size)
        money, shares = np.empty(size - head), np.empty(size - head)
        rolling_sum(flow, n, money, fresh=True)  # volumes span decades: no running sums
        rolling_sum(v, n, shares, fresh=True)
        traded = np.empty(size - head)  # bars with volume in each window: exact small integers
        rolling_sum((v != 0.0).astype(np.float64), n, traded)
        none = traded == 0.0
    out = nan_head(size, head)
    body = out[head:]
    with np.errstate(invalid="ignore", divide="ignore"):
        np.divide(money, shares, out=body)
    if none.any():
        body[none] = math.nan
    return out
