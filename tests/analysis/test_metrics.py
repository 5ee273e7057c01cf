"""Performance metrics: small examples worked by the textbook formulas in plain Python, edge
cases, and agreement with the values empyrical's own test suite (empyrical/tests/test_stats.py)
expects for its fixed series."""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tpm.analysis import metrics as m

NAN = math.nan

# empyrical's fixed series (test_stats.py), in percent.
MIXED = [NAN, 1.0, 10.0, -4.0, 2.0, 3.0, 2.0, 1.0, -10.0]
POSITIVE = [1.0, 2.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0]
NEGATIVE = [0.0, -6.0, -7.0, -1.0, -9.0, -2.0, -6.0, -8.0, -5.0]
SIMPLE_BENCHMARK = [0.0, 1.0, 0.0, 1.0, 0.0, 1.0, 0.0, 1.0, 0.0]
FLAT = [1.0] * 9
PERIODIC = [0.0, 1.0, 10.0, -4.0, 2.0, 3.0, 2.0, 1.0, -10.0]  # empyrical's weekly/monthly series


def pct(values: list[float]) -> np.ndarray:
    return np.array(values) / 100


def close(a: float, b: float, tol: float = 1e-10) -> bool:
    if math.isnan(b):
        return math.isnan(a)
    if math.isinf(b):
        return a == b
    return math.isclose(a, b, rel_tol=tol, abs_tol=tol)


# ---- by hand ---------------------------------------------------------------------------------

R = [0.10, -0.05, 0.02, -0.03, 0.04]


def test_total_return_compounds() -> None:
    wealth = 1.0
    for r in R:
        wealth *= 1 + r
    assert close(m.total_return(R), wealth - 1)


def test_cagr_is_the_yearly_rate_that_compounds_to_the_same_end() -> None:
    wealth = math.prod(1 + r for r in R)
    years = len(R) / 252
    assert close(m.cagr(R), wealth ** (1 / years) - 1)
    # Five yearly periods: the rate that grows 1 into `wealth` in five years.
    rate = m.cagr(R, periods_per_year=1)
    assert close((1 + rate) ** 5, wealth)


def test_volatility_is_the_sample_deviation_scaled_by_root_time() -> None:
    assert close(m.annual_volatility(R), statistics.stdev(R) * math.sqrt(252))
    assert close(m.annual_volatility(R, periods_per_year=12), statistics.stdev(R) * math.sqrt(12))


def test_sharpe_is_mean_excess_over_its_sample_deviation() -> None:
    rf = 0.001
    excess = [r - rf for r in R]
    expected = statistics.mean(excess) / statistics.stdev(excess) * math.sqrt(252)
    assert close(m.sharpe_ratio(R, risk_free=rf), expected)
    assert close(m.sharpe_ratio(R, periods_per_year=1), statistics.mean(R) / statistics.stdev(R))


def test_sortino_divides_by_the_shortfall_over_all_periods() -> None:
    mar = 0.01
    shortfall = [min(r - mar, 0.0) for r in R]
    downside = math.sqrt(sum(s * s for s in shortfall) / len(R)) * math.sqrt(252)
    assert close(m.downside_risk(R, risk_free=mar), downside)
    expected = statistics.mean([r - mar for r in R]) * 252 / downside
    assert close(m.sortino_ratio(R, risk_free=mar), expected)


def test_drawdown_measures_from_the_running_peak_and_the_start_is_a_peak() -> None:
    # wealth 1.1, 1.045, 1.0659, 1.033923, 1.07528...; peak 1.1 throughout
    wealth, peak, expected = 1.0, 1.0, []
    for r in R:
        wealth *= 1 + r
        peak = max(peak, wealth)
        expected.append(wealth / peak - 1)
    dd = m.drawdown_series(R)
    assert all(close(a, e) for a, e in zip(dd.tolist(), expected, strict=True))
    assert close(m.max_drawdown(R), min(expected))
    # A loss in the first period is a drawdown from the starting wealth.
    assert close(m.max_drawdown([-0.2, 0.1]), -0.2)
    assert m.drawdown_series([]).shape == (0,)


def test_calmar_is_cagr_over_the_drawdown() -> None:
    assert close(m.calmar_ratio(R), m.cagr(R) / abs(m.max_drawdown(R)))
    assert math.isnan(m.calmar_ratio([0.01, 0.02]))  # no drawdown, no ratio


def test_value_at_risk_interpolates_the_percentile() -> None:
    # 20 returns -0.10, -0.09, ..., 0.09: the 5th percentile sits at rank 0.05 * 19 = 0.95,
    # 95% of the way from -0.10 to -0.09.
    r = [i / 100 for i in range(-10, 10)]
    assert close(m.value_at_risk(r), -0.10 + 0.95 * 0.01)
    assert close(m.value_at_risk(r, cutoff=0.0), -0.10)
    assert close(m.value_at_risk(r, cutoff=1.0), 0.09)


def test_conditional_value_at_risk_averages_the_worst_tail() -> None:
    r = [i / 100 for i in range(-10, 10)]
    # int(19 * 0.05) = 0: only the worst return; at 20%: int(19 * 0.2) = 3, the four worst.
    assert close(m.conditional_value_at_risk(r), -0.10)
    assert close(m.conditional_value_at_risk(r, cutoff=0.2), (-0.10 - 0.09 - 0.08 - 0.07) / 4)
    shuffled = [
        r[i] for i in (5, 17, 0, 12, 3, 19, 1, 8, 2, 14, 6, 11, 4, 9, 7, 10, 13, 15, 16, 18)
    ]
    assert close(m.conditional_value_at_risk(shuffled, cutoff=0.2), (-0.34) / 4)


def test_beta_is_covariance_over_variance() -> None:
    b = [0.01, -0.02, 0.015, 0.005, -0.01]
    expected = statistics.covariance(R, b) / statistics.variance(b)
    assert close(m.beta(R, b), expected)
    assert close(m.beta([2 * x for x in b], b), 2.0)
    assert close(m.beta([-x for x in b], b), -1.0)
    # A constant risk-free rate shifts both series and changes nothing.
    assert close(m.beta(R, b, risk_free=0.003), expected)


def test_alpha_compounds_the_unexplained_mean_over_a_year() -> None:
    b = [0.01, -0.02, 0.015, 0.005, -0.01]
    slope = statistics.covariance(R, b) / statistics.variance(b)
    daily = statistics.mean([r - slope * x for r, x in zip(R, b, strict=True)])
    assert close(m.alpha(R, b), (1 + daily) ** 252 - 1)
    rf = 0.0002
    daily_rf = statistics.mean([(r - rf) - slope * (x - rf) for r, x in zip(R, b, strict=True)])
    assert close(m.alpha(R, b, risk_free=rf, periods_per_year=12), (1 + daily_rf) ** 12 - 1)
    # Returns that are exactly 2x the benchmark plus 0.1% a period have that much alpha.
    assert close(m.alpha([2 * x + 0.001 for x in b], b, periods_per_year=1), 0.001)


def test_win_rate_and_profit_factor_on_trade_pnls() -> None:
    pnls = [120.0, -40.0, 0.0, 60.0, -20.0]
    assert close(m.win_rate(pnls), 2 / 5)  # the break-even trade is not a win
    assert close(m.profit_factor(pnls), (120 + 60) / (40 + 20))
    assert m.profit_factor([10.0, 5.0]) == math.inf
    assert close(m.profit_factor([-10.0]), 0.0)
    assert math.isnan(m.profit_factor([0.0]))
    assert math.isnan(m.win_rate([])) and math.isnan(m.profit_factor([]))


def test_returns_from_equity() -> None:
    r = m.returns_from_equity([100.0, 110.0, 99.0, 99.0])
    assert all(close(a, e) for a, e in zip(r.tolist(), [0.1, -0.1, 0.0], strict=True))
    assert m.returns_from_equity([100.0]).shape == (0,)
    assert m.returns_from_equity([0.0, 5.0]).tolist() == [math.inf]  # as empyrical


def test_periods_per_year_follows_the_sample_spacing() -> None:
    assert close(m.periods_per_year_of([0.0, 86_400.0, 172_800.0, 259_200.0]), 252)
    # The median ignores one long gap (the engine was off overnight).
    assert close(m.periods_per_year_of([0.0, 5.0, 10.0, 50_000.0, 50_005.0]), 252 * 86_400 / 5)
    assert math.isnan(m.periods_per_year_of([7.0]))


# ---- NaNs are skipped as empyrical skips them --------------------------------------------------


def test_nans_are_ignored_in_moments_and_flat_in_compounding() -> None:
    with_nan = [NAN, *R]
    assert close(m.sharpe_ratio(with_nan), m.sharpe_ratio(R))
    assert close(m.annual_volatility(with_nan), m.annual_volatility(R))
    assert close(m.total_return(with_nan), m.total_return(R))
    assert close(m.max_drawdown(with_nan), m.max_drawdown(R))
    assert close(m.value_at_risk(with_nan), m.value_at_risk(R))
    # CAGR still counts the NaN as a period (as empyrical's len(returns) does).
    assert close(m.cagr(with_nan), (1 + m.total_return(R)) ** (252 / 6) - 1)
    assert math.isnan(m.sharpe_ratio([NAN, NAN]))


# ---- edge cases --------------------------------------------------------------------------------

SCALARS = [
    m.total_return,
    m.cagr,
    m.annual_volatility,
    m.sharpe_ratio,
    m.sortino_ratio,
    m.downside_risk,
    m.max_drawdown,
    m.calmar_ratio,
    m.value_at_risk,
    m.conditional_value_at_risk,
]


@pytest.mark.parametrize("metric", SCALARS, ids=lambda f: f.__name__)
def test_an_empty_series_has_no_metric(metric: Callable[[list[float]], float]) -> None:
    assert math.isnan(metric([]))


def test_all_zero_returns() -> None:
    z = [0.0] * 10
    assert m.total_return(z) == 0 and m.cagr(z) == 0 and m.annual_volatility(z) == 0
    assert m.max_drawdown(z) == 0 and m.value_at_risk(z) == 0
    assert m.conditional_value_at_risk(z) == 0
    assert math.isnan(m.sharpe_ratio(z)) and math.isnan(m.sortino_ratio(z))  # 0 / 0
    assert math.isnan(m.calmar_ratio(z))
    assert math.isnan(m.beta(z, z)) and math.isnan(m.alpha(z, z))  # a flat benchmark


def test_constant_returns_have_no_risk() -> None:
    c = [0.003] * 50
    assert m.annual_volatility(c) == 0
    assert m.sharpe_ratio(c) == math.inf and m.sortino_ratio(c) == math.inf
    assert m.sharpe_ratio([-0.003] * 50) == -math.inf
    assert m.max_drawdown(c) == 0 and math.isnan(m.calmar_ratio(c))


def test_one_return() -> None:
    assert close(m.total_return([0.01]), 0.01)
    assert math.isnan(m.annual_volatility([0.01])) and math.isnan(m.sharpe_ratio([0.01]))
    assert math.isnan(m.sortino_ratio([0.01])) and math.isnan(m.alpha([0.01], [0.02]))
    assert math.isnan(m.beta([0.01], [0.02]))


def test_shapes_are_checked() -> None:
    with pytest.raises(ValueError, match="one-dimensional"):
        m.sharpe_ratio([[0.01, 0.02]])
    with pytest.raises(ValueError, match="3 returns, 2 benchmark returns"):
        m.beta([0.01, 0.02, 0.03], [0.01, 0.02])


def test_a_wipe_out_is_not_a_complex_number() -> None:
    assert math.isnan(m.cagr([-1.5, 0.1], periods_per_year=1))  # sqrt of a negative
    assert close(m.max_drawdown([0.5, -1.0]), -1.0)


# ---- empyrical's expected values -----------------------------------------------------------


def test_agrees_with_empyrical_on_its_mixed_series() -> None:
    r = pct(MIXED)
    assert close(m.total_return(r), 0.03893, tol=1e-4)
    assert close(m.max_drawdown(r), -0.1)
    assert close(m.cagr(r), 1.9135925373194231)
    assert close(m.annual_volatility(r), 0.9136465399704637)
    assert close(m.calmar_ratio(r), 19.135925373194233)
    assert close(m.sharpe_ratio(r), 1.7238613961706866)
    assert close(m.downside_risk(r), 0.60448325038829653)
    assert close(m.downside_risk(r, risk_free=0.1), 1.7161730681956295)
    assert close(m.sortino_ratio(r), 2.605531251673693)
    assert close(m.beta(r, r), 1.0) and close(m.beta(r, -r), -1.0)
    assert close(m.alpha(r, r), 0.0) and close(m.alpha(r, -r), 0.0)
    assert math.isnan(m.alpha(r, pct(FLAT))) and math.isnan(m.beta(r, pct(FLAT)))


def test_agrees_with_empyrical_on_its_other_series() -> None:
    assert close(m.sharpe_ratio(pct(POSITIVE)), 52.915026221291804)
    assert close(m.sharpe_ratio(pct(NEGATIVE)), -24.406808633910085)
    assert m.sharpe_ratio(pct(FLAT)) == math.inf
    assert m.sortino_ratio(pct(POSITIVE)) == math.inf
    assert close(m.sortino_ratio(pct(NEGATIVE)), -13.532743075043401)
    assert m.sortino_ratio(pct(SIMPLE_BENCHMARK)) == math.inf
    assert close(m.max_drawdown(pct(NEGATIVE)), m.total_return(pct(NEGATIVE)))
    assert close(m.total_return(pct(NEGATIVE)), -0.36590, tol=1e-4)
    assert close(m.max_drawdown([0.10, -0.10, 0.10]), -0.10)
    assert m.max_drawdown(pct(SIMPLE_BENCHMARK)) == 0 and m.max_drawdown([0.01]) == 0
    assert close(m.cagr([0.01]), 11.274002099240244)
    assert close(m.cagr([0.03, 0.03, 0.03], periods_per_year=1), 0.03)


def test_agrees_with_empyrical_on_weekly_and_monthly_series() -> None:
    r = pct(PERIODIC)
    assert close(m.annual_volatility(r, periods_per_year=52), 0.38851569394870583)
    assert close(m.annual_volatility(r, periods_per_year=12), 0.18663690238892558)
    assert close(m.calmar_ratio(r, periods_per_year=52), 2.4690830513998208)
    assert close(m.calmar_ratio(r, periods_per_year=12), 0.52242061386048144)
    assert close(m.cagr(r, periods_per_year=52), 0.24690830513998208)
    assert close(m.sortino_ratio(r, periods_per_year=52), 1.1158901056866439)
    assert close(m.sortino_ratio(r, periods_per_year=12), 0.53605626741889756)
    assert close(m.downside_risk(r, periods_per_year=52), 0.25888650451930134)
    assert close(m.downside_risk(r, risk_free=0.1, periods_per_year=12), 0.37148351242013422)


def test_agrees_with_empyrical_value_at_risk() -> None:
    assert close(m.value_at_risk([1.0, 2.0], cutoff=0.0), 1.0)
    assert close(m.value_at_risk([1.0, 2.0], cutoff=0.3), 1.3)
    assert close(m.value_at_risk([1.0, 2.0], cutoff=1.0), 2.0)
    r = [1.0, 81, 82, 83, 84, 85]
    assert close(m.value_at_risk(r, cutoff=0.1), 41)
    assert close(m.value_at_risk(r, cutoff=0.2), 81)
    assert close(m.value_at_risk(r, cutoff=0.3), 81.5)
    # empyrical's CVaR check: the mean of every return at or below the VaR.
    rng = np.random.default_rng(1337)
    noise = rng.normal(0, 0.02, 21)
    for cutoff in (0.0, 0.0499, 0.05, 0.2, 0.999, 1.0):
        var = m.value_at_risk(noise, cutoff)
        assert close(m.conditional_value_at_risk(noise, cutoff), float(noise[noise <= var].mean()))


def test_agrees_with_empyrical_beta_on_noise() -> None:
    rng = np.random.default_rng(1337)
    noise = rng.normal(0, 0.001, 1000)
    assert close(m.beta(noise, noise), 1.0)
    assert close(m.beta(2 * noise, noise), 2.0)
    assert close(m.beta(noise, -noise), -1.0)
    sparse = noise.copy()
    sparse[[3, 70, 400]] = NAN
    # Periods missing on either side are left out of both moments.
    assert close(m.beta(2 * sparse, noise), 2.0)


# ---- properties ---------------------------------------------------------------------------------

returns_lists = st.lists(
    st.floats(min_value=-0.5, max_value=0.5, allow_nan=False), min_size=1, max_size=60
)


@given(returns_lists)
def test_max_drawdown_is_the_lowest_point_of_the_drawdown_series(r: list[float]) -> None:
    dd = m.drawdown_series(r)
    assert dd.shape == (len(r),)
    assert -1 <= m.max_drawdown(r) <= 0
    assert close(m.max_drawdown(r), min(0.0, float(dd.min())))


@given(returns_lists)
def test_equity_round_trip(r: list[float]) -> None:
    equity = 100 * np.cumprod(np.concatenate(([1.0], 1 + np.array(r))))
    back = m.returns_from_equity(equity)
    assert np.allclose(back, r, atol=1e-9)
    assert close(m.total_return(back), equity[-1] / equity[0] - 1, tol=1e-9)


def test_trade_statistics_by_hand() -> None:
    pnls = [120.0, -40.0, 0.0, 80.0, -60.0, float("nan")]
    assert m.average_win(pnls) == pytest.approx(100.0)  # (120 + 80) / 2
    assert m.average_loss(pnls) == pytest.approx(-50.0)  # (-40 - 60) / 2
    assert m.expectancy(pnls) == pytest.approx(20.0)  # 100 / 5 trades, the NaN left out
    assert m.win_rate(pnls) == pytest.approx(0.4)
    assert m.profit_factor(pnls) == pytest.approx(2.0)  # 200 / 100
    assert math.isnan(m.average_loss([1.0, 2.0])) and math.isnan(m.expectancy([]))


def test_exposure_and_longest_drawdown_by_hand() -> None:
    assert m.exposure([0, 100, 100, 0, -50, 0, 0, 0]) == pytest.approx(3 / 8)
    # wealth 1.1, 0.99, 1.0395, 1.1435, 1.0291, 1.0394, 1.2: below the 1.1 peak for 2 periods,
    # below the 1.1435 peak for 2 more, then a new high
    r = [0.10, -0.10, 0.05, 0.10, -0.10, 0.01, 0.1545]
    assert m.longest_drawdown(r) == 2
    assert m.longest_drawdown([-0.01, -0.01, -0.01, 0.5, -0.2]) == 3
    assert m.longest_drawdown([0.01, 0.02]) == 0
