"""Sectors for a fundamentals file from a second CSV (e.g. GICS sectors in nyse_securities.csv)."""

from __future__ import annotations

from pathlib import Path

from tpm.adapters.fundamentals.csv_columns import IDENTITY, match_columns
from tpm.adapters.fundamentals.csv_table import read_table
from tpm.errors import DataError

__all__ = ["read_sectors_csv", "with_sector_file"]


def read_sectors_csv(path: str | Path) -> dict[str, str]:
    """Symbol -> sector from a CSV with symbol and sector columns (e.g. nyse_securities.csv)."""
    return _sector_file(Path(path))[0]


def _sector_file(path: Path) -> tuple[dict[str, str], dict[str, str]]:
    """Sectors by symbol, and by industry name when the file has an industry column too."""
    table = read_table(path)
    columns = match_columns(table.header, IDENTITY)
    for needed in ("symbol", "sector"):
        if needed not in columns:
            raise DataError(
                f"{table.path} line {table.header_line}: no {needed} column ({table.found()})"
            )
    by_symbol: dict[str, str] = {}
    by_industry: dict[str, str] = {}
    for _, cells in table.rows:
        symbol, sector = cells[columns["symbol"]].strip().upper(), cells[columns["sector"]].strip()
        if symbol and sector:
            by_symbol[symbol] = sector
            if "industry" in columns and cells[columns["industry"]].strip():
                by_industry[cells[columns["industry"]].strip()] = sector
    return by_symbol, by_industry


def with_sector_file(
    sectors: dict[str, str], symbols: list[str], path: Path
) -> tuple[dict[str, str], str]:
    """The file's sectors replaced from a sectors file: by symbol, else by industry name.

    A sector column that holds industries (the S&P 500 file's "Sector" says "Semiconductors")
    is translated through the sectors file's industry column where the names match.
    """
    by_symbol, by_industry = _sector_file(path)
    out: dict[str, str] = {}
    n_symbol = n_industry = 0
    for symbol in symbols:
        own = sectors.get(symbol, "")
        if symbol in by_symbol:
            out[symbol], n_symbol = by_symbol[symbol], n_symbol + 1
        elif own in by_industry:
            out[symbol], n_industry = by_industry[own], n_industry + 1
        elif own:
            out[symbol] = own
    kept = len(out) - n_symbol - n_industry
    note = (
        f"sectors from {path.name}: {n_symbol} by symbol, {n_industry} by industry name, "
        f"{kept} kept from the file"
    )
    return out, note
