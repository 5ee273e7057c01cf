"""`tpm import-fundamentals FILE`: store company figures and sectors from a CSV or SEC EDGAR.

Sectors go to the engine_state key "fundamentals.sectors" (a JSON object, merged with what
is there), because the engine rewrites the instruments table from its feed at every start;
instruments whose sector is still unknown get theirs filled in as well.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from tpm.errors import ConfigError

if TYPE_CHECKING:
    from tpm.adapters.fundamentals import EdgarFundamentals
    from tpm.config import Config, Paths
    from tpm.domain import Fundamentals
    from tpm.store.sql_store import SqlStore

__all__ = ["SECTORS_STATE_KEY", "import_fundamentals", "load_sectors"]

SECTORS_STATE_KEY = "fundamentals.sectors"
_UNKNOWN_SECTORS = ("", "unclassified")


def import_fundamentals(args: argparse.Namespace) -> int:
    """Read FILE (`--source csv`, or tickers for `--source edgar`) and store what it gives."""
    from tpm.analysis.fundamental import SCORED_FIELDS
    from tpm.cli.logs import setup_logging
    from tpm.cli.wiring import build_store
    from tpm.config import load_config, resolve_paths

    source = getattr(args, "source", None) or "csv"
    if source not in ("csv", "edgar"):
        raise ConfigError(f"--source {source}: must be csv or edgar")
    sectors_file = getattr(args, "sectors", None)
    paths = resolve_paths(args.config)
    config = load_config(paths.config_file, required=args.config is not None)
    setup_logging(config.engine.log_level)
    rows: list[Fundamentals] = []
    sectors: dict[str, str] = {}
    notes: Sequence[str] = ()
    if source == "csv":
        from tpm.adapters.fundamentals import read_fundamentals_csv

        data = read_fundamentals_csv(args.file, sectors_path=sectors_file)
        rows, sectors, notes = data.rows, data.sectors, data.notes
    else:
        from tpm.adapters.fundamentals import read_sectors_csv

        symbols = _tickers(args.file)
        prices: dict[str, float] = {}
        edgar = _edgar_source(config, paths, prices)  # refuses a missing User-Agent now
        if sectors_file:
            sectors = read_sectors_csv(sectors_file)
    store = build_store(config, paths)

    async def run() -> list[Fundamentals]:
        await store.open()
        try:
            got = rows
            if source == "edgar":
                latest = await store.latest_prices(symbols)
                prices.update({s: p for s, (p, _) in latest.items()})
                got = await edgar.fundamentals(symbols)
            await store.save_fundamentals(got)
            await save_sectors(store, sectors)
            return got
        finally:
            await store.close()

    rows = asyncio.run(run())
    n = len(rows)
    complete = sum(all(getattr(r, f) is not None for f in SCORED_FIELDS) for r in rows)
    print(f"stored {n} companies' fundamentals from {args.file} ({complete} with every figure)")
    for note in notes:
        print(f"note: {note}", file=sys.stderr)
    return 0


async def save_sectors(store: SqlStore, sectors: Mapping[str, str]) -> None:
    """Merge `sectors` into engine_state and fill instruments whose sector is unknown."""
    if not sectors:
        return
    merged = await load_sectors(store)
    merged.update(sectors)
    await store.set_state(SECTORS_STATE_KEY, json.dumps(merged, sort_keys=True))
    filled = [
        replace(i, sector=sectors[i.symbol])
        for i in await store.load_instruments()
        if i.symbol in sectors and i.sector.strip().lower() in _UNKNOWN_SECTORS
    ]
    await store.save_instruments(filled)


async def load_sectors(store: SqlStore) -> dict[str, str]:
    """The sectors imported so far (symbol -> sector); empty when none were."""
    saved = await store.get_state(SECTORS_STATE_KEY)
    try:
        value = json.loads(saved) if saved else {}
    except ValueError:
        return {}
    return {str(k): str(v) for k, v in value.items()} if isinstance(value, dict) else {}


def _tickers(path: str) -> list[str]:
    """Tickers from a CSV with a Symbol/Ticker column, or from a plain list, one a line."""
    from tpm.adapters.fundamentals.csv_columns import IDENTITY, match_columns
    from tpm.adapters.fundamentals.csv_table import read_table

    table = read_table(Path(path))
    column = match_columns(table.header, IDENTITY).get("symbol")
    if column is not None:
        cells = [c[column] for _, c in table.rows]
    else:
        cells = [table.header[0], *(c[0] for _, c in table.rows)]
    return list(dict.fromkeys(c.strip().upper() for c in cells if c.strip()))


def _edgar_source(config: Config, paths: Paths, prices: Mapping[str, float]) -> EdgarFundamentals:
    """SEC EDGAR as configured in [fundamentals.edgar]; the cache defaults to the data dir."""
    from tpm.adapters.fundamentals import EdgarFundamentals

    section = getattr(getattr(config, "fundamentals", None), "edgar", None)
    cache_dir = str(getattr(section, "cache_dir", "") or "")
    return EdgarFundamentals(
        str(getattr(section, "user_agent", "") or ""),
        cache_dir=cache_dir or paths.data_dir / "edgar-cache",
        max_age_s=float(getattr(section, "max_age_h", 24.0)) * 3600,
        requests_per_s=float(getattr(section, "requests_per_s", 8.0)),
        prices=prices,
    )
