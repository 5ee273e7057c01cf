"""tpm evaluate: does the score predict? Information coefficients, walk-forward, on bar files."""

from __future__ import annotations

import argparse
import math
from typing import Any

import numpy as np

from tpm.adapters.feeds.csvbars import read_bar_table
from tpm.analysis.evaluation import (
    ICResult,
    cross_sectional_ic,
    forward_returns,
    walk_forward_ic,
)
from tpm.analysis.technical import technical_series
from tpm.engine.control import dumps_exact
from tpm.errors import ConfigError

__all__ = ["evaluate_command"]

SERIES = ("score", "trend", "momentum", "volatility", "volume")
LABELS = {
    "score": "technical pillar",
    "trend": "  trend",
    "momentum": "  momentum",
    "volatility": "  volatility",
    "volume": "  volume",
}


def _result(r: ICResult) -> dict[str, Any]:
    def clean(x: float) -> float | None:
        return None if not math.isfinite(x) else round(x, 4)

    return {
        "mean_ic": clean(r.mean),
        "t_stat": clean(r.t_stat),
        "positive_share": clean(r.positive_share),
        "windows": [clean(w) for w in r.windows],
        "pairs": r.pairs,
    }


def evaluate_command(args: argparse.Namespace) -> int:
    if args.horizon < 1 or args.windows < 2:
        raise ConfigError("evaluate: --horizon must be at least 1 and --windows at least 2")
    tables = [read_bar_table(path) for path in args.data]
    per_file: dict[str, dict[str, ICResult]] = {}
    scores: dict[str, dict[str, np.ndarray]] = {}
    forwards: dict[str, np.ndarray] = {}
    stamps: dict[str, np.ndarray] = {}
    for t in tables:
        a = t.arrays
        series = technical_series(a.open, a.high, a.low, a.close, a.volume)
        fwd = forward_returns(a.close, args.horizon)
        per_file[t.symbol] = {
            name: walk_forward_ic(series[name], fwd, args.windows, args.horizon) for name in SERIES
        }
        scores[t.symbol], forwards[t.symbol], stamps[t.symbol] = series, fwd, a.ts_ns
    report: dict[str, Any] = {
        "horizon_bars": args.horizon,
        "windows": args.windows,
        "time_series": {
            sym: {n: _result(r) for n, r in res.items()} for sym, res in per_file.items()
        },
        "not_supported": {
            "fundamental": "bar files carry no company figures",
            "sentiment": "bar files carry no headlines",
        },
        "composite": "with only prices, the composite is the technical pillar",
    }
    if len(tables) >= 3:
        common = sorted(set.intersection(*(set(ts.tolist()) for ts in stamps.values())))
        if len(common) > args.horizon * 3:
            index = {sym: np.searchsorted(ts, common) for sym, ts in stamps.items()}
            report["cross_section"] = {
                name: _result(
                    cross_sectional_ic(
                        {s: scores[s][name][index[s]] for s in scores},
                        {s: forwards[s][index[s]] for s in forwards},
                        every=args.horizon,
                    )
                )
                for name in SERIES
            }
    if args.json:
        print(dumps_exact(report, indent=2))
        return 0
    print(_table(report, per_file))
    return 0


def _fmt(x: float | None, spec: str) -> str:
    return "-" if x is None else format(x, spec)


def _table(report: dict[str, Any], per_file: dict[str, dict[str, ICResult]]) -> str:
    h = report["horizon_bars"]
    lines = [
        f"rank IC of each score with the next {h}-bar return, in "
        f"{report['windows']} consecutive windows (time series, per file)",
        "",
    ]
    head = f"{'':22}" + "".join(f"{sym[:12]:>14}" for sym in per_file)
    lines.append(head)
    for name in SERIES:
        cells = []
        for res in per_file.values():
            r = _result(res[name])
            cells.append(f"{_fmt(r['mean_ic'], '+.3f')} t{_fmt(r['t_stat'], '+.1f')}")
        lines.append(f"{LABELS[name]:22}" + "".join(f"{c:>14}" for c in cells))
    if "cross_section" in report:
        lines += ["", f"across the {len(per_file)} symbols at each date (every {h} bars):"]
        for name in SERIES:
            r = report["cross_section"][name]
            lines.append(
                f"{LABELS[name]:22} IC {_fmt(r['mean_ic'], '+.3f')}  t "
                f"{_fmt(r['t_stat'], '+.1f')}  positive "
                f"{_fmt(r['positive_share'], '.0%')} of {len(r['windows'])} dates"
            )
    lines += [
        "",
        "fundamental, sentiment: not supported by bar files (no figures, no headlines); "
        "the composite equals the technical pillar here",
    ]
    return "\n".join(lines)
