"""Performance metrics of a return series, with empyrical's conventions.

Every function takes a one-dimensional array of periodic simple returns (0.01 is +1% over one
period) unless its name says otherwise, and returns a float. The formulas are empyrical's
(quantopian/empyrical, `empyrical/stats.py`):

| metric | formula (r: returns, rf: risk_free, P: periods_per_year) |
|---|---|
| `total_return` | prod(1 + r) - 1 |
| `cagr` | prod(1 + r) ** (P / len(r)) - 1 |
| `annual_volatility` | std(r, ddof=1) * sqrt(P) |
| `sharpe_ratio` | mean(r - rf) / std(r - rf, ddof=1) * sqrt(P) |
| `sortino_ratio` | mean(r - rf) * P / downside_risk |
| `downside_risk` | sqrt(mean(min(r - rf, 0) ** 2)) * sqrt(P) |
| `max_drawdown` | min of wealth / running peak - 1 (negative; the start is a peak) |
| `calmar_ratio` | cagr / abs(max_drawdown) |
| `value_at_risk` | the `cutoff` percentile of r, linearly interpolated (np.percentile) |
| `conditional_value_at_risk` | mean of the int((n - 1) * cutoff) + 1 lowest returns |
| `beta` | cov(r, b) / var(b) (population moments) |
| `alpha` | (1 + mean((r - rf) - beta * (b - rf))) ** P - 1 |

NaNs are ignored as empyrical ignores them: means and deviations skip them, compounding treats
them as a flat period, and a period count (`len(r)` in `cagr`) still includes them. Unlike
empyrical, `value_at_risk` and `conditional_value_at_risk` drop NaNs too (empyrical returns NaN
or sorts them last). A metric that needs more data than it is given is NaN: nothing is empty
(all), one return (volatility, Sharpe, Sortino, alpha), one benchmark return (beta). A zero
denominator follows empyrical: a positive numerator gives +inf, a negative one -inf, zero NaN;
`calmar_ratio` is NaN without a drawdown.

`risk_free` (and Sortino's minimum acceptable return, which empyrical calls `required_return`)
is a return per period, like the returns themselves.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

__all__ = [
    "FloatArray",
    "alpha",
    "annual_volatility",
    "average_loss",
    "average_win",
    "beta",
    "cagr",
    "calmar_ratio",
    "conditional_value_at_risk",
    "downside_risk",
    "drawdown_series",
    "expectancy",
    "exposure",
    "longest_drawdown",
    "max_drawdown",
    "periods_per_year_of",
    "profit_factor",
    "returns_from_equity",
    "sharpe_ratio",
    "sortino_ratio",
    "total_return",
    "value_at_risk",
    "win_rate",
]

FloatArray = npt.NDArray[np.float64]

PERIODS_PER_YEAR = 252
"""Trading days in a year: the default for daily returns."""

_YEAR_S = 252 * 86_400.0
"""The year `periods_per_year_of` counts in: 252 days, so daily samples give the usual 252."""

_BETA_EPSILON = 1e-30
"""empyrical's floor on the benchmark's variance: below it beta is NaN, not a huge number."""


def _series(x: npt.ArrayLike, name: str) -> FloatArray:
    a = np.asarray(x, dtype=np.float64)
    if a.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {a.shape}")
    return a


def _finite_mean(a: FloatArray) -> float:
    """Mean of the non-NaN values; NaN when there are none (without numpy's warning)."""
    known = a[~np.isnan(a)]
    return float(known.mean()) if known.size else math.nan


def _sample_std(a: FloatArray) -> float:
    """Standard deviation with ddof=1 of the non-NaN values; NaN below two of them."""
    known = a[~np.isnan(a)]
    if known.size < 2:
        return math.nan
    # Equal values have no spread: say so exactly. Computed, their mean can miss them by an ulp
    # and turn an infinite Sharpe ratio (empyrical's answer for a flat line) into 1e16.
    if np.ptp(known) == 0:
        return 0.0
    return float(np.std(known, ddof=1))


def _ratio(num: float, den: float) -> float:
    """num / den, with empyrical's answer for a zero denominator: +-inf, or NaN for 0 / 0."""
    if math.isnan(num) or math.isnan(den):
        return math.nan
    if den == 0:
        return math.nan if num == 0 else math.copysign(math.inf, num)
    return num / den


def total_return(returns: npt.ArrayLike) -> float:
    """Compounded return over the whole series: prod(1 + r) - 1 (empyrical's cum_returns_final)."""
    r = _series(returns, "returns")
    if r.size == 0:
        return math.nan
    return float(np.nanprod(r + 1.0) - 1.0)


def cagr(returns: npt.ArrayLike, *, periods_per_year: float = PERIODS_PER_YEAR) -> float:
    """Compound annual growth rate: the ending value to the power of one over the years."""
    r = _series(returns, "returns")
    if r.size == 0:
        return math.nan
    years = r.size / periods_per_year
    ending = np.float64(np.nanprod(r + 1.0))
    # A wipe-out below zero has no real root: NaN, as numpy gives it, rather than a complex.
    with np.errstate(invalid="ignore", over="ignore"):
        return float(np.power(ending, 1.0 / years) - 1.0)


def annual_volatility(
    returns: npt.ArrayLike, *, periods_per_year: float = PERIODS_PER_YEAR
) -> float:
    """Standard deviation of returns (ddof=1) scaled by the square root of periods per year."""
    r = _series(returns, "returns")
    if r.size < 2:
        return math.nan
    return _sample_std(r) * math.sqrt(periods_per_year)


def sharpe_ratio(
    returns: npt.ArrayLike,
    *,
    risk_free: float = 0.0,
    periods_per_year: float = PERIODS_PER_YEAR,
) -> float:
    """Annualised Sharpe ratio: mean excess return over its standard deviation (ddof=1)."""
    r = _series(returns, "returns")
    if r.size < 2:
        return math.nan
    excess = r - risk_free
    return _ratio(_finite_mean(excess), _sample_std(excess)) * math.sqrt(periods_per_year)


def downside_risk(
    returns: npt.ArrayLike,
    *,
    risk_free: float = 0.0,
    periods_per_year: float = PERIODS_PER_YEAR,
) -> float:
    """Annualised downside deviation below `risk_free`, over all periods (not only the losing
    ones: a gain counts as zero shortfall, as empyrical and Sortino's own papers compute it)."""
    r = _series(returns, "returns")
    if r.size == 0:
        return math.nan
    shortfall = np.minimum(r - risk_free, 0.0)
    return math.sqrt(_finite_mean(shortfall * shortfall)) * math.sqrt(periods_per_year)


def sortino_ratio(
    returns: npt.ArrayLike,
    *,
    risk_free: float = 0.0,
    periods_per_year: float = PERIODS_PER_YEAR,
) -> float:
    """Annualised Sortino ratio: mean excess return per year over the annual downside risk.

    `risk_free` is the minimum acceptable return per period (empyrical's `required_return`).
    """
    r = _series(returns, "returns")
    if r.size < 2:
        return math.nan
    annual_excess = _finite_mean(r - risk_free) * periods_per_year
    risk = downside_risk(r, risk_free=risk_free, periods_per_year=periods_per_year)
    return _ratio(annual_excess, risk)


def drawdown_series(returns: npt.ArrayLike) -> FloatArray:
    """After each period, how far wealth is below its running peak (0 or a negative fraction).

    Wealth starts at 1 and that start counts as a peak, so a first losing period is a drawdown.
    A NaN return is a flat period. The minimum of this series is `max_drawdown`.
    """
    r = _series(returns, "returns")
    wealth = np.cumprod(np.where(np.isnan(r), 0.0, r) + 1.0)
    peak = np.maximum.accumulate(np.concatenate(([1.0], wealth)))[1:]
    out: FloatArray = (wealth - peak) / peak
    return out


def max_drawdown(returns: npt.ArrayLike) -> float:
    """The largest fall from a peak, as a negative fraction (-0.25 is 25% below the peak)."""
    r = _series(returns, "returns")
    if r.size == 0:
        return math.nan
    return min(0.0, float(np.nanmin(drawdown_series(r))))


def calmar_ratio(returns: npt.ArrayLike, *, periods_per_year: float = PERIODS_PER_YEAR) -> float:
    """CAGR over the size of the maximum drawdown; NaN when there is no drawdown."""
    mdd = max_drawdown(returns)
    if not mdd < 0:
        return math.nan
    value = cagr(returns, periods_per_year=periods_per_year) / abs(mdd)
    return math.nan if math.isinf(value) else value


def value_at_risk(returns: npt.ArrayLike, cutoff: float = 0.05) -> float:
    """Historical value at risk: the return at the `cutoff` percentile (a loss is negative)."""
    r = _series(returns, "returns")
    r = r[~np.isnan(r)]
    if r.size == 0:
        return math.nan
    return float(np.percentile(r, 100.0 * cutoff))


def conditional_value_at_risk(returns: npt.ArrayLike, cutoff: float = 0.05) -> float:
    """Expected shortfall: the mean of the worst returns, those at or below the cutoff rank."""
    r = _series(returns, "returns")
    r = r[~np.isnan(r)]
    if r.size == 0:
        return math.nan
    k = int((r.size - 1) * cutoff)
    return float(np.mean(np.partition(r, k)[: k + 1]))


def _pair(returns: npt.ArrayLike, benchmark: npt.ArrayLike) -> tuple[FloatArray, FloatArray]:
    r, b = _series(returns, "returns"), _series(benchmark, "benchmark")
    if r.size != b.size:
        raise ValueError(
            f"returns and benchmark must be aligned period by period: "
            f"{r.size} returns, {b.size} benchmark returns"
        )
    return r, b


def beta(returns: npt.ArrayLike, benchmark: npt.ArrayLike, *, risk_free: float = 0.0) -> float:
    """Sensitivity to the benchmark: cov(returns, benchmark) / var(benchmark).

    Periods where either side is NaN are left out. `risk_free` is accepted for symmetry with
    `alpha` and cannot change the result: subtracting a constant from both series moves
    neither their covariance nor the benchmark's variance.
    """
    del risk_free
    r, b = _pair(returns, benchmark)
    if r.size < 1 or b.size < 2:
        return math.nan
    # The benchmark takes the returns' gaps, so both moments are over the same periods.
    independent = np.where(np.isnan(r), np.nan, b)
    residual = independent - _finite_mean(independent)
    covariance = _finite_mean(residual * r)
    variance = _finite_mean(residual * residual)
    if math.isnan(variance) or variance < _BETA_EPSILON:
        return math.nan
    return covariance / variance


def alpha(
    returns: npt.ArrayLike,
    benchmark: npt.ArrayLike,
    *,
    risk_free: float = 0.0,
    periods_per_year: float = PERIODS_PER_YEAR,
) -> float:
    """Annualised alpha: the mean return beta does not explain, compounded over a year."""
    r, b = _pair(returns, benchmark)
    if r.size < 2:
        return math.nan
    slope = beta(r, b)
    unexplained = (r - risk_free) - slope * (b - risk_free)
    with np.errstate(invalid="ignore", over="ignore"):
        return float(np.power(np.float64(_finite_mean(unexplained) + 1.0), periods_per_year) - 1)


def win_rate(trade_pnls: npt.ArrayLike) -> float:
    """Share of trades that made money (P&L > 0; a break-even trade is not a win)."""
    p = _series(trade_pnls, "trade_pnls")
    p = p[~np.isnan(p)]
    if p.size == 0:
        return math.nan
    return float(np.count_nonzero(p > 0) / p.size)


def profit_factor(trade_pnls: npt.ArrayLike) -> float:
    """Gross profit over gross loss; +inf with profits and no losses, NaN with neither."""
    p = _series(trade_pnls, "trade_pnls")
    p = p[~np.isnan(p)]
    if p.size == 0:
        return math.nan
    return _ratio(float(p[p > 0].sum()), float(-p[p < 0].sum()))


def _trades(trade_pnls: npt.ArrayLike) -> FloatArray:
    p = _series(trade_pnls, "trade_pnls")
    return p[~np.isnan(p)]


def average_win(trade_pnls: npt.ArrayLike) -> float:
    """Mean P&L of the winning trades (NaN without one)."""
    p = _trades(trade_pnls)
    wins = p[p > 0]
    return float(wins.mean()) if wins.size else math.nan


def average_loss(trade_pnls: npt.ArrayLike) -> float:
    """Mean P&L of the losing trades, a negative number (NaN without one)."""
    p = _trades(trade_pnls)
    losses = p[p < 0]
    return float(losses.mean()) if losses.size else math.nan


def expectancy(trade_pnls: npt.ArrayLike) -> float:
    """Mean P&L per trade: what a trade is worth on average, winners and losers together."""
    p = _trades(trade_pnls)
    return float(p.mean()) if p.size else math.nan


def exposure(positions: npt.ArrayLike) -> float:
    """Share of periods spent holding a position (any non-zero quantity)."""
    q = _series(positions, "positions")
    return float(np.count_nonzero(q) / q.size) if q.size else math.nan


def longest_drawdown(returns: npt.ArrayLike) -> int:
    """The most consecutive periods spent below an earlier peak of cumulative returns."""
    under = drawdown_series(returns) < 0
    if not under.any():
        return 0
    # Lengths of the runs of True: the gaps between the indices where a run starts or ends.
    edges = np.flatnonzero(np.diff(np.concatenate(([False], under, [False])).astype(np.int8)))
    return int((edges[1::2] - edges[::2]).max())


def returns_from_equity(equity: npt.ArrayLike) -> FloatArray:
    """Simple returns between consecutive equity values (one fewer than the values).

    As empyrical's simple_returns: (e[t] - e[t-1]) / e[t-1], so a step from zero equity is
    +-inf (or NaN from 0 to 0) rather than an error.
    """
    e = _series(equity, "equity")
    if e.size < 2:
        return np.empty(0, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        out: FloatArray = np.diff(e) / e[:-1]
    return out


def periods_per_year_of(timestamps_s: npt.ArrayLike) -> float:
    """How many periods a year holds at the median spacing of `timestamps_s` (in seconds).

    The year is 252 days of 24 hours, so daily samples give 252, the default above, and samples
    five seconds apart give 4,354,560. NaN with fewer than two distinct instants.
    """
    t = _series(timestamps_s, "timestamps_s")
    steps = np.diff(t)
    steps = steps[steps > 0]
    if steps.size == 0:
        return math.nan
    return _YEAR_S / float(np.median(steps))
