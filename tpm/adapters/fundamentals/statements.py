"""A company's yearly line items, and the ratios tpm scores, computed the same way for every source.

The CSV import (files of line items such as the NYSE 10-K extract) and SEC EDGAR both build a
`Statement` per fiscal year and call `ratios`. The conventions, so every source means the same:

- ROE = net income / equity, only with positive equity (with negative equity its sign says
  nothing). Margins = profit line / revenue, only with positive revenue; a gross profit equal to
  revenue means no cost of revenue was reported (banks), so the gross margin is left out.
- Growth = (this year - last year) / |last year|, only when the two periods end about a year
  apart; revenue growth needs last year's revenue positive. EPS growth falls back to net income
  growth when either EPS is missing or the share count moved more than 1.5x (a split makes raw
  EPS incomparable).
- Debt/equity = interest-bearing debt / equity: negative with negative equity (the scorer ranks
  that the worst), None when equity is zero or when there is no debt figure.
- Current ratio = current assets / current liabilities.
- With a price (or a market cap): market cap = price x shares, P/E = price / EPS (negative for a
  loss), P/S = market cap / revenue, P/B = market cap / equity, EV/EBITDA = (market cap + debt -
  cash) / EBITDA (cash taken as zero when not reported), dividend yield = dividends per share /
  price. Without one, the valuation figures stay None.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

__all__ = ["Statement", "growth", "is_year_apart", "ratios"]

# A split or reverse split moves the share count by far more than buybacks or issuance do.
_SPLIT_RATIO = 1.5


@dataclass(frozen=True, slots=True)
class Statement:
    """One fiscal year's line items of one company, in the listing currency; None if unknown."""

    period_end: date | None = None
    revenue: float | None = None
    gross_profit: float | None = None
    operating_income: float | None = None
    net_income: float | None = None
    equity: float | None = None
    debt: float | None = None
    cash: float | None = None
    current_assets: float | None = None
    current_liabilities: float | None = None
    eps: float | None = None
    shares: float | None = None
    ebitda: float | None = None
    dividends_per_share: float | None = None


def is_year_apart(later: date | None, earlier: date | None) -> bool:
    """Whether two fiscal period ends are about one year apart (52/53-week years included)."""
    if later is None or earlier is None:
        return False
    return 300 <= (later - earlier).days <= 430


def growth(now: float | None, before: float | None) -> float | None:
    """(now - before) / |before|, or None when either is unknown or `before` is zero."""
    if now is None or before is None or before == 0:
        return None
    return (now - before) / abs(before)


def _div(a: float | None, b: float | None) -> float | None:
    return None if a is None or b is None or b == 0 else a / b


def _over_positive(a: float | None, b: float | None) -> float | None:
    return None if a is None or b is None or b <= 0 else a / b


def _eps_growth(now: Statement, before: Statement) -> float | None:
    if now.shares and before.shares:
        moved = now.shares / before.shares
        if moved > _SPLIT_RATIO or moved < 1 / _SPLIT_RATIO:
            return growth(now.net_income, before.net_income)
    if now.eps is None or before.eps is None:
        return growth(now.net_income, before.net_income)
    return growth(now.eps, before.eps)


def _debt_to_equity(s: Statement) -> float | None:
    if s.debt is None or s.equity is None or s.equity == 0:
        return None
    if s.equity < 0 and s.debt <= 0:
        return None  # no debt but negative equity: the ratio has no meaningful value
    return s.debt / s.equity


def ratios(
    now: Statement,
    before: Statement | None = None,
    *,
    price: float | None = None,
    market_cap: float | None = None,
) -> dict[str, float | None]:
    """The `Fundamentals` figures these statements give (see the module docstring)."""
    gross_profit = now.gross_profit
    if gross_profit is not None and now.revenue is not None and gross_profit >= now.revenue:
        gross_profit = None
    out: dict[str, float | None] = {
        "roe": _over_positive(now.net_income, now.equity),
        "gross_margin": _over_positive(gross_profit, now.revenue),
        "operating_margin": _over_positive(now.operating_income, now.revenue),
        "net_margin": _over_positive(now.net_income, now.revenue),
        "debt_to_equity": _debt_to_equity(now),
        "current_ratio": _over_positive(now.current_assets, now.current_liabilities),
        "revenue_growth": None,
        "eps_growth": None,
    }
    if before is not None and is_year_apart(now.period_end, before.period_end):
        if before.revenue is not None and before.revenue > 0:
            out["revenue_growth"] = growth(now.revenue, before.revenue)
        out["eps_growth"] = _eps_growth(now, before)
    if market_cap is None and price is not None and now.shares:
        market_cap = price * now.shares
    out["market_cap"] = market_cap
    if price is not None:
        out["pe"] = _div(price, now.eps)
        out["dividend_yield"] = _over_positive(now.dividends_per_share, price)
    elif market_cap is not None:
        out["pe"] = _div(market_cap, now.net_income)
    if market_cap is not None:
        out["ps"] = _over_positive(market_cap, now.revenue)
        out["pb"] = _div(market_cap, now.equity)
        if now.debt is not None:
            enterprise_value = market_cap + now.debt - (now.cash or 0.0)
            out["ev_ebitda"] = _div(enterprise_value, now.ebitda)
    return out
