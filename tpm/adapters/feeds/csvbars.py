"""Read OHLCV bars from the CSV files that brokers, Yahoo, Stooq and exchanges export.

The layout is detected from the header: column names are matched case-insensitively (spaces,
a BOM and Stooq's angle brackets tolerated), the separator is a comma, semicolon or tab, and a
first row made only of numbers is taken as a headerless Binance kline dump. Times become int
nanoseconds UTC: epoch seconds, milliseconds or microseconds (told apart by magnitude), ISO 8601
with or without an offset (naive means UTC), a date alone (00:00 UTC), or separate date and time
columns. Every row is validated; a bad one raises `DataError` naming the file, line and problem.

Parsing is columnar (split once, convert whole columns with numpy, parse each distinct date and
clock string once) so `read_bar_arrays` stays fast enough for a backtest's start-up.
"""

from __future__ import annotations

import csv
import math
import os
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import numpy as np
import numpy.typing as npt

from tpm.adapters.feeds.csvcut import Fields
from tpm.adapters.feeds.csvtime import NS_PER_DAY, fixed_iso_ns, parse_times
from tpm.domain import Bar, Timeframe, ns_to_iso
from tpm.errors import DataError

__all__ = [
    "BarArrays",
    "BarFile",
    "BarTable",
    "detect_timeframe",
    "read_bar_arrays",
    "read_bar_table",
    "read_bars",
    "symbol_from_path",
]

PathLike = str | os.PathLike[str]
FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
Columns = Fields | list[Sequence[str]]  # a regular body's fields, or the split rows' columns

# Relative slack for high/low checks: exports round each price on its own (166.46000700000002).
TOLERANCE = 1e-9
_MISSING = frozenset({"", "null", "nan", "none", "na", "n/a", "-"})
_PRICES = ("open", "high", "low", "close")
_ALIASES: dict[str, tuple[str, ...]] = {
    "open": ("open", "o", "open_price"),
    "high": ("high", "h", "high_price"),
    "low": ("low", "l", "low_price"),
    "close": ("close", "c", "close_price", "last"),
    "volume": ("volume", "vol", "v", "base_volume", "tickvol", "tick_volume"),
    "symbol": ("symbol", "ticker", "name"),
}
_TIME_NAMES = (
    *("timestamp", "datetime", "date_time", "open_time", "opentime", "time", "date"),
    *("gmt_time", "local_time", "ts"),
)
_BINANCE_COLUMNS = 6  # open_time, open, high, low, close, volume, then fields we ignore


class BarArrays(NamedTuple):
    """One file's bars as columns, oldest first: the backtester's input."""

    ts_ns: IntArray
    open: FloatArray
    high: FloatArray
    low: FloatArray
    close: FloatArray
    volume: FloatArray


@dataclass(frozen=True, slots=True)
class BarTable:
    """A parsed file in columnar form, with what was detected about it."""

    symbol: str
    timeframe: Timeframe
    arrays: BarArrays
    path: str = ""
    format: str = "generic"


@dataclass(frozen=True, slots=True)
class BarFile:
    """One symbol's closed `Bar` values, oldest first, and where they came from.

    `format` is what the header looked like: "yahoo", "stooq", "binance" (headerless klines),
    "kline" (epoch or open_time stamps) or "generic".
    """

    symbol: str
    timeframe: Timeframe
    bars: list[Bar]
    path: str = ""
    format: str = "generic"


class _Layout(NamedTuple):
    delimiter: str
    names: tuple[str, ...]  # as written, for messages; empty when headerless
    date_col: int
    clock_col: int | None  # a separate time-of-day column
    price_cols: tuple[int, int, int, int]
    volume_col: int | None
    symbol_col: int | None
    format: str


class _Parsed(NamedTuple):
    name: str
    format: str
    arrays: BarArrays
    symbol: str | None  # from a symbol column


def read_bars(
    path: PathLike, symbol: str | None = None, timeframe: Timeframe | None = None
) -> BarFile:
    """Read a CSV file of bars; the symbol and timeframe are detected unless given."""
    table = read_bar_table(path, symbol, timeframe)
    sym, tf = table.symbol, table.timeframe
    a = table.arrays
    bars = [
        Bar(sym, tf, t, o, h, lo, c, v)
        for t, o, h, lo, c, v in zip(
            a.ts_ns.tolist(),
            a.open.tolist(),
            a.high.tolist(),
            a.low.tolist(),
            a.close.tolist(),
            a.volume.tolist(),
            strict=True,
        )
    ]
    return BarFile(sym, tf, bars, table.path, table.format)


def read_bar_table(
    path: PathLike, symbol: str | None = None, timeframe: Timeframe | None = None
) -> BarTable:
    """Read a CSV file of bars into columns, with its symbol and timeframe resolved."""
    parsed = _parse(Path(path))
    tf = timeframe or detect_timeframe(parsed.arrays.ts_ns)
    if tf is None:
        raise DataError(
            f"{parsed.name}: cannot tell the timeframe from {_spacing(parsed.arrays.ts_ns)}; "
            f"pass one of {', '.join(t.value for t in Timeframe)}"
        )
    sym = symbol or parsed.symbol or symbol_from_path(path)
    return BarTable(sym, tf, parsed.arrays, str(path), parsed.format)


def read_bar_arrays(path: PathLike) -> BarArrays:
    """Read a CSV file of bars into validated numpy columns, oldest first."""
    return _parse(Path(path)).arrays


def symbol_from_path(path: PathLike) -> str:
    """The file name up to its first '-', '_' or '.', upper-cased: "nvda-1999-2014.txt" -> NVDA."""
    name = Path(path).name
    head = re.split(r"[-_.]", name, maxsplit=1)[0]
    return (head or Path(path).stem).upper()


def detect_timeframe(ts_ns: IntArray) -> Timeframe | None:
    """The timeframe nearest the median spacing of `ts_ns`, or None if none is near.

    The median ignores weekends and session gaps. A short file can have as many gaps as
    steps (Fri, Mon, Tue), so the commonest spacing gets a second say. A single bar at
    midnight is taken as daily.
    """
    if len(ts_ns) < 2:
        return Timeframe.D1 if len(ts_ns) == 1 and int(ts_ns[0]) % NS_PER_DAY == 0 else None
    steps = np.diff(ts_ns)
    steps = steps[steps > 0]
    if not len(steps):
        return None

    def commonest() -> float:  # asked only when the median is near no timeframe
        values, counts = np.unique(steps, return_counts=True)
        return float(values[int(np.argmax(counts))])  # ties go to the smallest spacing

    def median() -> float:
        return float(np.median(steps))

    for ask in (median, commonest):
        spacing = ask()
        best = min(Timeframe, key=lambda tf: abs(math.log(spacing / tf.ns)))
        if abs(math.log(spacing / best.ns)) <= math.log(1.5):
            return best
    return None


def _spacing(ts_ns: IntArray) -> str:
    if len(ts_ns) < 2:
        return "a single bar"
    return f"bars a median {float(np.median(np.diff(ts_ns))) / 1e9:g}s apart"


def _parse(path: Path) -> _Parsed:
    name = path.name
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DataError(f"{name}: not UTF-8 text ({exc.reason} at byte {exc.start})") from exc
    except OSError as exc:
        raise DataError(f"{path}: cannot read the file ({exc.strerror})") from exc
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    # The header's line and where it ends, without splitting the whole text into lines yet.
    first, at = 0, 0
    while True:
        end = text.find("\n", at)
        line = text[at:] if end < 0 else text[at:end]
        if line.strip():
            break
        if end < 0:
            raise DataError(f"{name}: the file is empty")
        first, at = first + 1, end + 1
    head, after = line, len(text) if end < 0 else end + 1
    delimiter = max(",;\t", key=head.count)
    if delimiter not in head:
        raise DataError(f"{name} line {first + 1}: no comma, semicolon or tab separator")
    quoted = '"' in text
    header = (
        next(csv.reader([head], delimiter=delimiter, skipinitialspace=True))
        if quoted
        else head.split(delimiter)
    )
    layout = _layout(name, header, delimiter)
    line0 = first + 1
    body_text = text[after:] if layout.names else text[at:]
    if layout.names:
        line0 += 1
    width = len(header)
    fields = None if quoted else _regular_fields(body_text.removesuffix("\n"), delimiter, width)
    cols: Columns | None
    if fields is not None:
        cols, rows_read = fields, fields.rows
        line_of: Callable[[int], int] = lambda i: line0 + i  # noqa: E731
    else:
        body = body_text.splitlines()
        if quoted:
            rows = list(csv.reader(body, delimiter=delimiter, skipinitialspace=True))
        else:  # nothing quoted: a plain split is several times faster than the csv module
            rows = [ln.split(delimiter) for ln in body]
        rows, line_of = _drop_blank(name, rows, width, line0, bool(layout.names))
        cols = list(zip(*rows, strict=True)) if rows else None
        rows_read = len(rows)
    if not cols or not rows_read:
        raise DataError(f"{name}: no bars after the header")

    def fail(i: int, problem: str) -> DataError:
        return DataError(f"{name} line {line_of(i)}: {problem}")

    label = layout.names or tuple(f"column {i + 1}" for i in range(width))
    clocks = cols[layout.clock_col] if layout.clock_col is not None else None
    clock_label = label[layout.clock_col] if layout.clock_col is not None else ""
    ts = _fixed_times(cols, layout.date_col) if clocks is None else None
    if ts is None:
        ts = parse_times(cols[layout.date_col], clocks, label[layout.date_col], clock_label, fail)
    o, h, lo, c, v = _validate(cols, rows_read, layout, fail)
    arrays = _ordered(BarArrays(ts, o, h, lo, c, v), fail, line_of)
    symbol = _column_symbol(cols, layout, fail)
    return _Parsed(name, layout.format, arrays, symbol)


def _layout(name: str, header: list[str], delimiter: str) -> _Layout:
    """Which column holds what, from the header (or the Binance layout if there is none)."""
    if all(_is_number(f) for f in header):
        if len(header) < _BINANCE_COLUMNS:
            raise DataError(
                f"{name} line 1: no header row, and {len(header)} numeric fields are too few "
                "for a Binance kline row (open_time, open, high, low, close, volume, ...)"
            )
        return _Layout(delimiter, (), 0, None, (1, 2, 3, 4), 5, None, "binance")
    names = tuple(f.strip().strip("\ufeff").strip() for f in header)
    keys = [re.sub(r"[\s_]+", "_", n.strip("<>").strip().lower()) for n in names]
    index = {k: i for i, k in reversed(list(enumerate(keys)))}

    def find(options: Sequence[str]) -> int | None:
        return next((index[k] for k in options if k in index), None)

    clock_col = None
    if "date" in index and "time" in index:
        date_col, clock_col = index["date"], index["time"]
    else:
        found = find(_TIME_NAMES)
        date_col = found if found is not None else (0 if keys[0] == "" else -1)
    columns = ", ".join(names)
    if date_col < 0:
        raise DataError(f"{name}: no date/time column (columns: {columns})")
    price_cols = []
    for field in _PRICES:
        col = find(_ALIASES[field])
        if col is None:
            raise DataError(f"{name}: no {field} column (columns: {columns})")
        price_cols.append(col)
    if any(n.startswith("<") for n in names):
        fmt = "stooq"
    elif "adj_close" in index:
        fmt = "yahoo"
    elif keys[date_col] in ("open_time", "opentime"):
        fmt = "kline"
    else:
        fmt = "generic"
    o, h, lo, c = price_cols
    volume_col, symbol_col = find(_ALIASES["volume"]), find(_ALIASES["symbol"])
    return _Layout(
        delimiter, names, date_col, clock_col, (o, h, lo, c), volume_col, symbol_col, fmt
    )


_OTHER_BREAKS = "\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"


def _regular_fields(body: str, delimiter: str, width: int) -> Fields | None:
    """The fields of `body` when every line has exactly `width` of them (no blank or odd
    line); None otherwise (the line-by-line path then finds and names what is wrong)."""
    last = body[body.rfind("\n") + 1 :]
    if not body or width < 2 or not last.replace(delimiter, "").strip():
        return None  # spreadsheets pad the end with ",,,,," rows: the other path drops them
    if any(c in body for c in _OTHER_BREAKS):
        return None  # str.splitlines (the other path) ends lines at these as well
    return Fields.cut(body, delimiter, width)


def _drop_blank(
    name: str, rows: list[list[str]], width: int, line0: int, has_header: bool
) -> tuple[list[list[str]], Callable[[int], int]]:
    """Rows with `width` fields, skipping blank lines; a row of another width is an error."""
    while rows and not "".join(rows[-1]).strip():  # spreadsheets pad the end with ",,,,," rows
        rows.pop()
    odd = [i for i, r in enumerate(rows) if len(r) != width]
    blank = []
    for i in odd:
        if not "".join(rows[i]).strip():
            blank.append(i)
            continue
        source = "the header names" if has_header else "the first row has"
        raise DataError(f"{name} line {line0 + i}: {len(rows[i])} fields but {source} {width}")
    if not blank:
        return rows, lambda i: line0 + i
    skip = set(blank)
    numbers = [line0 + i for i in range(len(rows)) if i not in skip]
    return [r for i, r in enumerate(rows) if i not in skip], numbers.__getitem__


def _fixed_times(cols: Columns, j: int) -> IntArray | None:
    """Column j's naive ISO times read from its bytes, when it is cut from a regular body."""
    fixed = cols.fixed(j) if isinstance(cols, Fields) else None
    return None if fixed is None else fixed_iso_ns(fixed)


def _floats(cols: Columns, j: int) -> FloatArray | None:
    """Column j as float64, or None if some value is not a number (`_validate` says which)."""
    fast = cols.decimals(j) if isinstance(cols, Fields) else None
    if fast is not None:
        return fast
    col = cols[j]
    try:
        return np.array(col, dtype=np.float64)
    except ValueError:
        pass
    try:  # numpy's parser is stricter than float() about a few spellings
        return np.array([float(s) for s in col], dtype=np.float64)
    except ValueError:
        return None


def _validate(
    cols: Columns, n: int, layout: _Layout, fail: Callable[[int, str], DataError]
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray, FloatArray]:
    """Open, high, low, close and volume as float64; raise for the first row that is wrong."""
    o, h, lo, c = (_floats(cols, j) for j in layout.price_cols)
    v = (
        np.zeros(n, dtype=np.float64)
        if layout.volume_col is None
        else _floats(cols, layout.volume_col)
    )
    start = 0
    if o is not None and h is not None and lo is not None and c is not None and v is not None:
        with np.errstate(invalid="ignore"):
            top, bottom = np.maximum(o, c), np.minimum(o, c)
            bad = ~(np.isfinite(o) & np.isfinite(h) & np.isfinite(lo) & np.isfinite(c))
            bad |= ~np.isfinite(v) | (v < 0)
            bad |= (o <= 0) | (h <= 0) | (lo <= 0) | (c <= 0)
            bad |= (h < lo - lo * TOLERANCE) | (h < top - top * TOLERANCE)
            bad |= lo > bottom + bottom * TOLERANCE
        flagged = np.flatnonzero(bad)
        if not len(flagged):
            return o, h, lo, c, v
        start = int(flagged[0])
    fields = [*layout.price_cols, layout.volume_col]
    for i in range(start, n):
        raw = [cols[j][i].strip() if j is not None else "0" for j in fields]
        problem = _row_problem(raw)
        if problem:
            raise fail(i, problem)
    raise fail(start, "the bar is invalid")  # unreachable unless the two checks disagree


def _row_problem(raw: list[str]) -> str | None:
    """What is wrong with one row's open, high, low, close and volume strings, if anything."""
    values: list[float] = []
    for field, text in zip((*_PRICES, "volume"), raw, strict=True):
        if text.lower() in _MISSING:
            return f'{field} is missing ("{text}")'
        try:
            value = float(text)
        except ValueError:
            return f'{field} "{text}" is not a number'
        if not math.isfinite(value):
            return f"{field} {text} is not a finite number"
        if value <= 0 and field != "volume":
            return f"{field} {text} is not positive"
        values.append(value)
    o, h, lo, c, v = values
    if h < lo - lo * TOLERANCE:
        return f"high {raw[1]} is below low {raw[2]}"
    for field, value, text in (("open", o, raw[0]), ("close", c, raw[3])):
        if h < value - value * TOLERANCE:
            return f"high {raw[1]} is below {field} {text}"
        if lo > value + value * TOLERANCE:
            return f"low {raw[2]} is above {field} {text}"
    return f"volume {raw[4]} is negative" if v < 0 else None


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _ordered(
    arrays: BarArrays, fail: Callable[[int, str], DataError], line_of: Callable[[int], int]
) -> BarArrays:
    """The bars oldest first: a descending file is reversed; any other disorder is an error."""
    ts = arrays.ts_ns
    steps = np.diff(ts)
    if bool((steps > 0).all()):
        return arrays
    descending = len(ts) > 1 and int(ts[-1]) < int(ts[0])
    if descending and bool((steps < 0).all()):
        t, o, h, lo, c, v = arrays
        return BarArrays(
            t[::-1].copy(),
            o[::-1].copy(),
            h[::-1].copy(),
            lo[::-1].copy(),
            c[::-1].copy(),
            v[::-1].copy(),
        )
    bad = steps >= 0 if descending else steps <= 0
    i = int(np.flatnonzero(bad)[0])
    then, now = int(ts[i]), int(ts[i + 1])
    if then == now:
        raise fail(i + 1, f"duplicate timestamp {ns_to_iso(now)} (also on line {line_of(i)})")
    order = "newest first" if descending else "oldest first"
    raise fail(
        i + 1,
        f"timestamp {ns_to_iso(now)} is out of order after {ns_to_iso(then)} on line "
        f"{line_of(i)} (the file is otherwise {order})",
    )


def _column_symbol(
    cols: Columns, layout: _Layout, fail: Callable[[int, str], DataError]
) -> str | None:
    """The one symbol a Name/Symbol/Ticker column holds; a second symbol is an error."""
    if layout.symbol_col is None:
        return None
    col = cols[layout.symbol_col]
    first = col[0].strip()
    if len(set(col)) > 1:
        for i, text in enumerate(col):
            if text.strip() != first:
                raise fail(i, f'symbol "{text.strip()}" differs from "{first}"; one per file')
    return first.upper() or None
