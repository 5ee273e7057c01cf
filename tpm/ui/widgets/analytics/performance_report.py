"""Portfolio performance from the equity curve: the figures the Performance panel shows, and no
more than the history there is can support.

- Fewer than three equity snapshots (two returns): no figures, "not enough history yet".
- Less than 30 days or 30 returns: figures per sampling period (Sharpe of 5-second returns, say),
  labelled so, and no CAGR or Calmar: annualising minutes of history would invent a year.
- Beyond that, annualised with periods per year taken from the snapshot spacing.

Beta and alpha compare the equity with a benchmark (the feed's first "Index" instrument, the
simulated market's fund) on the benchmark's bar closes, the equity taken as of each close.
Win rate and profit factor count closing fills among the snapshot's recent fills, each one's P&L
against the average cost, for symbols whose recent fills start from a flat position.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

import numpy as np
import numpy.typing as npt

from tpm.analysis import metrics as m
from tpm.domain import Bar, Fill, Position, Timeframe
from tpm.domain.client import EngineClient
from tpm.domain.events import EquitySnapshot
from tpm.domain.snapshot import EngineSnapshot, PositionRow

__all__ = [
    "Metric",
    "PerformanceReport",
    "PerformanceSource",
    "benchmark_timeframe",
    "build_report",
    "closing_pnls",
]

FloatArray = npt.NDArray[np.float64]

MIN_SNAPSHOTS = 3
"""Two returns: the fewest a standard deviation can be taken from."""
ANNUALISE_AFTER_S = 30 * 86_400.0
ANNUALISE_MIN_RETURNS = 30
BENCHMARK_BARS = 500


@dataclass(frozen=True, slots=True)
class Metric:
    """One figure: its label, value, and how to show it: "return" (a signed percentage), "pct"
    (a percentage) or "ratio"."""

    label: str
    value: float
    kind: str


# eq=False: reports compare by identity (numpy arrays have no single truth value), so the
# panel's reactive repaints on every new report.
@dataclass(frozen=True, slots=True, eq=False)
class PerformanceReport:
    """The equity curve, its drawdown (same length, 0 at peaks) and the figures on it."""

    snapshots: int
    ts_s: FloatArray
    equity: FloatArray
    drawdown: FloatArray
    span_s: float
    period_s: float
    is_annualised: bool
    metrics: tuple[Metric, ...]
    notes: tuple[str, ...]


def _duration(seconds: float) -> str:
    for unit, size in (("days", 86_400.0), ("h", 3_600.0), ("min", 60.0)):
        if seconds >= 2 * size:
            return f"{seconds / size:.0f} {unit}"
    return f"{seconds:.0f} s"


def benchmark_timeframe(span_s: float) -> Timeframe:
    """The finest bar size whose `BENCHMARK_BARS` bars cover `span_s` of equity history."""
    for tf in Timeframe:
        if tf.seconds * BENCHMARK_BARS >= span_s:
            return tf
    return Timeframe.D1


def closing_pnls(fills: Sequence[Fill], positions: Sequence[PositionRow]) -> list[float]:
    """P&L of each fill that reduced a position, against its average cost, net of that fill's
    commission, oldest first per symbol.

    `fills` may come in any order and cover only the latest fills. A symbol counts only when its
    fills start from flat, which holds exactly when replaying them ends at the quantity held now
    (the held quantity is the start plus the fills).
    """
    held = {p.symbol: p.qty for p in positions}
    by_symbol: dict[str, list[Fill]] = {}
    for f in sorted(fills, key=lambda f: f.ts_ns):
        by_symbol.setdefault(f.symbol, []).append(f)
    out: list[float] = []
    for symbol, symbol_fills in by_symbol.items():
        pos = Position(symbol)
        pnls: list[float] = []
        for f in symbol_fills:
            reduces = pos.qty != 0 and (pos.qty > 0) != (f.signed_qty > 0)
            before = pos.realised_pnl
            pos = pos.apply(f)
            if reduces:
                pnls.append(float(pos.realised_pnl - before))
        if pos.qty == held.get(symbol, Decimal(0)):
            out.extend(pnls)
    return out


def _on_closes(ts_s: FloatArray, equity: FloatArray, bars: Sequence[Bar]) -> tuple[FloatArray, ...]:
    """Equity as of each closed bar's end within the curve, the closes, and the bar ends."""
    closed = [b for b in bars if b.is_closed]
    ends = np.array([b.end_ns for b in closed], dtype=np.float64) / 1e9
    closes = np.array([b.close for b in closed], dtype=np.float64)
    if not ts_s.size:
        return np.empty(0), np.empty(0), np.empty(0)
    inside = (ends >= ts_s[0]) & (ends <= ts_s[-1])
    ends, closes = ends[inside], closes[inside]
    last_before = np.searchsorted(ts_s, ends, side="right") - 1
    return equity[last_before], closes, ends


def build_report(
    curve: Sequence[EquitySnapshot],
    fills: Sequence[Fill] = (),
    positions: Sequence[PositionRow] = (),
    benchmark: str | None = None,
    benchmark_bars: Sequence[Bar] = (),
) -> PerformanceReport:
    """Everything the Performance panel shows, computed from what the client returned."""
    n = len(curve)
    ts = np.array([e.ts_ns for e in curve], dtype=np.float64) / 1e9
    equity = np.array([float(e.equity) for e in curve], dtype=np.float64)
    returns = m.returns_from_equity(equity)
    drawdown = np.concatenate((np.zeros(min(n, 1)), m.drawdown_series(returns)))
    span = float(ts[-1] - ts[0]) if n > 1 else 0.0
    steps = np.diff(ts)
    period = float(np.median(steps[steps > 0])) if (steps > 0).any() else math.nan

    def report(rows: tuple[Metric, ...], annualised: bool, notes: list[str]) -> PerformanceReport:
        return PerformanceReport(
            n, ts, equity, drawdown, span, period, annualised, rows, tuple(notes)
        )

    if n < MIN_SNAPSHOTS or math.isnan(period):
        plural = "" if n == 1 else "s"
        return report((), False, [f"not enough history yet ({n} snapshot{plural})"])
    annualised = span >= ANNUALISE_AFTER_S and returns.size >= ANNUALISE_MIN_RETURNS
    # Per-period figures are the same formulas with one period to the "year".
    ppy = m.periods_per_year_of(ts) if annualised else 1.0
    if annualised:
        notes = ["annualised", f"{n:,} snapshots over {_duration(span)}"]
    else:
        notes = [
            f"per {_duration(period)} period, not annualised",
            f"{n:,} snapshots over {_duration(span)}",
            "CAGR and Calmar need 30 days of history",
        ]
    k = {"periods_per_year": ppy}
    rows = [Metric("Total return", m.total_return(returns), "return")]
    if annualised:
        rows.append(Metric("CAGR", m.cagr(returns, **k), "return"))
    rows += [
        Metric("Volatility", m.annual_volatility(returns, **k), "pct"),
        Metric("Sharpe", m.sharpe_ratio(returns, **k), "ratio"),
        Metric("Sortino", m.sortino_ratio(returns, **k), "ratio"),
        Metric("Max drawdown", m.max_drawdown(returns), "return"),
    ]
    if annualised:
        rows.append(Metric("Calmar", m.calmar_ratio(returns, **k), "ratio"))
    rows += [
        Metric("VaR 95%", m.value_at_risk(returns), "return"),
        Metric("CVaR 95%", m.conditional_value_at_risk(returns), "return"),
    ]
    if benchmark is None:
        notes.append("beta, alpha: no index in this feed")
    else:
        eq_on, closes, ends = _on_closes(ts, equity, benchmark_bars)
        mine, theirs = m.returns_from_equity(eq_on), m.returns_from_equity(closes)
        if mine.size >= 2:
            bench_ppy = m.periods_per_year_of(ends) if annualised else 1.0
            rows.append(Metric(f"Beta {benchmark}", m.beta(mine, theirs), "ratio"))
            a = m.alpha(mine, theirs, periods_per_year=bench_ppy)
            rows.append(Metric(f"Alpha {benchmark}", a, "return"))
            notes.append(f"beta, alpha on {mine.size} {benchmark} bar returns")
        else:
            notes.append(f"beta, alpha: too few {benchmark} bars yet")
    pnls = closing_pnls(fills, positions)
    if pnls:
        rows.append(Metric("Win rate", m.win_rate(pnls), "pct"))
        rows.append(Metric("Profit factor", m.profit_factor(pnls), "ratio"))
        notes.append(f"win rate, profit factor: {len(pnls)} closing fills")
    else:
        notes.append("win rate, profit factor: no closed trades yet")
    return report(tuple(rows), annualised, notes)


class PerformanceSource:
    """Fetches what a report needs through the client, and builds it off the event loop."""

    def __init__(self, client: EngineClient) -> None:
        self._client = client
        self._benchmark: str | None = None
        self._looked = False

    async def load(self, snapshot: EngineSnapshot) -> PerformanceReport:
        client = self._client
        if not self._looked:
            self._looked = True
            found = (i.symbol for i in await client.instruments() if i.sector == "Index")
            self._benchmark = next(found, None)
        curve = await client.equity_curve()
        bars: list[Bar] = []
        if self._benchmark is not None and len(curve) >= MIN_SNAPSHOTS:
            span_s = (curve[-1].ts_ns - curve[0].ts_ns) / 1e9
            bars = await client.bars(self._benchmark, benchmark_timeframe(span_s), BENCHMARK_BARS)
        return await asyncio.to_thread(
            build_report,
            curve,
            snapshot.recent_fills,
            snapshot.positions,
            self._benchmark,
            bars,
        )
