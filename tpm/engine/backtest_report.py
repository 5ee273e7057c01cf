"""The figures of a backtest: performance metrics of its equity curve and statistics of its
round trips (win rate, profit factor, expectancy, exposure)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from decimal import Decimal

import numpy as np

from tpm.analysis import metrics as m
from tpm.domain import Fill
from tpm.engine.backtest import BacktestResult

__all__ = ["metrics_of", "trade_pnls"]


def trade_pnls(fills: Sequence[Fill]) -> list[float]:
    """P&L of each round trip (flat to flat, per symbol), commissions included; a fill that
    turns a position around closes one trip and opens the next in proportion to its size."""
    out: list[float] = []
    held: dict[str, Decimal] = {}
    running: dict[str, Decimal] = {}
    for f in fills:
        q = held.get(f.symbol, Decimal(0))
        after = q + f.signed_qty
        if q != 0 and after * q < 0:  # through zero: split the fill where it crosses
            closing = abs(q) / f.qty
            running[f.symbol] = running.get(f.symbol, Decimal(0)) + f.cash_delta * closing
            out.append(float(running[f.symbol]))
            running[f.symbol] = f.cash_delta * (1 - closing)
        else:
            running[f.symbol] = running.get(f.symbol, Decimal(0)) + f.cash_delta
            if after == 0:
                out.append(float(running.pop(f.symbol)))
        held[f.symbol] = after
    return out


def metrics_of(r: BacktestResult) -> dict[str, float | int | None]:
    """The performance and trade statistics of a backtest (None where undefined)."""
    returns = m.returns_from_equity(r.equity)
    ppy = m.periods_per_year_of(r.equity_ts_ns / 1e9)
    k = {"periods_per_year": ppy if math.isfinite(ppy) else m.PERIODS_PER_YEAR}
    pnls = trade_pnls(r.fills)
    metrics = {
        "total_return": m.total_return(returns),
        "cagr": m.cagr(returns, **k),
        "annual_volatility": m.annual_volatility(returns, **k),
        "sharpe_ratio": m.sharpe_ratio(returns, **k),
        "sortino_ratio": m.sortino_ratio(returns, **k),
        "max_drawdown": m.max_drawdown(returns),
        "calmar_ratio": m.calmar_ratio(returns, **k),
        "value_at_risk": m.value_at_risk(returns),
        "conditional_value_at_risk": m.conditional_value_at_risk(returns),
        "longest_drawdown_bars": m.longest_drawdown(returns),
        "trades": len(pnls),
        "win_rate": m.win_rate(pnls),
        "profit_factor": m.profit_factor(pnls),
        "average_win": m.average_win(pnls),
        "average_loss": m.average_loss(pnls),
        "expectancy": m.expectancy(pnls),
        "exposure": m.exposure(_held_per_bar(r)),
    }
    return {k: _clean(v) for k, v in metrics.items()}


def _held_per_bar(r: BacktestResult) -> np.ndarray:
    """Whether anything was held at each bar's close, from the fills."""
    steps: dict[str, np.ndarray] = {}
    at = np.searchsorted(r.equity_ts_ns, [f.ts_ns for f in r.fills], side="left")
    for f, i in zip(r.fills, at, strict=True):
        s = steps.get(f.symbol)
        if s is None:
            s = steps[f.symbol] = np.zeros(len(r.equity_ts_ns) + 1)
        s[i] += float(f.signed_qty)
    held = np.zeros(len(r.equity_ts_ns), dtype=bool)
    for s in steps.values():
        held |= np.abs(np.cumsum(s[:-1])) > 1e-12
    return held


def _clean(x: float | int) -> float | int | None:
    if isinstance(x, int):
        return x
    return round(x, 6) if math.isfinite(x) else None
