"""The cost of one order through the backtest rig: where a backtest's time goes per trade.

A backtest on the fast path runs the engine's parts only on bars where a signal or a working
order needs them, so its time per bar is set by the cost of one order's life: the bar that
fills it (market stage, paper broker), its submission (risk checks, OMS, broker), the broker's
acknowledgement, and the booking of its fill (OMS, portfolio, risk tallies). This measures each
on the rig `tpm.engine.backtest` builds, with the config of benchmarks/backtest.py, alternating
buys and sells of 100 shares at market, one per two minutes.

Usage: python benchmarks/order_cycle.py [--orders N] [--repeat N]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
import time
from decimal import Decimal

import numpy as np

from tpm.adapters.brokers.paper import PaperBroker
from tpm.adapters.feeds.replay import instrument_for
from tpm.config.risk import RiskConfig
from tpm.domain import Bar, OrderType, Side, Timeframe, TimeInForce
from tpm.engine.backtest import SymbolBars, _rig
from tpm.engine.oms import OrderRequest

T0 = 1_704_067_200_000_000_000  # 2024-01-01 00:00 UTC
MINUTE = 60_000_000_000
RISK = RiskConfig.model_validate({"order_size": {"max_qty": 1e6, "max_notional": 1e9}})


async def cycle(n: int) -> dict[str, float]:
    """Microseconds per order for each stage, over `n` orders."""
    inst = instrument_for("WALK")
    broker = PaperBroker([inst], slippage_bps=0, participation=1.0, latency_ms=0)
    empty = SymbolBars(inst, Timeframe.M1, np.zeros(1, np.int64), *[np.ones(1)] * 5)
    rig = _rig([empty], Timeframe.M1, broker, Decimal(100_000), RISK)
    await broker.connect()
    spent = dict.fromkeys(("fill_bar", "fill_booking", "submit", "acknowledgement"), 0)
    for i in range(n):
        ts = T0 + i * 2 * MINUTE
        a = time.perf_counter_ns()
        rig.clock.advance_to(ts)
        rig.market.on_bar(Bar("WALK", Timeframe.M1, ts, 100.0, 100.5, 99.5, 100.0, 1e6))
        b = time.perf_counter_ns()
        await rig.settle()  # books the fill of the previous order
        c = time.perf_counter_ns()
        rig.clock.advance_to(ts + MINUTE)
        side = Side.BUY if i % 2 == 0 else Side.SELL
        req = OrderRequest(
            symbol="WALK",
            side=side,
            qty=Decimal(100),
            type=OrderType.MARKET,
            tif=TimeInForce.DAY,
            strategy="bench",
            source="strategy",
        )
        await rig.oms.submit(req)
        d = time.perf_counter_ns()
        await rig.settle()  # the acknowledgement
        e = time.perf_counter_ns()
        for key, ns in zip(spent, (b - a, c - b, d - c, e - d), strict=True):
            spent[key] += ns
    await broker.close()
    # A day order sent in the last minute of the instrument's session expires unfilled.
    if len(rig.store.fills) < n * 0.99:
        raise SystemExit(f"only {len(rig.store.fills)} of {n} orders filled: the rig is wrong")
    return {k: v / n / 1000 for k, v in spent.items()}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--orders", type=int, default=3000)
    p.add_argument("--repeat", type=int, default=5)
    args = p.parse_args()
    logging.getLogger("tpm.engine").setLevel(logging.ERROR)
    runs = [asyncio.run(cycle(args.orders)) for _ in range(args.repeat)]
    best = min(runs, key=lambda r: sum(r.values()))
    total = sum(best.values())
    print(f"one order's life, best of {args.repeat} runs of {args.orders:,}:", file=sys.stderr)
    for key, us in best.items():
        print(f"  {key:16} {us:6.1f} us", file=sys.stderr)
    print(f"  {'total':16} {total:6.1f} us", file=sys.stderr)
    print(
        json.dumps(
            {"benchmark": "order_cycle", "orders": args.orders, "us": best, "total_us": total}
        )
    )


if __name__ == "__main__":
    main()
