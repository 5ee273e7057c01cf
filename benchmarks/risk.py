"""Pre-trade risk: microseconds per `RiskEngine.admit`, with 100 and with 1,000 open orders.

The engine is the real one over a real MarketData (500 instruments, each with a quote), a
Portfolio holding a position in every tenth symbol, and a ManualClock. The book is populated
by admitting limit orders (buys and sells, spread over the symbols), so every tally is real.
Limits are generous but every check is on, so the measured order passes all ten checks.

Both book sizes are built first, then timed in turns of 1,000 orders, so that whatever else
the machine does falls on both alike. Each sample is one fresh order, admitted and timed alone
(`perf_counter_ns` around `admit`): a market buy of a rotating symbol and quantity (so the
stale-data check reads a fresh quote and the repeat guard sees a new key), then cancelled
untimed, so the book keeps its size. The clock moves 1 s per sample, a steady 1 order/s: the
rate windows hold 1 and 60 orders, as they would in a session. Also timed: orders refused at
the first check (a limit price off the tick) and at the very last (a strategy at its
open-order limit), the cost of a rejection at both ends.

O(1) means the median with 1,000 open orders is about the median with 100 (ratio ~1).

Usage: python benchmarks/risk.py [--samples N] [--symbols N] [--open-orders 100,1000]
"""

from __future__ import annotations

import argparse
import gc
import json
import statistics
import sys
import time
from decimal import Decimal
from itertools import count
from typing import Any

from tpm.config.risk import (
    ExposureLimits,
    OpenOrderLimits,
    OrderRateLimits,
    OrderSizeLimits,
    PositionLimits,
    RepeatGuard,
    RiskConfig,
    StrategyLimits,
)
from tpm.domain import (
    ClientOrderId,
    Fill,
    Instrument,
    Order,
    OrderCancelled,
    OrderType,
    Quote,
    Side,
)
from tpm.engine.bus import Bus
from tpm.engine.clock import ManualClock
from tpm.engine.market import MarketData
from tpm.engine.portfolio import Portfolio
from tpm.engine.risk import RiskEngine

SECOND = 1_000_000_000
EPOCH_NS = 1_704_153_600_000_000_000  # 2024-01-02 00:00 UTC
BIG = 10**9
BLOCK = 1_000
CONFIG = RiskConfig(
    order_size=OrderSizeLimits(max_qty=BIG, max_notional=BIG),
    position=PositionLimits(max_qty=BIG, max_notional=BIG),
    exposure=ExposureLimits(max_gross_pct=10_000, max_net_pct=10_000),
    order_rate=OrderRateLimits(
        per_second=BIG, per_minute=BIG, per_strategy_per_second=BIG, per_strategy_per_minute=BIG
    ),
    repeat_guard=RepeatGuard(max_repeats=BIG),
    open_orders=OpenOrderLimits(max_total=BIG, max_per_symbol=BIG),
    strategies={"capped": StrategyLimits(max_open_orders=1)},
)


def say(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


class Bench:
    """A RiskEngine over `n_symbols` quoted instruments with `n_open` orders working."""

    def __init__(self, n_symbols: int, n_open: int) -> None:
        self.clock = ManualClock(EPOCH_NS)
        bus = Bus()
        self.symbols = [f"S{i:03d}" for i in range(n_symbols)]
        self.market = MarketData(bus, map(Instrument, self.symbols), now_ns=self.clock.now_ns)
        self.portfolio = Portfolio(Decimal(BIG))
        bus.subscribe(Quote, lambda q: self.portfolio.mark(q.symbol, q.mid))
        self.risk = RiskEngine(CONFIG, self.market, self.portfolio, self.clock.now_ns)
        self.ids = count()
        for sym in self.symbols:
            self.quote(sym)
        for i, sym in enumerate(self.symbols[::10]):  # positions, so fills were booked
            qty, price = Decimal(100), self.price(sym)
            fill = Fill(f"x{i}", ClientOrderId("old"), sym, Side.BUY, qty, price, Decimal(0), 0)
            self.portfolio.apply(fill)
            self.risk.on_fill(fill)
        for i in range(n_open):
            sym = self.symbols[i % n_symbols]
            side = Side.BUY if i % 2 else Side.SELL
            tick = Decimal(-(i % 7) if side is Side.BUY else i % 7) / 100
            order = self.order(sym, side, Decimal(1 + i % 50), self.price(sym) + tick)
            assert self.risk.admit(order) is None, "populating the book needs generous limits"
        first = self.symbols[0]
        capped = self.order(first, Side.BUY, Decimal(1), self.price(first), strategy="capped")
        assert self.risk.admit(capped) is None  # "capped" is now at its open-order limit
        assert self.risk.book.open_count == n_open + 1
        # Leave the populating burst behind: the rate windows then hold only what is measured.
        self.clock.advance_to(self.clock.now_ns() + 61 * SECOND)

    def price(self, sym: str) -> Decimal:
        return Decimal(20 + int(sym[1:]) % 180)

    def quote(self, sym: str) -> None:
        p = float(self.price(sym))
        self.market.on_quote(Quote(sym, self.clock.now_ns(), p, p + 0.02, 500, 500))

    def order(
        self,
        sym: str,
        side: Side,
        qty: Decimal,
        limit: Decimal | None = None,
        strategy: str = "bench",
    ) -> Order:
        return Order(
            ClientOrderId(f"b{next(self.ids)}"),
            sym,
            side,
            qty,
            OrderType.MARKET if limit is None else OrderType.LIMIT,
            limit_price=limit,
            strategy=strategy,
        )

    def sample_pass(self, i: int) -> int:
        """ns for one admitted market order; it is then cancelled, untimed."""
        self.clock.advance_to(self.clock.now_ns() + SECOND)
        sym = self.symbols[(i * 7) % len(self.symbols)]
        self.quote(sym)
        order = self.order(sym, Side.BUY, Decimal(1 + i % 997))
        t0 = time.perf_counter_ns()
        rejection = self.risk.admit(order)
        elapsed = time.perf_counter_ns() - t0
        if rejection is not None:
            raise RuntimeError(f"the measured order was refused: {rejection.message}")
        self.risk.on_order(order.apply(OrderCancelled(self.clock.now_ns())))
        return elapsed

    def sample_refused(self, i: int, *, last: bool) -> int:
        """ns for one order refused at the first check (validity) or at the last one."""
        sym = self.symbols[(i * 7) % len(self.symbols)]
        if last:
            self.quote(sym)
            order = self.order(sym, Side.BUY, Decimal(1 + i % 997), strategy="capped")
        else:
            order = self.order(sym, Side.BUY, Decimal(1), self.price(sym) + Decimal("0.001"))
        t0 = time.perf_counter_ns()
        rejection = self.risk.admit(order)
        elapsed = time.perf_counter_ns() - t0
        expected = "max_open_orders_strategy" if last else "tick_size"
        if rejection is None or rejection.code != expected:
            raise RuntimeError(f"expected a {expected} refusal, got {rejection}")
        return elapsed


def summary(ns: list[int]) -> dict[str, float]:
    us = sorted(n / 1000 for n in ns)
    return {
        "mean": round(statistics.fmean(us), 2),
        "median": round(statistics.median(us), 2),
        "p99": round(us[int(len(us) * 0.99)], 2),
    }


def measure(n_symbols: int, sizes: list[int], samples: int) -> dict[str, dict[str, Any]]:
    """Time every book size in turns of `BLOCK` samples, so machine noise hits them alike."""
    benches = {n: Bench(n_symbols, n) for n in sizes}
    times: dict[int, dict[str, list[int]]] = {
        n: {"pass": [], "first": [], "last": []} for n in sizes
    }
    for bench in benches.values():
        for i in range(BLOCK):  # warm-up: caches, branch paths, allocator
            bench.sample_pass(i)
    gc.collect()
    gc.freeze()  # the populated books are input, not garbage: keep them out of collections
    try:
        for start in range(0, samples, BLOCK):
            for n, bench in benches.items():
                block = range(start, min(start + BLOCK, samples))
                times[n]["pass"] += [bench.sample_pass(i) for i in block]
                times[n]["first"] += [bench.sample_refused(i, last=False) for i in block]
                times[n]["last"] += [bench.sample_refused(i, last=True) for i in block]
    finally:
        gc.unfreeze()
    out = {}
    for n, bench in benches.items():
        assert bench.risk.book.open_count == n + 1, "the book must keep its size"
        out[str(n)] = {
            "open_orders": bench.risk.book.open_count,
            "admit_us": summary(times[n]["pass"]),
            "refused_first_check_us": summary(times[n]["first"]),
            "refused_last_check_us": summary(times[n]["last"]),
        }
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    ap.add_argument("--samples", type=int, default=20_000, help="timed orders per case")
    ap.add_argument("--symbols", type=int, default=500)
    ap.add_argument("--open-orders", default="100,1000", help="book sizes, comma-separated")
    args = ap.parse_args()
    sizes = [int(s) for s in args.open_orders.split(",")]
    say(f"{args.symbols} symbols, {args.samples:,} timed orders per case, book sizes {sizes}")
    runs = measure(args.symbols, sizes, args.samples)
    for n in sizes:
        r = runs[str(n)]
        a, f, lst = r["admit_us"], r["refused_first_check_us"], r["refused_last_check_us"]
        say(
            f"{n:>6,} open orders: admit mean {a['mean']:.1f} us, median {a['median']:.1f} us, "
            f"p99 {a['p99']:.1f} us; refused at the first check {f['median']:.1f} us, "
            f"at the last {lst['median']:.1f} us (medians)"
        )
    lo, hi = runs[str(min(sizes))]["admit_us"], runs[str(max(sizes))]["admit_us"]
    figures = {
        "symbols": args.symbols,
        "samples": args.samples,
        "runs": runs,
        "ratio_median": round(hi["median"] / lo["median"], 3),
        "ratio_mean": round(hi["mean"] / lo["mean"], 3),
        "python": sys.version.split()[0],
    }
    say(
        f"ratio {max(sizes):,} / {min(sizes):,} open orders: median {figures['ratio_median']}, "
        f"mean {figures['ratio_mean']} (O(1): about 1)"
    )
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
