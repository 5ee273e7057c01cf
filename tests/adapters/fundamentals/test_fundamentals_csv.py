"""Fundamentals CSV import: columns by name, percent or fraction, statements, errors, real files."""

from __future__ import annotations

from pathlib import Path

import pytest

from tpm.adapters.fundamentals import read_fundamentals_csv, read_sectors_csv
from tpm.errors import DataError

DAY_NS = 86_400 * 10**9


def write(tmp_path: Path, text: str, name: str = "f.csv") -> Path:
    path = tmp_path / name
    path.write_text(text.strip() + "\n", encoding="utf-8")
    return path


def test_snapshot_columns_are_recognised_by_any_spelling(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
ticker_symbol,P/E,price to book,PRICE/SALES,Market Cap,EBITDA,Dividend Yield %,gics sector,Sector
acme,12.5,2.0,1.5,"1,000,000",100000,2.5%,Industrials,Machinery
BOLT,25,4,3,2.5B,,1.0,Technology,Software
""",
    )
    data = read_fundamentals_csv(path, as_of_ns=7 * DAY_NS)
    acme, bolt = data.rows
    assert acme.symbol == "ACME" and acme.as_of_ns == 7 * DAY_NS and acme.source == "csv"
    assert (acme.pe, acme.pb, acme.ps, acme.market_cap) == (12.5, 2.0, 1.5, 1_000_000)
    assert acme.dividend_yield == pytest.approx(0.025)  # a "%" header: percent
    assert bolt.dividend_yield == pytest.approx(0.01)
    assert bolt.market_cap == 2.5e9
    # GICS Sector wins over Sector.
    assert data.sectors == {"ACME": "Industrials", "BOLT": "Technology"}
    # Identities: EV/EBITDA ~ market cap / EBITDA, net margin = P/S / P/E, ROE = P/B / P/E.
    assert acme.ev_ebitda == pytest.approx(10.0)
    assert bolt.ev_ebitda is None
    assert acme.net_margin == pytest.approx(1.5 / 12.5)
    assert acme.roe == pytest.approx(2.0 / 12.5)
    assert any("market cap / EBITDA" in n for n in data.notes)


def test_an_enterprise_value_column_is_used_when_present(tmp_path: Path) -> None:
    path = write(tmp_path, "Symbol,Enterprise Value,EBITDA,Market Cap\nA,1200,100,1000\n")
    [a] = read_fundamentals_csv(path).rows
    assert a.ev_ebitda == pytest.approx(12.0)


@pytest.mark.parametrize(
    ("cells", "expected"),
    [(("0.02", "0.031", "0.0"), 0.02), (("2.0", "3.1", "0.0"), 0.02)],
    ids=["fractions", "percents"],
)
def test_dividend_yield_scale_is_told_from_its_values(
    tmp_path: Path, cells: tuple[str, ...], expected: float
) -> None:
    rows = "\n".join(f"S{i},{c}" for i, c in enumerate(cells))
    data = read_fundamentals_csv(write(tmp_path, f"Symbol,Dividend Yield\n{rows}"))
    assert data.rows[0].dividend_yield == pytest.approx(expected)
    assert data.rows[2].dividend_yield == 0.0


def test_loss_makers_get_a_negative_pe_from_price_and_eps(tmp_path: Path) -> None:
    path = write(tmp_path, "Symbol,Price,Price/Earnings,Earnings/Share\nW,50,10,5\nL,30,,-2\n")
    win, loss = read_fundamentals_csv(path).rows
    assert win.pe == 10
    assert loss.pe == pytest.approx(-15.0)  # losses rank as the worst valuation, not vanish


NYSE_LIKE = """
,TickerSymbol,PeriodEnding,TotalRevenue,CostofRevenue,GrossProfit,OperatingIncome,NetIncome,TotalEquity,TotalLiabilities,Long-TermDebt,Short-TermDebt/CurrentPortionofLong-TermDebt,TotalCurrentAssets,TotalCurrentLiabilities,EarningsPerShare,EstimatedSharesOutstanding,GrossMargin,ProfitMargin,CurrentRatio,ForYear
0,ACME,2014-12-31,1000,600,400,150,100,500,900,200,50,300,200,2.0,50,40,10,150,2014
1,ACME,2015-12-31,1100,640,460,170,121,550,950,220,55,330,220,2.2,55,42,11,150,2015
2,LOSS,2015-12-31,500,400,100,-20,-30,-100,800,300,0,100,0.0,-1.5,20,20,6,0,2015
3,LOSS,2014-12-31,520,410,110,10,5,40,700,280,0,120,100,0.25,20,21,1,120,2014
4,BANK,2014-12-31,90,0,90,0,20,200,2000,380,320,0,0,5,4,100,22,,2014
5,BANK,2015-12-31,95,0,95,0,22,210,2100,400,300,0,0,1.0,22,100,23,,2015
"""


def test_statements_give_ratios_and_growth_from_consecutive_years(tmp_path: Path) -> None:
    data = read_fundamentals_csv(write(tmp_path, NYSE_LIKE))
    rows = {r.symbol: r for r in data.rows}
    acme = rows["ACME"]
    assert acme.as_of_ns == 1_451_520_000 * 10**9  # 2015-12-31, the latest year
    assert acme.revenue_growth == pytest.approx(0.10)
    assert acme.eps_growth == pytest.approx(0.10)
    assert acme.roe == pytest.approx(121 / 550)
    assert acme.gross_margin == pytest.approx(460 / 1100)
    assert acme.operating_margin == pytest.approx(170 / 1100)
    assert acme.net_margin == pytest.approx(121 / 1100)
    assert acme.debt_to_equity == pytest.approx((220 + 55) / 550)
    assert acme.current_ratio == pytest.approx(1.5)
    assert acme.pe is None  # no price in a statements file
    # The file's own ratio columns (rounded percents) are not used when line items exist.
    assert not any("GrossMargin" in n for n in data.notes)


def test_statements_signs_zeros_and_splits(tmp_path: Path) -> None:
    rows = {r.symbol: r for r in read_fundamentals_csv(write(tmp_path, NYSE_LIKE)).rows}
    loss = rows["LOSS"]
    assert loss.net_margin == pytest.approx(-30 / 500)  # the sign survives
    assert loss.roe is None  # negative equity: ROE means nothing
    assert loss.debt_to_equity == pytest.approx(300 / -100)  # negative: ranked worst
    assert loss.current_ratio is None  # 0 current liabilities = not reported
    assert loss.eps_growth == pytest.approx((-1.5 - 0.25) / 0.25)
    bank = rows["BANK"]
    assert bank.gross_margin is None  # gross profit = revenue: no cost of revenue reported
    assert bank.operating_margin is None  # 0 operating income = not reported
    # Shares went from 4 to 22 (a split): EPS growth is net income growth instead.
    assert bank.eps_growth == pytest.approx(0.10)


def test_total_liabilities_stand_in_for_debt_only_without_debt_columns(tmp_path: Path) -> None:
    path = write(tmp_path, "Symbol,Total Equity,Total Liabilities,Net Income\nA,100,250,10\n")
    data = read_fundamentals_csv(path)
    assert data.rows[0].debt_to_equity == pytest.approx(2.5)
    assert any("total liabilities" in n for n in data.notes)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty file"),
        ("Name,P/E\nAcme,12\n", r"line 1: no symbol column \(expected Symbol.*found: Name, P/E"),
        ("Symbol,Name\nA,Acme\n", "line 1: no fundamental figures recognised"),
        ("Symbol,P/E\nA,12\nB,twelve\n", "line 3: \"P/E\" = 'twelve' is not a number"),
        ("Symbol,P/E\nA,12\nA,13\n", "line 3: A again .first on line 2. and no period end"),
        ("Symbol,P/E\nA,12,7\n", "line 2: 3 fields, the header has 2"),
        ("Symbol,P/E\n,12\n", "line 2: no symbol"),
        ("Symbol,Date,P/E\nA,2020-13-45,12\n", "line 2: '2020-13-45' is not a date"),
        ("Symbol,Year,P/E\nA,2020,1\nA,2020,2\n", "line 3: A 2020-12-31 again"),
        ("Symbol,P/E\n", "a header and no rows"),
    ],
)
def test_malformed_files_name_file_line_and_problem(
    tmp_path: Path, text: str, message: str
) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(DataError, match=message) as err:
        read_fundamentals_csv(path)
    assert str(path) in str(err.value)


def test_a_missing_file_is_a_data_error(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="no such file"):
        read_fundamentals_csv(tmp_path / "absent.csv")


def test_semicolon_files_and_sector_files(tmp_path: Path) -> None:
    path = write(tmp_path, "Ticker;PE;Sector\nA;10;Semiconductors\nB;20;Banks\nC;30;Oddities\n")
    sectors = write(
        tmp_path,
        '"Ticker symbol","GICS Sector","GICS Sub Industry"\n"A","Information Technology",'
        '"Semiconductors"\n"X","Financials","Banks"\n',
        "sectors.csv",
    )
    assert read_sectors_csv(sectors) == {"A": "Information Technology", "X": "Financials"}
    data = read_fundamentals_csv(path, sectors_path=sectors)
    assert [r.pe for r in data.rows] == [10, 20, 30]
    # A by symbol, B through its industry name, C kept as the file says.
    assert data.sectors == {"A": "Information Technology", "B": "Financials", "C": "Oddities"}


def test_real_sp500_snapshot(shared_data: Path) -> None:
    path = shared_data / "fundamentals" / "constituents-financials.csv"
    if not path.exists():
        pytest.skip(f"{path} is absent")
    data = read_fundamentals_csv(path)
    rows = {r.symbol: r for r in data.rows}
    assert len(rows) > 480
    mmm = rows["MMM"]
    assert mmm.pe == pytest.approx(31.786858) and mmm.pb == pytest.approx(31.26485)
    assert mmm.dividend_yield == pytest.approx(0.0175)  # already a fraction in this file
    assert mmm.ev_ebitda == pytest.approx(92293693440 / 6488000000)
    assert sum(1 for r in rows.values() if r.pe is not None and r.pe < 0) >= 25
    assert len(data.sectors) == 503
    assert any("look like industries" in n for n in data.notes)


def test_real_nyse_statements_with_gics_sectors(shared_data: Path) -> None:
    folder = shared_data / "fundamentals"
    path, securities = folder / "nyse_fundamentals_2012-2016.csv", folder / "nyse_securities.csv"
    if not (path.exists() and securities.exists()):
        pytest.skip(f"{path} or {securities} is absent")
    data = read_fundamentals_csv(path, sectors_path=securities)
    rows = {r.symbol: r for r in data.rows}
    assert len(rows) == 448
    aapl = rows["AAPL"]  # fiscal 2016 against 2015
    assert aapl.revenue_growth == pytest.approx(2.15639e11 / 2.33715e11 - 1)
    assert aapl.eps_growth == pytest.approx(8.35 / 9.28 - 1)
    assert aapl.current_ratio == pytest.approx(1.06869e11 / 79006000000)
    assert aapl.debt_to_equity == pytest.approx((75427000000 + 11605000000) / 1.28249e11)
    assert len(set(data.sectors.values())) == 11
    assert data.sectors["AAPL"] == "Information Technology"
