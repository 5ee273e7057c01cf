"""Engine throughput: simulated ticks through the real Engine, against a websocket baseline.

Each engine run is a fresh process (its peak RSS is its own) on the real path: `Engine` with its
feed pump, MarketData (validation, bars on every timeframe), bus, MovingAverageTrend on 1m bars
(fast 3, slow 8, on every symbol), PaperBroker, risk, OMS, portfolio, timers, and a `SqlStore`
on a SQLite file in a temp dir with quotes sampled as the default config does.

- replay: ticks generated before timing, replayed from memory in the sim's own batches, as
  fast as the engine takes them;
- paced: the same, offered at the websocket baseline's rate: does the engine keep up?
- live: the feed generating ticks as it goes (end-to-end).
`ticks_per_s` counts accepted messages over the feed's time; `sustained_ticks_per_s` also waits
until the engine has caught up (every strategy target acted on, the write-behind empty).

Baseline (ws_baseline.py): frames/s a `websockets` client on 127.0.0.1 takes in, `json.loads`
on each. ratio = replay ticks/s / websocket frames/s.

Usage: python benchmarks/engine_throughput.py [--messages N] [--symbols N] [--profile FILE]
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import gc
import json
import logging
import multiprocessing as mp
import pstats
import resource
import sys
import tempfile
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import Any

from bench_feed import BenchFeed, build_sim, pregenerate
from ws_baseline import websocket_baseline

from tpm.adapters.brokers.paper import PaperBroker
from tpm.config import Config
from tpm.domain import Bar, Timeframe, to_decimal
from tpm.engine.engine import Engine, EngineSettings
from tpm.store.sql_store import SqlStore
from tpm.strategies import MovingAverageTrend, StrategyContext, TargetPosition


def say(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


class CountingTrend(MovingAverageTrend):
    """The demo strategy, counting the targets it hands the runner."""

    emitted = 0

    def on_bar(self, bar: Bar, ctx: StrategyContext) -> Sequence[TargetPosition]:
        targets = super().on_bar(bar, ctx)
        self.emitted += len(targets)
        return targets

    def on_start(self, ctx: StrategyContext) -> Sequence[TargetPosition]:
        targets = super().on_start(ctx)
        self.emitted = len(targets)  # warm-up ends here; its on_bar targets were discarded
        return targets


def build_engine(feed: BenchFeed, db_url: str, market_clock: bool) -> tuple[Engine, CountingTrend]:
    """The engine as tpm.cli.wiring builds it from the default config (demo on every symbol)."""
    cfg = Config()
    p, st = cfg.broker.paper, cfg.store
    broker = PaperBroker(
        feed.instruments(),
        commission_per_share=p.commission_per_share,
        commission_bps=p.commission_bps,
        commission_min=p.commission_min,
        slippage_bps=p.slippage_bps,
        participation=p.participation,
        latency_ms=p.latency_ms,
    )
    store = SqlStore(
        db_url,
        busy_timeout_ms=st.busy_timeout_ms,
        flush_interval_s=st.flush_interval_ms / 1000,
        flush_rows=st.flush_rows,
    )
    settings = EngineSettings(
        initial_cash=to_decimal(p.cash),
        timeframes=tuple(Timeframe(t) for t in cfg.market.timeframes),
        max_jump_pct=cfg.market.max_jump_pct,
        max_future_s=cfg.market.max_future_s,
        stale_after_s=cfg.feed.stale_after_s,
        equity_interval_s=cfg.engine.equity_interval_s,
        quotes=st.quotes,
        quote_sample_s=st.quote_sample_s,
        risk=cfg.risk,
        market_clock=market_clock,
    )
    symbols = [i.symbol for i in feed.instruments()]
    demo = CountingTrend(symbols, fast=3, slow=8, percent_equity=100 / len(symbols))
    clock = None if market_clock else feed.clock
    return Engine(feed, broker, store, settings, [demo], clock=clock), demo


async def _run_engine(mode: str, rate: float, args: argparse.Namespace) -> dict[str, Any]:
    t0 = time.perf_counter()
    market = build_sim(args.symbols, args.tick_hz, args.seed)
    batches = await pregenerate(market, args.messages) if mode != "live" else None
    pregen_s = time.perf_counter() - t0
    gc.freeze()  # the pre-built ticks are input, not engine state: keep them out of GC passes
    feed = BenchFeed(market, args.messages, batches, rate)
    prof = cProfile.Profile() if args.profile and mode == "replay" else None
    with tempfile.TemporaryDirectory(prefix="tpm-bench-") as tmp:
        engine, demo = build_engine(feed, f"sqlite+aiosqlite:///{tmp}/tpm.db", args.market_clock)
        feed.count = lambda: engine.market.accepted  # the first batch is not timed
        t1 = time.perf_counter()
        await engine.start()
        startup_s = time.perf_counter() - t1
        wb = engine.store.write_behind  # type: ignore[attr-defined]
        peak = {"targets_waiting": 0, "store_rows_pending": 0}

        async def monitor() -> None:
            while True:
                await asyncio.sleep(0.02)
                waiting = demo.emitted - engine.runner.targets_seen
                peak["targets_waiting"] = max(peak["targets_waiting"], waiting)
                peak["store_rows_pending"] = max(peak["store_rows_pending"], wb.pending)

        watcher = asyncio.create_task(monitor())
        if prof is not None:
            prof.enable()
        feed.go.set()
        await feed.done.wait()
        watcher.cancel()
        backlog = {
            "targets_waiting": demo.emitted - engine.runner.targets_seen,
            "store_rows_pending": wb.pending,
        }
        # Poll: the engine has no event for "caught up"; nothing new comes in meanwhile.
        give_up = time.perf_counter() + 120.0
        while demo.emitted > engine.runner.targets_seen or wb.pending:
            if time.perf_counter() > give_up:
                raise RuntimeError(f"engine did not catch up in 120 s: {backlog}")
            await asyncio.sleep(0.002)
        caught_up_s = time.perf_counter() - feed.last_s
        if prof is not None:
            prof.disable()
        t2 = time.perf_counter()
        await engine.stop()
        stop_s = time.perf_counter() - t2
    if prof is not None:
        prof.dump_stats(args.profile)
        pstats.Stats(prof, stream=sys.stderr).sort_stats("tottime").print_stats(25)
    elapsed = feed.last_s - feed.first_s
    accepted = engine.market.accepted - feed.primed
    return {
        "accepted": accepted,
        "dropped": sum(v for k, v in engine.market.dropped.items() if ":" not in k),
        "elapsed_s": round(elapsed, 3),
        "ticks_per_s": round(accepted / elapsed),
        "catch_up_s": round(caught_up_s, 3),
        "sustained_ticks_per_s": round(accepted / (elapsed + caught_up_s)),
        "backlog_at_feed_end": backlog,
        "backlog_peak": peak,
        "strategy_targets": demo.emitted,
        "orders": len(engine.oms.orders),
        "fills": engine.portfolio.fill_count,
        "risk_rejections": engine.risk.rejections,
        "bus_handler_errors": engine.bus.handler_errors,
        "store_rows_written": wb.stats.rows_written,
        "pregen_s": round(pregen_s, 2),
        "startup_s": round(startup_s, 2),
        "stop_s": round(stop_s, 2),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def run_engine(mode: str, rate: float, args: argparse.Namespace) -> dict[str, Any]:
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    return asyncio.run(_run_engine(mode, rate, args))


def main() -> None:
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    ap.add_argument("--messages", type=int, default=1_000_000, help="market messages per run")
    ap.add_argument("--symbols", type=int, default=100)
    ap.add_argument("--tick-hz", type=float, default=4.0, help="quotes per second per symbol")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--ws-frames", type=int, default=500_000)
    ap.add_argument("--runs", default="replay,paced,live", help="which engine runs, in order")
    ap.add_argument("--profile", metavar="FILE", help="cProfile the replay run into FILE")
    ap.add_argument(
        "--market-clock", action="store_true", help="use the engine's replay path (ManualClock)"
    )
    args = ap.parse_args()

    say(f"websocket baseline: {args.ws_frames:,} frames over 127.0.0.1 ...")
    ws_rate, frame_bytes = websocket_baseline(args.ws_frames)
    say(f"  client received and parsed {ws_rate:,.0f} frames/s ({frame_bytes} bytes each)")
    runs: dict[str, dict[str, Any]] = {}
    for mode in args.runs.split(","):
        rate = ws_rate if mode == "paced" else 0.0
        offered = f"offered at {rate:,.0f}/s" if rate else "as fast as taken"
        say(f"engine, {mode}: {args.messages:,} messages, {args.symbols} symbols, {offered} ...")
        with ProcessPoolExecutor(1, mp_context=mp.get_context("spawn")) as ex:
            r = runs[mode] = ex.submit(run_engine, mode, rate, args).result()
        say(
            f"  {r['ticks_per_s']:,} ticks/s over the feed ({r['accepted']:,} in "
            f"{r['elapsed_s']} s); {r['sustained_ticks_per_s']:,} ticks/s sustained "
            f"(caught up {r['catch_up_s']} s after the feed ended)\n"
            f"  backlog at feed end {r['backlog_at_feed_end']}, peak {r['backlog_peak']}\n"
            f"  {r['strategy_targets']} targets, {r['orders']} orders, {r['fills']} fills, "
            f"peak RSS {r['peak_rss_mb']} MB, start-up {r['startup_s']} s, stop {r['stop_s']} s"
        )
    replay, paced, live = (runs.get(m, {}) for m in ("replay", "paced", "live"))
    ratio = replay["ticks_per_s"] / ws_rate if replay else None
    keeps_up = None
    if paced:
        keeps_up = paced["ticks_per_s"] >= 0.98 * ws_rate and paced["catch_up_s"] <= 1.0
    say(f"ratio engine ticks/s / websocket frames/s = {ratio or 0:.2f} (target >= 1)")
    say(f"keeps up when offered the websocket rate: {keeps_up}")
    figures = {
        "benchmark": "engine_throughput",
        "engine_path": "replay (market_clock)" if args.market_clock else "live",
        "symbols": args.symbols,
        "tick_hz": args.tick_hz,
        "engine_ticks_per_s": replay.get("ticks_per_s"),
        "engine_sustained_ticks_per_s": replay.get("sustained_ticks_per_s"),
        "engine_ticks_per_s_live_generation": live.get("ticks_per_s"),
        "engine_sustained_ticks_per_s_live_generation": live.get("sustained_ticks_per_s"),
        "websocket_frames_per_s": round(ws_rate),
        "websocket_frame_bytes": frame_bytes,
        "ratio": None if ratio is None else round(ratio, 3),
        "ratio_sustained": round(replay["sustained_ticks_per_s"] / ws_rate, 3) if replay else None,
        "meets_target": None if ratio is None else ratio >= 1.0,
        "keeps_up_at_websocket_rate": keeps_up,
        "runs": runs,
    }
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
