"""Streaming twins: equal to the batch indicators on the same series, value for value."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tpm.analysis import indicators as ind
from tpm.analysis import streaming as s

Series = list[float]

# Realistic prices (with jumps hypothesis likes: repeats, flat stretches, 10x moves).
prices = st.lists(st.floats(0.5, 5_000.0, allow_nan=False, allow_infinity=False), max_size=300)
lengths = st.integers(1, 40)


@st.composite
def bars(draw: st.DrawFn) -> tuple[Series, Series, Series, Series]:
    close = draw(prices)
    size = len(close)
    spread = st.lists(st.floats(0.0, 20.0, allow_nan=False), min_size=size, max_size=size)
    up, down = draw(spread), draw(spread)
    volume = draw(st.lists(st.sampled_from([0.0, 0.1, 3.0, 1e6]), min_size=size, max_size=size))
    high = [c + u for c, u in zip(close, up, strict=True)]
    low = [c - d for c, d in zip(close, down, strict=True)]
    return high, low, close, volume


def streamed(indicator: Any, *columns: Sequence[float]) -> list[Any]:
    return [indicator.update(*row) for row in zip(*columns, strict=True)]


def agree(stream: Sequence[float], batch: np.ndarray) -> None:
    """Same NaN places; values within 1e-9 (absolute, or relative above 1)."""
    assert len(stream) == len(batch)
    for i, (a, b) in enumerate(zip(stream, batch.tolist(), strict=True)):
        assert math.isnan(a) == math.isnan(b), f"index {i}: stream {a}, batch {b}"
        if not math.isnan(b):
            assert math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9), f"index {i}: {a} != {b}"


def agree_columns(stream: list[tuple[float, ...]], batch: Sequence[np.ndarray]) -> None:
    for j, column in enumerate(batch):
        agree([row[j] for row in stream], column)


fast_settings = settings(max_examples=80, deadline=None)


@fast_settings
@given(x=prices, n=lengths)
def test_single_series_twins(x: Series, n: int) -> None:
    agree(streamed(s.StreamingSMA(n), x), ind.sma(x, n))
    agree(streamed(s.StreamingEMA(n), x), ind.ema(x, n))
    agree(streamed(s.StreamingWMA(n), x), ind.wma(x, n))
    agree(streamed(s.StreamingRSI(n), x), ind.rsi(x, n))
    agree(streamed(s.StreamingStdDev(n), x), ind.stddev(x, n))
    agree(streamed(s.StreamingROC(n), x), ind.roc(x, n))
    agree_columns(streamed(s.StreamingBollinger(n, 2.5), x), ind.bollinger(x, n, 2.5))


@fast_settings
@given(x=prices, fast=st.integers(1, 15), extra=st.integers(1, 20), signal=st.integers(1, 12))
def test_macd_twin(x: Series, fast: int, extra: int, signal: int) -> None:
    stream = streamed(s.StreamingMACD(fast, fast + extra, signal), x)
    agree_columns(stream, ind.macd(x, fast, fast + extra, signal))


@fast_settings
@given(b=bars(), n=lengths, smooth_k=st.integers(1, 5), d=st.integers(1, 5))
def test_bar_twins(b: tuple[Series, Series, Series, Series], n: int, smooth_k: int, d: int) -> None:
    h, lo, c, v = b
    agree(streamed(s.StreamingATR(n), h, lo, c), ind.atr(h, lo, c, n))
    stream = streamed(s.StreamingStochastic(n, smooth_k, d), h, lo, c)
    agree_columns(stream, ind.stochastic(h, lo, c, n, smooth_k, d))
    agree(streamed(s.StreamingOBV(), c, v), ind.obv(c, v))
    agree(streamed(s.StreamingVWAP(), h, lo, c, v), ind.vwap(h, lo, c, v))
    agree(streamed(s.StreamingVWAP(n), h, lo, c, v), ind.vwap(h, lo, c, v, n))


def test_a_long_stream_does_not_drift() -> None:
    """Thousands of updates past the exact re-adds, through 100x moves and a flat stretch."""
    rng = np.random.default_rng(3)
    x = 100 * np.exp(np.cumsum(rng.normal(0, 0.05, 20_000)))
    x[12_000:12_100] = x[12_000]
    values = x.tolist()
    agree(streamed(s.StreamingSMA(50), values), ind.sma(x, 50))
    agree(streamed(s.StreamingWMA(50), values), ind.wma(x, 50))
    agree(streamed(s.StreamingStdDev(20), values), ind.stddev(x, 20))
    agree(streamed(s.StreamingRSI(14), values), ind.rsi(x, 14))
    assert ind.stddev(x, 20)[12_099] == 0.0 == s.StreamingStdDev(1).update(5.0)


Factory = Callable[[], Any]
SINGLE: list[tuple[Factory, int]] = [
    (lambda: s.StreamingSMA(3), 3),
    (lambda: s.StreamingEMA(3), 3),
    (lambda: s.StreamingWMA(3), 3),
    (lambda: s.StreamingRSI(3), 4),
    (lambda: s.StreamingStdDev(3), 3),
    (lambda: s.StreamingROC(3), 4),
    (lambda: s.StreamingBollinger(3), 3),
    (lambda: s.StreamingMACD(2, 3, 2), 4),
]


@pytest.mark.parametrize(("make", "ready_after"), SINGLE)
def test_is_ready_and_value_follow_the_warm_up(make: Factory, ready_after: int) -> None:
    indicator = make()
    for i in range(1, 8):
        result = indicator.update(100.0 + i * (-1) ** i)
        assert indicator.value == result or all(map(math.isnan, [indicator.value, result]))
        assert indicator.is_ready == (i >= ready_after)
        first = result[0] if isinstance(result, tuple) else result
        assert math.isnan(first) == (i < ready_after)


def test_bar_indicators_get_ready_like_their_batch_twins() -> None:
    atr, stoch, obv, vwap = (
        s.StreamingATR(2),
        s.StreamingStochastic(2, 2, 2),
        s.StreamingOBV(),
        s.StreamingVWAP(2),
    )
    states = []
    for i in range(5):
        atr.update(11.0 + i, 9.0, 10.0)
        stoch.update(11.0 + i, 9.0, 10.0)
        obv.update(10.0 + i, 5.0)
        vwap.update(11.0, 9.0, 10.0, 1.0)
        states.append((atr.is_ready, stoch.is_ready, obv.is_ready, vwap.is_ready))
    assert [st[0] for st in states] == [False, False, True, True, True]
    assert [st[1] for st in states] == [False, False, False, True, True]
    assert all(st[2] for st in states)
    assert [st[3] for st in states] == [False, True, True, True, True]
    assert obv.value == 25.0 and vwap.value == 10.0


def test_vwap_is_nan_while_nothing_traded() -> None:
    vwap = s.StreamingVWAP(2)
    assert math.isnan(vwap.update(11.0, 9.0, 10.0, 0.0))
    assert math.isnan(vwap.update(11.0, 9.0, 10.0, 0.0))
    assert vwap.update(13.0, 11.0, 12.0, 2.0) == 12.0
    assert vwap.update(13.0, 11.0, 12.0, 0.0) == 12.0
    assert math.isnan(vwap.update(13.0, 11.0, 12.0, 0.0))


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: s.StreamingEMA(0), "StreamingEMA: n must be at least 1, got 0"),
        (lambda: s.StreamingRSI(-2), "StreamingRSI: n must be at least 1, got -2"),
        (lambda: s.StreamingWMA(1.5), "StreamingWMA: n must be a whole number, got 1.5"),
        (lambda: s.StreamingMACD(5, 5), r"StreamingMACD: fast \(5\) must be shorter than slow"),
        (lambda: s.StreamingBollinger(20, -2), "StreamingBollinger: k must be a finite number"),
        (lambda: s.StreamingStochastic(5, 0), "StreamingStochastic: smooth_k must be at least 1"),
        (lambda: s.StreamingVWAP(0), "StreamingVWAP: n must be at least 1"),
        (lambda: s.StreamingSMA(0), "SMA length must be at least 1, got 0"),
    ],
)
def test_bad_arguments_are_refused(make: Factory, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        make()


def test_streaming_classes_have_slots() -> None:
    for name in s.__all__:
        cls = getattr(s, name)
        assert "__slots__" in cls.__dict__, name
        assert not hasattr(cls.__new__(cls), "__dict__"), name
