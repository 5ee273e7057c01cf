"""Batch indicators: hand-worked examples, warm-up lengths, argument errors, and agreement with
plain-Python loops of the textbook (TA-Lib) definitions on random price series."""

from __future__ import annotations

import math

import numpy as np
import pytest

from tpm.analysis import indicators as ind

NAN = math.nan


def same(actual: np.ndarray, expected: list[float], tol: float = 1e-12) -> None:
    """Equal lengths, NaN in the same places, values within tol (relative above 1)."""
    assert len(actual) == len(expected)
    for i, (a, e) in enumerate(zip(actual.tolist(), expected, strict=True)):
        if math.isnan(e):
            assert math.isnan(a), f"index {i}: expected NaN, got {a}"
        else:
            assert math.isclose(a, e, rel_tol=tol, abs_tol=tol), f"index {i}: {a} != {e}"


# ---- hand-worked examples ------------------------------------------------------------------


def test_sma_by_hand() -> None:
    same(ind.sma([1.0, 2, 3, 4, 5], 3), [NAN, NAN, 2, 3, 4])
    same(ind.sma([4.0, 8], 1), [4, 8])


def test_ema_is_seeded_with_the_sma_then_moves_k_of_the_way() -> None:
    # k = 2/(3+1) = 0.5; seed (2+4+6)/3 = 4; then 4 + .5*(8-4) = 6; 6 + .5*(12-6) = 9
    same(ind.ema([2.0, 4, 6, 8, 12], 3), [NAN, NAN, 4, 6, 9])


def test_wma_weighs_the_newest_most() -> None:
    # weights 1, 2, 3 over 6: (1 + 4 + 9)/6 and (2 + 6 + 12)/6
    same(ind.wma([1.0, 2, 3, 4], 3), [NAN, NAN, 14 / 6, 20 / 6])


def test_rsi_uses_wilder_smoothing() -> None:
    # changes +1 -1 +1 +1; seed gain (1+0)/2, loss (0+1)/2 -> 50
    # then gain (0.5*1 + 1)/2 = .75, loss (0.5*1 + 0)/2 = .25 -> 75; then .875/.125 -> 87.5
    same(ind.rsi([1.0, 2, 1, 2, 3], 2), [NAN, NAN, 50, 75, 87.5])


def test_rsi_is_zero_on_a_flat_series_and_100_when_only_rising() -> None:
    same(ind.rsi([5.0] * 6, 3), [NAN, NAN, NAN, 0, 0, 0])
    same(ind.rsi([1.0, 2, 3, 4], 2), [NAN, NAN, 100, 100])


def test_macd_seeds_the_fast_ema_where_the_slow_one_starts() -> None:
    # fast 2 (k 2/3), slow 3 (k 1/2), signal 2 (k 2/3); both EMAs start at index 2:
    # slow seed (1+2+3)/3 = 2, fast seed (2+3)/2 = 2.5 (TA-Lib's), line 0.5
    # index 3 (x=5): fast 2.5 + 2/3*2.5 = 25/6, slow 2 + 3/2 = 7/2, line 2/3
    # signal seed mean(0.5, 2/3) = 7/12, histogram 1/12
    # index 4 (x=8): fast 25/6 + 2/3*(8 - 25/6) = 121/18, slow 23/4, line 35/36,
    # signal 7/12 + 2/3*(35/36 - 7/12) = 91/108
    line, signal, hist = ind.macd([1.0, 2, 3, 5, 8], fast=2, slow=3, signal=2)
    same(line, [NAN, NAN, NAN, 2 / 3, 35 / 36])
    same(signal, [NAN, NAN, NAN, 7 / 12, 91 / 108])
    same(hist, [NAN, NAN, NAN, 1 / 12, 35 / 36 - 91 / 108])


def test_bollinger_uses_the_population_standard_deviation() -> None:
    # window 1 2 3: mean 2, variance (1 + 0 + 1)/3
    width = 2 * math.sqrt(2 / 3)
    upper, middle, lower = ind.bollinger([1.0, 2, 3, 4], n=3, k=2.0)
    same(middle, [NAN, NAN, 2, 3])
    same(upper, [NAN, NAN, 2 + width, 3 + width])
    same(lower, [NAN, NAN, 2 - width, 3 - width])


def test_stddev_textbook_example() -> None:
    # 2 4 4 4 5 5 7 9: mean 5, squared deviations 9 1 1 1 0 0 4 16 -> variance 4
    same(ind.stddev([2.0, 4, 4, 4, 5, 5, 7, 9], 8), [NAN] * 7 + [2])
    same(ind.stddev([3.0, 3, 3, 3], 2), [NAN, 0, 0, 0])


def test_atr_starts_from_the_second_bar() -> None:
    high, low, close = [10.0, 11, 12, 11], [8.0, 9, 9, 10], [9.0, 10, 11, 10]
    # true ranges: bar 1 max(2, |11-9|, |9-9|) = 2; bar 2 max(3, 2, 1) = 3; bar 3 max(1, 0, 1) = 1
    # ATR(2): (2 + 3)/2 = 2.5, then (2.5*1 + 1)/2 = 1.75
    same(ind.atr(high, low, close, 2), [NAN, NAN, 2.5, 1.75])
    same(ind.atr(high, low, close, 1), [NAN, 2, 3, 1])


def test_roc_in_percent_and_zero_after_a_zero_price() -> None:
    same(ind.roc([10.0, 11, 12, 0, 6], 2), [NAN, NAN, 20, -100, -50])
    same(ind.roc([0.0, 5, 10], 1), [NAN, 0, 100])


def test_stochastic_smooths_fast_k_twice() -> None:
    high = [10.0, 12, 11, 13, 12, 14]
    low = [8.0, 9, 9, 10, 11, 12]
    close = [9.0, 11, 10, 12, 11, 14]
    # fast %K(3): (10-8)/(12-8) = 50, (12-9)/(13-9) = 75, (11-9)/(13-9) = 50, (14-10)/(14-10) = 100
    # slow %K = SMA2: 62.5, 62.5, 75; slow %D = SMA2 of that: 62.5, 68.75; both from index 4
    k, d = ind.stochastic(high, low, close, k=3, smooth_k=2, d=2)
    same(k, [NAN, NAN, NAN, NAN, 62.5, 75])
    same(d, [NAN, NAN, NAN, NAN, 62.5, 68.75])


def test_stochastic_is_zero_when_the_range_is_flat() -> None:
    flat = [5.0] * 9
    k, d = ind.stochastic(flat, flat, flat)
    same(k, [NAN] * 8 + [0])
    same(d, [NAN] * 8 + [0])


def test_obv_starts_at_the_first_volume() -> None:
    same(ind.obv([10.0, 11, 11, 9, 12], [100.0, 50, 30, 20, 10]), [100, 150, 150, 130, 140])


def test_vwap_cumulative_and_rolling() -> None:
    # typical prices (11+9+10)/3 = 10, (13+11+12)/3 = 12, (14+12+13)/3 = 13
    high, low, close = [11.0, 13, 14], [9.0, 11, 12], [10.0, 12, 13]
    same(ind.vwap(high, low, close, [1.0, 3, 0]), [10, 11.5, 11.5])
    same(ind.vwap(high, low, close, [1.0, 3, 0], n=2), [NAN, 11.5, 12])
    same(ind.vwap(high, low, close, [0.0, 0, 2]), [NAN, NAN, 13])
    same(ind.vwap(high, low, close, [0.0, 0, 2], n=2), [NAN, NAN, 13])


# ---- warm-up lengths -----------------------------------------------------------------------


def leading_nans(a: np.ndarray) -> int:
    finite = np.flatnonzero(~np.isnan(a))
    return int(finite[0]) if finite.size else len(a)


@pytest.mark.parametrize("n", [1, 2, 5, 14, 30])
def test_warm_up_lengths(n: int) -> None:
    x = 100 + np.sin(np.arange(80.0))
    h, lo = x + 1, x - 1
    assert leading_nans(ind.sma(x, n)) == n - 1
    assert leading_nans(ind.ema(x, n)) == n - 1
    assert leading_nans(ind.wma(x, n)) == n - 1
    assert leading_nans(ind.stddev(x, n)) == n - 1
    assert all(leading_nans(b) == n - 1 for b in ind.bollinger(x, n))
    assert leading_nans(ind.vwap(h, lo, x, np.ones(80), n)) == n - 1
    assert leading_nans(ind.rsi(x, n)) == n
    assert leading_nans(ind.atr(h, lo, x, n)) == n
    assert leading_nans(ind.roc(x, n)) == n
    assert all(leading_nans(o) == 26 - 1 + n - 1 for o in ind.macd(x, 12, 26, n))
    assert all(leading_nans(o) == n + 3 for o in ind.stochastic(h, lo, x, n, 3, 3))


def test_short_inputs_are_all_nan_and_keep_their_length() -> None:
    for length in (0, 1, 5):
        x = np.arange(1.0, length + 1)
        for out in (ind.sma(x, 6), ind.ema(x, 6), ind.rsi(x, 6), ind.stddev(x, 6), ind.roc(x, 6)):
            assert len(out) == length and np.isnan(out).all()
        for out in (*ind.macd(x, 5, 6, 3), *ind.stochastic(x, x, x), *ind.bollinger(x, 6)):
            assert len(out) == length and np.isnan(out).all()
    assert len(ind.obv([], [])) == 0
    assert len(ind.vwap([], [], [], [])) == 0


# ---- argument errors -----------------------------------------------------------------------


@pytest.mark.parametrize("n", [0, -3])
def test_a_length_below_one_is_refused(n: int) -> None:
    with pytest.raises(ValueError, match=rf"sma: n must be at least 1, got {n}"):
        ind.sma([1.0, 2], n)
    with pytest.raises(ValueError, match="rsi: n must be at least 1"):
        ind.rsi([1.0, 2], n)


def test_a_length_must_be_a_whole_number() -> None:
    with pytest.raises(ValueError, match=r"ema: n must be a whole number, got 2.5"):
        ind.ema([1.0, 2], 2.5)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="whole number, got True"):
        ind.ema([1.0, 2], True)
    assert ind.sma([1.0, 2], np.int64(2))[1] == 1.5  # numpy integers are fine


def test_arrays_of_different_lengths_are_refused() -> None:
    with pytest.raises(
        ValueError, match=r"atr: high, low and close must have the same length, got 3, 2 and 3"
    ):
        ind.atr([1.0, 2, 3], [1.0, 2], [1.0, 2, 3])
    with pytest.raises(ValueError, match="obv: close and volume must have the same length"):
        ind.obv([1.0, 2], [1.0])
    with pytest.raises(ValueError, match="vwap: high, low, close and volume"):
        ind.vwap([1.0], [1.0], [1.0], [1.0, 2])


def test_other_arguments_are_checked() -> None:
    with pytest.raises(ValueError, match="one-dimensional array, got 2 dimensions"):
        ind.sma(np.ones((3, 3)), 2)
    with pytest.raises(ValueError, match=r"macd: fast \(26\) must be shorter than slow \(12\)"):
        ind.macd([1.0] * 40, fast=26, slow=12)
    with pytest.raises(ValueError, match="bollinger: k must be a finite number of at least 0"):
        ind.bollinger([1.0] * 40, 20, -1.0)
    with pytest.raises(ValueError, match="bollinger: k must be a finite number"):
        ind.bollinger([1.0] * 40, 20, math.nan)
    with pytest.raises(ValueError, match="stochastic: smooth_k must be at least 1"):
        ind.stochastic([1.0], [1.0], [1.0], smooth_k=0)


def test_inputs_are_not_modified_and_lists_or_ints_are_accepted() -> None:
    x = np.array([1.0, 3, 2, 5, 4, 6])
    before = x.copy()
    for f in (ind.sma, ind.ema, ind.wma, ind.stddev, ind.rsi):
        f(x, 3)
    assert np.array_equal(x, before)
    same(ind.sma([1, 3, 2, 5], 2), [NAN, 2, 2.5, 3.5])


@pytest.mark.parametrize("n", [1, 2, 3, 7, 16, 33])
def test_highest_and_lowest_against_a_plain_loop(n: int) -> None:
    x = np.random.default_rng(n).normal(100, 5, 120)
    want_hi = [np.nan] * (n - 1) + [max(x[i - n + 1 : i + 1]) for i in range(n - 1, len(x))]
    want_lo = [np.nan] * (n - 1) + [min(x[i - n + 1 : i + 1]) for i in range(n - 1, len(x))]
    np.testing.assert_array_equal(ind.highest(x, n), want_hi)
    np.testing.assert_array_equal(ind.lowest(x, n), want_lo)
    assert np.isnan(ind.highest(x[: n - 1], n)).all()
