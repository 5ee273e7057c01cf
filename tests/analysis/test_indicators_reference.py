"""Every batch indicator against a plain-Python loop of its textbook (TA-Lib) definition.

The loops are written for clarity, not speed. They run on random price series from
hypothesis, with the kernels' chunk size lowered so that short series cross chunk
boundaries, and once on a long series at the real chunk size.
"""

from __future__ import annotations

import math
from collections.abc import Iterator

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tpm.analysis import indicators as ind
from tpm.analysis import indicators_recursion

NAN = math.nan
Series = list[float]


def sma(x: Series, n: int) -> Series:
    sums = [math.fsum(x[i - n + 1 : i + 1]) / n for i in range(n - 1, len(x))]
    return ([NAN] * (n - 1) + sums)[: len(x)]


def ema(x: Series, n: int) -> Series:
    out, k = [NAN] * len(x), 2 / (n + 1)
    if len(x) >= n:
        e = out[n - 1] = sum(x[:n]) / n
        for i in range(n, len(x)):
            e = out[i] = e + k * (x[i] - e)
    return out


def wma(x: Series, n: int) -> Series:
    weights = range(1, n + 1)
    out = [math.fsum(w * v for w, v in zip(weights, x[i - n + 1 : i + 1], strict=True))
           for i in range(n - 1, len(x))]  # fmt: skip
    return ([NAN] * (n - 1) + [v / (n * (n + 1) / 2) for v in out])[: len(x)]


def wilder(values: Series, n: int) -> Series:
    """Seeded with the mean of the first n values, then (previous*(n-1) + value)/n."""
    out = [NAN] * len(values)
    if len(values) >= n:
        a = out[n - 1] = sum(values[:n]) / n
        for i in range(n, len(values)):
            a = out[i] = (a * (n - 1) + values[i]) / n
    return out


def rsi(x: Series, n: int) -> Series:
    changes = [x[i] - x[i - 1] for i in range(1, len(x))]
    gain = wilder([max(c, 0.0) for c in changes], n)
    loss = wilder([max(-c, 0.0) for c in changes], n)
    out = [NAN]
    for g, lo in zip(gain, loss, strict=True):
        out.append(NAN if math.isnan(g) else (100 * g / (g + lo) if g + lo >= 1e-14 else 0.0))
    return out[: len(x)]


def atr(h: Series, lo: Series, c: Series, n: int) -> Series:
    tr = [max(h[i] - lo[i], abs(h[i] - c[i - 1]), abs(lo[i] - c[i - 1])) for i in range(1, len(c))]
    return [NAN, *wilder(tr, n)][: len(c)]


def std(x: Series, n: int) -> Series:
    out = [NAN] * len(x)
    for i in range(n - 1, len(x)):
        w = x[i - n + 1 : i + 1]
        m = math.fsum(w) / n
        var = math.fsum((v - m) ** 2 for v in w) / n
        out[i] = math.sqrt(var) if var >= 1e-14 else 0.0
    return out


def macd(x: Series, fast: int, slow: int, signal: int) -> tuple[Series, Series, Series]:
    """TA-Lib: both EMAs start at slow-1; the fast one seeded on the fast values ending there."""
    line = [NAN] * len(x)
    if len(x) >= slow:
        f, s = sum(x[slow - fast : slow]) / fast, sum(x[:slow]) / slow
        kf, ks = 2 / (fast + 1), 2 / (slow + 1)
        line[slow - 1] = f - s
        for i in range(slow, len(x)):
            f, s = f + kf * (x[i] - f), s + ks * (x[i] - s)
            line[i] = f - s
    sig = [NAN] * (slow - 1) + ema(line[slow - 1 :], signal)
    start = slow + signal - 2
    line = [NAN if i < start else v for i, v in enumerate(line)]
    return line, sig[: len(x)], [a - b for a, b in zip(line, sig, strict=False)]


def stochastic(h: Series, lo: Series, c: Series, k: int, sk: int, d: int) -> tuple[Series, Series]:
    fast = []
    for i in range(k - 1, len(c)):
        hh, ll = max(h[i - k + 1 : i + 1]), min(lo[i - k + 1 : i + 1])
        fast.append((c[i] - ll) / ((hh - ll) / 100) if hh != ll else 0.0)
    slow_k = sma(fast, sk)
    slow_d = sma(slow_k[sk - 1 :], d)
    start = k + sk + d - 3
    out_k = [NAN] * start + slow_k[start - k + 1 :]
    out_d = [NAN] * start + slow_d[d - 1 :]
    return out_k[: len(c)], out_d[: len(c)]


def vwap(h: Series, lo: Series, c: Series, v: Series, n: int | None) -> Series:
    flow = [(a + b + e) / 3 * w for a, b, e, w in zip(h, lo, c, v, strict=True)]
    out = []
    for i in range(len(c)):
        first = 0 if n is None else i - n + 1
        if first < 0:
            out.append(NAN)
            continue
        volume = math.fsum(v[first : i + 1])
        traded = any(w != 0 for w in v[first : i + 1])
        out.append(math.fsum(flow[first : i + 1]) / volume if traded else NAN)
    return out


def close_to(actual: np.ndarray, expected: Series, tol: float = 1e-9) -> None:
    """NaN in the same places; elsewhere within tol, absolute below 1 and relative above."""
    assert len(actual) == len(expected)
    for i, (a, e) in enumerate(zip(actual.tolist(), expected, strict=True)):
        assert math.isnan(a) == math.isnan(e), f"index {i}: {a} vs {e}"
        if not math.isnan(e):
            assert math.isclose(a, e, rel_tol=tol, abs_tol=tol), f"index {i}: {a} != {e}"


@pytest.fixture(params=[None, 128], ids=["chunk-default", "chunk-128"])
def chunk(request: pytest.FixtureRequest) -> Iterator[None]:
    """With 128, series of a few hundred values cross several chunk boundaries."""
    saved = indicators_recursion.CHUNK
    indicators_recursion.CHUNK = request.param or saved
    yield
    indicators_recursion.CHUNK = saved


prices = st.lists(st.floats(0.5, 5_000.0, allow_nan=False, allow_infinity=False), max_size=400)


@st.composite
def bars(draw: st.DrawFn) -> tuple[Series, Series, Series, Series]:
    close = draw(prices)
    size = len(close)
    spread = st.floats(0.0, 50.0, allow_nan=False)
    up = draw(st.lists(spread, min_size=size, max_size=size))
    down = draw(st.lists(spread, min_size=size, max_size=size))
    volume = draw(
        st.lists(st.sampled_from([0.0, 1.0, 2.5, 100.0, 1e6]), min_size=size, max_size=size)
    )
    high = [c + u for c, u in zip(close, up, strict=True)]
    low = [c - d for c, d in zip(close, down, strict=True)]
    return high, low, close, volume


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(x=prices, n=st.integers(1, 120))
def test_single_series_indicators_follow_their_definitions(chunk: None, x: Series, n: int) -> None:
    close_to(ind.sma(x, n), sma(x, n))
    close_to(ind.ema(x, n), ema(x, n))
    close_to(ind.wma(x, n), wma(x, n))
    close_to(ind.rsi(x, n), rsi(x, n))
    close_to(ind.stddev(x, n), std(x, n))
    mean, dev = sma(x, n), std(x, n)
    upper, middle, lower = ind.bollinger(x, n, 1.5)
    close_to(middle, mean)
    close_to(upper, [m + 1.5 * s for m, s in zip(mean, dev, strict=True)])
    close_to(lower, [m - 1.5 * s for m, s in zip(mean, dev, strict=True)])
    expected_roc = [NAN] * n + [
        (x[i] / x[i - n] - 1) * 100 if x[i - n] != 0 else 0.0 for i in range(n, len(x))
    ]
    close_to(ind.roc(x, n), expected_roc[: len(x)])


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(x=prices, fast=st.integers(1, 15), extra=st.integers(1, 20), signal=st.integers(1, 12))
def test_macd_follows_ta_lib(chunk: None, x: Series, fast: int, extra: int, signal: int) -> None:
    for got, expected in zip(ind.macd(x, fast, fast + extra, signal), macd(x, fast, fast + extra, signal), strict=True):  # fmt: skip
        close_to(got, expected)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(b=bars(), n=st.integers(1, 40), sk=st.integers(1, 5), d=st.integers(1, 5))
def test_bar_indicators_follow_their_definitions(
    chunk: None, b: tuple[Series, Series, Series, Series], n: int, sk: int, d: int
) -> None:
    h, lo, c, v = b
    close_to(ind.atr(h, lo, c, n), atr(h, lo, c, n))
    for got, expected in zip(ind.stochastic(h, lo, c, n, sk, d), stochastic(h, lo, c, n, sk, d), strict=True):  # fmt: skip
        close_to(got, expected)
    close_to(ind.vwap(h, lo, c, v), vwap(h, lo, c, v, None))
    close_to(ind.vwap(h, lo, c, v, n), vwap(h, lo, c, v, n))
    obv, total = [], 0.0
    for i in range(len(c)):
        total = (
            v[0]
            if i == 0
            else total + (v[i] if c[i] > c[i - 1] else -v[i] if c[i] < c[i - 1] else 0)
        )
        obv.append(total)
    close_to(ind.obv(c, v), obv)


def test_a_long_series_at_the_real_chunk_size() -> None:
    """Three chunks and more: the blocked recursion's carries and two passes, end to end."""
    rng = np.random.default_rng(7)
    size = 3 * indicators_recursion.CHUNK + 123
    close = (100 * np.exp(np.cumsum(rng.normal(0, 0.002, size)))).tolist()
    high = [c * 1.001 for c in close]
    low = [c * 0.999 for c in close]
    close_to(ind.sma(close, 20), sma(close, 20))
    close_to(ind.sma(close, 150), sma(close, 150))  # the running-sum path
    close_to(ind.ema(close, 30), ema(close, 30))
    close_to(ind.rsi(close, 14), rsi(close, 14))
    close_to(ind.atr(high, low, close, 14), atr(high, low, close, 14))
    close_to(ind.macd(close, 12, 26, 9)[1], macd(close, 12, 26, 9)[1])
