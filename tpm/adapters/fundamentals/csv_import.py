"""Company fundamentals from a CSV file, its columns recognised by name.

Two shapes are understood, and a file may mix them:

- Snapshots, one row per company with ready-made figures (the S&P 500 "constituents-financials"
  file: Price/Earnings, Price/Book, Price/Sales, Market Cap, EBITDA, Dividend Yield,
  Earnings/Share). Gaps are filled from identities: P/E = price / EPS (the file leaves P/E blank
  for loss-makers, so their loss would otherwise vanish instead of ranking worst), net margin =
  P/S / P/E and ROE = P/B / P/E (EPS over sales and over book value per share). EV/EBITDA
  without an enterprise value column is approximated as market cap / EBITDA, which ignores
  net debt; the file's notes say when that was done.
- Statements, one row per company and fiscal year (the NYSE 10-K extract: Total Revenue, Net
  Income, Total Equity, Long-Term Debt, Gross Profit, Operating Income, Total Current
  Assets/Liabilities, Earnings Per Share, Period Ending). Ratios come from the latest year's line
  items and growth from the year before (see `statements`); a ratio column is ignored when the
  line items it comes from are there. That file writes 0 for what a company does not report, so
  a zero revenue, profit, equity, current asset or liability total or EPS is read as missing.
  Debt/equity uses the debt columns; Total Liabilities only when the file has no debt column.

Sectors come from "GICS Sector" (preferred) or "Sector"; a sectors file (`sectors_path`, e.g.
nyse_securities.csv) overrides them by symbol, or by industry name where the file's "Sector"
really holds industries, as the S&P 500 file's does (127 of them, "Semiconductors" and alike).

Percent or fraction is decided per column: a header saying "%", "pct" or "percent", or cells
ending in "%", mean percent. Otherwise yields, margins, ROE and growth are fractions unless the
column's median magnitude is implausible for a fraction (above 0.2 for a dividend yield, above 1
for the others; a current ratio above 10), in which case the whole column is percent. A header
alone cannot tell: the S&P 500 file's "Dividend Yield" holds fractions (median 0.019), the NYSE
file's "GrossMargin" percents (58 for 58%).

A malformed file raises `DataError` naming the file, the line and the problem.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import UTC, date, datetime
from itertools import pairwise
from pathlib import Path

from tpm.adapters.fundamentals.csv_columns import (
    IDENTITY,
    LINE_ITEMS,
    RATIOS,
    SHADOWED_BY,
    match_columns,
    says_percent,
)
from tpm.adapters.fundamentals.csv_sectors import with_sector_file
from tpm.adapters.fundamentals.csv_table import Table, parse_date, parse_number, read_table
from tpm.adapters.fundamentals.statements import Statement, is_year_apart, ratios
from tpm.domain import FUNDAMENTAL_FIELDS, Fundamentals, dt_to_ns
from tpm.errors import DataError

__all__ = ["FundamentalsFile", "read_fundamentals_csv"]

_NS_PER_DAY = 86_400 * 1_000_000_000
# Above these typical (median) magnitudes a column cannot be fractions: it is percent.
_PERCENT_ABOVE = {
    "dividend_yield": 0.2,
    "roe": 1.0,
    "gross_margin": 1.0,
    "operating_margin": 1.0,
    "net_margin": 1.0,
    "revenue_growth": 1.0,
    "eps_growth": 1.0,
    "current_ratio": 10.0,
}
# Line items no operating company has exactly zero of: a zero there means "not reported".
_ZERO_IS_MISSING = frozenset(
    {
        "revenue",
        "gross_profit",
        "operating_income",
        "net_income",
        "equity",
        "current_assets",
        "current_liabilities",
        "eps",
    }
)
# More distinct "sectors" than this are industries: peer groups will be thin.
_MAX_SECTORS = 24

Record = dict[str, float | None]


@dataclass(frozen=True, slots=True)
class FundamentalsFile:
    """What a fundamentals CSV held: one row per company, their sectors, and how it was read."""

    path: Path
    rows: list[Fundamentals]
    sectors: dict[str, str]
    notes: tuple[str, ...] = ()


@dataclass(slots=True)
class _Entry:
    line: int
    period: date | None
    record: Record
    sector: str


def _scale_notes(
    table: Table, columns: dict[str, int], values: dict[str, list[float | None]], unused: set[str]
) -> list[str]:
    """Turn percent columns into fractions in place; say what was decided for each rate."""
    notes: list[str] = []
    for meaning, limit in _PERCENT_ABOVE.items():
        if meaning not in values or meaning in unused:
            continue
        header = table.header[columns[meaning]]
        column = values[meaning]
        magnitudes = [abs(v) for v in column if v]
        typical = statistics.median(magnitudes) if magnitudes else 0.0
        marked = says_percent(header) or table.has_percent_cells(columns[meaning])
        if marked or typical > limit:
            values[meaning] = [None if v is None else v / 100 for v in column]
            why = "marked as percent" if marked else f"typical value {typical:.3g}"
            notes.append(f'"{header}" read as percent ({why}) and divided by 100')
        elif meaning == "dividend_yield":
            notes.append(f'"{header}" read as a fraction (typical value {typical:.3g})')
    return notes


def _column_values(table: Table, columns: dict[str, int]) -> dict[str, list[float | None]]:
    values: dict[str, list[float | None]] = {}
    for meaning, index in columns.items():
        values[meaning] = [
            parse_number(table, line, index, cells[index]) for line, cells in table.rows
        ]
    return values


def _shadowed(columns: dict[str, int]) -> set[str]:
    return {
        field
        for field, sources in SHADOWED_BY.items()
        if any(all(s in columns for s in source) for source in sources)
    }


def _statement(r: Record, period: date | None, *, liabilities_as_debt: bool) -> Statement:
    def item(name: str) -> float | None:
        v = r.get(name)
        return None if v == 0 and name in _ZERO_IS_MISSING else v

    gross = item("gross_profit")
    revenue = item("revenue")
    cost = r.get("cost_of_revenue")
    if gross is None and revenue is not None and cost is not None:
        gross = revenue - cost
    debt = r.get("total_debt")
    if debt is None and (
        r.get("long_term_debt") is not None or r.get("short_term_debt") is not None
    ):
        debt = (r.get("long_term_debt") or 0.0) + (r.get("short_term_debt") or 0.0)
    if debt is None and liabilities_as_debt:
        debt = r.get("liabilities")
    ebitda = r.get("ebitda")
    ebit, dep = r.get("ebit"), r.get("depreciation")
    if ebitda is None and ebit is not None and dep is not None:
        ebitda = ebit + dep
    return Statement(
        period_end=period,
        revenue=revenue,
        gross_profit=gross,
        operating_income=item("operating_income"),
        net_income=item("net_income"),
        equity=item("equity"),
        debt=debt,
        cash=r.get("cash"),
        current_assets=item("current_assets"),
        current_liabilities=item("current_liabilities"),
        eps=item("eps"),
        shares=r.get("shares") or None,
        ebitda=ebitda,
        dividends_per_share=r.get("dividends_per_share"),
    )


def _derived(figures: Record, r: Record, notes: set[str]) -> None:
    """Fill what a snapshot leaves out from identities among its own figures."""
    pe, pb, ps = figures.get("pe"), figures.get("pb"), figures.get("ps")
    ebitda, ev, market_cap = r.get("ebitda"), r.get("ev"), figures.get("market_cap")
    if figures.get("ev_ebitda") is None and ebitda:
        if ev is not None:
            figures["ev_ebitda"] = ev / ebitda
        elif market_cap is not None:
            figures["ev_ebitda"] = market_cap / ebitda
            notes.add("EV/EBITDA approximated as market cap / EBITDA, ignoring net debt")
    if figures.get("net_margin") is None and pe and ps is not None:
        margin = ps / pe
        # Beyond +-100% the three figures disagree (a bad price or EPS), so derive nothing.
        if abs(margin) <= 1:
            figures["net_margin"] = margin
            notes.add("net margin derived as P/S / P/E")
    if figures.get("roe") is None and pe and pb is not None and pb > 0:
        figures["roe"] = pb / pe
        notes.add("ROE derived as P/B / P/E")


def _row_figures(
    entries: list[_Entry], direct: set[str], *, liabilities_as_debt: bool, notes: set[str]
) -> Record:
    now = entries[-1]
    before = (
        entries[-2] if len(entries) > 1 and is_year_apart(now.period, entries[-2].period) else None
    )
    statement = _statement(now.record, now.period, liabilities_as_debt=liabilities_as_debt)
    prior = (
        None
        if before is None
        else _statement(before.record, before.period, liabilities_as_debt=liabilities_as_debt)
    )
    market_cap = now.record.get("market_cap") if "market_cap" in direct else None
    computed = ratios(statement, prior, price=now.record.get("price"), market_cap=market_cap)
    figures: Record = {}
    for field in FUNDAMENTAL_FIELDS:
        given = now.record.get(field) if field in direct else None
        figures[field] = given if given is not None else computed.get(field)
    _derived(figures, now.record, notes)
    return figures


def read_fundamentals_csv(
    path: str | Path, *, sectors_path: str | Path | None = None, as_of_ns: int | None = None
) -> FundamentalsFile:
    """Read a fundamentals CSV (see the module docstring for what is understood).

    Args:
        sectors_path: a CSV of symbol and sector (e.g. GICS sectors) that overrides the file's.
        as_of_ns: the date of a snapshot's figures; default: the file's modification day. Rows
            with a period end are dated by it.
    """
    table = read_table(Path(path))
    ident = match_columns(table.header, IDENTITY)
    if "symbol" not in ident:
        raise DataError(
            f"{table.path} line {table.header_line}: no symbol column (expected Symbol, Ticker "
            f"or Ticker symbol; {table.found()})"
        )
    figures_cols = match_columns(table.header, RATIOS) | match_columns(table.header, LINE_ITEMS)
    if not set(figures_cols) - {"price"}:
        raise DataError(
            f"{table.path} line {table.header_line}: no fundamental figures recognised "
            f"({table.found()})"
        )
    values = _column_values(table, figures_cols)
    shadowed = _shadowed(figures_cols)
    notes = _scale_notes(table, figures_cols, values, shadowed)
    direct = {f for f in FUNDAMENTAL_FIELDS if f in figures_cols and f not in shadowed}
    has_debt = any(k in figures_cols for k in ("total_debt", "long_term_debt", "short_term_debt"))
    liabilities_as_debt = not has_debt and "liabilities" in figures_cols
    if liabilities_as_debt:
        notes.append("debt/equity computed from total liabilities (no debt column)")
    if "revenue" in figures_cols and "net_income" in figures_cols:
        notes.append("zero line items read as not reported")
    by_symbol = _entries(table, ident, values)
    default_as_of = as_of_ns if as_of_ns is not None else _modified_day_ns(table.path)
    found_notes: set[str] = set()
    rows: list[Fundamentals] = []
    sectors: dict[str, str] = {}
    skipped = 0
    for symbol, entries in by_symbol.items():
        figures = _row_figures(
            entries, direct, liabilities_as_debt=liabilities_as_debt, notes=found_notes
        )
        latest = entries[-1]
        if latest.sector:
            sectors[symbol] = latest.sector
        if all(figures[f] is None for f in FUNDAMENTAL_FIELDS):
            skipped += 1
            continue
        when = default_as_of if latest.period is None else _day_ns(latest.period)
        rows.append(Fundamentals(symbol=symbol, as_of_ns=when, source="csv", **figures))
    if skipped:
        notes.append(f"{skipped} companies without any figure skipped")
    notes.extend(sorted(found_notes))
    if sectors_path is not None:
        sectors, note = with_sector_file(sectors, list(by_symbol), Path(sectors_path))
        notes.append(note)
    distinct = len(set(sectors.values()))
    if distinct > _MAX_SECTORS and sectors_path is None:
        notes.append(
            f"{distinct} distinct sectors: they look like industries, so peer groups are thin "
            "(a sectors file with GICS sectors gives broader ones)"
        )
    return FundamentalsFile(table.path, rows, sectors, tuple(notes))


def _entries(
    table: Table, ident: dict[str, int], values: dict[str, list[float | None]]
) -> dict[str, list[_Entry]]:
    """Each symbol's rows, oldest period first; a repeated symbol needs a period to order it."""
    by_symbol: dict[str, list[_Entry]] = {}
    for k, (line, cells) in enumerate(table.rows):
        symbol = cells[ident["symbol"]].strip().upper()
        if not symbol:
            raise DataError(f"{table.path} line {line}: no symbol")
        period = _period(table, ident, line, cells)
        sector = cells[ident["sector"]].strip() if "sector" in ident else ""
        record = {meaning: column[k] for meaning, column in values.items()}
        by_symbol.setdefault(symbol, []).append(_Entry(line, period, record, sector))
    for symbol, entries in by_symbol.items():
        if len(entries) == 1:
            continue
        if any(e.period is None for e in entries):
            raise DataError(
                f"{table.path} line {entries[1].line}: {symbol} again (first on line "
                f"{entries[0].line}) and no period end or year to tell the rows apart"
            )
        entries.sort(key=lambda e: (e.period, e.line))
        for a, b in pairwise(entries):
            if a.period == b.period:
                raise DataError(
                    f"{table.path} line {b.line}: {symbol} {b.period} again "
                    f"(first on line {a.line})"
                )
    return by_symbol


def _period(table: Table, ident: dict[str, int], line: int, cells: list[str]) -> date | None:
    if "date" in ident and cells[ident["date"]].strip():
        return parse_date(table, line, cells[ident["date"]])
    if "year" in ident and cells[ident["year"]].strip():
        year = parse_number(table, line, ident["year"], cells[ident["year"]])
        if year is None or not 1900 <= year <= 2200 or year != int(year):
            raise DataError(
                f"{table.path} line {line}: year {cells[ident['year']]!r} is not a year"
            )
        return date(int(year), 12, 31)  # a year alone: its calendar end
    return None


def _day_ns(day: date) -> int:
    return dt_to_ns(datetime(day.year, day.month, day.day, tzinfo=UTC))


def _modified_day_ns(path: Path) -> int:
    """The UTC day the file was last modified: re-importing it the same day replaces rows."""
    ns = path.stat().st_mtime_ns
    return ns - ns % _NS_PER_DAY
