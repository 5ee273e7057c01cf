"""A company's latest fiscal years out of SEC EDGAR company facts (XBRL JSON), as `Statement`s.

The document (data.sec.gov/api/xbrl/companyfacts/CIK##########.json) is shaped
`{"cik", "entityName", "facts": {"us-gaap" | "dei": {TAG: {"units": {UNIT: [fact, ...]}}}}}`,
each fact `{"start"?, "end", "val", "accn", "fy", "fp", "form", "filed", "frame"?}`.

Traps this module avoids:

- `fy`/`fp` describe the filing, not the figure: a 10-K for fiscal 2023 also carries 2022 and
  2021 as comparatives, all with fy 2023. Periods are therefore told apart by `end` (and
  `start`), never by `fy`.
- A 10-K may carry a three-month fourth quarter next to the year: duration figures must span
  about a year (330-400 days) to count.
- Restatements and amendments (10-K/A) report the same period again later: the value filed
  last wins.
- Companies change tags (SalesRevenueNet became RevenueFromContractWithCustomer... in 2018):
  each figure has a list of tags, merged per period end in priority order.
- The latest fiscal year is the latest annual period of revenue or net income; every other
  figure is taken at that same period end (a tag last used years ago is not "latest").
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from tpm.adapters.fundamentals.statements import Statement, is_year_apart

__all__ = ["TAGS", "AnnualFact", "annual_values", "latest_years", "shares_outstanding"]

ANNUAL_FORMS = frozenset({"10-K", "10-K/A", "10-KT", "10-KT/A"})
USD, PER_SHARE, SHARES = "USD", "USD/shares", "shares"

# Figure -> (unit, us-gaap tags in order of preference).
TAGS: dict[str, tuple[str, tuple[str, ...]]] = {
    "revenue": (
        USD,
        (
            "Revenues",
            "RevenueFromContractWithCustomerExcludingAssessedTax",
            "SalesRevenueNet",
            "RevenueFromContractWithCustomerIncludingAssessedTax",
            "SalesRevenueGoodsNet",
        ),
    ),
    "net_income": (USD, ("NetIncomeLoss", "ProfitLoss")),
    "gross_profit": (USD, ("GrossProfit",)),
    "cost_of_revenue": (USD, ("CostOfRevenue", "CostOfGoodsAndServicesSold")),
    "operating_income": (USD, ("OperatingIncomeLoss",)),
    "depreciation": (
        USD,
        ("DepreciationDepletionAndAmortization", "DepreciationAndAmortization"),
    ),
    "eps": (PER_SHARE, ("EarningsPerShareDiluted", "EarningsPerShareBasic")),
    "dividends_per_share": (
        PER_SHARE,
        ("CommonStockDividendsPerShareDeclared", "CommonStockDividendsPerShareCashPaid"),
    ),
    "equity": (
        USD,
        (
            "StockholdersEquity",
            "StockholdersEquityIncludingPortionAttributableToNoncontrollingInterest",
        ),
    ),
    "long_term_debt": (USD, ("LongTermDebt",)),
    "long_term_debt_noncurrent": (USD, ("LongTermDebtNoncurrent",)),
    "long_term_debt_current": (USD, ("LongTermDebtCurrent",)),
    "short_term_borrowings": (USD, ("ShortTermBorrowings",)),
    "cash": (USD, ("CashAndCashEquivalentsAtCarryingValue",)),
    "current_assets": (USD, ("AssetsCurrent",)),
    "current_liabilities": (USD, ("LiabilitiesCurrent",)),
}
_ANCHORS = ("revenue", "net_income")


@dataclass(frozen=True, slots=True)
class AnnualFact:
    """One annual figure as last filed."""

    end: date
    value: float
    filed: date
    form: str


def _day(text: Any) -> date | None:
    try:
        return date.fromisoformat(str(text)[:10])
    except ValueError:
        return None


def _get(parent: Any, key: str) -> Any:
    return parent.get(key) if isinstance(parent, Mapping) else None


def _units(facts: Mapping[str, Any], taxonomy: str, tag: str, unit: str) -> Sequence[Any]:
    """A tag's facts in one unit; empty when any level is missing or not shaped as expected."""
    items = _get(_get(_get(_get(_get(facts, "facts"), taxonomy), tag), "units"), unit)
    return items if isinstance(items, list) else ()


def annual_values(
    facts: Mapping[str, Any], tag: str, unit: str = USD, taxonomy: str = "us-gaap"
) -> dict[date, AnnualFact]:
    """A tag's annual (10-K, fp FY) values by period end; the last filed wins."""
    out: dict[date, AnnualFact] = {}
    for item in _units(facts, taxonomy, tag, unit):
        if not isinstance(item, Mapping) or item.get("form") not in ANNUAL_FORMS:
            continue
        if item.get("fp") != "FY":
            continue
        end, filed, value = _day(item.get("end")), _day(item.get("filed")), item.get("val")
        if end is None or filed is None or not isinstance(value, int | float):
            continue
        start = _day(item.get("start")) if item.get("start") else None
        if start is not None and not 330 <= (end - start).days <= 400:
            continue  # a quarter inside a 10-K, not the year
        old = out.get(end)
        if old is None or filed >= old.filed:
            out[end] = AnnualFact(end, float(value), filed, str(item["form"]))
    return out


def _merged(facts: Mapping[str, Any], figure: str) -> dict[date, AnnualFact]:
    """One figure's annual values from all its tags: per period end, the first tag that has it."""
    unit, tags = TAGS[figure]
    merged: dict[date, AnnualFact] = {}
    for tag in tags:
        for end, fact in annual_values(facts, tag, unit).items():
            merged.setdefault(end, fact)
    return merged


def _at(values: Mapping[date, AnnualFact], end: date | None) -> float | None:
    """The value for the period ending `end`, allowing a few days' drift between tags."""
    if end is None:
        return None
    fact = values.get(end)
    if fact is not None:
        return fact.value
    near = [f for d, f in values.items() if abs((d - end).days) <= 7]
    return near[0].value if near else None


def _debt(series: Mapping[str, Mapping[date, AnnualFact]], end: date) -> float | None:
    total = _at(series["long_term_debt"], end)
    if total is None:
        parts = [
            _at(series[k], end) for k in ("long_term_debt_noncurrent", "long_term_debt_current")
        ]
        if all(p is None for p in parts):
            return None
        total = sum(p for p in parts if p is not None)
    return total + (_at(series["short_term_borrowings"], end) or 0.0)


def _statement(series: Mapping[str, Mapping[date, AnnualFact]], end: date) -> Statement:
    def v(name: str) -> float | None:
        return _at(series[name], end)

    revenue, gross, cost = v("revenue"), v("gross_profit"), v("cost_of_revenue")
    if gross is None and revenue is not None and cost is not None:
        gross = revenue - cost
    operating, depreciation = v("operating_income"), v("depreciation")
    ebitda = None if operating is None or depreciation is None else operating + depreciation
    return Statement(
        period_end=end,
        revenue=revenue,
        gross_profit=gross,
        operating_income=operating,
        net_income=v("net_income"),
        equity=v("equity"),
        debt=_debt(series, end),
        cash=v("cash"),
        current_assets=v("current_assets"),
        current_liabilities=v("current_liabilities"),
        eps=v("eps"),
        ebitda=ebitda,
        dividends_per_share=v("dividends_per_share"),
    )


def latest_years(facts: Mapping[str, Any]) -> tuple[Statement, Statement | None] | None:
    """The latest fiscal year's statement and the year before's (None if not reported).

    None when the company reports no annual revenue or net income at all.
    """
    series = {figure: _merged(facts, figure) for figure in TAGS}
    ends = sorted({end for anchor in _ANCHORS for end in series[anchor]})
    if not ends:
        return None
    latest = ends[-1]
    earlier = [e for e in ends if is_year_apart(latest, e)]
    now = _statement(series, latest)
    before = _statement(series, earlier[-1]) if earlier else None
    return now, before


def shares_outstanding(facts: Mapping[str, Any]) -> float | None:
    """Common shares outstanding from the latest filing's cover page (dei), all classes added."""
    items = [
        i
        for i in _units(facts, "dei", "EntityCommonStockSharesOutstanding", SHARES)
        if isinstance(i, Mapping) and isinstance(i.get("val"), int | float) and _day(i.get("filed"))
    ]
    if not items:
        return None
    latest = max(items, key=lambda i: (str(i.get("filed")), str(i.get("end"))))
    # Several classes (GOOGL, GOOG) are separate facts of the same filing and date.
    same = [
        i
        for i in items
        if i.get("accn") == latest.get("accn") and i.get("end") == latest.get("end")
    ]
    return float(sum(i["val"] for i in same))
