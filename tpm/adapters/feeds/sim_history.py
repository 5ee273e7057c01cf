"""Warm history for the simulated market: daily bars, then minute bars that join the live path.

The daily path is drawn first and pinned so its last close is each symbol's nominal price. Minute
bars inside completed days are Brownian bridges between that day's open and close (with the day's
jump placed at its minute), so minute and daily bars tell the same story; minute bars of the
current day continue the path from the last daily close up to the sim start, where the live ticks
take over. Each stretch draws from its own seeded generator in fixed-size chunks, so the prices do
not depend on the wall clock, only their time stamps do.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from tpm.adapters.feeds.sim_model import (
    CALM_VOL_MULT,
    TURBULENT_VOL_MULT,
    YEAR_DAYS,
    Jump,
    ModelParams,
    bridge_extremes,
    draw_jumps,
    log_increments,
    regime_path,
    round_to_unit,
    transition_probs,
    vol_mult,
)

__all__ = ["History", "Ohlcv", "build_history"]

F64 = NDArray[np.float64]

NS_PER_MIN = 60_000_000_000
NS_PER_HOUR = 60 * NS_PER_MIN
NS_PER_DAY = 24 * NS_PER_HOUR
MINUTES_PER_DAY = 1440
_STREAM_DAILY, _STREAM_BRIDGE, _STREAM_TODAY = 1, 2, 3
_TURBULENT_VOLUME = TURBULENT_VOL_MULT / CALM_VOL_MULT


@dataclass(frozen=True, slots=True)
class Ohlcv:
    """Bars as arrays of shape (bars, symbols); bar i starts at `start_ns + i * step_ns`."""

    start_ns: int
    step_ns: int
    open: F64
    high: F64
    low: F64
    close: F64
    volume: F64

    def __len__(self) -> int:
        return len(self.close)

    def tail(self, n: int) -> Ohlcv:
        """The last `n` bars."""
        k = max(len(self) - n, 0)
        return Ohlcv(
            self.start_ns + k * self.step_ns,
            self.step_ns,
            *(a[k:] for a in (self.open, self.high, self.low, self.close, self.volume)),
        )

    def aggregate(self, factor: int) -> Ohlcv:
        """Bars `factor` times longer, from the first bar on; an incomplete last bar is dropped."""
        n = len(self) // factor * factor

        def blocks(a: F64) -> F64:
            return a[:n].reshape(-1, factor, a.shape[1])

        return Ohlcv(
            self.start_ns,
            self.step_ns * factor,
            self.open[:n:factor],
            blocks(self.high).max(axis=1),
            blocks(self.low).min(axis=1),
            self.close[factor - 1 : n : factor],
            blocks(self.volume).sum(axis=1),
        )


@dataclass(frozen=True, slots=True)
class History:
    """Everything the simulator knows before its first live tick."""

    daily: Ohlcv
    minute: Ohlcv
    end_x: F64
    """Log mid of every symbol at the sim start, where the live path begins."""
    end_turbulent: bool
    jumps: tuple[Jump, ...]


def _bars(
    p: ModelParams,
    rng: np.random.Generator,
    log_open: F64,
    log_close: F64,
    sigma: F64,
    mean_volume: F64,
) -> tuple[F64, F64, F64, F64, F64]:
    """Tick-rounded OHLCV from log opens/closes; range and volume grow with the bar's move."""
    move = log_close - log_open
    up, down = bridge_extremes(rng, move, sigma)
    activity = 0.6 + 0.4 * np.abs(move) / sigma
    volume = mean_volume * activity * rng.lognormal(0.0, 0.3, move.shape)

    def px(x: F64) -> F64:
        return np.maximum(np.round(np.exp(x) * p.inv_tick), 1.0) / p.inv_tick

    return (
        px(log_open),
        px(log_open + up),
        px(log_open + down),
        px(log_close),
        round_to_unit(volume, p.trade_unit, p.trade_unit_div),
    )


def _cover(bars: tuple[F64, ...]) -> None:
    """Widen high and low in place to cover open and close after those were pinned."""
    o, h, lo, c = bars[:4]
    np.maximum(h, np.maximum(o, c), out=h)
    np.minimum(lo, np.minimum(o, c), out=lo)


def _regime_volume(p: ModelParams, turbulent: NDArray[np.bool_], minutes: float) -> F64:
    boost = np.where(turbulent, _TURBULENT_VOLUME, 1.0)[:, None]
    return p.minute_volume * minutes * boost


def build_history(
    p: ModelParams,
    prices: F64,
    seed: int,
    start_ns: int,
    history_days: int,
    history_minutes: int,
) -> History:
    """Daily and minute bars ending before `start_ns`, and the state the live path starts in."""
    start_min = start_ns - start_ns % NS_PER_MIN
    today = start_ns - start_ns % NS_PER_DAY
    first_min = start_min - history_minutes * NS_PER_MIN
    first_min -= first_min % NS_PER_HOUR  # whole hours, so 5m/15m/1h buckets are complete
    first_bridged = min(first_min - first_min % NS_PER_DAY, today)
    n_bridged = (today - first_bridged) // NS_PER_DAY
    n_days = max(history_days, n_bridged, 1)
    day0 = today - n_days * NS_PER_DAY

    # Daily path, pinned so the last close is the nominal price.
    rng = np.random.default_rng((seed, _STREAM_DAILY))
    turbulent = regime_path(rng.random(n_days), False, *transition_probs(1.0))
    diffusion = log_increments(rng, p, turbulent, 1.0)
    sparse = draw_jumps(rng, p, n_days, 1.0)
    jump = sparse.dense(n_days, p.n)
    jump_minute = rng.integers(0, MINUTES_PER_DAY, (n_days, p.n))
    ret = diffusion + jump
    log_close = np.cumsum(ret, axis=0)
    log_close += np.log(prices) - log_close[-1]
    log_open = log_close - ret
    day_sigma = p.sigma * vol_mult(turbulent)[:, None] / math.sqrt(YEAR_DAYS)
    day_o, day_h, day_l, day_c, day_v = _bars(
        p, rng, log_open, log_close, day_sigma, _regime_volume(p, turbulent, MINUTES_PER_DAY)
    )
    day_o[1:] = day_c[:-1]  # a market that never closes opens where it closed
    _cover((day_o, day_h, day_l, day_c))
    jumps = [
        Jump(p.symbols[c], day0 + r * NS_PER_DAY + int(jump_minute[r, c]) * NS_PER_MIN, s)
        for r, c, s in zip(
            sparse.rows.tolist(), sparse.cols.tolist(), sparse.sizes.tolist(), strict=True
        )
    ]

    # Minute bridges through the last completed days, drawn newest day first.
    rng = np.random.default_rng((seed, _STREAM_BRIDGE))
    minute_parts: list[tuple[F64, ...]] = []
    min_sigma = p.sigma / math.sqrt(YEAR_DAYS * MINUTES_PER_DAY)
    steps = np.arange(1, MINUTES_PER_DAY + 1)[:, None]
    for d in range(n_days - 1, n_days - 1 - n_bridged, -1):
        regime = np.full(MINUTES_PER_DAY, turbulent[d])
        free = np.cumsum(log_increments(rng, p, regime, 1 / MINUTES_PER_DAY), axis=0)
        path = free - steps / MINUTES_PER_DAY * (free[-1] - diffusion[d])
        path += jump[d] * (steps > jump_minute[d])
        path = log_open[d] + path
        path[-1] = log_close[d]
        opens = np.vstack([log_open[d][None, :], path[:-1]])
        sig = min_sigma * vol_mult(regime)[:, None]
        bars = _bars(p, rng, opens, path, sig, _regime_volume(p, regime, 1.0))
        bars[0][0] = day_o[d]
        bars[3][-1] = day_c[d]
        _cover(bars)
        day_h[d] = bars[1].max(axis=0)
        day_l[d] = bars[2].min(axis=0)
        day_v[d] = bars[4].sum(axis=0)
        minute_parts.insert(0, bars)

    # Today from midnight to the start, drawn a whole day at a time so the start time only
    # decides how much of it is history.
    rng = np.random.default_rng((seed, _STREAM_TODAY))
    n_today = (start_min - today) // NS_PER_MIN
    regime = regime_path(
        rng.random(MINUTES_PER_DAY), bool(turbulent[-1]), *transition_probs(1 / MINUTES_PER_DAY)
    )
    dx = log_increments(rng, p, regime, 1 / MINUTES_PER_DAY)
    diffusive_dx = dx.copy()
    sparse = draw_jumps(rng, p, MINUTES_PER_DAY, 1 / MINUTES_PER_DAY)
    np.add.at(dx, (sparse.rows, sparse.cols), sparse.sizes)
    path = log_close[-1] + np.cumsum(dx, axis=0)
    opens = np.vstack([log_close[-1][None, :], path[:-1]])
    sig = min_sigma * vol_mult(regime)[:, None]
    bars = _bars(p, rng, opens, path, sig, _regime_volume(p, regime, 1.0))
    bars[0][0] = day_c[-1]
    _cover(bars)
    minute_parts.append(tuple(a[:n_today] for a in bars))
    jumps += [
        Jump(p.symbols[c], today + r * NS_PER_MIN, s)
        for r, c, s in zip(
            sparse.rows.tolist(), sparse.cols.tolist(), sparse.sizes.tolist(), strict=True
        )
        if r < n_today
    ]
    frac = (start_ns - start_min) / NS_PER_MIN
    end_x = (path[n_today - 1] if n_today else log_close[-1]) + frac * diffusive_dx[n_today]

    minute_arrays = [np.concatenate(a) for a in zip(*minute_parts, strict=True)]
    minute = Ohlcv(first_bridged, NS_PER_MIN, *minute_arrays)
    skip = (first_min - first_bridged) // NS_PER_MIN
    daily = Ohlcv(day0, NS_PER_DAY, day_o, day_h, day_l, day_c, day_v).tail(history_days)
    return History(
        daily=daily,
        minute=minute.tail(len(minute) - skip),
        end_x=end_x,
        end_turbulent=bool(regime[n_today]),
        jumps=tuple(sorted(jumps, key=lambda j: j.ts_ns)),
    )
