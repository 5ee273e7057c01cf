"""tpm optimize: a grid of a strategy file's [params], backtested in parallel, ranked in sample,
with the out-of-sample figures beside the in-sample ones.

Windows: with `--split F` the first F of the bars are in sample and the rest out of sample;
with `--walk-forward N` the bars are cut into N + 1 blocks and window k is in sample on blocks
0..k (anchored) and out of sample on block k + 1. Every backtest sees the bars before its window
as history (indicators warm up on them) and trades only inside it. Across windows, returns
compound, Sharpe ratios are averaged, the worst drawdown is kept and trades add up.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import logging
import math
import os
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from tpm.adapters.feeds.csvbars import read_bar_table
from tpm.cli.backtest import columns, metrics_of, paper_broker
from tpm.config import Config
from tpm.domain import to_decimal
from tpm.engine.backtest import SymbolBars, run_backtest
from tpm.errors import ConfigError
from tpm.strategies.spec import StrategySpec, load_strategy
from tpm.ui.format import pct as percent

__all__ = ["Window", "grid_values", "optimize_command", "windows"]

RANKABLE = ("sharpe_ratio", "total_return", "sortino_ratio", "calmar_ratio", "profit_factor")
_MAX_POINTS = 10_000


def grid_values(text: str) -> tuple[str, list[float]]:
    """`fast=5:30:5` (start:stop:step, stop included), `fast=5,8,13` or `fast=10`."""
    name, sep, spec = text.partition("=")
    name = name.strip()
    if not sep or not name or not spec.strip():
        raise ConfigError(f"--param {text}: write NAME=START:STOP:STEP, NAME=A,B,C or NAME=X")
    try:
        if ":" in spec:
            start, stop, step = (float(x) for x in spec.split(":"))
            if step <= 0 or stop < start:
                raise ValueError
            count = math.floor((stop - start) / step + 1e-9) + 1
            values = [start + k * step for k in range(count)]
        else:
            values = [float(x) for x in spec.split(",")]
    except ValueError:
        raise ConfigError(
            f"--param {text}: START:STOP:STEP needs numbers with a positive step and "
            "STOP >= START; a list needs numbers"
        ) from None
    return name, [int(v) if float(v).is_integer() else v for v in values]


@dataclass(frozen=True, slots=True)
class Window:
    """Bars starting in [start_ns, end_ns) are traded; earlier ones are history."""

    start_ns: int
    end_ns: int


def windows(
    timeline: np.ndarray, split: float, walk_forward: int
) -> list[tuple[Window, Window | None]]:
    """(in sample, out of sample) pairs over the bar starts `timeline` (sorted)."""
    n = len(timeline)
    end = int(timeline[-1]) + 1
    if walk_forward:
        cuts = [
            int(timeline[min(n - 1, round(n * k / (walk_forward + 1)))])
            for k in range(walk_forward + 2)
        ]
        cuts[-1] = end
        first = int(timeline[0])
        return [
            (Window(first, cuts[k + 1]), Window(cuts[k + 1], cuts[k + 2]))
            for k in range(walk_forward)
        ]
    if split >= 1:
        return [(Window(int(timeline[0]), end), None)]
    cut = int(timeline[min(n - 1, round(n * split))])
    return [(Window(int(timeline[0]), cut), Window(cut, end))]


# -- workers (each process holds the bars once) -----------------------------------------------

_DATA: list[SymbolBars] = []
_SETUP: dict[str, Any] = {}


def _init_worker(data: list[SymbolBars], setup: dict[str, Any]) -> None:
    _DATA[:] = data
    _SETUP.update(setup)
    logging.getLogger("tpm.engine").setLevel(logging.ERROR)


def _upto(d: SymbolBars, end_ns: int) -> SymbolBars:
    k = int(np.searchsorted(d.ts_ns, end_ns))
    return SymbolBars(
        d.instrument,
        d.timeframe,
        d.ts_ns[:k],
        d.open[:k],
        d.high[:k],
        d.low[:k],
        d.close[:k],
        d.volume[:k],
    )


def _run(spec: StrategySpec, window: Window) -> dict[str, Any]:
    config: Config = _SETUP["config"]
    data = [_upto(d, window.end_ns) for d in _DATA]
    broker = paper_broker(config, [d.instrument for d in data], _SETUP["commission"])
    result = asyncio.run(
        run_backtest(
            spec, data, broker, cash=_SETUP["cash"], risk=config.risk, trade_from_ns=window.start_ns
        )
    )
    return metrics_of(result)


def _evaluate(point: dict[str, float]) -> dict[str, Any]:
    spec = _SETUP["spec"].with_params(point)
    inside, outside = [], []
    for is_window, oos_window in _SETUP["windows"]:
        inside.append(_run(spec, is_window))
        if oos_window is not None:
            outside.append(_run(spec, oos_window))
    return {
        "params": point,
        "in_sample": _combine(inside),
        "out_of_sample": _combine(outside) if outside else None,
    }


def _combine(runs: list[dict[str, Any]]) -> dict[str, Any]:
    def values(key: str) -> list[float]:
        return [r[key] for r in runs if r[key] is not None]

    growth = values("total_return")
    sharpe = values("sharpe_ratio")
    return {
        "total_return": float(np.prod([1 + g for g in growth]) - 1) if growth else None,
        "sharpe_ratio": float(np.mean(sharpe)) if sharpe else None,
        "sortino_ratio": float(np.mean(values("sortino_ratio")))
        if values("sortino_ratio")
        else None,
        "calmar_ratio": float(np.mean(values("calmar_ratio"))) if values("calmar_ratio") else None,
        "profit_factor": float(np.mean(values("profit_factor")))
        if values("profit_factor")
        else None,
        "max_drawdown": min(values("max_drawdown"), default=None),
        "trades": sum(r["trades"] for r in runs),
    }


# -- the command --------------------------------------------------------------------------------


def optimize_command(args: argparse.Namespace, config: Config) -> int:
    started = time.perf_counter()
    if Path(args.strategy).suffix == ".py":
        raise ConfigError(
            f"{Path(args.strategy).name}: tpm optimize varies the [params] of a strategy file "
            "(.toml); a Python strategy's numbers are its own"
        )
    spec = load_strategy(Path(args.strategy))
    axes = dict(grid_values(p) for p in args.param)
    points = [dict(zip(axes, combo, strict=True)) for combo in itertools.product(*axes.values())]
    if len(points) > _MAX_POINTS:
        raise ConfigError(f"the grid has {len(points):,} points; at most {_MAX_POINTS:,}")
    for point in points[:1]:
        spec.with_params(point)  # names and values checked before any process starts
    if args.rank not in RANKABLE:
        raise ConfigError(f"--rank {args.rank}: one of {', '.join(RANKABLE)}")
    if not 0 < args.split <= 1:
        raise ConfigError(f"--split {args.split:g}: a fraction of the bars, more than 0, at most 1")
    data = [columns(read_bar_table(path)) for path in args.data]
    timeline = np.unique(np.concatenate([d.ts_ns for d in data]))
    if len(timeline) < 10 * (args.walk_forward + 1):
        raise ConfigError(f"{len(timeline)} bars are too few for these windows")
    setup = {
        "config": config,
        "spec": spec,
        "windows": windows(timeline, args.split, args.walk_forward),
        "cash": to_decimal(args.cash) if args.cash else to_decimal(config.broker.paper.cash),
        "commission": args.commission,
    }
    jobs = args.jobs or os.cpu_count() or 1
    with ProcessPoolExecutor(jobs, initializer=_init_worker, initargs=(data, setup)) as pool:
        rows = list(pool.map(_evaluate, points, chunksize=max(1, len(points) // (4 * jobs))))

    def key(row: dict[str, Any]) -> float:
        v = row["in_sample"][args.rank]
        return -math.inf if v is None else v

    rows.sort(key=key, reverse=True)
    elapsed = time.perf_counter() - started
    if args.json:
        print(
            json.dumps(
                {
                    "strategy": spec.name,
                    "rank": args.rank,
                    "points": len(points),
                    "windows": len(setup["windows"]),
                    "elapsed_s": round(elapsed, 3),
                    "results": rows,
                }
            )
        )
    else:
        print(_table(spec.name, rows[: args.top], args, len(points), elapsed))
    return 0


def _table(
    name: str, rows: list[dict[str, Any]], args: argparse.Namespace, n: int, elapsed: float
) -> str:
    how = (
        f"walk-forward, {args.walk_forward} windows"
        if args.walk_forward
        else f"first {args.split:.0%} in sample"
        if args.split < 1
        else "all bars in sample"
    )
    head = f"{name}: {n} points, {how}, ranked by in-sample {args.rank}, {elapsed:.1f}s"
    names = list(rows[0]["params"]) if rows else []
    cols = [
        *names,
        "IS ret",
        "IS sharpe",
        "IS maxdd",
        "IS trd",
        "OOS ret",
        "OOS sharpe",
        "OOS maxdd",
        "OOS trd",
    ]

    def fmt(v: Any, pct: bool = False) -> str:
        if v is None:
            return "n/a"
        if pct:
            return percent(v * 100, 1)
        return f"{v:.2f}" if isinstance(v, float) else str(v)

    lines = [head, "  ".join(f"{c:>10}" for c in cols)]
    for row in rows:
        i, o = row["in_sample"], row["out_of_sample"] or {}
        cells = [fmt(row["params"][p]) for p in names] + [
            fmt(i["total_return"], True),
            fmt(i["sharpe_ratio"]),
            fmt(i["max_drawdown"], True),
            fmt(i["trades"]),
            fmt(o.get("total_return"), True),
            fmt(o.get("sharpe_ratio")),
            fmt(o.get("max_drawdown"), True),
            fmt(o.get("trades")),
        ]
        lines.append("  ".join(f"{c:>10}" for c in cells))
    return "\n".join(lines)
