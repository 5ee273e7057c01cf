"""The UI under load: CPU share with 200 symbols ticking at 10 Hz, key to screen switch, and the
first frame, each against a plain Textual baseline measured in the same run.

1. CPU: the real app (dashboard with the Line API watchlist) fed by a synthetic engine whose
   200 symbols all move in every snapshot (10 snapshots a second, as the engine coalesces);
   baseline: a plain DataTable of the same 200 rows with every cell updated on every tick
   (200 symbols x 10 Hz). Both headless (App.run_test), in their own process, for the same
   wall time; CPU = process CPU time / wall time over the measured window.
2. Screen switch: on the real app and engine (embedded default), the time from the switch
   action a key press runs to the refresh that shows the new screen; the first visit of a
   screen (which builds it) is reported apart from later ones.
3. First frame: in a fresh interpreter, from before Textual is imported to Textual's Ready
   event (first frame displayed), the real `tpm` app against a bare hello-world Textual app.

Acceptance: tpm's CPU <= 30% of one core (and well below the DataTable baseline); a switch
under 100 ms; the first frame within 2x the hello-world's.

Usage: python benchmarks/ui.py [--seconds S] [--symbols N]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent


def say(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


async def _tpm_cpu(seconds: float, symbols: int) -> dict[str, Any]:
    sys.path.insert(0, str(HERE))
    from ui_feed import SyntheticClient  # type: ignore[import-not-found]

    from tpm.ui.app import TpmApp
    from tpm.ui.widgets.dashboard.watchlist import Watchlist

    client = SyntheticClient(symbols)
    app = TpmApp(client)
    async with app.run_test(size=(120, 40)) as pilot:
        while app.snapshot is None:
            await pilot.pause(0.05)
        await app.screens_built.wait()  # the other screens are built in the background
        await pilot.pause(1.0)  # settle: first layout and caches
        watch = app.screen.query_one(Watchlist)
        rendered0, sent0 = watch.lines_rendered, client.snapshots_sent
        cpu0, wall0 = time.process_time(), time.perf_counter()
        await asyncio.sleep(seconds)
        cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
        return {
            "cpu_pct": round(cpu / wall * 100, 1),
            "snapshots_per_s": round((client.snapshots_sent - sent0) / wall, 1),
            "rows_rendered_per_s": round((watch.lines_rendered - rendered0) / wall, 1),
            "visible_rows": watch.size.height - 1,
        }


async def _datatable_cpu(seconds: float, symbols: int) -> dict[str, Any]:
    import math

    from textual.app import App, ComposeResult
    from textual.widgets import DataTable

    class Plain(App[None]):
        def compose(self) -> ComposeResult:
            yield DataTable()

        def on_mount(self) -> None:
            t = self.query_one(DataTable)
            t.add_columns("Symbol", "Last", "Chg%", "Bid", "Ask", "Score")
            for i in range(symbols):
                t.add_row(f"S{i:03d}", "0", "0", "0", "0", "55", key=f"S{i:03d}")

    app = Plain()
    updates = 0
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause(1.0)
        table = app.query_one(DataTable)
        columns = list(table.columns)
        cpu0, wall0 = time.process_time(), time.perf_counter()
        end = wall0 + seconds
        tick = 1.0 / 10.0
        while time.perf_counter() < end:
            now = time.perf_counter()
            for i in range(symbols):  # every symbol ticks: its cells are updated
                p = 100.0 + i + math.sin(now * 3.1 + i) * 2
                for col, text in zip(
                    columns[1:5],
                    (f"{p:.2f}", f"{p / (100 + i) - 1:+.2%}", f"{p - 0.01:.2f}", f"{p + 0.01:.2f}"),
                    strict=True,
                ):
                    table.update_cell(f"S{i:03d}", col, text)
                    updates += 1
            await asyncio.sleep(max(0.0, tick - (time.perf_counter() - now)))
        cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
    return {"cpu_pct": round(cpu / wall * 100, 1), "cell_updates_per_s": round(updates / wall)}


def _switch(rounds: int) -> dict[str, Any]:
    return asyncio.run(_switch_times(rounds))


def _cpu(kind: str, seconds: float, symbols: int) -> dict[str, Any]:
    runner = _tpm_cpu if kind == "tpm" else _datatable_cpu
    return asyncio.run(runner(seconds, symbols))


async def _switch_times(rounds: int) -> dict[str, Any]:
    import tempfile

    sys.path.insert(0, str(HERE))
    from ui_probe import tpm_probe  # type: ignore[import-not-found]

    keys = ["2", "3", "4", "5", "1"]
    with tempfile.TemporaryDirectory() as home:
        app, client = tpm_probe(Path(home))
        try:
            async with app.run_test(size=(120, 40)) as pilot:
                while app.snapshot is None:
                    await pilot.pause(0.05)
                ready_s = await _screens_ready(app)
                await pilot.pause(1.0)
                for _ in range(rounds):
                    for key in keys:
                        await pilot.press(key)
                        await pilot.pause(0.3)  # let the screen load its data, as a trader would
        finally:
            await client.stop()
    first = [t * 1000 for _, cold, t in app.switches if cold]
    again = [t * 1000 for _, cold, t in app.switches if not cold]
    return {
        "screens": len(keys),
        "screens_ready_s": round(ready_s, 2),
        "first_visit_ms": {m: round(t * 1000, 1) for m, cold, t in app.switches if cold},
        "first_visit_max_ms": round(max(first), 1) if first else None,
        "median_ms": round(statistics.median(again), 1),
        "max_ms": round(max(again), 1),
    }


async def _screens_ready(app: Any) -> float:
    """Seconds from the first snapshot until every screen is built in the background."""
    t = time.perf_counter()
    await app.screens_built.wait()
    return time.perf_counter() - t


def _first_frame(kind: str) -> float:
    out = subprocess.run(
        [sys.executable, str(HERE / "ui_probe.py"), "first-frame", kind],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    ).stdout.split()
    return float(out[-1])


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seconds", type=float, default=10.0)
    p.add_argument("--symbols", type=int, default=200)
    args = p.parse_args()
    ctx = get_context("spawn")
    say(f"CPU with {args.symbols} symbols ticking at 10 Hz, {args.seconds:g}s each ...")
    with ProcessPoolExecutor(1, mp_context=ctx) as ex:
        tpm = ex.submit(_cpu, "tpm", args.seconds, args.symbols).result()
    with ProcessPoolExecutor(1, mp_context=ctx) as ex:
        plain = ex.submit(_cpu, "datatable", args.seconds, args.symbols).result()
    say(
        f"  tpm dashboard: {tpm['cpu_pct']}% of a core ({tpm['snapshots_per_s']} snapshots/s, "
        f"{tpm['rows_rendered_per_s']} rows rendered/s, {tpm['visible_rows']} rows visible)"
    )
    say(
        f"  plain DataTable updated per tick: {plain['cpu_pct']}% of a core "
        f"({plain['cell_updates_per_s']:,} cell updates/s)"
    )
    with ProcessPoolExecutor(1, mp_context=ctx) as ex:
        switch = ex.submit(_switch, 10).result()
    say(
        f"key to screen switch over {switch['screens']} screens (real engine, 36 symbols):"
        f" median {switch['median_ms']} ms, worst {switch['max_ms']} ms;"
        f" first visit (screen built) worst {switch['first_visit_max_ms']} ms"
        f" {switch['first_visit_ms']}; every screen built {switch['screens_ready_s']} s"
        " after the first snapshot"
    )
    hello = statistics.median(_first_frame("hello") for _ in range(3))
    first = statistics.median(_first_frame("tpm") for _ in range(3))
    say(
        f"first frame: hello world {hello * 1000:.0f} ms, tpm {first * 1000:.0f} ms "
        f"(ratio {first / hello:.2f})"
    )
    out = {
        "benchmark": "ui",
        "symbols": args.symbols,
        "tpm": tpm,
        "datatable_baseline": plain,
        "switch": switch,
        "first_frame_ms": {
            "hello": round(hello * 1000),
            "tpm": round(first * 1000),
            "ratio": round(first / hello, 2),
        },
        "meets_target": tpm["cpu_pct"] <= 30
        and max(switch["max_ms"], switch["first_visit_max_ms"] or 0) < 100
        and first / hello <= 2.0,
    }
    print(json.dumps(out))


if __name__ == "__main__":
    main()
