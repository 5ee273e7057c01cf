"""tpm optimize: grids, windows, and a ranked table whose figures are real backtests."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from tpm.cli.optimize import Window, grid_values, windows
from tpm.errors import ConfigError

from .test_backtest_cli import bars_csv, home
from .test_cli import tpm

STRATEGY = """\
[strategy]
name = "sma-cross"
symbols = ["WALK"]
timeframe = "1d"
[params]
fast = 5
slow = 20
[entry]
when = "crosses_above(sma(close, fast), sma(close, slow))"
[exit]
when = "crosses_below(sma(close, fast), sma(close, slow))"
[size]
qty = 100
"""


def test_grid_values() -> None:
    assert grid_values("fast=5:30:5") == ("fast", [5, 10, 15, 20, 25, 30])
    assert grid_values("k=0.5:1.5:0.5") == ("k", [0.5, 1, 1.5])
    assert grid_values(" slow = 20,50 ") == ("slow", [20, 50])
    assert grid_values("n=7") == ("n", [7])
    for bad in ("fast", "fast=", "fast=5:1:1", "fast=1:5:0", "fast=a,b"):
        with pytest.raises(ConfigError, match=f"--param {bad}"):
            grid_values(bad)


def test_windows_split_and_walk_forward() -> None:
    t = np.arange(100, dtype=np.int64) * 10
    ((inside, outside),) = windows(t, 0.7, 0)
    assert inside == Window(0, 700) and outside == Window(700, 991)
    wf = windows(t, 0.7, 3)
    assert [w[0].start_ns for w in wf] == [0, 0, 0]  # anchored at the first bar
    assert [w[0].end_ns for w in wf] == [w[1].start_ns for w in wf] == [250, 500, 750]
    assert [w[1].end_ns for w in wf] == [500, 750, 991]  # each OOS block follows its IS
    assert windows(t, 1.0, 0) == [(Window(0, 991), None)]


def test_ranked_in_sample_with_out_of_sample_beside(tmp_path: Path) -> None:
    data = bars_csv(tmp_path / "WALK.csv", n=500)
    strategy = tmp_path / "s.toml"
    strategy.write_text(STRATEGY, encoding="utf-8")
    h = home(tmp_path)
    out = tpm(
        h,
        "optimize",
        "--strategy",
        str(strategy),
        "--data",
        str(data),
        "--param",
        "fast=3:9:3",
        "--param",
        "slow=20,40",
        "--jobs",
        "2",
        "--json",
    )
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout)
    rows = report["results"]
    assert report["points"] == 6 and len(rows) == 6
    assert {(r["params"]["fast"], r["params"]["slow"]) for r in rows} == {
        (f, s) for f in (3, 6, 9) for s in (20, 40)
    }
    ranked = [r["in_sample"]["sharpe_ratio"] for r in rows]
    assert ranked == sorted(ranked, reverse=True)
    assert all(r["out_of_sample"] is not None for r in rows)
    # The in-sample figure is the backtest of the first 70% of the bars with those params.
    best = rows[0]["params"]
    is_file = tmp_path / "is" / "WALK.csv"
    is_file.parent.mkdir()
    lines = data.read_text().splitlines()
    is_file.write_text("\n".join(lines[: 1 + 350]) + "\n")  # header and 350 of 500 bars
    one = tmp_path / "one.toml"
    one.write_text(
        STRATEGY.replace("fast = 5", f"fast = {best['fast']}").replace(
            "slow = 20", f"slow = {best['slow']}"
        ),
        encoding="utf-8",
    )
    direct = json.loads(
        tpm(h, "backtest", "--data", str(is_file), "--strategy", str(one), "--json").stdout
    )
    assert rows[0]["in_sample"]["total_return"] == pytest.approx(
        direct["metrics"]["total_return"], rel=1e-6
    )
    assert rows[0]["in_sample"]["trades"] == direct["metrics"]["trades"]


def test_a_parameter_the_file_does_not_have(tmp_path: Path) -> None:
    strategy = tmp_path / "s.toml"
    strategy.write_text(STRATEGY, encoding="utf-8")
    out = tpm(
        home(tmp_path),
        "optimize",
        "--strategy",
        str(strategy),
        "--data",
        str(bars_csv(tmp_path / "WALK.csv", n=100)),
        "--param",
        "period=5:10:5",
    )
    assert out.returncode == 2
    assert "sma-cross has no parameter period (its [params]: fast, slow)" in out.stderr
