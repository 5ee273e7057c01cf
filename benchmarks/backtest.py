"""Backtest speed: tpm against backtrader 1.9.78, same strategy, same data, same run.

Data: 100,000 one-minute bars of one symbol (a seeded random walk with changing drift, written
to a CSV both engines read). Strategy: the sma-cross of DESIGN.md and issue 5, buy 100 when
SMA(10) crosses above SMA(30) while flat, sell everything when it crosses below; market
orders filled at the next bar's open, no commission, no slippage.

- tpm: `tpm backtest --json` in a subprocess on that CSV; its `elapsed_s` runs from loading
  the data to the report (interpreter start-up and imports excluded, per DESIGN.md). The paper
  broker and the risk checks run on every order, as in tpm's own backtests.
- backtrader: Cerebro with runonce (vectorised indicators) and preload, GenericCSVData on the
  same file, SMA/CrossOver, buy(size=100)/close(); timed from the data feed's creation to the
  end of `run()`, in this process after its imports.

Both runs' trades (side, quantity, bar time and price) are compared one by one; prices agree to
the instrument's tick (the paper broker fills on the cent grid, backtrader at the raw open).
Prices carry four decimals: on a cent grid, sums of prices tie exactly and the last bit of
two different SMA summations decides a crossover, a test of rounding rather than of engines.
Each engine runs `--repeat` times and the best time is kept.

Acceptance (issue 5): tpm processes at least 10x the bars per second of backtrader, and both
produce the same trades.

Usage: python benchmarks/backtest.py [--bars N] [--repeat N]   (needs pip install -e '.[bench]')
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

STRATEGY = """\
[strategy]
name = "sma-cross"
symbols = ["WALK"]
timeframe = "1m"
[entry]
when = "crosses_above(sma(close, 10), sma(close, 30))"
[exit]
when = "crosses_below(sma(close, 10), sma(close, 30))"
[size]
qty = 100
"""

# Frictionless fills at the next open, limits far from the strategy's orders: what both run.
CONFIG = """\
[broker.paper]
slippage_bps = 0
participation = 1.0
[risk.order_size]
max_qty = 1000000
max_notional = 1000000000
"""


TICK = 0.01


def say(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def write_bars(path: Path, n: int, seed: int = 11) -> None:
    rng = np.random.default_rng(seed)
    drift = np.repeat(rng.normal(0, 0.0002, n // 500 + 1), 500)[:n]
    close = 100 * np.exp(np.cumsum(drift + rng.normal(0, 0.001, n)))
    open_ = np.concatenate(([close[0]], close[:-1]))
    high = np.maximum(open_, close) * (1 + np.abs(rng.normal(0, 0.0004, n)))
    low = np.minimum(open_, close) * (1 - np.abs(rng.normal(0, 0.0004, n)))
    start = np.datetime64("2024-01-01T00:00")
    stamps = (start + np.arange(n).astype("timedelta64[m]")).astype(str)
    rows = [
        f"{t.replace('T', ' ')}:00,{o:.4f},{h:.4f},{lo:.4f},{c:.4f},1000000"
        for t, o, h, lo, c in zip(stamps, open_, high, low, close, strict=True)
    ]
    path.write_text("datetime,open,high,low,close,volume\n" + "\n".join(rows) + "\n")


def run_tpm(csv_path: Path, home: Path) -> dict[str, Any]:
    strategy = home / "sma-cross.toml"
    strategy.write_text(STRATEGY)
    (home / "config.toml").write_text(CONFIG)
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "tpm",
            "backtest",
            "--data",
            str(csv_path),
            "--strategy",
            str(strategy),
            "--commission",
            "0",
            "--json",
        ],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "TPM_HOME": str(home)},
    ).stdout
    report: dict[str, Any] = json.loads(out)
    return report


def run_backtrader(csv_path: Path) -> tuple[float, list[tuple[str, float, float, str]]]:
    import backtrader as bt

    trades: list[tuple[str, float, float, str]] = []

    class SmaCross(bt.Strategy):  # type: ignore[misc]
        def __init__(self) -> None:
            self.cross = bt.ind.CrossOver(bt.ind.SMA(period=10), bt.ind.SMA(period=30))

        def next(self) -> None:
            if not self.position and self.cross > 0:
                self.buy(size=100)
            elif self.position and self.cross < 0:
                self.close()

        def notify_order(self, order: Any) -> None:
            if order.status == order.Completed:
                when = bt.num2date(order.executed.dt).strftime("%Y-%m-%dT%H:%M:%SZ")
                side = "buy" if order.isbuy() else "sell"
                trades.append((side, abs(order.executed.size), order.executed.price, when))

    started = time.perf_counter()
    cerebro = bt.Cerebro(runonce=True, preload=True, stdstats=False)
    cerebro.adddata(
        bt.feeds.GenericCSVData(
            dataname=str(csv_path),
            dtformat="%Y-%m-%d %H:%M:%S",
            timeframe=bt.TimeFrame.Minutes,
            compression=1,
            datetime=0,
            open=1,
            high=2,
            low=3,
            close=4,
            volume=5,
            openinterest=-1,
        )
    )
    cerebro.addstrategy(SmaCross)
    cerebro.broker.setcash(100_000_000.0)
    cerebro.run()
    return time.perf_counter() - started, trades


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--bars", type=int, default=100_000)
    p.add_argument("--repeat", type=int, default=3)
    args = p.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        csv_path = Path(tmp) / "WALK.csv"
        write_bars(csv_path, args.bars)
        say(f"{args.bars:,} one-minute bars, sma-cross 10/30, best of {args.repeat} runs each")
        tpm_runs, bt_runs = [], []
        for _ in range(args.repeat):
            tpm_runs.append(run_tpm(csv_path, Path(tmp)))
            bt_runs.append(run_backtrader(csv_path))
        tpm = min(tpm_runs, key=lambda r: r["elapsed_s"])
        bt_s, bt_trades = min(bt_runs, key=lambda r: r[0])
    ours = [(t["side"], t["qty"], t["ts"], t["price"]) for t in tpm["trades"]]
    theirs = [(s, q, ts, pr) for s, q, pr, ts in bt_trades]

    def agree(a: tuple[Any, ...], b: tuple[Any, ...]) -> bool:
        return a[:3] == b[:3] and abs(a[3] - b[3]) <= TICK / 2 + 1e-9

    same = len(ours) == len(theirs) and all(map(agree, ours, theirs))
    first_diff = next(
        (i for i, (a, b) in enumerate(zip(ours, theirs, strict=False)) if not agree(a, b)), None
    )
    tpm_rate = tpm["bars_processed"] / tpm["elapsed_s"]
    bt_rate = args.bars / bt_s
    say(f"  tpm:        {tpm['elapsed_s']:.3f}s, {tpm_rate:,.0f} bars/s, {len(ours)} trades")
    say(f"  backtrader: {bt_s:.3f}s, {bt_rate:,.0f} bars/s, {len(theirs)} trades")
    say(
        f"  ratio {tpm_rate / bt_rate:.1f}x; same trades: {same}"
        + ("" if same or first_diff is None else f" (first difference at trade {first_diff})")
    )
    print(
        json.dumps(
            {
                "benchmark": "backtest",
                "bars": args.bars,
                "tpm": {
                    "elapsed_s": tpm["elapsed_s"],
                    "bars_per_s": round(tpm_rate),
                    "trades": len(ours),
                },
                "backtrader": {
                    "elapsed_s": round(bt_s, 4),
                    "bars_per_s": round(bt_rate),
                    "trades": len(theirs),
                },
                "ratio": round(tpm_rate / bt_rate, 2),
                "same_trades": same,
                "meets_target": same and tpm_rate >= 10 * bt_rate,
            }
        )
    )


if __name__ == "__main__":
    main()
