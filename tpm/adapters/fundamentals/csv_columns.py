"""Which CSV header means which figure: aliases compared without case, spaces or punctuation.

"Price/Earnings", "P/E", "PE" and "pe ratio" all mean the P/E; "Ticker symbol", "TickerSymbol"
and "ticker_symbol" the symbol. For each meaning the first alias present in the header wins,
so "GICS Sector" is preferred to "Sector" when a file has both.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

__all__ = [
    "IDENTITY",
    "LINE_ITEMS",
    "RATIOS",
    "SHADOWED_BY",
    "match_columns",
    "normalise",
    "says_percent",
]

_NOT_ALNUM = re.compile(r"[^a-z0-9]+")
_PERCENT_MARK = re.compile(r"%|\bpct\b|\bpercent(age)?\b|\bin percent\b", re.IGNORECASE)

IDENTITY: dict[str, tuple[str, ...]] = {
    "symbol": ("symbol", "ticker", "tickersymbol", "tickers"),
    "sector": ("gicssector", "sector"),
    "industry": ("gicssubindustry", "subindustry", "gicsindustry", "industry"),
    "date": (
        "periodending",
        "periodend",
        "periodenddate",
        "fiscalperiodend",
        "asof",
        "asofdate",
        "reportdate",
        "date",
    ),
    "year": ("foryear", "fiscalyear", "year", "fy"),
}

# Figures a file may give ready-made (snapshots such as the S&P 500 constituents file).
RATIOS: dict[str, tuple[str, ...]] = {
    "pe": ("priceearnings", "pe", "peratio", "pricetoearnings", "priceearningsratio"),
    "pb": ("pricebook", "pb", "pbratio", "pricetobook", "pricebookvalue"),
    "ps": ("pricesales", "ps", "psratio", "pricetosales"),
    "ev_ebitda": ("evebitda", "enterprisevalueebitda", "evtoebitda"),
    "market_cap": ("marketcap", "marketcapitalization", "mktcap", "marketvalue"),
    "dividend_yield": ("dividendyield", "divyield", "yield"),
    "roe": ("roe", "returnonequity", "aftertaxroe"),
    "gross_margin": ("grossmargin",),
    "operating_margin": ("operatingmargin",),
    "net_margin": ("netmargin", "profitmargin", "netprofitmargin"),
    "revenue_growth": ("revenuegrowth", "salesgrowth"),
    "eps_growth": ("epsgrowth", "earningsgrowth"),
    "debt_to_equity": ("debtequity", "debttoequity", "de", "debtequityratio"),
    "current_ratio": ("currentratio",),
    # Not figures of their own, but what P/E, EV/EBITDA and the market cap can come from.
    "price": ("price", "lastprice", "shareprice", "close"),
    "ev": ("enterprisevalue", "ev"),
    "ebitda": ("ebitda",),
}

# Statement line items (the NYSE 10-K extract; one row per company and fiscal year).
LINE_ITEMS: dict[str, tuple[str, ...]] = {
    "revenue": ("totalrevenue", "revenue", "revenues", "netsales", "totalsales", "sales"),
    "cost_of_revenue": ("costofrevenue", "costofgoodssold", "cogs"),
    "gross_profit": ("grossprofit",),
    "operating_income": ("operatingincome", "operatingincomeloss"),
    "net_income": ("netincome", "netincomeloss"),
    "equity": (
        "totalequity",
        "stockholdersequity",
        "shareholdersequity",
        "totalstockholdersequity",
    ),
    "liabilities": ("totalliabilities",),
    "total_debt": ("totaldebt",),
    "long_term_debt": ("longtermdebt",),
    "short_term_debt": (
        "shorttermdebtcurrentportionoflongtermdebt",
        "shorttermdebt",
        "currentportionoflongtermdebt",
    ),
    "cash": ("cashandcashequivalents", "cash"),
    "current_assets": ("totalcurrentassets", "currentassets"),
    "current_liabilities": ("totalcurrentliabilities", "currentliabilities"),
    "eps": ("earningspershare", "earningsshare", "eps", "epsdiluted", "dilutedeps"),
    "shares": ("sharesoutstanding", "estimatedsharesoutstanding", "shares"),
    "ebit": ("earningsbeforeinterestandtax", "ebit"),
    "depreciation": ("depreciationandamortization", "depreciation"),
    "dividends_per_share": ("dividendspershare", "dps"),
}

# A ready-made ratio column is ignored when the file also has the line items it comes from:
# computed figures keep their sign and precision (the NYSE extract's ratio columns are
# rounded whole percents without sign: AAL's 2012 "ProfitMargin" is 8 on a net loss).
SHADOWED_BY: dict[str, tuple[tuple[str, ...], ...]] = {
    "roe": (("net_income", "equity"),),
    "gross_margin": (("revenue", "gross_profit"),),
    "operating_margin": (("revenue", "operating_income"),),
    "net_margin": (("revenue", "net_income"),),
    "current_ratio": (("current_assets", "current_liabilities"),),
    "debt_to_equity": (
        ("equity", "total_debt"),
        ("equity", "long_term_debt"),
        ("equity", "liabilities"),
    ),
}


def normalise(header: str) -> str:
    """A header without case, spaces or punctuation: "Price/Earnings" -> "priceearnings"."""
    return _NOT_ALNUM.sub("", header.lower())


def says_percent(header: str) -> bool:
    """Whether a header itself says its values are percentages ("Margin %", "yield_pct")."""
    return bool(_PERCENT_MARK.search(header.replace("_", " ")))


def match_columns(header: Sequence[str], table: dict[str, tuple[str, ...]]) -> dict[str, int]:
    """Meaning -> column index for every meaning of `table` the header has."""
    position: dict[str, int] = {}
    for i, name in enumerate(header):
        position.setdefault(normalise(name), i)
    found: dict[str, int] = {}
    for meaning, aliases in table.items():
        for alias in aliases:
            if alias in position:
                found[meaning] = position[alias]
                break
    return found
