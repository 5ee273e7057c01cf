"""Technical indicators: tpm's batch functions against TA-Lib (speed and agreement), and the
cost of one streaming update.

Speed: on a 1,000,000-value random walk, each batch indicator and its TA-Lib twin are timed in
alternation, call by call, and the best of `--repeat` calls of each is kept (the floor, where
machine noise is least); `ratio` is tpm / TA-Lib. SMA and EMA are also timed over a sweep of
lengths, since both implementations' costs vary with n.

Agreement: every indicator with a TA-Lib twin is compared value by value on the random walk and
on one real daily file: NaN layout, the largest absolute difference and the largest relative
one (difference / max(|TA-Lib value|, 1): relative above 1, absolute below; the acceptance is
1e-9). Where TA-Lib keeps a running sum (SMA, WMA, STDDEV, BBANDS) the two can disagree by
TA-Lib's own drift, so at the positions where they differ most both are also compared with an
exact value (Fractions).

Streaming: nanoseconds per `update`, over a 200,000-value series in a plain Python loop (the
loop's own cost, calling a no-op method, is reported alongside).

Usage: python benchmarks/indicators.py [--size N] [--repeat N] [--data FILE.csv]
Needs TA-Lib: pip install -e '.[bench]'
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np

from tpm.analysis import indicators as ind
from tpm.analysis import streaming as st

try:
    import talib
except ImportError:
    print(
        "benchmarks/indicators.py compares with TA-Lib, which is not installed: "
        "pip install -e '.[bench]'",
        file=sys.stderr,
    )
    sys.exit(1)

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("TPM_SHARED_DATA") or ROOT.parent / "shared" / "data")
DEFAULT_FILE = SHARED / "prices" / "daily" / "AAPL-2000-2020.csv"
Arrays = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]


def say(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def random_walk(size: int, seed: int) -> Arrays:
    """Geometric random walk from 100, 0.02% per step; bars 0-0.02% either side; volumes."""
    rng = np.random.default_rng(seed)
    close = 100 * np.exp(np.cumsum(rng.normal(0, 2e-4, size)))
    high = close * (1 + np.abs(rng.normal(0, 1e-4, size)))
    low = close * (1 - np.abs(rng.normal(0, 1e-4, size)))
    volume = rng.integers(1, 10_000, size).astype(np.float64)
    return high, low, close, volume


def pairs(h: np.ndarray, lo: np.ndarray, c: np.ndarray, v: np.ndarray) -> dict[str, Any]:
    """name -> (tpm call, TA-Lib call), both returning an array or a tuple of arrays."""
    return {
        "sma": (lambda: ind.sma(c, 20), lambda: talib.SMA(c, 20)),
        "ema": (lambda: ind.ema(c, 20), lambda: talib.EMA(c, 20)),
        "rsi": (lambda: ind.rsi(c, 14), lambda: talib.RSI(c, 14)),
        "macd": (lambda: ind.macd(c), lambda: talib.MACD(c, 12, 26, 9)),
        "bbands": (lambda: ind.bollinger(c, 20, 2.0), lambda: talib.BBANDS(c, 20, 2.0, 2.0)),
        "atr": (lambda: ind.atr(h, lo, c, 14), lambda: talib.ATR(h, lo, c, 14)),
        "wma": (lambda: ind.wma(c, 20), lambda: talib.WMA(c, 20)),
        "stddev": (lambda: ind.stddev(c, 20), lambda: talib.STDDEV(c, 20, 1.0)),
        "roc": (lambda: ind.roc(c, 10), lambda: talib.ROC(c, 10)),
        "stoch": (lambda: ind.stochastic(h, lo, c), lambda: talib.STOCH(h, lo, c)),
        "obv": (lambda: ind.obv(c, v), lambda: talib.OBV(c, v)),
    }


def best_of(calls: list[Callable[[], object]], repeat: int) -> list[float]:
    """Best wall time in ms of each call, the calls taking turns."""
    best = [math.inf] * len(calls)
    for _ in range(repeat):
        for i, call in enumerate(calls):
            t0 = time.perf_counter()
            call()
            best[i] = min(best[i], time.perf_counter() - t0)
    return [b * 1e3 for b in best]


def columns(result: Any) -> list[np.ndarray]:
    return list(result) if isinstance(result, tuple) else [result]


def exact_window(name: str, c: np.ndarray, j: int, n: int = 20) -> list[float]:
    """Exact value(s) at index j for the running-sum indicators, from Fractions."""
    w = [Fraction(float(v)) for v in c[j - n + 1 : j + 1]]
    mean = sum(w) / n
    if name == "sma":
        return [float(mean)]
    if name == "wma":
        return [float(sum(i * v for i, v in enumerate(w, 1)) / (n * (n + 1) // 2))]
    std = math.sqrt(float(sum((v - mean) ** 2 for v in w) / n))
    if name == "stddev":
        return [std]
    return [float(mean) + 2 * std, float(mean), float(mean) - 2 * std]  # bbands


def agreement(name: str, ours: Any, theirs: Any, close: np.ndarray) -> dict[str, Any]:
    mine, ref = columns(ours), columns(theirs)
    same_nans = all(
        np.array_equal(np.isnan(a), np.isnan(b)) for a, b in zip(mine, ref, strict=True)
    )
    diffs = [np.abs(a - b) for a, b in zip(mine, ref, strict=True)]
    scaled = [d / np.maximum(np.abs(b), 1.0) for d, b in zip(diffs, ref, strict=True)]
    out: dict[str, Any] = {
        "nan_layout_equal": same_nans,
        "max_abs": float(max(np.nanmax(d, initial=0.0) for d in diffs)),
        "max_rel": float(max(np.nanmax(s, initial=0.0) for s in scaled)),
    }
    out["within_1e-9"] = same_nans and out["max_rel"] <= 1e-9
    if name in ("sma", "wma", "stddev", "bbands"):
        worst = np.argsort(np.nan_to_num(sum(scaled), nan=-1.0))[-20:]
        err_tpm = err_talib = 0.0
        for j in worst:
            exact = exact_window(name, close, int(j))
            for col, e in enumerate(exact):
                err_tpm = max(err_tpm, abs(mine[col][j] - e) / max(abs(e), 1.0))
                err_talib = max(err_talib, abs(ref[col][j] - e) / max(abs(e), 1.0))
        out["vs_exact_at_worst_20"] = {"tpm_max_rel": err_tpm, "talib_max_rel": err_talib}
    return out


def streaming_ns(size: int, seed: int) -> dict[str, float]:
    h, lo, c, v = (a.tolist() for a in random_walk(size, seed))

    class Noop:
        __slots__ = ()

        def update(self, x: float) -> float:
            return x

    cases: dict[str, tuple[Any, list[list[float]]]] = {
        "loop_only": (Noop(), [c]),
        "sma": (st.StreamingSMA(20), [c]),
        "ema": (st.StreamingEMA(20), [c]),
        "rsi": (st.StreamingRSI(14), [c]),
        "macd": (st.StreamingMACD(), [c]),
        "bollinger": (st.StreamingBollinger(20), [c]),
        "atr": (st.StreamingATR(14), [h, lo, c]),
        "wma": (st.StreamingWMA(20), [c]),
        "stddev": (st.StreamingStdDev(20), [c]),
        "roc": (st.StreamingROC(10), [c]),
        "stochastic": (st.StreamingStochastic(), [h, lo, c]),
        "obv": (st.StreamingOBV(), [c, v]),
        "vwap": (st.StreamingVWAP(), [h, lo, c, v]),
        "vwap_20": (st.StreamingVWAP(20), [h, lo, c, v]),
    }
    out = {}
    for name, (indicator, cols) in cases.items():
        update = indicator.update
        best = math.inf
        for _ in range(3):
            t0 = time.perf_counter_ns()
            if len(cols) == 1:
                for x in cols[0]:
                    update(x)
            else:
                for row in zip(*cols, strict=True):
                    update(*row)
            best = min(best, (time.perf_counter_ns() - t0) / size)
        out[name] = round(best, 1)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    ap.add_argument("--size", type=int, default=1_000_000, help="values in the random walk")
    ap.add_argument("--repeat", type=int, default=15, help="timed calls of each function")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--data", type=Path, default=DEFAULT_FILE, help="a real OHLCV CSV file")
    args = ap.parse_args()
    walk = random_walk(args.size, args.seed)
    say(f"{args.size:,}-value random walk; TA-Lib {talib.__ta_version__.decode().split()[0]}")

    speed: dict[str, Any] = {}
    for name, (ours, theirs) in pairs(*walk).items():
        t_tpm, t_talib = best_of([ours, theirs], args.repeat)
        speed[name] = {"tpm_ms": round(t_tpm, 3), "talib_ms": round(t_talib, 3)}
        speed[name]["ratio"] = round(t_tpm / t_talib, 3)
        ratio = t_tpm / t_talib
        say(f"  {name:7} tpm {t_tpm:7.2f} ms   TA-Lib {t_talib:7.2f} ms   ratio {ratio:.2f}")
    close = walk[2]
    sweep: dict[str, dict[str, float]] = {"sma": {}, "ema": {}}
    for n in (5, 10, 20, 50, 100, 200):
        sma_ratio = best_of(
            [lambda n=n: ind.sma(close, n), lambda n=n: talib.SMA(close, n)], args.repeat
        )
        ema_ratio = best_of(
            [lambda n=n: ind.ema(close, n), lambda n=n: talib.EMA(close, n)], args.repeat
        )
        sweep["sma"][str(n)] = round(sma_ratio[0] / sma_ratio[1], 3)
        sweep["ema"][str(n)] = round(ema_ratio[0] / ema_ratio[1], 3)
    say(f"  ratio by length: SMA {sweep['sma']}, EMA {sweep['ema']}")
    headline = [speed["sma"]["ratio"], speed["ema"]["ratio"], speed["rsi"]["ratio"]]

    datasets: dict[str, Arrays] = {"random_walk": walk}
    if args.data.is_file():
        from tpm.adapters.feeds.csvbars import read_bar_arrays

        bars = read_bar_arrays(args.data)
        datasets[args.data.name] = (bars.high, bars.low, bars.close, bars.volume)
    else:
        say(f"  (no real data at {args.data}: agreement on the random walk only)")
    agree: dict[str, dict[str, Any]] = {}
    for label, arrays in datasets.items():
        agree[label] = {
            name: agreement(name, ours(), theirs(), arrays[2])
            for name, (ours, theirs) in pairs(*arrays).items()
        }
        say(f"  agreement on {label} ({len(arrays[2]):,} values), max |diff| / max(|TA-Lib|, 1):")
        for name, a in agree[label].items():
            exact = a.get("vs_exact_at_worst_20")
            note = ""
            if exact:
                note = f"   (vs exact: tpm {exact['tpm_max_rel']:.1e}, "
                note += f"TA-Lib {exact['talib_max_rel']:.1e})"
            flag = "" if a["nan_layout_equal"] else "   NaN LAYOUT DIFFERS"
            say(f"    {name:7} {a['max_rel']:.1e} (abs {a['max_abs']:.1e}){note}{flag}")

    stream = streaming_ns(200_000, args.seed)
    say(
        "  streaming update, ns (loop included): "
        + ", ".join(f"{k} {v:.0f}" for k, v in stream.items())
    )
    figures = {
        "size": args.size,
        "speed": speed,
        "speed_ratio_by_length": sweep,
        "acceptance_speed": max(headline) <= 1.5,
        "agreement": agree,
        "streaming_ns": stream,
        "acceptance_streaming": max(stream["sma"], stream["ema"], stream["rsi"]) < 1000,
        "talib": talib.__ta_version__.decode().split()[0],
        "numpy": np.__version__,
        "python": sys.version.split()[0],
    }
    say(
        f"sma/ema/rsi within 1.5x of TA-Lib: {figures['acceptance_speed']} (ratios {headline}); "
        f"streaming SMA/EMA/RSI under 1 us: {figures['acceptance_streaming']}"
    )
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
