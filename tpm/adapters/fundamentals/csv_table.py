"""A CSV file as header and numbered rows, and cell parsing that names file, line and column."""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from tpm.errors import DataError

__all__ = ["Table", "parse_date", "parse_number", "read_table"]

_MISSING = frozenset({"", "na", "n/a", "nan", "none", "null", "-", "--", "—", "#n/a", "nm", "n.m."})
_SUFFIX = {"k": 1e3, "m": 1e6, "mm": 1e6, "b": 1e9, "bn": 1e9, "t": 1e12}
_NUMBER = re.compile(r"^([+-]?(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?)\s*([a-z]{0,2})$", re.IGNORECASE)
_DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%m/%d/%Y", "%d.%m.%Y", "%Y%m%d", "%d-%b-%Y", "%b %d, %Y")


@dataclass(slots=True)
class Table:
    """A CSV file's header and its non-blank rows, each with its line number."""

    path: Path
    header: list[str]
    header_line: int
    rows: list[tuple[int, list[str]]] = field(default_factory=list)

    def found(self) -> str:
        """The header's column names, for an error message."""
        names = [h for h in self.header if h.strip()]
        shown = ", ".join(names[:12]) + (", ..." if len(names) > 12 else "")
        return f"found: {shown}" if names else "the header is empty"

    def has_percent_cells(self, index: int) -> bool:
        """Whether any cell of the column ends in "%"."""
        return any(cells[index].strip().endswith("%") for _, cells in self.rows)


def read_table(path: Path) -> Table:
    """Read a whole CSV (comma, semicolon or tab separated); rows are padded to the header."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise DataError(f"{path}: no such file") from None
    except UnicodeDecodeError as exc:
        raise DataError(
            f"{path}: not a UTF-8 text file ({exc.reason} at byte {exc.start})"
        ) from None
    except OSError as exc:
        raise DataError(f"{path}: cannot be read ({exc.strerror})") from None
    try:
        dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(
            text[:8192], delimiters=",;\t"
        )
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(text.splitlines(), dialect)
    table: Table | None = None
    try:
        for cells in reader:
            if not any(c.strip() for c in cells):
                continue
            if table is None:
                table = Table(path, [c.strip() for c in cells], reader.line_num)
                continue
            width = len(table.header)
            if len(cells) > width and any(c.strip() for c in cells[width:]):
                raise DataError(
                    f"{path} line {reader.line_num}: {len(cells)} fields, the header has {width}"
                )
            table.rows.append((reader.line_num, (cells + [""] * width)[:width]))
    except csv.Error as exc:
        raise DataError(f"{path} line {reader.line_num}: not valid CSV ({exc})") from None
    if table is None:
        raise DataError(f"{path}: empty file, expected a header row")
    if not table.rows:
        raise DataError(f"{path} line {table.header_line}: a header and no rows")
    return table


def parse_number(table: Table, line: int, index: int, text: str) -> float | None:
    """A cell as a number: "1,234.5", "(12)", "$3.2B", "12.5%" (as 12.5); blanks are None."""
    raw = text.strip()
    if raw.lower() in _MISSING:
        return None
    cleaned = raw.replace(",", "").replace("$", "").replace("%", "").replace(" ", "")
    negative = cleaned.startswith("(") and cleaned.endswith(")")
    if negative:
        cleaned = cleaned[1:-1]
    match = _NUMBER.match(cleaned)
    if match is None or match.group(2).lower() not in ("", *_SUFFIX):
        column = table.header[index] or f"column {index + 1}"
        raise DataError(f'{table.path} line {line}: "{column}" = {raw!r} is not a number')
    value = float(match.group(1)) * _SUFFIX.get(match.group(2).lower(), 1.0)
    return -value if negative else value


def parse_date(table: Table, line: int, text: str) -> date:
    """A cell as a date, in ISO or a few common export formats."""
    raw = text.strip()
    try:
        return datetime.fromisoformat(raw).date()
    except ValueError:
        pass
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(raw, fmt).date()
        except ValueError:
            continue
    raise DataError(f"{table.path} line {line}: {raw!r} is not a date")
