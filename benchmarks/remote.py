"""Snapshot fan-out: an engine serving 0, 1, 10 and 50 attached clients on loopback.

The engine is built as `tpm --headless` builds it from the default config, on a simulated
market of 200 symbols ticking 10 times a second each, with snapshots at 10 Hz and the control
API on 127.0.0.1. Clients run in a separate process (so their work is not counted as the
engine's): each logs in as a real user and subscribes, then counts the snapshot frames it
receives (without parsing them: on a small machine 50 parsing clients would need more cores
than the engine leaves free, and the figure sought is the engine's fan-out).

For every client count it prints the frames per second delivered to all clients together,
the share of ideal delivery (clients x snapshots the engine published), the bytes each client
received (snapshots go whole once, then as patches: tpm.remote.delta), and the engine
process's CPU over the same window, against the same engine with no clients.

Usage: python benchmarks/remote.py [--seconds S] [--counts 0,1,10,50] [--compress]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing as mp
import os
import sys
import tempfile
import time
from multiprocessing.connection import Connection
from typing import Any
from unittest import mock

from bench_feed import universe
from websockets.asyncio.client import connect

from tpm.adapters.feeds import sim, sim_universe

PASSWORD = "violet tram 42"


def say(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def _clients(conn: Connection, url: str, n: int, seconds: float) -> None:
    """In its own process: `n` clients log in, subscribe and read every frame; the frames
    that arrive during the `seconds` after the engine's "go" are counted."""

    async def one(i: int, counts: list[int], sizes: list[int], window: list[float]) -> None:
        async with connect(url, max_size=2**25) as ws:
            login = {"user": "bench", "password": PASSWORD}
            await ws.send(json.dumps({"id": 1, "op": "login", "args": login}))
            answer = json.loads(await ws.recv())
            assert answer.get("ok", {}).get("who"), answer
            await ws.send(json.dumps({"id": 2, "op": "subscribe"}))
            while not window or time.monotonic() < window[1]:
                try:
                    frame = await asyncio.wait_for(ws.recv(), 1.0)
                except TimeoutError:
                    continue
                # Counted, not parsed: 50 parsing clients would need more cores than the
                # engine has beside it, and the figure is the engine's fan-out.
                # A whole snapshot or a patch on the one before (tpm.remote.delta).
                snapshot = isinstance(frame, str) and frame.startswith('{"snapshot')
                if snapshot and window and window[0] <= time.monotonic() < window[1]:
                    counts[i] += 1
                    sizes[i] += len(frame)

    async def run() -> tuple[list[int], list[int]]:
        counts, sizes = [0] * n, [0] * n
        window: list[float] = []
        tasks = [asyncio.create_task(one(i, counts, sizes, window)) for i in range(n)]
        await asyncio.sleep(0)
        conn.send("ready")
        await asyncio.to_thread(conn.recv)  # the engine's window starts
        now = time.monotonic()
        window.extend((now, now + seconds))
        await asyncio.wait_for(asyncio.gather(*tasks, return_exceptions=True), seconds + 30)
        return counts, sizes

    conn.send(asyncio.run(run()))


async def measure(
    counts: list[int], seconds: float, compress: bool
) -> tuple[list[dict[str, Any]], float]:
    from tpm.cli.remote import Listen, start_server
    from tpm.cli.wiring import build_accounts, build_engine
    from tpm.config import Config, resolve_paths
    from tpm.domain.users import Role
    from tpm.store.sql_store import SqlStore

    results = []
    with tempfile.TemporaryDirectory() as home:
        os.environ["TPM_HOME"] = home
        paths = resolve_paths(None)
        config = Config.model_validate(
            {
                "feed": {"sim": {"symbols": 200, "tick_hz": 10.0}},
                "engine": {"snapshot_hz": 10.0, "log_level": "warning"},
                "remote": {"compress": compress},
            }
        )
        cloned = universe(200)  # the sim has fewer symbols: cloned, as bench_feed does
        with (
            mock.patch.object(sim, "UNIVERSE", cloned),
            mock.patch.object(sim_universe, "UNIVERSE", cloned),
        ):
            engine = build_engine(config, paths)
        await engine.start()
        store = engine.store
        assert isinstance(store, SqlStore)
        accounts = build_accounts(config, store)
        await accounts.add("bench", Role.TRADER, PASSWORD, actor="bench")
        server = await start_server(engine, config, Listen("127.0.0.1", 0, None), None)
        assert server.port
        url = f"ws://127.0.0.1:{server.port}"
        await asyncio.sleep(3)  # the feed's warm-up
        try:
            for n in counts:
                results.append(await _window(engine, url, n, seconds))
                r = results[-1]
                say(
                    f"  {n:3d} clients: {r['frames_per_s']:8.1f} frames/s delivered "
                    f"({r['delivered_pct']:.0f}% of {r['published_per_s']:.1f}/s x {n}), "
                    f"{r['kib_per_s_per_client']:.0f} KiB/s per client, "
                    f"engine CPU {r['engine_cpu_pct']:.1f}%"
                )
            decode_ms = _decode_ms(engine.publisher.latest)
            say(f"  an attached app reads (decodes) one snapshot in {decode_ms:.2f} ms")
        finally:
            await server.close()
            await engine.stop()
    return results, decode_ms


def _decode_ms(snapshot: Any, repeat: int = 30) -> float:
    """What each snapshot costs the attached app's side: the JSON read back into objects."""
    from tpm.domain.snapshot import EngineSnapshot
    from tpm.remote.codec import decode, encode

    data = json.loads(json.dumps(encode(snapshot)))
    start = time.perf_counter()
    for _ in range(repeat):
        decode(data, EngineSnapshot, "snapshot")
    return (time.perf_counter() - start) / repeat * 1000


async def _window(engine: Any, url: str, n: int, seconds: float) -> dict[str, Any]:
    ctx = mp.get_context("spawn")
    parent, child = ctx.Pipe()
    proc = None
    if n:
        proc = ctx.Process(target=_clients, args=(child, url, n, seconds))
        proc.start()
        await asyncio.to_thread(parent.recv)  # clients connect and log in before the window
        await asyncio.sleep(1.0)
        parent.send("go")
    v0 = engine.publisher.latest.version
    cpu0, wall0 = time.process_time(), time.perf_counter()
    await asyncio.sleep(seconds)
    cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
    published = engine.publisher.latest.version - v0
    got: list[int] = []
    sizes: list[int] = []
    if proc is not None:
        got, sizes = await asyncio.to_thread(parent.recv)
        proc.join()
    frames_per_s = sum(got) / seconds  # each client counts over its own window of `seconds`
    ideal = published / wall * n
    return {
        "clients": n,
        "frames_per_s": frames_per_s,
        "published_per_s": published / wall,
        "delivered_pct": 100.0 * frames_per_s / ideal if ideal else 100.0,
        "kib_per_s_per_client": sum(sizes) / seconds / n / 1024 if n else 0.0,
        "engine_cpu_pct": 100.0 * cpu / wall,
    }


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seconds", type=float, default=15.0)
    p.add_argument("--counts", default="0,1,10,50")
    p.add_argument("--compress", action="store_true", help="[remote] compress = true")
    args = p.parse_args()
    counts = [int(c) for c in args.counts.split(",")]
    say(
        f"200 symbols at 10 Hz, snapshots at 10 Hz, {args.seconds:g}s per client count, "
        f"compression {'on' if args.compress else 'off'}"
    )
    results, decode_ms = asyncio.run(measure(counts, args.seconds, args.compress))
    base = next((r for r in results if r["clients"] == 0), None)
    out: dict[str, Any] = {
        "benchmark": "remote",
        "seconds": args.seconds,
        "compress": args.compress,
        "runs": results,
        "client_decode_ms": decode_ms,
    }
    if base is not None:
        out["engine_cpu_pct_no_clients"] = base["engine_cpu_pct"]
    print(json.dumps(out))


if __name__ == "__main__":
    main()
