"""Scoring: milliseconds to recompute all three pillars and the composite for 500 symbols.

The real ScoreBoard over 500 symbols in 10 sectors: each symbol's technical state warmed on
300 bars of a random walk, company figures for every symbol (a few missing on purpose), and
five scored headlines each. Timed, as the engine does it: the fundamental pillar across the
universe (sector percentiles) plus, for every symbol, its technical pillar from its streaming
state, its decayed sentiment and the composite. Also timed alone: one symbol's technical
update and pillar, which is what a bar close costs per symbol.

Acceptance: recomputing everything for 500 symbols under 50 ms.

Usage: python benchmarks/scores.py [--symbols N] [--repeat N]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from tpm.config.scores import ScoresConfig
from tpm.domain import Bar, Fundamentals, NewsItem, Timeframe
from tpm.engine.bus import Bus
from tpm.engine.scoring import ScoreBoard
from tpm.store.sql_store import SqlStore

M = 60_000_000_000
T0 = 1_700_000_000_000_000_000 // M * M
HEADLINES = (
    "{s} beats estimates and raises full-year outlook",
    "{s} cuts guidance on weak demand",
    "{s} to present at an industry conference",
    "{s} wins a multi-year supply contract",
    "Regulators open a probe into {s}",
)


def say(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def _fundamentals(symbols: list[str], rng: np.random.Generator) -> list[Fundamentals]:
    rows = []
    for s in symbols:
        figures = {
            "pe": rng.uniform(-20, 60),
            "pb": rng.uniform(0.5, 8),
            "ps": rng.uniform(0.3, 12),
            "ev_ebitda": rng.uniform(3, 30),
            "roe": rng.uniform(-0.1, 0.4),
            "gross_margin": rng.uniform(0.1, 0.8),
            "operating_margin": rng.uniform(-0.1, 0.4),
            "net_margin": rng.uniform(-0.1, 0.3),
            "revenue_growth": rng.uniform(-0.2, 0.4),
            "eps_growth": rng.uniform(-0.5, 0.8),
            "debt_to_equity": rng.uniform(0, 3),
            "current_ratio": rng.uniform(0.5, 3),
        }
        kept = {k: float(v) for k, v in figures.items() if rng.random() > 0.05}
        rows.append(Fundamentals(s, T0, "bench", **kept))
    return rows


async def run(n: int, repeat: int) -> dict[str, object]:
    rng = np.random.default_rng(11)
    symbols = [f"S{i:03d}" for i in range(n)]
    sectors = {s: f"Sector {i % 10}" for i, s in enumerate(symbols)}
    with tempfile.TemporaryDirectory() as tmp:
        store = SqlStore(f"sqlite+aiosqlite:///{Path(tmp) / 'b.db'}")
        await store.open()
        now = T0 + 400 * M
        board = ScoreBoard(
            Bus(), store, ScoresConfig(timeframe="1m", timeframes=("1m",)), lambda: now, sectors
        )
        for s in symbols:
            close = 100 * np.exp(np.cumsum(rng.normal(0, 0.002, 300)))
            board.warm_up(
                s,
                Timeframe.M1,
                [
                    Bar(
                        s,
                        Timeframe.M1,
                        T0 + i * M,
                        float(c),
                        float(c) * 1.001,
                        float(c) * 0.999,
                        float(c),
                        1000.0,
                    )
                    for i, c in enumerate(close)
                ],
            )
        rows = _fundamentals(symbols, rng)
        board.add_news(
            [
                NewsItem(f"{s}-{k}", s, now - k * 3_600_000_000_000, h.format(s=s))
                for s in symbols
                for k, h in enumerate(HEADLINES)
            ],
            publish=False,
        )
        totals = []
        for _ in range(repeat):
            t = time.perf_counter()
            board.rank_fundamentals(rows)
            board.recompute_all(symbols, publish=False)
            totals.append((time.perf_counter() - t) * 1000)
        state = board._state(symbols[0], Timeframe.M1)
        bar_costs = []
        for i in range(2000):
            c = 100.0 + (i % 7) * 0.1
            t = time.perf_counter_ns()
            state.update(c, c * 1.001, c * 0.999, c, 1000.0)
            state.pillar()
            bar_costs.append((time.perf_counter_ns() - t) / 1000)
        await store.close()
    scored = sum(1 for s in board.latest.values() if s.composite is not None)
    return {
        "symbols": n,
        "scored": scored,
        "recompute_all_ms": {
            "median": round(statistics.median(totals), 2),
            "best": round(min(totals), 2),
        },
        "bar_close_us_per_symbol": round(statistics.median(bar_costs), 1),
        "meets_target": statistics.median(totals) < 50.0,
    }


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--symbols", type=int, default=500)
    p.add_argument("--repeat", type=int, default=15)
    args = p.parse_args()
    out = asyncio.run(run(args.symbols, args.repeat))
    ms = out["recompute_all_ms"]
    say(
        f"{out['symbols']} symbols ({out['scored']} scored): all three pillars and the "
        f"composite in {ms['median']} ms (median of {args.repeat}; best {ms['best']} ms)"
    )  # type: ignore[index]
    cost = out["bar_close_us_per_symbol"]
    say(f"one bar close, one symbol: technical update and pillar {cost} us")
    say(f"acceptance: under 50 ms for 500 symbols: {'yes' if out['meets_target'] else 'NO'}")
    print(json.dumps({"benchmark": "scores", **out}))


if __name__ == "__main__":
    main()
