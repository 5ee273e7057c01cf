"""What each command does. Errors become one sentence on stderr and an exit status.

`report` (the store and the engine) and the validated settings are imported by the commands
that use them: the app's path to its first frame imports neither."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import sys
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from tpm.cli.logs import setup_logging
from tpm.config import Paths, read_raw, resolve_paths
from tpm.errors import ConfigError, DataError, StoreUnavailable, TpmError

if TYPE_CHECKING:
    from tpm.config import Config
    from tpm.store.sql_store import SqlStore

__all__ = [
    "app",
    "attach",
    "audit",
    "db",
    "fills",
    "guarded",
    "halt",
    "headless",
    "import_bars",
    "order",
    "orders",
    "portfolio",
    "resume",
    "risk",
    "user",
]

log = logging.getLogger("tpm")


def guarded(handler: Callable[[argparse.Namespace], int], args: argparse.Namespace) -> int:
    """Run a command; a TpmError is reported as its sentence (exit 2 for config, else 1)."""
    try:
        return handler(args)
    except ConfigError as exc:
        print(f"tpm: {exc}", file=sys.stderr)
        return 2
    except (DataError, StoreUnavailable, TpmError) as exc:
        print(f"tpm: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


def _setup(args: argparse.Namespace) -> tuple[Config, Paths]:
    from tpm.config import load_config

    paths = resolve_paths(args.config)
    config = load_config(paths.config_file, required=args.config is not None)
    setup_logging(config.engine.log_level)
    return config, paths


def headless(args: argparse.Namespace) -> int:
    config, paths = _setup(args)
    if args.duration < 0:
        raise ConfigError(f"--duration {args.duration:g}: must be 0 or more seconds")
    return asyncio.run(_headless(config, paths, args.duration))


async def _headless(config: Config, paths: Paths, duration_s: float) -> int:
    import signal

    from tpm.cli import report
    from tpm.cli.remote import listen_of, start_server
    from tpm.cli.wiring import build_engine, database_url
    from tpm.store.db import redact

    where = listen_of(config)  # an unsafe address stops us before anything starts
    engine = build_engine(config, paths)
    log.info(
        "tpm %s headless: config %s, database %s",
        _version(),
        paths.config_file,
        redact(database_url(config, paths)),
    )
    started = time.monotonic()
    server = None
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        # A signal must work during start-up too (e.g. while waiting for an absent database).
        starting = asyncio.create_task(engine.start())
        stopping = asyncio.create_task(stop.wait())
        await asyncio.wait({starting, stopping}, return_when=asyncio.FIRST_COMPLETED)
        if not starting.done():
            starting.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await starting
            log.info("stopped during start-up")
        else:
            starting.result()
            if where is not None:
                server = await start_server(engine, config, where, paths.config_file)
            remaining = None if duration_s <= 0 else duration_s
            try:
                await asyncio.wait_for(stopping, remaining)
            except TimeoutError:
                log.info("duration of %gs reached", duration_s)
        stopping.cancel()
        log.info("stopping")
    finally:
        if server is not None:
            await server.close()
        await engine.stop()
    print(report.summary(engine, time.monotonic() - started), file=sys.stderr)
    return 0


def app(args: argparse.Namespace) -> int:
    # The file is read here (a missing or broken one stops us before the terminal is taken);
    # its settings are validated while the first frame is on screen (tpm.cli.launch).
    paths = resolve_paths(args.config)
    raw = read_raw(paths.config_file, required=args.config is not None)
    from tpm.cli.launch import run_app

    return int(run_app(raw, paths))


def _open_store(args: argparse.Namespace) -> SqlStore:
    from tpm.cli.wiring import build_store

    config, paths = _setup(args)
    return build_store(config, paths)


def import_bars(args: argparse.Namespace) -> int:
    from tpm.adapters.feeds.csvbars import read_bars
    from tpm.domain import Timeframe

    timeframe = Timeframe(args.timeframe) if args.timeframe else None
    started = time.perf_counter()
    bar_file = read_bars(args.file, symbol=args.symbol, timeframe=timeframe)
    store = _open_store(args)

    async def run() -> int:
        await store.open()
        try:
            return await store.save_bars(bar_file.bars)
        finally:
            await store.close()

    n = asyncio.run(run())
    print(
        f"stored {n:,} {bar_file.timeframe} bars of {bar_file.symbol} from {args.file} "
        f"in {time.perf_counter() - started:.2f}s"
    )
    return 0


def import_fundamentals(args: argparse.Namespace) -> int:
    from tpm.cli import fundamentals

    return fundamentals.import_fundamentals(args)


def orders(args: argparse.Namespace) -> int:
    from tpm.cli import report

    store = _open_store(args)
    rows = asyncio.run(report.with_store(store, lambda s: s.load_orders(open_only=args.open)))
    print(report.orders_json(rows) if args.json else report.orders_table(rows))
    return 0


def fills(args: argparse.Namespace) -> int:
    from tpm.cli import report

    store = _open_store(args)
    rows = asyncio.run(report.with_store(store, lambda s: s.load_fills()))
    print(report.fills_json(rows) if args.json else report.fills_table(rows))
    return 0


def portfolio(args: argparse.Namespace) -> int:
    from tpm.cli import report

    store = _open_store(args)
    view = asyncio.run(report.with_store(store, report.portfolio_view))
    print(report.portfolio_json(view) if args.json else report.portfolio_table(view))
    return 0


def db(args: argparse.Namespace) -> int:
    from tpm.cli import report

    store = _open_store(args)
    if args.db_command == "upgrade":
        asyncio.run(report.with_store(store, lambda s: asyncio.sleep(0)))
        print("database schema is up to date")
        return 0
    problems = asyncio.run(report.with_store(store, report.consistency_problems))
    for line in problems:
        print(line)
    if problems:
        return 1
    print("ok: integrity check passed and every position equals the sum of its fills")
    return 0


def halt(args: argparse.Namespace) -> int:
    payload = {"flatten": args.flatten, "reason": args.reason}
    return _control(args, "halt", payload)


def resume(args: argparse.Namespace) -> int:
    return _control(args, "resume", {})


def order(args: argparse.Namespace) -> int:
    from decimal import Decimal, InvalidOperation

    try:
        qty = Decimal(args.qty)
        limit = None if args.limit is None else str(Decimal(args.limit))
        stop = None if args.stop is None else str(Decimal(args.stop))
    except InvalidOperation:
        raise ConfigError("order: quantity and prices must be numbers") from None
    kind = {
        (False, False): "market",
        (True, False): "limit",
        (False, True): "stop",
        (True, True): "stop_limit",
    }[(limit is not None, stop is not None)]
    payload = {
        "side": args.side,
        "qty": str(qty),
        "symbol": args.symbol,
        "type": kind,
        "tif": args.tif,
        "limit": limit,
        "stop": stop,
    }
    return _control(args, "order", payload)


def _control(args: argparse.Namespace, action: str, payload: dict[str, object]) -> int:
    from tpm.cli import report
    from tpm.cli.control import send_command
    from tpm.cli.users import logged_in
    from tpm.cli.wiring import build_store

    config, paths = _setup(args)
    store = build_store(config, paths)

    async def run(s: SqlStore) -> tuple[bool, str]:
        who = await logged_in(s, config, action, args.user)
        return await send_command(s, action, payload, who=who)

    ok, sentence = asyncio.run(report.with_store(store, run))
    print(sentence, file=sys.stdout if ok else sys.stderr)
    return 0 if ok else 1


def risk(args: argparse.Namespace) -> int:
    from tpm.cli import report
    from tpm.cli.control import render_risk, risk_status

    config, paths = _setup(args)
    from tpm.cli.wiring import build_store

    store = build_store(config, paths)
    status = asyncio.run(report.with_store(store, lambda s: risk_status(s, config)))
    print(render_risk(status, args.json))
    return 0


def score(args: argparse.Namespace) -> int:
    from tpm.cli.score import score_command

    config, paths = _setup(args)
    return score_command(args, config, paths)


def backtest(args: argparse.Namespace) -> int:
    from tpm.cli.backtest import backtest_command

    config, paths = _setup(args)
    return backtest_command(args, config, paths)


def attach(args: argparse.Namespace) -> int:
    from tpm.cli.remote import attach as attach_app

    return attach_app(args)


def user(args: argparse.Namespace) -> int:
    from tpm.cli.users import user_command

    config, paths = _setup(args)
    return user_command(args, config, paths)


def audit(args: argparse.Namespace) -> int:
    from tpm.cli.users import audit_command

    config, paths = _setup(args)
    return audit_command(args, config, paths)


def optimize(args: argparse.Namespace) -> int:
    from tpm.cli.optimize import optimize_command

    config, _paths = _setup(args)
    return optimize_command(args, config)


def evaluate(args: argparse.Namespace) -> int:
    from tpm.cli.evaluate import evaluate_command

    return evaluate_command(args)


def _version() -> str:
    from tpm import __version__

    return __version__
