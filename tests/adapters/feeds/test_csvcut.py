"""Tests for the byte-level reading of regular CSV bodies: it must agree with `float()` and
the string path exactly, and hand back None for anything it does not read."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tpm.adapters.feeds.csvbars import read_bar_arrays
from tpm.adapters.feeds.csvcut import Fields
from tpm.adapters.feeds.csvtime import fixed_iso_ns, parse_times


def fields(rows: list[list[str]], delimiter: str = ",") -> Fields:
    cut = Fields.cut("\n".join(delimiter.join(r) for r in rows), delimiter, len(rows[0]))
    assert cut is not None
    return cut


def fail(i: int, problem: str) -> Exception:
    return ValueError(f"row {i}: {problem}")


# Plain decimals as exporters write them: leading zeros, a point first or last, 1-15 digits.
decimal_text = st.builds(
    lambda whole, frac, point: whole + ("." + frac if point else ""),
    st.text("0123456789", min_size=1, max_size=8),
    st.text("0123456789", max_size=7),
    st.booleans(),
) | st.text("0123456789", min_size=1, max_size=7).map(lambda d: "." + d)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(decimal_text, decimal_text), min_size=1, max_size=40))
def test_decimals_equal_float_of_each_text(pairs: list[tuple[str, str]]) -> None:
    cut = fields([["x", a, b] for a, b in pairs])
    for j in (1, 2):
        got = cut.decimals(j)
        assert got is not None
        want = [float(p[j - 1]) for p in pairs]
        assert got.tolist() == want  # exact, to the last bit


def test_decimals_at_the_edges_of_float64() -> None:
    # Fifteen digits each, the most read from the bytes; a sixteenth goes to the string path.
    texts = ["999999999999999", "0.00000000000001", "12345.6789012345", "9007199.25474099"]
    got = fields([["x", t] for t in texts]).decimals(1)
    assert got is not None
    assert got.tolist() == [float(t) for t in texts]


@pytest.mark.parametrize(
    "odd",
    ["-1.5", "+2", "1e5", "1.2.3", "", ".", " 12.5", "12.5 ", "nan", "1,5", "1234567890123456"],
)
def test_anything_but_a_plain_decimal_is_left_to_the_string_path(odd: str) -> None:
    delimiter = ";" if "," in odd else ","
    cut = fields([["x", "10.5"], ["y", odd], ["z", "11"]], delimiter)
    assert cut.decimals(1) is None
    assert cut[1] == ["10.5", odd, "11"]


@pytest.mark.parametrize(
    "body",
    [
        "a,1\nb,2,3\nc,4",  # a long line
        "a,1\nb\nc,4,5",  # a short and a long line that add up
        "a,1\n\nb,2",  # a blank line
        "a,1\nb,2\n",  # a trailing newline: the caller strips it
        "a,1\nb,é",  # not ASCII: byte offsets would not be string offsets
    ],
)
def test_bodies_that_are_not_regular_are_refused(body: str) -> None:
    assert Fields.cut(body, ",", 2) is None


def test_columns_are_the_strings_between_separators() -> None:
    cut = fields([["2024-01-01", "1", "abc"], ["2024-01-02", "22", ""]], "\t")
    assert (cut.rows, len(cut)) == (2, 3)
    assert [cut[0], cut[1], cut[2]] == [["2024-01-01", "2024-01-02"], ["1", "22"], ["abc", ""]]
    assert cut.fixed(1) is None  # widths differ
    fixed = cut.fixed(0)
    assert fixed is not None and fixed.tolist() == [b"2024-01-01", b"2024-01-02"]


@pytest.mark.parametrize(
    "stamps",
    [
        ["2024-01-01 09:30:00", "2024-01-01 09:31:00", "2199-12-31 23:59:00"],
        ["2023-03-01T09:30:00.250", "2023-03-01T09:31:00.250", "2023-03-01T09:32:00.500"],
        ["1999-12-31", "2000-01-01", "2000-01-03"],
    ],
)
def test_fixed_iso_times_equal_the_string_reading(stamps: list[str]) -> None:
    fixed = fields([[s, "1"] for s in stamps]).fixed(0)
    assert fixed is not None
    got = fixed_iso_ns(fixed)
    assert got is not None
    assert got.tolist() == parse_times(stamps, None, "time", "", fail).tolist()


@pytest.mark.parametrize(
    "stamps",
    [
        ["2024-01-01T09:30+0100", "2024-01-01T09:31+0100"],  # an offset: the careful path
        ["1700000000", "1700000060"],  # epoch seconds
        ["2300-01-01", "2300-01-02"],  # outside 1900-2199: the careful path names the row
        ["2024-01-01", "2024-13-01"],
    ],
)
def test_fixed_times_leave_everything_else_to_parse_times(stamps: list[str]) -> None:
    fixed = fields([[s, "1"] for s in stamps]).fixed(0)
    assert fixed is not None
    assert fixed_iso_ns(fixed) is None


def test_a_regular_file_reads_as_the_line_by_line_path_reads_it(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    closes = 100 * np.exp(np.cumsum(rng.normal(0, 0.01, 500)))
    lines = [
        f"2024-01-{1 + i // 400:02d} {i % 400 // 60:02d}:{i % 400 % 60:02d}:00,"
        f"{c:.4f},{c * 1.001:.6f},{c * 0.999:.2f},{c:.3f},{int(c * 1000)}"
        for i, c in enumerate(closes)
    ]
    header = "datetime,open,high,low,close,volume\n"
    regular = tmp_path / "a.csv"
    regular.write_text(header + "\n".join(lines) + "\n")
    # One blank line sends the same bars down the line-by-line path.
    blank = tmp_path / "b.csv"
    blank.write_text(header + "\n".join(lines[:10]) + "\n\n" + "\n".join(lines[10:]) + "\n")
    fast, careful = read_bar_arrays(regular), read_bar_arrays(blank)
    for a, b in zip(fast, careful, strict=True):
        assert a.tolist() == b.tolist()
