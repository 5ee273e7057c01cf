"""Command line entry points. Heavy modules are imported inside the commands that need them,
so `tpm --help` and `tpm --version` start fast and never load pandas, plotext or a SQL driver."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence

from tpm import __version__

__all__ = ["main"]

Command = Callable[[argparse.Namespace], int]


def _parser() -> argparse.ArgumentParser:
    from tpm.cli import users

    p = argparse.ArgumentParser(
        prog="tpm",
        description="Terminal trading workstation: live market, three-pillar scores, strategies "
        "under hard risk limits. With no command, opens the app.",
        epilog="TPM_HOME=DIR keeps config.toml and tpm.db in DIR. TPM_DB_URL and TPM_LOG_LEVEL "
        "override the config file.",
    )
    p.add_argument("--version", action="version", version=f"tpm {__version__}")
    p.add_argument(
        "--config",
        metavar="FILE",
        help="config file (default: config.toml in the config directory, or in TPM_HOME)",
    )
    p.add_argument(
        "--headless",
        action="store_true",
        help="run the engine with no UI (for a server or a service)",
    )
    p.add_argument(
        "--duration",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="with --headless: stop cleanly after this many seconds (0: until SIGINT/SIGTERM)",
    )
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    users.add_parsers(sub)
    att = sub.add_parser(
        "attach",
        help="open the app on a remote engine (tpm --headless with [remote] listen)",
        description="Run the app on an engine elsewhere: ws://HOST:PORT (or wss:// with TLS), "
        "or a name from [remote] engines. For a server on a loopback address, forward the "
        "port first: ssh -L 8765:127.0.0.1:8765 box.",
    )
    att.add_argument("target", help="ws://HOST:PORT, wss://HOST:PORT, or an engine's name")
    att.add_argument(
        "--cafile", metavar="FILE", help="with wss://: the certificate authority to trust"
    )

    imp = sub.add_parser(
        "import",
        help="store bars from a CSV file in the database",
        description="Read a CSV bar file (Yahoo, Stooq, exchange klines, generic "
        "OHLCV) and store its bars.",
    )
    imp.add_argument("file", help="the CSV file")
    imp.add_argument("--symbol", help="symbol of the bars (default: from the file)")
    imp.add_argument(
        "--timeframe",
        choices=["1m", "5m", "15m", "1h", "1d"],
        help="bar size (default: detected from the timestamps)",
    )

    fund = sub.add_parser(
        "import-fundamentals",
        help="store company fundamentals from a CSV file (or SEC EDGAR)",
        description="Read company figures from a CSV file (columns detected by name) and store "
        "them with the companies' sectors. With --source edgar, FILE lists tickers and the "
        "figures come from SEC EDGAR company facts.",
    )
    fund.add_argument("file", help="the CSV file (with --source edgar: tickers, one a line)")
    fund.add_argument(
        "--source",
        choices=["csv", "edgar"],
        default="csv",
        help="where the figures come from (default csv)",
    )
    fund.add_argument(
        "--sectors",
        metavar="FILE",
        help="a CSV of symbols and sectors (e.g. nyse_securities.csv) overriding the file's",
    )

    for name, what in (("orders", "orders"), ("fills", "fills"), ("portfolio", "the portfolio")):
        c = sub.add_parser(
            name,
            help=f"print {what} as the store holds them",
            description=f"Print {what} from the database.",
        )
        c.add_argument("--json", action="store_true", help="print JSON instead of a table")
        if name == "orders":
            c.add_argument("--open", action="store_true", help="only orders still open")

    halt = sub.add_parser(
        "halt",
        help="kill switch: stop all trading now",
        description="Halt trading on the running engine (or, with none running, at its next "
        "start): strategies stop, every open order is cancelled; --flatten also closes every "
        "position. Only tpm resume undoes it.",
    )
    halt.add_argument("--flatten", action="store_true", help="also close every position")
    halt.add_argument("--reason", default="", help="why, for the log and the audit trail")
    resume = sub.add_parser(
        "resume",
        help="lift a halt (or a loss-limit stop)",
        description="Return trading to active: every check applies again and strategies may trade.",
    )

    risk = sub.add_parser(
        "risk",
        help="limits in force, their usage, and the trading state",
        description="Show every risk limit, what it measures now, and the "
        "trading state with its reason.",
    )
    risk.add_argument("--json", action="store_true", help="print JSON instead of a table")

    order = sub.add_parser(
        "order",
        help="send an order to the running engine",
        description="Send an order through the running engine's risk checks to its broker.",
    )
    order.add_argument("side", choices=["buy", "sell"])
    order.add_argument("qty", help="quantity")
    order.add_argument("symbol")
    order.add_argument("--limit", metavar="PRICE", help="limit price (a limit order)")
    order.add_argument("--stop", metavar="PRICE", help="stop price (a stop or stop-limit order)")
    order.add_argument(
        "--tif", choices=["day", "gtc", "ioc"], default="day", help="time in force (default day)"
    )
    for acting in (halt, resume, order):
        acting.add_argument(
            "--user",
            metavar="NAME",
            help="who gives the command, once the store has users (asks the password and code)",
        )

    score = sub.add_parser(
        "score",
        help="pillars, composite, rating and drivers of every symbol",
        description="Score symbols on the three pillars (technical, fundamental, sentiment) and "
        "print the composite, its rating and what drove it.",
    )
    score.add_argument("symbols", nargs="*", metavar="SYMBOL", help="only these (default: all)")
    score.add_argument("--json", action="store_true", help="print JSON instead of a table")

    ev = sub.add_parser(
        "evaluate",
        help="measure how well the scores predict returns on bar files",
        description="Compute the pillars on bar files and measure, walk-forward, their "
        "information coefficient: the rank correlation of score with the next N-bar return.",
    )
    ev.add_argument(
        "--data",
        action="append",
        required=True,
        metavar="FILE.csv",
        help="a CSV bar file (repeat for several symbols)",
    )
    ev.add_argument(
        "--horizon",
        type=int,
        default=5,
        metavar="N",
        help="bars ahead the return is measured over (default 5)",
    )
    ev.add_argument(
        "--windows", type=int, default=5, help="consecutive out-of-sample windows (default 5)"
    )
    ev.add_argument("--json", action="store_true", help="print JSON instead of a table")

    bt = sub.add_parser(
        "backtest",
        help="run a strategy file over CSV bar files on the paper broker",
        description="Backtest a strategy file: its expressions over the bars, its orders through "
        "the risk checks, the OMS and the paper broker (a signal at a bar's close fills in the "
        "next bar), and a report of the trades, equity and metrics.",
    )
    bt.add_argument(
        "--data",
        action="append",
        metavar="FILE.csv",
        help="a CSV bar file (repeat for several symbols)",
    )
    bt.add_argument(
        "--stored",
        action="store_true",
        help="instead of --data: the bars the engine recorded in its store, for the "
        "strategy's symbols and timeframe",
    )
    bt.add_argument(
        "--bars",
        type=int,
        default=100_000,
        metavar="N",
        help="with --stored: the latest N bars of each symbol (default 100000)",
    )
    bt.add_argument(
        "--strategy", required=True, metavar="FILE", help="the strategy file (.toml or .py)"
    )
    bt.add_argument(
        "--cash", type=float, metavar="N", help="starting cash (default broker.paper.cash)"
    )
    bt.add_argument(
        "--commission",
        type=float,
        metavar="F",
        help="commission as a fraction of the traded value, e.g. 0.001 for 0.1%% "
        "(default: broker.paper's per-share, basis-point and minimum commission)",
    )
    bt.add_argument("--json", action="store_true", help="print one JSON object")
    bt.add_argument("--export", metavar="DIR", help="also write trades.csv and equity.csv here")

    opt = sub.add_parser(
        "optimize",
        help="backtest a grid of a strategy file's parameters, in and out of sample",
        description="Backtest every combination of the given parameters (the strategy file's "
        "[params]) in parallel, rank them on the in-sample bars and show the out-of-sample "
        "figures beside them.",
    )
    opt.add_argument("--strategy", required=True, metavar="FILE.toml", help="the strategy file")
    opt.add_argument(
        "--param",
        action="append",
        required=True,
        metavar="NAME=START:STOP:STEP",
        help="a parameter's values: START:STOP:STEP (STOP included), A,B,C, or one value",
    )
    opt.add_argument(
        "--data", action="append", required=True, metavar="FILE.csv", help="a CSV bar file"
    )
    opt.add_argument(
        "--split",
        type=float,
        default=0.7,
        metavar="F",
        help="share of the bars in sample, the rest out of sample (default 0.7; 1: no OOS)",
    )
    opt.add_argument(
        "--walk-forward",
        type=int,
        default=0,
        metavar="N",
        help="N anchored windows instead of one split: in sample up to a block, out of "
        "sample on the next",
    )
    opt.add_argument("--rank", default="sharpe_ratio", help="in-sample metric to rank by")
    opt.add_argument("--top", type=int, default=20, help="rows shown (default 20)")
    opt.add_argument("--jobs", type=int, default=0, help="processes (default: every core)")
    opt.add_argument("--cash", type=float, metavar="N", help="starting cash")
    opt.add_argument("--commission", type=float, metavar="F", help="as for tpm backtest")
    opt.add_argument("--json", action="store_true", help="print one JSON object")

    db = sub.add_parser("db", help="database maintenance", description="Database maintenance.")
    db_sub = db.add_subparsers(dest="db_command", metavar="ACTION", required=True)
    db_sub.add_parser(
        "upgrade",
        help="apply schema migrations (also done at every start)",
        description="Apply every schema migration to the configured database.",
    )
    db_sub.add_parser(
        "check",
        help="check the database's integrity",
        description="Run an integrity check and compare positions with fills.",
    )
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    from tpm.cli import commands

    handlers: dict[str | None, Command] = {
        "import": commands.import_bars,
        "import-fundamentals": commands.import_fundamentals,
        "orders": commands.orders,
        "fills": commands.fills,
        "portfolio": commands.portfolio,
        "db": commands.db,
        "halt": commands.halt,
        "resume": commands.resume,
        "risk": commands.risk,
        "order": commands.order,
        "score": commands.score,
        "evaluate": commands.evaluate,
        "backtest": commands.backtest,
        "optimize": commands.optimize,
        "user": commands.user,
        "audit": commands.audit,
        "attach": commands.attach,
    }
    if args.command is None:
        handler: Command = commands.headless if args.headless else commands.app
    else:
        handler = handlers[args.command]
    return commands.guarded(handler, args)


if __name__ == "__main__":
    sys.exit(main())
