"""Turn the time columns of bar files into int64 nanoseconds UTC, quickly and strictly.

Accepted: epoch seconds, milliseconds, microseconds or nanoseconds (told apart by magnitude);
ISO 8601 dates and date-times with or without a UTC offset (naive means UTC); a few common
export layouts (2017.04.19, 04/19/2017 as month/day, 19.04.2017 as day.month); and a date
column paired with a time-of-day column (09:01:00, or Stooq's 090100).

Speed comes from parsing each distinct date and each distinct clock string once: a year of
1-minute bars holds only 365 dates and 1,440 clocks however many rows it has.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable, Sequence
from datetime import date, datetime

import numpy as np
import numpy.typing as npt

from tpm.domain import dt_to_ns

__all__ = ["NS_PER_DAY", "clock_ns", "day_ns", "fixed_iso_ns", "is_epoch", "parse_times"]

IntArray = npt.NDArray[np.int64]
Fail = Callable[[int, str], Exception]

NS_PER_DAY = 86_400 * 1_000_000_000
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
_DATE_FORMATS = ("%Y/%m/%d", "%Y.%m.%d", "%Y-%m-%d", "%m/%d/%Y", "%d.%m.%Y", "%d-%b-%Y")
_CLOCK_FORMATS = ("%H:%M:%S", "%H:%M", "%H:%M:%S.%f")


class _Memo(dict[str, int]):
    """A dict that computes a missing key with `fn`, so each distinct string is parsed once."""

    __slots__ = ("_fn",)

    def __init__(self, fn: Callable[[str], int]) -> None:
        super().__init__()
        self._fn = fn

    def __missing__(self, key: str) -> int:
        value = self[key] = self._fn(key)
        return value


def parse_times(
    dates: Sequence[str],
    clocks: Sequence[str] | None,
    date_label: str,
    clock_label: str,
    fail: Fail,
) -> IntArray:
    """Nanoseconds UTC for each row; `fail(row, problem)` builds the error for a bad value.

    `dates` holds dates, date-times or epoch numbers; `clocks` is a separate time-of-day
    column, or None.
    """
    sample = dates[0].strip()
    if clocks is None and is_epoch(sample):
        return _epoch_ns(dates, date_label, fail)
    day, clock = _Memo(day_ns), _Memo(clock_ns)
    if clocks is None and sample == dates[0] and _ISO.fullmatch(sample):
        fast = _iso_ns(dates)
        if fast is not None:
            return fast
    if clocks is None and sample == dates[0] and len(set(map(len, dates))) == 1:
        # One fixed layout: cut at a fixed place. A row this misreads fails to parse below.
        try:
            if len(sample) > 10 and sample[10] in " T":
                fixed = [day[s[:10]] + clock[s[11:]] for s in dates]
                return _checked_range(fixed, dates, date_label, fail)
            if len(sample) <= 10:
                return _checked_range([day[s] for s in dates], dates, date_label, fail)
        except ValueError:
            pass
    out: list[int] = []
    try:
        if clocks is not None:
            for text, t in zip(dates, clocks, strict=True):
                out.append(day[text] + clock[t])
        else:
            for text in dates:
                s = text.strip()
                cut = s.find(" ")
                if cut < 0:
                    cut = s.find("T")
                out.append(day[s] if cut < 0 else day[s[:cut]] + clock[s[cut + 1 :]])
    except ValueError:
        i = len(out)  # the row that failed is the first one not appended
        if clocks is not None and dates[i] in day:
            raise fail(i, f'{clock_label} "{clocks[i].strip()}" is not a time of day') from None
        raise fail(i, f'{date_label} "{dates[i].strip()}" is not a date/time') from None
    return _checked_range(out, dates, date_label, fail)


def _checked_range(out: list[int], dates: Sequence[str], label: str, fail: Fail) -> IntArray:
    """The times as int64 ns, or the first row outside 1900-2200 named (beyond it a year is
    a typo, and past 2262 it does not fit in int64 ns at all)."""
    for i, t in enumerate(out):
        if not _EARLIEST <= t < _LATEST:
            raise fail(i, f'{label} "{dates[i].strip()}" is outside the years 1900 to 2199')
    return np.array(out, dtype=np.int64)


_EARLIEST = -2_208_988_800 * 1_000_000_000  # 1900-01-01
_LATEST = 7_258_118_400 * 1_000_000_000  # 2200-01-01
# Naive ISO 8601 (UTC by tpm's rule), which numpy's own parser reads in C.
_ISO = re.compile(r"\d{4}-\d{2}-\d{2}(?:[ T]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?)?")


def _iso_ns(dates: Sequence[str]) -> IntArray | None:
    """`dates` as ns when every one is naive ISO 8601 laid out as the first; None otherwise
    (the careful path then reads them, or names the row that is wrong)."""
    if len(set(map(len, dates))) != 1:
        return None  # also keeps out "today", "now" and "NaT", which numpy would read
    return _numpy_iso(dates, len(dates[0]))


def fixed_iso_ns(column: npt.NDArray[np.bytes_]) -> IntArray | None:
    """`parse_times` of a column of equal-width byte strings, when they are naive ISO 8601;
    None when they are anything else (then `parse_times` reads their strings)."""
    if not len(column) or not _ISO.fullmatch(column[0].decode("ascii")):
        return None
    return _numpy_iso(column, column.dtype.itemsize)


def _numpy_iso(dates: Sequence[str] | npt.NDArray[np.bytes_], width: int) -> IntArray | None:
    if width > 26:
        return None  # finer than microseconds: the careful path keeps the nanoseconds
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # numpy warns on a UTC offset: the careful path
            # Microseconds hold any year; nanoseconds would wrap one before 1678 or after 2262.
            us = np.array(dates, dtype="datetime64[us]").astype(np.int64)
    except (ValueError, OverflowError, UserWarning, DeprecationWarning):
        return None
    if len(us) and not (int(us.min()) * 1000 >= _EARLIEST and int(us.max()) * 1000 < _LATEST):
        return None  # the careful path names the row
    ns: IntArray = us * 1000
    return ns


def is_epoch(text: str) -> bool:
    """Digits (and maybe a fraction) that are not an 8-digit YYYYMMDD date."""
    digits = text.replace(".", "", 1)
    if not digits.isdigit():
        return False
    return not (len(text) == 8 and text.isdigit() and 1800 <= int(text[:4]) <= 2200)


def day_ns(text: str) -> int:
    """Midnight UTC of a date string, in ns; ISO first, then a few common export layouts."""
    s = text.strip()
    try:
        day = date.fromisoformat(s)
    except ValueError:
        for fmt in _DATE_FORMATS:
            try:
                day = datetime.strptime(s, fmt).date()
                break
            except ValueError:
                continue
        else:
            raise
    return (day.toordinal() - _EPOCH_ORDINAL) * NS_PER_DAY


def clock_ns(text: str) -> int:
    """Nanoseconds since midnight UTC for a time of day, with its UTC offset applied if any."""
    s = text.strip().replace(" ", "")
    if s[-3:].upper() in ("UTC", "GMT"):
        s = s[:-3] + "Z"
    if s.isdigit() and len(s) in (3, 5):  # Stooq writes 9:30:00 as 93000
        s = "0" + s
    if not s:
        return 0
    try:
        return dt_to_ns(datetime.fromisoformat("1970-01-01T" + s))
    except ValueError:
        for fmt in _CLOCK_FORMATS:
            try:
                return dt_to_ns(datetime.strptime("1970-01-01 " + s, "%Y-%m-%d " + fmt))
            except ValueError:
                continue
        raise


def _epoch_scale(peak: float) -> int:
    """Nanoseconds per unit: no date before 5138 has 1e11 epoch seconds, so magnitude decides."""
    if peak < 1e11:
        return 1_000_000_000
    if peak < 1e14:
        return 1_000_000
    return 1_000 if peak < 1e17 else 1


def _epoch_ns(col: Sequence[str], label: str, fail: Fail) -> IntArray:
    """Epoch numbers as ns; the unit is chosen once per file, from the largest value."""
    try:  # integers stay exact: a float64 cannot hold every ns timestamp
        ints = np.array([int(t) for t in col], dtype=np.int64)
        return ints * _epoch_scale(float(np.abs(ints).max()))
    except ValueError:
        pass
    numbers: list[float] = []
    try:
        for text in col:
            numbers.append(float(text))
    except ValueError:
        i = len(numbers)
        raise fail(i, f'{label} "{col[i].strip()}" is not an epoch time') from None
    values = np.array(numbers, dtype=np.float64)
    if not np.isfinite(values).all():
        i = int(np.flatnonzero(~np.isfinite(values))[0])
        raise fail(i, f'{label} "{col[i].strip()}" is not an epoch time')
    return np.rint(values * _epoch_scale(float(np.abs(values).max()))).astype(np.int64)
