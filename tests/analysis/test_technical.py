"""The technical pillar: what rising, falling, calm and wild markets score, and that live
(streaming) scoring says exactly what the batch evaluation says."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tpm.analysis.technical import TechnicalState, ordinal, score_reading, technical_series


def _bars(returns: np.ndarray, start: float = 100.0, volume: np.ndarray | None = None):  # type: ignore[no-untyped-def]
    c = start * np.exp(np.cumsum(returns))
    o = np.r_[start, c[:-1]]
    h, lo = np.maximum(o, c) * 1.002, np.minimum(o, c) * 0.998
    v = np.full(len(c), 1e5) if volume is None else volume
    return o, h, lo, c, v


def _stream(o, h, lo, c, v) -> TechnicalState:  # type: ignore[no-untyped-def]
    s = TechnicalState()
    for row in zip(o, h, lo, c, v, strict=True):
        s.update(*map(float, row))
    return s


def test_a_steady_rise_scores_high_and_a_steady_fall_low() -> None:
    rng = np.random.default_rng(4)
    up = _stream(*_bars(0.004 + rng.normal(0, 0.004, 300))).pillar()
    down = _stream(*_bars(-0.004 + rng.normal(0, 0.004, 300))).pillar()
    assert up.value is not None and down.value is not None
    assert up.parts["trend"] > 80 and down.parts["trend"] < 20
    assert up.value > 60 and down.value < 40
    assert up.drivers[0].impact > 0 > down.drivers[0].impact


def test_calm_scores_above_turbulent() -> None:
    rng = np.random.default_rng(8)
    calm_end = np.r_[rng.normal(0, 0.02, 150), rng.normal(0, 0.002, 60)]
    wild_end = np.r_[rng.normal(0, 0.002, 150), rng.normal(0, 0.02, 60)]
    calm = _stream(*_bars(calm_end)).pillar().parts["volatility"]
    wild = _stream(*_bars(wild_end)).pillar().parts["volatility"]
    assert calm is not None and wild is not None
    assert calm > 55 and wild < 40


def test_too_few_bars_means_no_score_then_growing_confidence() -> None:
    o, h, lo, c, v = _bars(np.full(80, 0.001))
    s = TechnicalState()
    assert s.pillar().value is None and s.pillar().confidence == 0
    confidences = []
    for i in range(80):
        s.update(o[i], h[i], lo[i], c[i], v[i])
        confidences.append(s.pillar().confidence)
    assert confidences == sorted(confidences) and confidences[-1] == pytest.approx(1.0)
    assert confidences[10] < 1.0


@pytest.mark.parametrize(
    ("rsi", "expected"), [(50, 50), (65, 65), (80, 55), (90, 40), (25, 37.5), (10, 60)]
)
def test_overbought_and_oversold_pull_momentum_back(rsi: float, expected: float) -> None:
    from tpm.analysis.technical import TechnicalReading

    nan = math.nan
    p = score_reading(
        TechnicalReading(100, 100, nan, nan, nan, rsi, nan, nan, nan, nan, nan, nan, nan)
    )
    assert p.parts["momentum"] == pytest.approx(expected)
    assert p.parts["trend"] is None and p.confidence == pytest.approx(0.30)


def test_drivers_read_as_sentences() -> None:
    rng = np.random.default_rng(2)
    p = _stream(*_bars(-0.01 + rng.normal(0, 0.003, 120))).pillar()
    texts = " | ".join(d.text for d in p.drivers)
    assert "RSI" in texts and "oversold" in texts
    assert "below its slow EMA" in texts
    assert any(t in texts for t in ("1st", "2nd", "3rd", "th percentile"))


@settings(max_examples=25, deadline=None)
@given(
    st.lists(st.floats(-0.05, 0.05), min_size=30, max_size=260),
    st.floats(5, 500),
    st.integers(0, 2**32 - 1),
)
def test_live_scoring_equals_the_batch_series(
    returns: list[float], start: float, seed: int
) -> None:
    rng = np.random.default_rng(seed)
    o, h, lo, c, v = _bars(np.array(returns), start, rng.uniform(1e3, 1e6, len(returns)))
    series = technical_series(o, h, lo, c, v)
    s = TechnicalState()
    for i in range(len(c)):
        s.update(float(o[i]), float(h[i]), float(lo[i]), float(c[i]), float(v[i]))
        p = s.pillar()
        if p.value is None:
            assert math.isnan(series["score"][i])
        else:
            assert p.value == pytest.approx(series["score"][i], abs=1e-7)


def test_ordinals_read_as_english() -> None:
    got = [ordinal(n) for n in (0, 1, 2, 3, 4, 11, 12, 13, 21, 22, 43, 100, 101, 111)]
    assert got == [
        "0th", "1st", "2nd", "3rd", "4th", "11th", "12th", "13th",
        "21st", "22nd", "43rd", "100th", "101st", "111th",
    ]  # fmt: skip
