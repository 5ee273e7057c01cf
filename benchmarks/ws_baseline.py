"""Websocket baseline: how many small JSON frames a Python `websockets` client takes in per second.

A server process writes pre-encoded ~110-byte JSON quote frames to 127.0.0.1 as fast as the
socket takes them (so the client, not the server, sets the rate); the client runs `json.loads`
on every frame, as a feed adapter would. Used by engine_throughput.py; runnable on its own:

    python benchmarks/ws_baseline.py [--frames N]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing as mp
import sys
import time
from multiprocessing.connection import Connection

from websockets.asyncio.client import connect
from websockets.asyncio.server import ServerConnection, serve

__all__ = ["websocket_baseline"]


def quote_frames(n: int = 1024) -> list[bytes]:
    """Distinct JSON quote messages of about 110 bytes, as an exchange feed might send them."""
    out = []
    for i in range(n):
        bid = round(189.12 + (i % 97) * 0.01, 2)
        msg = {"e": "quote", "s": "AAPL", "x": "XNAS", "b": bid, "a": round(bid + 0.02, 2)}
        msg |= {"bs": 300 + i % 7 * 100, "as": 500 + i % 5 * 100}
        msg |= {"t": 1_700_000_000_123_456_789 + i * 1000, "q": 1_000_000 + i}
        out.append(json.dumps(msg, separators=(",", ":")).encode())
    return out


def _serve(conn: Connection, frames: int) -> None:
    """Serve one client: `frames` unmasked text frames, pre-encoded, written in big chunks."""
    payloads = quote_frames()
    chunk = b"".join(b"\x81" + bytes([len(p)]) + p for p in payloads)  # each under 126 bytes
    finished = asyncio.Event()

    async def handler(ws: ServerConnection) -> None:
        for _ in range(0, frames, len(payloads)):
            ws.transport.write(chunk)
            await ws.drain()
        await ws.wait_closed()
        finished.set()

    async def main() -> None:
        async with serve(handler, "127.0.0.1", 0, compression=None) as server:
            conn.send(server.sockets[0].getsockname()[1])
            await finished.wait()

    asyncio.run(main())


async def _receive(port: int, frames: int) -> tuple[float, int]:
    loads = json.loads
    n = size = 0
    first = last = 0.0
    async with connect(f"ws://127.0.0.1:{port}", compression=None, max_size=None) as ws:
        async for msg in ws:
            if n == 0:
                first, size = time.perf_counter(), len(msg)
            loads(msg)
            n += 1
            if n >= frames:
                last = time.perf_counter()
                break
    return (n - 1) / (last - first), size


def websocket_baseline(frames: int = 500_000) -> tuple[float, int]:
    """(frames per second the client received and parsed, bytes per frame)."""
    ctx = mp.get_context("spawn")
    ours, theirs = ctx.Pipe()
    server = ctx.Process(target=_serve, args=(theirs, frames + 1024), daemon=True)
    server.start()
    try:
        return asyncio.run(_receive(ours.recv(), frames))
    finally:
        server.join(10)
        if server.is_alive():
            server.terminate()


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description="Frames/s of a websockets client on 127.0.0.1.")
    ap.add_argument("--frames", type=int, default=500_000)
    rate, size = websocket_baseline(ap.parse_args().frames)
    print(f"{rate:,.0f} frames/s of {size} bytes, json.loads on each", file=sys.stderr)
    print(json.dumps({"benchmark": "ws_baseline", "frames_per_s": round(rate), "bytes": size}))
