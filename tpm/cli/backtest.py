"""tpm backtest: a strategy file over CSV bar files, on the paper broker, with a report."""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import logging
import re
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from tpm.adapters.feeds.csvbars import read_bar_table
from tpm.adapters.feeds.replay import instrument_for
from tpm.analysis import metrics as m
from tpm.cli.wiring import paper_broker
from tpm.config import Config
from tpm.config.files import Paths
from tpm.domain import Timeframe, ns_to_iso, to_decimal
from tpm.engine.backtest import BacktestResult, SymbolBars, run_backtest
from tpm.engine.backtest_report import metrics_of, trade_pnls
from tpm.errors import ConfigError
from tpm.strategies.files import head_of, load_for_backtest
from tpm.ui.format import pct as percent

__all__ = ["backtest_command", "columns", "metrics_of", "paper_broker", "trade_pnls"]


def backtest_command(args: argparse.Namespace, config: Config, paths: Paths) -> int:
    started = time.perf_counter()  # the clock starts at the data, after the imports
    if bool(args.data) == bool(args.stored):
        raise ConfigError("give the bars: --data FILE.csv (repeat for several) or --stored")
    if args.bars < 2:
        raise ConfigError(f"--bars {args.bars}: at least 2")
    spec = load_for_backtest(Path(args.strategy))
    if args.cash is not None and not args.cash > 0:
        raise ConfigError(f"--cash {args.cash:g}: must be more than 0")
    if args.commission is not None and not 0 <= args.commission < 0.1:
        raise ConfigError(
            f"--commission {args.commission:g}: a fraction of the traded value, from 0 to 0.1"
        )
    if args.stored:
        _, symbols, timeframe = head_of(spec)
        data = asyncio.run(stored_bars(config, paths, symbols, timeframe, args.bars))
    else:
        data = [columns(read_bar_table(path)) for path in args.data]
    broker = paper_broker(config, [d.instrument for d in data], args.commission)
    cash = to_decimal(args.cash if args.cash is not None else config.broker.paper.cash)
    if config.engine.log_level != "debug":
        # One line per order is for a running engine; the report sums them up.
        logging.getLogger("tpm.engine").setLevel(logging.ERROR)
    try:
        result = asyncio.run(run_backtest(spec, data, broker, cash=cash, risk=config.risk))
    except ValueError as exc:  # bars that do not fit the strategy: a sentence for the trader
        raise ConfigError(f"{Path(args.strategy).name}: {exc}") from None
    report = build_report(spec.name, result)
    if args.export:
        export(Path(args.export), result)
    report["elapsed_s"] = round(time.perf_counter() - started, 4)
    print(json.dumps(report) if args.json else render(report, result))
    return 0


async def stored_bars(
    config: Config, paths: Paths, symbols: Sequence[str], timeframe: Timeframe, limit: int
) -> list[SymbolBars]:
    """The latest `limit` closed bars of each symbol the engine's store holds."""
    from tpm.cli.wiring import build_store

    store = build_store(config, paths)
    await store.open()
    try:
        known = {i.symbol: i for i in await store.load_instruments()}
        out = []
        for sym in symbols:
            bars = [b for b in await store.load_bars(sym, timeframe, limit) if b.is_closed]
            if len(bars) < 2:
                raise ConfigError(
                    f"the store holds {len(bars)} {timeframe.value} bars of {sym}: the engine "
                    "records the bars it builds while it runs (or give --data FILE.csv)"
                )
            out.append(SymbolBars.of(known.get(sym) or instrument_for(sym), timeframe, bars))
        return out
    finally:
        await store.close()


def columns(table: Any) -> SymbolBars:
    a = table.arrays
    inst = instrument_for(table.symbol)
    return SymbolBars(inst, table.timeframe, a.ts_ns, a.open, a.high, a.low, a.close, a.volume)


def build_report(name: str, r: BacktestResult) -> dict[str, Any]:
    """What the JSON holds (DESIGN.md): trades, final equity, metrics, bars processed."""
    return {
        "strategy": name,
        "trades": [
            {
                "symbol": f.symbol,
                "side": f.side.value,
                "qty": float(f.qty),
                "price": float(f.price),
                "ts": ns_to_iso(f.ts_ns),
            }
            for f in r.fills
        ],
        "initial_cash": float(r.initial_cash),
        "final_equity": float(r.final_equity),
        "metrics": metrics_of(r),
        "bars_processed": r.bars_processed,
        "orders": r.orders,
        "rejected": len(r.rejections),
        "rejections": refusals(r.rejections),
    }


_LIMIT = re.compile(r"\b(risk(?:\.\w+)+)")


def refusals(reasons: Sequence[str]) -> dict[str, dict[str, Any]]:
    """Refused orders by the limit that refused them: how many, and the first one's reason."""
    counts: Counter[str] = Counter()
    first: dict[str, str] = {}
    for reason in reasons:
        found = _LIMIT.search(reason)
        key = found.group(1) if found else reason
        counts[key] += 1
        first.setdefault(key, reason)
    return {k: {"orders": n, "first": first[k]} for k, n in counts.most_common()}


def render(report: dict[str, Any], r: BacktestResult) -> str:
    """The report a trader reads: figures, then the equity curve and drawdown drawn."""
    import plotext as plt

    mt = report["metrics"]

    def pct(key: str) -> str:
        v = mt[key]
        return "n/a" if v is None else percent(v * 100)

    def num(key: str, fmt: str = "{:.2f}") -> str:
        v = mt[key]
        return "n/a" if v is None else fmt.format(v)

    lines = [
        f"{report['strategy']}: {report['bars_processed']:,} bars, {mt['trades']} round trips, "
        f"{report['orders']} orders ({report['rejected']} refused), {report['elapsed_s']:.2f}s",
        f"equity {report['initial_cash']:,.2f} -> {report['final_equity']:,.2f} "
        f"(total {pct('total_return')}, CAGR {pct('cagr')})",
        f"Sharpe {num('sharpe_ratio')}  Sortino {num('sortino_ratio')}  Calmar "
        f"{num('calmar_ratio')}  volatility {pct('annual_volatility')}",
        f"max drawdown {pct('max_drawdown')} (longest {mt['longest_drawdown_bars']} bars)  "
        f"VaR 95% {pct('value_at_risk')}  CVaR {pct('conditional_value_at_risk')}",
        f"win rate {pct('win_rate')}  profit factor {num('profit_factor')}  expectancy "
        f"{num('expectancy', '{:,.2f}')}  avg win {num('average_win', '{:,.2f}')}  "
        f"avg loss {num('average_loss', '{:,.2f}')}  exposure {pct('exposure')}",
    ]
    for limit, seen in report["rejections"].items():
        lines.append(f"refused {seen['orders']} by {limit}, first: {seen['first']}")
    if len(r.equity) > 1:
        drawdown = np.concatenate(([0.0], m.drawdown_series(m.returns_from_equity(r.equity))))
        # A point per column is all a terminal can show; the last bar is always drawn.
        step = max(1, len(r.equity) // _PLOT_POINTS)
        keep = np.unique(np.append(np.arange(0, len(r.equity), step), len(r.equity) - 1))
        dates = [ns_to_iso(int(t))[:10] for t in r.equity_ts_ns[keep]]
        for title, values in (("equity", r.equity), ("drawdown %", drawdown * 100)):
            plt.clear_figure()
            plt.theme("clear")
            plt.date_form("Y-m-d")
            plt.plotsize(_PLOT_WIDTH, 12)
            plt.title(title)
            plt.plot(dates, values[keep].tolist(), marker="braille")
            lines.append(plt.build())
    return "\n".join(lines)


_PLOT_WIDTH = 100
_PLOT_POINTS = 2 * _PLOT_WIDTH


def export(folder: Path, r: BacktestResult) -> None:
    """trades.csv and equity.csv in `folder` (made if absent)."""
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / "trades.csv").open("w", newline="", encoding="utf-8") as out:
        w = csv.writer(out)
        w.writerow(["ts", "symbol", "side", "qty", "price", "commission"])
        for f in r.fills:
            w.writerow([ns_to_iso(f.ts_ns), f.symbol, f.side.value, f.qty, f.price, f.commission])
    with (folder / "equity.csv").open("w", newline="", encoding="utf-8") as out:
        w = csv.writer(out)
        w.writerow(["ts", "equity"])
        for ts, eq in zip(r.equity_ts_ns.tolist(), r.equity.tolist(), strict=True):
            w.writerow([ns_to_iso(ts), f"{eq:.2f}"])
