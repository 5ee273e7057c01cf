"""Tests for the CSV bar reader: every layout it detects, every error it names, the real files."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest

from tpm.adapters.feeds.csvbars import (
    detect_timeframe,
    read_bar_arrays,
    read_bar_table,
    read_bars,
    symbol_from_path,
)
from tpm.domain import Timeframe, dt_to_ns
from tpm.errors import DataError

DAY = 86_400 * 10**9
MIN = 60 * 10**9


def ns(text: str) -> int:
    """Nanoseconds UTC of an ISO date-time (naive means UTC)."""
    return dt_to_ns(datetime.fromisoformat(text))


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def error_of(path: Path) -> str:
    with pytest.raises(DataError) as info:
        read_bars(path)
    return str(info.value)


# --- layouts ------------------------------------------------------------------------------


def test_yahoo_with_bom_spaces_and_name_column(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "whatever.csv",
        "\ufeff Date , Open ,High,Low,Close,Adj Close,Volume,Name\n"
        "2020-01-03,10,11,9,10.5,7.1,100,aapl\n"
        "2020-01-06,10.5,12,10,11.5,7.9,200,aapl\n"
        "2020-01-07,11.5,12,11,11.75,8.0,300,aapl",
    )
    file = read_bars(path)
    assert (file.symbol, file.timeframe, file.format) == ("AAPL", Timeframe.D1, "yahoo")
    first = file.bars[0]
    assert first.start_ns == ns("2020-01-03T00:00:00")
    assert (first.open, first.high, first.low, first.close, first.volume) == (10, 11, 9, 10.5, 100)
    assert all(bar.is_closed for bar in file.bars)
    assert file.bars[-1].close == 11.75  # Close, never Adj Close


def test_stooq_angle_bracket_header(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "x.txt",
        "<TICKER>,<PER>,<DATE>,<TIME>,<OPEN>,<HIGH>,<LOW>,<CLOSE>,<VOL>,<OPENINT>\n"
        "AAPL.US,5,20230301,093500,10,11,9,10,5,0\n"
        "AAPL.US,5,20230301,094000,10,11,9,10,5,0\n"
        "AAPL.US,5,20230301,094500,10,11,9,10,5,0\n",
    )
    file = read_bars(path)
    assert (file.symbol, file.timeframe, file.format) == ("AAPL.US", Timeframe.M5, "stooq")
    assert file.bars[0].start_ns == ns("2023-03-01T09:35:00")


def test_stooq_plain_daily(tmp_path: Path) -> None:
    text = "Date,Open,High,Low,Close,Volume\n2023-03-01,1,2,1,2,10\n2023-03-02,2,3,2,3,11\n"
    file = read_bars(write(tmp_path, "spy_us_d.csv", text))
    assert (file.symbol, file.timeframe, len(file.bars)) == ("SPY", Timeframe.D1, 2)


@pytest.mark.parametrize("sep", [";", "\t"])
def test_semicolon_and_tab_separators(tmp_path: Path, sep: str) -> None:
    rows = ["Date,Time,Open,High,Low,Close,Vol", "2023-03-01,09:30,10,11,9,10,1"]
    rows.append("2023-03-01,09:31,10,11,9,10,2")
    file = read_bars(write(tmp_path, "es.csv", "\n".join(r.replace(",", sep) for r in rows)))
    assert file.timeframe is Timeframe.M1
    assert [b.start_ns for b in file.bars] == [ns("2023-03-01T09:30"), ns("2023-03-01T09:31")]
    assert file.bars[1].volume == 2


@pytest.mark.parametrize(
    ("stamp", "unit"),
    [(1677628800, "s"), (1677628800_000, "ms"), (1677628800_000_000, "us")],
)
def test_epoch_open_time_by_magnitude(tmp_path: Path, stamp: int, unit: str) -> None:
    step = {"s": 60, "ms": 60_000, "us": 60_000_000}[unit]
    body = "".join(f"{stamp + i * step},10,11,9,10,1\n" for i in range(3))
    file = read_bars(
        write(tmp_path, "BTCUSDT-1m.csv", "open_time,open,high,low,close,volume\n" + body)
    )
    assert file.format == "kline"
    assert file.timeframe is Timeframe.M1
    assert file.bars[0].start_ns == ns("2023-03-01T00:00:00")


def test_iso_with_offsets_and_z(tmp_path: Path) -> None:
    text = (
        "timestamp,open,high,low,close,volume\n"
        "2023-03-01T10:00:00+02:00,10,11,9,10,1\n"
        "2023-03-01T09:00:00Z,10,11,9,10,1\n"
        "2023-03-01 10:00:00+00:00,10,11,9,10,1\n"
    )
    file = read_bars(write(tmp_path, "eth.csv", text))
    assert [b.start_ns for b in file.bars] == [
        ns("2023-03-01T08:00:00"),
        ns("2023-03-01T09:00:00"),
        ns("2023-03-01T10:00:00"),
    ]
    assert file.timeframe is Timeframe.H1


def test_headerless_binance_klines(tmp_path: Path) -> None:
    row = "{t},23144.78,23152.48,23133.11,23143.72,3.9,{c},90000.1,120,1.9,44000.2,0\n"
    start = 1677628800000
    body = "".join(
        row.format(t=start + i * 60_000, c=start + i * 60_000 + 59_999) for i in range(3)
    )
    file = read_bars(write(tmp_path, "BTCUSDT-1m-2023-03-01.csv", body))
    assert (file.symbol, file.format, file.timeframe) == ("BTCUSDT", "binance", Timeframe.M1)
    assert file.bars[2].start_ns == ns("2023-03-01T00:02:00")
    assert file.bars[0].close == 23143.72


def test_unnamed_first_column_and_quotes(tmp_path: Path) -> None:
    text = (
        ',"Open","High","Low","Close","Volume"\n'
        '"2017-04-19 09:00:00","1.0716",1.0722,1.07083,1.07219,1413\n'
        '"2017-04-19 10:00:00",1.07214,1.07296,1.07214,1.0726,1241\n'
    )
    file = read_bars(write(tmp_path, "EURUSD-1h.csv", text))
    assert (file.symbol, file.timeframe) == ("EURUSD", Timeframe.H1)
    assert file.bars[0].open == 1.0716


def test_volume_may_be_absent(tmp_path: Path) -> None:
    text = "datetime,open,high,low,close\n2023-01-02 10:00,1,2,1,2\n2023-01-02 10:15,2,2,1,1\n"
    arrays = read_bar_arrays(write(tmp_path, "x.csv", text))
    assert arrays.volume.tolist() == [0.0, 0.0]
    assert detect_timeframe(arrays.ts_ns) is Timeframe.M15


def test_descending_file_is_reversed(tmp_path: Path) -> None:
    text = "Date,Open,High,Low,Close,Volume\n"
    text += "2023-03-03,3,3,3,3,3\n2023-03-02,2,2,2,2,2\n2023-03-01,1,1,1,1,1\n"
    file = read_bars(write(tmp_path, "x.csv", text))
    assert [b.close for b in file.bars] == [1, 2, 3]
    assert file.bars[0].start_ns == ns("2023-03-01T00:00:00")


def test_blank_lines_are_skipped_and_lines_still_counted(tmp_path: Path) -> None:
    text = (
        "Date,Open,High,Low,Close,Volume\n\n2023-03-01,1,1,1,1,1\n\n2023-03-02,1,x,1,1,1\n,,,,,\n"
    )
    assert error_of(write(tmp_path, "gaps.csv", text)) == (
        'gaps.csv line 5: high "x" is not a number'
    )


def test_float_artefacts_within_tolerance(tmp_path: Path) -> None:
    text = "Date,Open,High,Low,Close,Volume\n2017-12-06,166.46000700000002,170,166.460007,169,1\n"
    (bar,) = read_bars(write(tmp_path, "x.csv", text), timeframe=Timeframe.D1).bars
    assert bar.open == 166.46000700000002


def test_arguments_override_detection(tmp_path: Path) -> None:
    text = "Date,Open,High,Low,Close,Volume\n2023-03-01,1,1,1,1,1\n2023-03-02,1,1,1,1,1\n"
    file = read_bars(write(tmp_path, "x.csv", text), symbol="ABC", timeframe=Timeframe.H1)
    assert (file.symbol, file.timeframe) == ("ABC", Timeframe.H1)
    assert file.bars[0].timeframe is Timeframe.H1


def test_arrays_match_bars(tmp_path: Path) -> None:
    text = "Date,Open,High,Low,Close,Volume\n2023-03-02,2,3,1,2,5\n2023-03-01,1,2,1,2,4\n"
    path = write(tmp_path, "x.csv", text)
    arrays, file = read_bar_arrays(path), read_bars(path)
    assert arrays.ts_ns.dtype == np.int64 and arrays.close.dtype == np.float64
    assert arrays.ts_ns.tolist() == [b.start_ns for b in file.bars]
    assert arrays.high.tolist() == [b.high for b in file.bars]
    assert read_bar_table(path).arrays.volume.tolist() == [4.0, 5.0]


@pytest.mark.parametrize(
    ("name", "symbol"),
    [
        ("AAPL-2000-2020.csv", "AAPL"),
        ("nvda-1999-2014.txt", "NVDA"),
        ("btcusd_1m.csv", "BTCUSD"),
        ("spy.us.txt", "SPY"),
    ],
)
def test_symbol_from_file_name(name: str, symbol: str) -> None:
    assert symbol_from_path(Path("/data") / name) == symbol


def _stamps(start: str, step_ns: int, n: int, skip_weekends: bool = False) -> np.ndarray:
    t = ns(start)
    out: list[int] = []
    while len(out) < n:
        weekday = datetime.fromtimestamp(t / 1e9, tz=UTC).weekday()
        if not (skip_weekends and weekday >= 5):
            out.append(t)
        t += step_ns
    return np.array(out, dtype=np.int64)


@pytest.mark.parametrize(
    ("step_ns", "weekends", "expected"),
    [
        (MIN, False, Timeframe.M1),
        (5 * MIN, False, Timeframe.M5),
        (15 * MIN, False, Timeframe.M15),
        (60 * MIN, False, Timeframe.H1),
        (DAY, True, Timeframe.D1),
    ],
)
def test_detect_timeframe(step_ns: int, weekends: bool, expected: Timeframe) -> None:
    assert detect_timeframe(_stamps("2023-03-01T00:00:00", step_ns, 60, weekends)) is expected


def test_detect_timeframe_short_daily_file_with_a_weekend() -> None:
    fri_mon_tue = np.array([ns("2023-03-03"), ns("2023-03-06"), ns("2023-03-07")], dtype=np.int64)
    assert detect_timeframe(fri_mon_tue) is Timeframe.D1
    assert detect_timeframe(fri_mon_tue[:1]) is Timeframe.D1
    assert detect_timeframe(np.array([ns("2023-03-03T10:00")], dtype=np.int64)) is None


def test_detect_timeframe_rejects_weekly_spacing(tmp_path: Path) -> None:
    assert detect_timeframe(_stamps("2023-03-01T00:00:00", 7 * DAY, 10)) is None
    text = "Date,Open,High,Low,Close\n2023-03-01,1,1,1,1\n2023-03-08,1,1,1,1\n"
    assert "cannot tell the timeframe" in error_of(write(tmp_path, "w.csv", text))


# --- errors -------------------------------------------------------------------------------

HEADER = "Date,Open,High,Low,Close,Volume\n"
GOOD = "2023-03-01,10,11,9,10,100\n"


@pytest.mark.parametrize(
    ("row", "problem"),
    [
        ("2023-03-02,10,11,9,abc,100", 'close "abc" is not a number'),
        ("2023-03-02,10,11,9,null,100", 'close is missing ("null")'),
        ("2023-03-02,10,11,9,,100", 'close is missing ("")'),
        ("2023-03-02,NaN,11,9,10,100", 'open is missing ("NaN")'),
        ("2023-03-02,10,inf,9,10,100", "high inf is not a finite number"),
        ("2023-03-02,11.3,10.5,11.2,11.2,100", "high 10.5 is below low 11.2"),
        ("2023-03-02,10,10.5,9,11,100", "high 10.5 is below close 11"),
        ("2023-03-02,10,11,10.5,11,100", "low 10.5 is above open 10"),
        ("2023-03-02,0,11,9,10,100", "open 0 is not positive"),
        ("2023-03-02,10,11,9,10,-5", "volume -5 is negative"),
        ("2023-03-02,10,11,9,10", "5 fields but the header names 6"),
        ("2023-13-02,10,11,9,10,100", 'Date "2023-13-02" is not a date/time'),
        ("2023-03-01,10,11,9,10,100", "duplicate timestamp 2023-03-01T00:00:00Z (also on line 2)"),
    ],
)
def test_row_errors_name_file_line_and_problem(tmp_path: Path, row: str, problem: str) -> None:
    message = error_of(write(tmp_path, "foo.csv", HEADER + GOOD + row + "\n"))
    assert message.startswith(f"foo.csv line 3: {problem}"), message


@pytest.mark.parametrize(
    ("rows", "problem"),
    [
        # A short row and a long one hold as many fields as two good rows between them.
        (["2023-03-02,10,11,9,10", "2023-03-03,10,11,9,10,1,1"], "line 3: 5 fields but"),
        (["NaT,10,11,9,10,1"], 'line 3: Date "NaT" is not a date/time'),
        (["today,10,11,9,10,1"], 'line 3: Date "today" is not a date/time'),
        # numpy would wrap a year it cannot hold in ns; past 2199 a year is a typo anyway.
        (["2300-01-03,10,11,9,10,1"], 'line 3: Date "2300-01-03" is outside the years 1900'),
        (["1024-03-03,10,11,9,10,1"], 'line 3: Date "1024-03-03" is outside the years 1900'),
    ],
)
def test_rows_that_look_regular_in_bulk_are_still_checked_one_by_one(
    tmp_path: Path, rows: list[str], problem: str
) -> None:
    text = HEADER + GOOD + "".join(r + "\n" for r in rows) + "2023-03-09,10,11,9,10,1\n"
    message = error_of(write(tmp_path, "foo.csv", text))
    assert message.startswith(f"foo.csv {problem}"), message


def test_iso_times_read_in_bulk_match_the_careful_reading(tmp_path: Path) -> None:
    stamps = ["2023-03-01T09:30:00.250", "2023-03-01T09:31:00.250", "2023-03-01T09:32:00.250"]
    bulk = read_bars(
        write(tmp_path, "a.csv", HEADER + "".join(f"{t},10,11,9,10,1\n" for t in stamps))
    )
    # A quoted field sends the whole file down the row-by-row path.
    quoted = HEADER + "".join(f'"{t}",10,11,9,10,1\n' for t in stamps)
    careful = read_bars(write(tmp_path, "b.csv", quoted))
    assert [b.start_ns for b in bulk.bars] == [b.start_ns for b in careful.bars]
    assert bulk.bars[0].start_ns == 1_677_663_000_250_000_000


def test_out_of_order_row(tmp_path: Path) -> None:
    rows = ["2023-03-01", "2023-03-02", "2023-03-04", "2023-03-03", "2023-03-05"]
    text = HEADER + "".join(f"{d},10,11,9,10,1\n" for d in rows)
    assert error_of(write(tmp_path, "foo.csv", text)) == (
        "foo.csv line 5: timestamp 2023-03-03T00:00:00Z is out of order after "
        "2023-03-04T00:00:00Z on line 4 (the file is otherwise oldest first)"
    )


def test_out_of_order_row_in_a_descending_file(tmp_path: Path) -> None:
    rows = ["2023-03-05", "2023-03-04", "2023-03-06", "2023-03-02", "2023-03-01"]
    text = HEADER + "".join(f"{d},10,11,9,10,1\n" for d in rows)
    message = error_of(write(tmp_path, "foo.csv", text))
    assert message.startswith("foo.csv line 4: timestamp 2023-03-06T00:00:00Z is out of order")
    assert message.endswith("(the file is otherwise newest first)")


def test_bad_time_of_day_column(tmp_path: Path) -> None:
    text = "Date,Time,Open,High,Low,Close\n2023-03-01,09:30,1,1,1,1\n2023-03-01,25:99,1,1,1,1\n"
    message = error_of(write(tmp_path, "t.csv", text))
    assert message == 't.csv line 3: Time "25:99" is not a time of day'


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a,b,c\n1,2,x\n", "foo.csv: no date/time column (columns: a, b, c)"),
        ("Date,Open,High,Low\n2023-01-01,1,1,1\n", "foo.csv: no close column"),
        ("", "foo.csv: the file is empty"),
        (HEADER, "foo.csv: no bars after the header"),
        ("1,2,3\n", "foo.csv line 1: no header row"),
        ("just words\n", "foo.csv line 1: no comma, semicolon or tab separator"),
    ],
)
def test_file_errors(tmp_path: Path, text: str, message: str) -> None:
    assert error_of(write(tmp_path, "foo.csv", text)).startswith(message)


def test_two_symbols_in_one_file(tmp_path: Path) -> None:
    text = "Date,Open,High,Low,Close,Volume,Name\n2023-03-01,1,1,1,1,1,A\n2023-03-02,1,1,1,1,1,B\n"
    assert error_of(write(tmp_path, "x.csv", text)).startswith('x.csv line 3: symbol "B"')


def test_missing_file_is_a_data_error(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="cannot read the file"):
        read_bar_arrays(tmp_path / "nope.csv")


# --- the real files -----------------------------------------------------------------------


def test_every_shared_daily_file_parses(shared_data: Path) -> None:
    files = sorted((shared_data / "prices" / "daily").glob("*.*"))
    assert files
    for path in files:
        file = read_bars(path)
        assert file.timeframe is Timeframe.D1, path.name
        assert file.format == "yahoo", path.name
        assert file.symbol == path.name.split("-")[0].upper()
        starts = [b.start_ns for b in file.bars]
        assert starts == sorted(starts) and len(set(starts)) == len(starts)
        assert all(b.start_ns % DAY == 0 for b in file.bars)


def test_kaggle_partial_last_row_is_kept(shared_data: Path) -> None:
    file = read_bars(shared_data / "prices" / "daily" / "AAPL-2012-2017.csv")
    assert len(file.bars) == 1260
    last = file.bars[-1]
    assert last.start_ns == ns("2017-12-06T00:00:00")
    assert (last.low, last.close) == (166.46000700000002, 169.011993)


def test_raw_closes_agree_across_sources(shared_data: Path) -> None:
    daily = shared_data / "prices" / "daily"
    old = {b.start_ns: b.close for b in read_bars(daily / "AAPL-2000-2020.csv").bars}
    new = {b.start_ns: b.close for b in read_bars(daily / "AAPL-2012-2017.csv").bars}
    common = sorted(old.keys() & new.keys())
    assert len(common) > 1000
    assert all(abs(old[t] - new[t]) <= 1e-4 * new[t] for t in common)


def test_btc_minutes(shared_data: Path) -> None:
    table = read_bar_table(shared_data / "prices" / "intraday" / "BTCUSD-1m-2023-03.csv")
    a = table.arrays
    assert (table.symbol, table.timeframe, table.format) == ("BTCUSD", Timeframe.M1, "kline")
    assert len(a.ts_ns) == 30_240
    assert int(a.ts_ns[0]) == ns("2023-03-01T00:00:00")
    assert int(a.ts_ns[-1]) == ns("2023-03-21T23:59:00")
    assert bool((np.diff(a.ts_ns) == MIN).all())  # no missing minute
    assert int((a.volume == 0).sum()) == 72


def test_eurusd_hours(shared_data: Path) -> None:
    file = read_bars(shared_data / "prices" / "intraday" / "EURUSD-1h-2017-2018.csv")
    assert (file.symbol, file.timeframe, len(file.bars)) == ("EURUSD", Timeframe.H1, 5000)
    assert file.bars[0].start_ns == ns("2017-04-19T09:00:00")


def test_index_file_with_short_header_is_refused(shared_data: Path) -> None:
    with pytest.raises(DataError) as info:
        read_bar_arrays(shared_data / "prices" / "intraday" / "index-1m-2006.txt")
    assert str(info.value) == "index-1m-2006.txt line 2: 8 fields but the header names 7"
