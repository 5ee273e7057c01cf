"""Numerics of the simulated market: correlated log returns with volatility regimes and jumps.

Each symbol's log price moves by

    dx = (mu + beta * regime_drift - sigma_t**2 / 2) dt + sigma_t sqrt(dt) z + J

where `z = a * market + b * sector + c * own` mixes three independent normal factors (loadings
chosen so the beta to the market factor is the symbol's `beta`), `sigma_t` is the symbol's
volatility scaled by a market-wide two-state Markov regime (calm or turbulent, about 2.5 times
apart), and `J` is a rare Poisson jump of a few percent whose sign leans with the drift. Time is
in days; a simulated year is 252 days, so volatilities measured on daily bars with the usual 252
periods per year come out as specified. Everything draws from a `numpy.random.Generator` passed
in, so a seed fixes every path.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from tpm.adapters.feeds.sim_universe import MARKET_VOL, SymbolSpec

__all__ = [
    "CALM_VOL_MULT",
    "TRADE_PROB",
    "TURBULENT_VOL_MULT",
    "YEAR_DAYS",
    "Jump",
    "LiveState",
    "ModelParams",
    "SparseJumps",
    "TickBlock",
    "bridge_extremes",
    "draw_jumps",
    "log_increments",
    "regime_path",
    "round_to_unit",
    "tick_block",
    "transition_probs",
    "vol_mult",
]

F64 = NDArray[np.float64]

YEAR_DAYS = 252.0
CALM_VOL_MULT = 0.72
TURBULENT_VOL_MULT = 1.85
# Mean stays of 60 calm days and 12 turbulent ones: turbulent about a sixth of the time, which
# with the multipliers above keeps the long-run average variance at the specified volatility.
_ENTER_TURBULENT_PER_DAY = 1 / 60
_LEAVE_TURBULENT_PER_DAY = 1 / 12
# Sell-offs come with turbulence; the calm premium offsets them so the long-run drift is `drift`.
_TURBULENT_MARKET_DRIFT = -0.30
_CALM_MARKET_DRIFT = 0.06
_SECTOR_SHARE = {"Crypto": 0.75, "Index": 0.0}
_DEFAULT_SECTOR_SHARE = 0.45
_JUMPS_PER_YEAR = {"equity": 4.0, "crypto": 8.0, "etf": 1.0}
_JUMP_MEDIAN = {"equity": 0.045, "crypto": 0.07, "etf": 0.02}
_JUMP_DISPERSION = 0.35
_SPREAD_BASE_BPS = 1.5
_SPREAD_VOL_BPS = 8.0
TRADE_PROB = 0.5
_TRADE_SIZE_SIGMA = 0.8
_QUOTE_SIZE_SIGMA = 0.5


@dataclass(frozen=True, slots=True)
class Jump:
    """A price jump the simulator put into a path; `size` is the log return."""

    symbol: str
    ts_ns: int
    size: float


@dataclass(frozen=True, slots=True)
class SparseJumps:
    """Jumps in a block of steps: row (step), column (symbol) and log size of each."""

    rows: NDArray[np.int64]
    cols: NDArray[np.int64]
    sizes: F64

    def dense(self, n_steps: int, n_symbols: int) -> F64:
        out = np.zeros((n_steps, n_symbols))
        np.add.at(out, (self.rows, self.cols), self.sizes)
        return out


def _size_units(spec: SymbolSpec, mean_size: float) -> tuple[float, float]:
    """Rounding unit for sizes as (multiple, divisor), so rounded floats print cleanly."""
    if spec.asset_class == "crypto":
        return 1.0, 10_000.0
    if mean_size >= 2_000:
        return 100.0, 1.0
    return (10.0, 1.0) if mean_size >= 200 else (1.0, 1.0)


@dataclass(frozen=True, slots=True)
class ModelParams:
    """Per-symbol arrays of the model, in universe order."""

    symbols: tuple[str, ...]
    mu: F64
    sigma: F64
    beta: F64
    load_market: F64
    load_sector: F64
    load_own: F64
    sector_idx: NDArray[np.int64]
    n_sectors: int
    jump_rate: F64
    jump_median: F64
    jump_up_prob: F64
    inv_tick: F64
    spread_scale: F64
    trade_size: F64
    trade_unit: F64
    trade_unit_div: F64
    quote_size: F64
    quote_unit: F64
    quote_unit_div: F64
    minute_volume: F64
    """Expected volume per minute at the configured tick rate, for history bars."""

    @property
    def n(self) -> int:
        return len(self.symbols)

    @classmethod
    def build(cls, specs: tuple[SymbolSpec, ...], tick_hz: float) -> ModelParams:
        sectors = sorted({s.sector for s in specs})
        sigma = np.array([s.vol for s in specs])
        beta = np.array([s.beta for s in specs])
        # The index fund is nearly the market factor itself; no stock is.
        is_index = np.array([s.sector == "Index" for s in specs])
        a = np.minimum(beta * MARKET_VOL / sigma, np.where(is_index, 0.99, 0.95))
        share = np.array([_SECTOR_SHARE.get(s.sector, _DEFAULT_SECTOR_SHARE) for s in specs])
        b = np.sqrt(share * (1 - a**2))
        c = np.sqrt(np.maximum(1 - a**2 - b**2, 0.0))
        drift = np.array([s.drift for s in specs])
        rate = np.array([_JUMPS_PER_YEAR[s.asset_class] for s in specs]) / YEAR_DAYS
        median = np.array([_JUMP_MEDIAN[s.asset_class] for s in specs])
        up = 0.5 + np.clip(drift, -0.2, 0.2)
        # Compensate the drift for the jumps' mean so `drift` stays the expected annual return.
        m1 = median * math.exp(_JUMP_DISPERSION**2 / 2)
        m2 = median**2 * math.exp(2 * _JUMP_DISPERSION**2)
        jump_mean = up * (m1 + m2 / 2) + (1 - up) * (-m1 + m2 / 2)
        prices = np.array([s.price for s in specs])
        caps = np.array([max(s.cap_bn, 1.0) for s in specs])
        trade_notional = 1_500.0 * caps**0.35
        trade = np.maximum(trade_notional / prices, 1.0)
        trade[[s.asset_class == "crypto" for s in specs]] /= 20.0
        quote = trade * 12.0
        # Big, liquid names quote tighter than small ones.
        liquidity = np.clip((50.0 / caps) ** 0.2, 0.5, 2.5)
        t_units = [_size_units(s, float(t)) for s, t in zip(specs, trade, strict=True)]
        q_units = [_size_units(s, float(q)) for s, q in zip(specs, quote, strict=True)]
        mean_trade = trade * math.exp(_TRADE_SIZE_SIGMA**2 / 2)
        return cls(
            symbols=tuple(s.symbol for s in specs),
            mu=drift - rate * YEAR_DAYS * jump_mean,
            sigma=sigma,
            beta=beta,
            load_market=a,
            load_sector=b,
            load_own=c,
            sector_idx=np.array([sectors.index(s.sector) for s in specs], dtype=np.int64),
            n_sectors=len(sectors),
            jump_rate=rate,
            jump_median=median,
            jump_up_prob=up,
            inv_tick=np.array([1 / float(s.instrument.tick_size) for s in specs]).round(),
            spread_scale=liquidity,
            trade_size=trade,
            trade_unit=np.array([u[0] for u in t_units]),
            trade_unit_div=np.array([u[1] for u in t_units]),
            quote_size=quote,
            quote_unit=np.array([u[0] for u in q_units]),
            quote_unit_div=np.array([u[1] for u in q_units]),
            minute_volume=TRADE_PROB * tick_hz * 60.0 * mean_trade,
        )


def transition_probs(dt_days: float) -> tuple[float, float]:
    """Probabilities of entering and of leaving the turbulent regime within one step."""
    enter = -math.expm1(-_ENTER_TURBULENT_PER_DAY * dt_days)
    leave = -math.expm1(-_LEAVE_TURBULENT_PER_DAY * dt_days)
    return enter, leave


def regime_path(u: F64, turbulent: bool, p_enter: float, p_leave: float) -> NDArray[np.bool_]:
    """The regime at each step of a two-state Markov chain driven by the uniforms `u`.

    Vectorised between switches: switches are rare, so the loop runs once per switch, not per step.
    """
    out = np.empty(len(u), dtype=np.bool_)
    i, n, state = 0, len(u), turbulent
    while i < n:
        hits = np.flatnonzero(u[i:] < (p_leave if state else p_enter))
        if hits.size == 0:
            out[i:] = state
            break
        j = i + int(hits[0])
        out[i:j] = state
        state = not state
        out[j] = state
        i = j + 1
    return out


def vol_mult(turbulent: NDArray[np.bool_]) -> F64:
    return np.where(turbulent, TURBULENT_VOL_MULT, CALM_VOL_MULT)


def log_increments(
    rng: np.random.Generator, p: ModelParams, turbulent: NDArray[np.bool_], dt_days: float
) -> F64:
    """Diffusive log-price increments (no jumps), one row per step, one column per symbol."""
    n_steps = len(turbulent)
    market = rng.standard_normal((n_steps, 1))
    sector = rng.standard_normal((n_steps, p.n_sectors))
    own = rng.standard_normal((n_steps, p.n))
    z = market * p.load_market + sector[:, p.sector_idx] * p.load_sector + own * p.load_own
    sig = p.sigma * vol_mult(turbulent)[:, None]
    regime_drift = np.where(turbulent, _TURBULENT_MARKET_DRIFT, _CALM_MARKET_DRIFT)
    mu = p.mu + p.beta * regime_drift[:, None]
    dt_y = dt_days / YEAR_DAYS
    drift: F64 = (mu - 0.5 * sig**2) * dt_y
    return drift + sig * math.sqrt(dt_y) * z


def draw_jumps(
    rng: np.random.Generator, p: ModelParams, n_steps: int, dt_days: float
) -> SparseJumps:
    """Poisson jumps over `n_steps` steps: how many per symbol, then where and how big."""
    counts = rng.poisson(p.jump_rate * dt_days * n_steps)
    cols = np.repeat(np.arange(p.n, dtype=np.int64), counts)
    rows = rng.integers(0, n_steps, size=len(cols), dtype=np.int64)
    magnitude = p.jump_median[cols] * np.exp(_JUMP_DISPERSION * rng.standard_normal(len(cols)))
    is_up = rng.random(len(cols)) < p.jump_up_prob[cols]
    sizes = np.where(is_up, magnitude, -magnitude)
    # Two jumps of one symbol in one step are one move, and one story.
    cells, which = np.unique(rows * p.n + cols, return_inverse=True)
    merged = np.bincount(which, weights=sizes, minlength=len(cells)).astype(np.float64)
    return SparseJumps(cells // p.n, cells % p.n, merged)


def bridge_extremes(rng: np.random.Generator, move: F64, sigma: F64 | float) -> tuple[F64, F64]:
    """Sampled highest and lowest log excursions of a Brownian path from 0 that ends at `move`.

    Uses the exact law of a Brownian bridge's maximum, so a bar's range matches its volatility.
    """
    u = rng.random((2, *np.shape(move)))
    var2 = 2.0 * np.square(sigma)
    high = (move + np.sqrt(move**2 - var2 * np.log1p(-u[0]))) / 2
    low = (move - np.sqrt(move**2 - var2 * np.log1p(-u[1]))) / 2
    return high, low


def round_to_unit(x: F64, unit: F64, div: F64) -> F64:
    """`x` rounded to a whole number of `unit / div`, at least one unit."""
    step = unit / div
    return np.maximum(np.round(x / step), 1.0) * unit / div


@dataclass(slots=True)
class LiveState:
    """Where the live path stands: log mids, the regime, and the generator that moves them."""

    x: F64
    turbulent: bool
    rng: np.random.Generator


@dataclass(frozen=True, slots=True)
class TickBlock:
    """Quotes and trades for a block of steps; every array is (steps, symbols)."""

    x: F64
    turbulent: NDArray[np.bool_]
    bid: F64
    ask: F64
    bid_size: F64
    ask_size: F64
    has_trade: NDArray[np.bool_]
    trade_price: F64
    trade_size: F64
    jumps: SparseJumps


def tick_block(p: ModelParams, state: LiveState, n_steps: int, dt_days: float) -> TickBlock:
    """Advance `state` by `n_steps` ticks and return the quotes and trades along the way."""
    rng = state.rng
    turbulent = regime_path(rng.random(n_steps), state.turbulent, *transition_probs(dt_days))
    dx = log_increments(rng, p, turbulent, dt_days)
    jumps = draw_jumps(rng, p, n_steps, dt_days)
    np.add.at(dx, (jumps.rows, jumps.cols), jumps.sizes)
    x = state.x + np.cumsum(dx, axis=0)
    state.x = x[-1].copy()
    state.turbulent = bool(turbulent[-1])
    mid = np.exp(x)
    # Spreads widen with the symbol's volatility and in turbulent markets, with some jitter.
    vol = p.sigma * vol_mult(turbulent)[:, None]
    bps = (_SPREAD_BASE_BPS + _SPREAD_VOL_BPS * vol) * p.spread_scale
    half = mid * bps * 0.5e-4 * (0.75 + 0.5 * rng.random((n_steps, p.n)))
    bid_ticks = np.maximum(np.floor((mid - half) * p.inv_tick), 1.0)
    ask_ticks = np.maximum(np.ceil((mid + half) * p.inv_tick), bid_ticks + 1.0)
    bid = bid_ticks / p.inv_tick
    ask = ask_ticks / p.inv_tick
    depth = rng.lognormal(0.0, _QUOTE_SIZE_SIGMA, (2, n_steps, p.n)) * p.quote_size
    # One uniform decides both whether a trade prints and its side; buyers lead up-moves.
    u = rng.random((n_steps, p.n))
    has_trade = u < TRADE_PROB
    is_buy = u < TRADE_PROB * (0.5 + 0.3 * np.sign(dx))
    size = rng.lognormal(0.0, _TRADE_SIZE_SIGMA, (n_steps, p.n)) * p.trade_size
    return TickBlock(
        x=x,
        turbulent=turbulent,
        bid=bid,
        ask=ask,
        bid_size=round_to_unit(depth[0], p.quote_unit, p.quote_unit_div),
        ask_size=round_to_unit(depth[1], p.quote_unit, p.quote_unit_div),
        has_trade=has_trade,
        trade_price=np.where(is_buy, ask, bid),
        trade_size=round_to_unit(size, p.trade_unit, p.trade_unit_div),
        jumps=jumps,
    )
