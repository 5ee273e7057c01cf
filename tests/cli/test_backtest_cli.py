"""`tpm backtest` as a user runs it: a real subprocess on CSV files and a strategy file."""

from __future__ import annotations

import csv
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tpm.cli.backtest import refusals, trade_pnls
from tpm.domain import ClientOrderId, Fill, Side

from .test_cli import tpm

STRATEGY = """\
[strategy]
name = "sma-cross"
symbols = ["{symbol}"]
timeframe = "1d"
[entry]
when = "crosses_above(sma(close, 5), sma(close, 20))"
[exit]
when = "crosses_below(sma(close, 5), sma(close, 20))"
[size]
qty = 100
"""


def bars_csv(path: Path, n: int = 400, seed: int = 9) -> Path:
    """A Yahoo-style daily file of a random walk with changing trends."""
    rng = np.random.default_rng(seed)
    drift = np.repeat(rng.normal(0, 0.004, n // 40 + 1), 40)[:n]
    close = 40 * np.exp(np.cumsum(drift + rng.normal(0, 0.015, n)))
    days = np.datetime64("2015-01-01") + np.arange(n)
    with path.open("w", newline="", encoding="utf-8") as out:
        w = csv.writer(out)
        w.writerow(["Date", "Open", "High", "Low", "Close", "Volume"])
        prev = close[0]
        for d, c in zip(days, close, strict=True):
            w.writerow(
                [
                    str(d),
                    f"{prev:.4f}",
                    f"{max(prev, c) * 1.004:.4f}",
                    f"{min(prev, c) * 0.996:.4f}",
                    f"{c:.4f}",
                    100000,
                ]
            )
            prev = c
    return path


def home(tmp_path: Path, config: str = "") -> Path:
    h = tmp_path / "home"
    h.mkdir()
    (h / "config.toml").write_text(config, encoding="utf-8")
    return h


def backtest(tmp_path: Path, data: Path, *args: str, config: str = "") -> Any:
    """`tpm backtest` of the sma-cross strategy on `data` (a file of the symbol WALK)."""
    strategy = tmp_path / "s.toml"
    strategy.write_text(STRATEGY.format(symbol="WALK"), encoding="utf-8")
    return tpm(
        home(tmp_path, config), "backtest", "--data", str(data), "--strategy", str(strategy), *args
    )


def test_json_report(tmp_path: Path) -> None:
    data = bars_csv(tmp_path / "WALK.csv")
    out = backtest(
        tmp_path,
        data,
        "--cash",
        "25000",
        "--commission",
        "0.001",
        "--json",
    )
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout)
    assert report["bars_processed"] == 400 and report["initial_cash"] == 25000
    assert report["elapsed_s"] > 0
    trades = report["trades"]
    assert len(trades) >= 4 and {t["side"] for t in trades} == {"buy", "sell"}
    assert all(t["qty"] == 100 and t["symbol"] == "WALK" for t in trades)
    assert trades[0]["ts"].startswith("2015-")
    # Final equity is the cash the trades left plus what is still held, at the last close.
    commission = sum(t["qty"] * t["price"] * 0.001 for t in trades)
    cash = 25000 - sum((1 if t["side"] == "buy" else -1) * t["qty"] * t["price"] for t in trades)
    held = sum((1 if t["side"] == "buy" else -1) * t["qty"] for t in trades)
    with data.open(encoding="utf-8") as f:
        last_close = float(list(csv.DictReader(f))[-1]["Close"])
    assert report["final_equity"] == pytest.approx(cash - commission + held * last_close, abs=0.05)
    m = report["metrics"]
    for key in (
        "total_return",
        "cagr",
        "sharpe_ratio",
        "sortino_ratio",
        "max_drawdown",
        "calmar_ratio",
        "annual_volatility",
        "value_at_risk",
        "conditional_value_at_risk",
        "win_rate",
        "profit_factor",
        "exposure",
    ):
        assert key in m
    assert m["total_return"] == pytest.approx(report["final_equity"] / 25000 - 1, rel=1e-4)
    assert m["trades"] == len(trades) // 2


PYTHON = """\
from tpm.analysis.indicators import sma
from tpm.strategies import PythonStrategy


class Cross(PythonStrategy):
    name = "py-cross"
    symbols = ("WALK",)

    def on_bar(self, bar, ctx):
        c = self.closes("WALK")
        if len(c) < 21:
            return []
        fast, slow = sma(c, 5), sma(c, 20)
        held = ctx.position("WALK")
        if fast[-2] <= slow[-2] and fast[-1] > slow[-1] and not held:
            return [self.target("WALK", 100, "up")]
        if fast[-2] >= slow[-2] and fast[-1] < slow[-1] and held:
            return [self.target("WALK", 0, "down")]
        return []
"""


def test_a_python_strategy_backtests_like_its_strategy_file(tmp_path: Path) -> None:
    data = bars_csv(tmp_path / "WALK.csv")
    rules = json.loads(backtest(tmp_path, data, "--json").stdout)
    py = tmp_path / "cross.py"
    py.write_text(PYTHON, encoding="utf-8")
    out = tpm(tmp_path / "home", "backtest", "--data", str(data), "--strategy", str(py), "--json")
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout)
    assert report["strategy"] == "py-cross" and report["bars_processed"] == 400
    assert len(report["trades"]) >= 4
    assert report["trades"] == rules["trades"]
    assert report["final_equity"] == rules["final_equity"]
    opt = tpm(
        tmp_path / "home",
        "optimize",
        "--data",
        str(data),
        "--strategy",
        str(py),
        "--param",
        "fast=5:10:5",
    )
    assert opt.returncode == 2 and "cross.py: tpm optimize varies the [params]" in opt.stderr


def test_bars_in_the_store_backtest_as_the_same_bars_from_a_file(tmp_path: Path) -> None:
    import asyncio

    from tpm.adapters.feeds.csvbars import read_bars
    from tpm.store.sql_store import SqlStore

    data = bars_csv(tmp_path / "WALK.csv")
    from_file = json.loads(backtest(tmp_path, data, "--json").stdout)
    h = tmp_path / "home"

    async def store_bars() -> None:
        store = SqlStore(f"sqlite+aiosqlite:///{h / 'tpm.db'}")
        await store.open()
        try:
            await store.save_bars(read_bars(data, symbol="WALK").bars)
        finally:
            await store.close()

    asyncio.run(store_bars())
    strategy = str(tmp_path / "s.toml")
    out = tpm(h, "backtest", "--stored", "--strategy", strategy, "--json")
    assert out.returncode == 0, out.stderr
    stored = json.loads(out.stdout)
    assert stored["bars_processed"] == 400 and len(stored["trades"]) >= 4
    assert stored["trades"] == from_file["trades"]
    latest = json.loads(
        tpm(h, "backtest", "--stored", "--bars", "200", "--strategy", strategy, "--json").stdout
    )
    assert latest["bars_processed"] == 200
    assert latest["trades"][0]["ts"] >= from_file["trades"][0]["ts"]
    both = tpm(h, "backtest", "--stored", "--data", str(data), "--strategy", strategy)
    assert (
        both.returncode == 2 and "--data FILE.csv (repeat for several) or --stored" in both.stderr
    )
    empty = tpm(tmp_path / "other", "backtest", "--stored", "--strategy", strategy)
    assert empty.returncode == 2
    assert "the store holds 0 1d bars of WALK" in empty.stderr


def test_readable_report_and_export(tmp_path: Path) -> None:
    data = bars_csv(tmp_path / "WALK.csv")
    out = backtest(
        tmp_path,
        data,
        "--export",
        str(tmp_path / "out"),
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("sma-cross: 400 bars,")
    assert "Sharpe" in out.stdout and "equity" in out.stdout and "drawdown %" in out.stdout
    trades = list(csv.DictReader((tmp_path / "out" / "trades.csv").open(encoding="utf-8")))
    equity = list(csv.DictReader((tmp_path / "out" / "equity.csv").open(encoding="utf-8")))
    assert trades and len(equity) == 400
    assert equity[0]["ts"] == "2015-01-02T00:00:00Z"  # the first bar's close


def test_limits_in_force_refuse_and_the_report_says_which(tmp_path: Path) -> None:
    tight = "[risk.order_size]\nmax_qty = 50\n"
    out = backtest(tmp_path, bars_csv(tmp_path / "WALK.csv"), "--json", config=tight)
    report = json.loads(out.stdout)
    assert report["trades"] == [] and report["rejected"] > 0
    assert list(report["rejections"]) == ["risk.order_size.max_qty"]


@pytest.mark.parametrize(
    ("strategy", "data_symbol", "message"),
    [
        (STRATEGY.replace("sma(close, 5)", "sma(close 5)"), "WALK", "s.toml: entry.when:"),
        (STRATEGY.format(symbol="OTHER"), "WALK", "no bars for OTHER"),
        (STRATEGY.format(symbol="WALK").replace('"1d"', '"1h"'), "WALK", "decides on 1h bars"),
    ],
)
def test_mistakes_exit_2_with_a_sentence(
    tmp_path: Path, strategy: str, data_symbol: str, message: str
) -> None:
    data = bars_csv(tmp_path / f"{data_symbol}.csv", n=60)
    path = tmp_path / "s.toml"
    path.write_text(strategy.replace("{symbol}", "WALK"), encoding="utf-8")
    out = tpm(home(tmp_path), "backtest", "--data", str(data), "--strategy", str(path))
    assert out.returncode == 2
    assert message in out.stderr and out.stderr.startswith("tpm: ")


def _fill(n: int, side: Side, qty: str, price: str, commission: str = "1") -> Fill:
    return Fill(
        f"x{n}",
        ClientOrderId(f"c{n}"),
        "A",
        side,
        Decimal(qty),
        Decimal(price),
        Decimal(commission),
        n,
    )


def test_round_trips_by_hand() -> None:
    fills = [
        _fill(1, Side.BUY, "100", "10"),  # long 100
        _fill(2, Side.SELL, "100", "12"),  # flat: +200 - 2 commission
        _fill(3, Side.SELL, "50", "20"),  # short 50
        _fill(4, Side.BUY, "150", "18", "3"),  # closes the short (+100 - 1 - 1) and goes long 100
        _fill(5, Side.SELL, "100", "17"),  # flat: -100 - 2 - 1
    ]
    assert trade_pnls(fills) == pytest.approx([198.0, 98.0, -103.0])
    assert trade_pnls([]) == []


def test_refusals_are_counted_by_the_limit() -> None:
    got = refusals(
        [
            "order notional 60,000 exceeds risk.order_size.max_notional 50,000",
            "order quantity 12,000 exceeds risk.order_size.max_qty 10,000",
            "order notional 70,000 exceeds risk.order_size.max_notional 50,000",
            "the broker said no",
        ]
    )
    assert list(got) == [
        "risk.order_size.max_notional",
        "risk.order_size.max_qty",
        "the broker said no",
    ]
    assert got["risk.order_size.max_notional"]["orders"] == 2
